/**
 * Current-target rows for Linux capabilities: allowed, default added and required dropped.
 */
import { and, cmp, type Cond, exists, not, or, str } from "../condition.ts";
import type { PspContext } from "../context.ts";
import type { FieldRule } from "../field_rule.ts";
import { GenerateError } from "../scope.ts";
import { anyContainer, jv, KINDS, notOneOfRegex, type Path, SPEC } from "./support.ts";

const CAPABILITY = /^[A-Za-z0-9_]+$/;

function checkCapabilities(ctx: PspContext, fieldName: string, caps: readonly string[]): void {
  for (const c of caps) {
    if (c !== "*" && !CAPABILITY.test(c)) {
      throw new GenerateError(
        ctx.psp.metadata?.name ?? "",
        fieldName,
        `capability ${JSON.stringify(c)} cannot be written safely`,
      );
    }
  }
}

/** The container's `securityContext.capabilities.<list>` JSON text contains the capability. */
function capListHas(c: Path, list: "add" | "drop", cap: string): Cond {
  return cmp(jv(...c, "securityContext", "capabilities", list), "contains", str(`"${cap}"`));
}

/** `allowedCapabilities`. */
export const allowedCapabilities: FieldRule = {
  field: "allowedCapabilities",
  audit: (ctx) => {
    const allowed = ctx.psp.spec.allowedCapabilities ?? [];
    const defaults = ctx.psp.spec.defaultAddCapabilities ?? [];
    checkCapabilities(ctx, "allowedCapabilities", allowed);
    checkCapabilities(ctx, "defaultAddCapabilities", defaults);
    if (allowed.includes("*")) return undefined;
    const ok = [...new Set([...allowed, ...defaults])];
    // ka.req.pod.*.add_capabilities yields each container's `add` array as one JSON text,
    // so the check reads the containers' JSON: some `"add":[...]` entry outside the set.
    return {
      cond: or(
        ...KINDS.map((kind) =>
          notOneOfRegex(jv(...SPEC, kind), '^.*"add":[[]("[^"]*",)*"', ok, ".*$")
        ),
      ),
      text: `added capability outside of the allowed set [${ok.join(",")}]`,
    };
  },
};

/** `defaultAddCapabilities`. */
export const defaultAddCapabilities: FieldRule = {
  field: "defaultAddCapabilities",
  mutation: (ctx) => {
    const defaults = ctx.psp.spec.defaultAddCapabilities ?? [];
    checkCapabilities(ctx, "defaultAddCapabilities", defaults);
    if (!defaults.length) return undefined;
    return {
      cond: anyContainer(ctx, (c) =>
        and(
          exists(jv(...c)),
          or(
            ...defaults.map((d) =>
              and(not(capListHas(c, "add", d)), not(capListHas(c, "drop", d)))
            ),
          ),
        )),
      text: `container without the default capabilities [${
        defaults.join(",")
      }]: admission adds them`,
    };
  },
};

/** `requiredDropCapabilities`. */
export const requiredDropCapabilities: FieldRule = {
  field: "requiredDropCapabilities",
  mutation: (ctx) => {
    const drops = ctx.psp.spec.requiredDropCapabilities ?? [];
    checkCapabilities(ctx, "requiredDropCapabilities", drops);
    if (!drops.length) return undefined;
    return {
      cond: anyContainer(
        ctx,
        (c) => and(exists(jv(...c)), or(...drops.map((d) => not(capListHas(c, "drop", d))))),
      ),
      text: `container not dropping [${drops.join(",")}]: admission adds the drops`,
    };
  },
};
