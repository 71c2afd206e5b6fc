/**
 * Current-target rows for privileged containers and the host namespaces and ports.
 */
import { and, cmp, field, macro, or, str, word } from "../condition.ts";
import type { FieldRule } from "../field_rule.ts";
import { outsideRangesAlternatives } from "../regex.ts";
import { anyKind, jv, ka, kaKind, rangesText, regexAny, SPEC } from "./support.ts";

const HOST_NAMESPACES = [
  ["hostPID", "host_pid", "hostPID=true"],
  ["hostIPC", "host_ipc", "hostIPC=true"],
  ["hostNetwork", "host_network", "hostNetwork=true"],
] as const;

/** `privileged`. */
export const privileged: FieldRule = {
  field: "privileged",
  audit: ({ psp }) =>
    psp.spec.privileged ? undefined : {
      cond: anyKind((k) => cmp(kaKind(k, "privileged"), "intersects", str("true"))),
      text: "container with privileged=true",
    },
  syscall: (ctx) =>
    ctx.psp.spec.privileged ? undefined : {
      cond: and(
        cmp(field("evt.type"), "=", word("container")),
        macro(ctx.id("container")),
        cmp(field("container.privileged"), "=", word("true")),
      ),
      text:
        "container with privileged=true started (user=%user.name command=%proc.cmdline container_id=%container.id image=%container.image.repository:%container.image.tag)",
    },
};

/** hostPID, hostIPC, hostNetwork. */
export const hostNamespaces: readonly FieldRule[] = HOST_NAMESPACES.map((
  [specField, kaName, text],
): FieldRule => ({
  field: specField,
  audit: ({ psp }) =>
    psp.spec[specField] ? undefined : {
      cond: cmp(ka(`ka.req.pod.${kaName}`), "=", str("true")),
      text: `pod with ${text}`,
    },
}));

/** `hostPorts`. */
export const hostPorts: FieldRule = {
  field: "hostPorts",
  audit: ({ psp }) => {
    // hostPort 0 is never serialized; with hostNetwork the API server has already copied
    // every containerPort into hostPort before admission (and before the audit event).
    const outside = outsideRangesAlternatives(psp.spec.hostPorts ?? []);
    if (!outside.length) return undefined;
    return {
      cond: or(
        ...(["containers", "initContainers"] as const).map((kind) =>
          regexAny(jv(...SPEC, kind), '^.*"hostPort":', outside, "[,}].*$")
        ),
      ),
      text: `host port outside of the allowed ranges [${rangesText(psp.spec.hostPorts)}]`,
    };
  },
};
