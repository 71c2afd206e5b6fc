/**
 * Checks that untrusted text in a PSP (its name, the scoping annotations, profile names, any
 * string field) never changes what a generated Falco condition means. A PSP carrying a hostile
 * value is converted next to the same PSP carrying a benign placeholder; both rules files are
 * loaded with the test-side Falco engine (tests/support/falco), and the expanded condition of
 * every rule must have the same structure, with each literal that was the placeholder now
 * being exactly the hostile value. Outputs and descriptions likewise. Refusals must be the
 * generator's typed errors, which the CLI reports as input errors (exit 2).
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { type FalcoTarget, GenerateError, generateRules } from "../../src/falco/generate.ts";
import { UnsafeValueError } from "../../src/falco/condition.ts";
import { InputError } from "../../src/io/errors.ts";
import { loadPsps } from "../../src/psp/load.ts";
import type { LoadedObject } from "../../src/io/documents.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import type { Expr, ValueItem } from "../support/falco/ast.ts";
import { checkLoad } from "../support/falco/load_check.ts";
import { outputFields, type RuleSet } from "../support/falco/rules.ts";
import { auditEventFromObject, firingRules } from "../support/falco/mod.ts";

/** Both targets. */
export const TARGETS: readonly FalcoTarget[] = ["current", "0.27"];

/** A PSP that allows everything except privileged containers (so one rule fires per pod). */
export function basePsp(name = "policy", annotations: Record<string, string> = {}): unknown {
  return {
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata: { name, annotations },
    spec: {
      privileged: false,
      allowPrivilegeEscalation: true,
      volumes: ["*"],
      hostNetwork: true,
      hostPID: true,
      hostIPC: true,
      hostPorts: [{ min: 0, max: 65535 }],
      seLinux: { rule: "RunAsAny" },
      runAsUser: { rule: "RunAsAny" },
      supplementalGroups: { rule: "RunAsAny" },
      fsGroup: { rule: "RunAsAny" },
    },
  };
}

/** The outcome of converting one PSP object as `convert` does (loader, then generator). */
export type Conversion =
  | {
    ok: true;
    yaml: string;
    psp: PodSecurityPolicy;
    /** Rules left out because a value would pass Falco's limit (named in the header). */
    leftOut: string[];
  }
  | { ok: false; error: Error };

/** True for the errors `convert` turns into an input error (exit 2). */
export function isInputRefusal(e: unknown): e is Error {
  return e instanceof InputError || e instanceof GenerateError || e instanceof UnsafeValueError;
}

/**
 * Loads a PSP object as `convert` does (invalid names and missing rules allowed) and
 * generates the rules; the project's refusals are returned, anything else is thrown.
 */
export function convertObject(obj: unknown, target: FalcoTarget): Conversion {
  try {
    const lo: LoadedObject = {
      object: obj as Record<string, unknown>,
      source: { file: "hostile.yaml", document: 1 },
      locate: () => undefined,
    };
    const { psps } = loadPsps([lo], { allowInvalidNames: true, allowMissingRules: true });
    const psp = psps[0].psp;
    const generated = generateRules([psp], { target, prefix: true });
    const leftOut = generated.uncovered.flatMap((u) => {
      const m = /^rule "(.+)" left out: /.exec(u.reason);
      return m ? [m[1]] : [];
    });
    return { ok: true, yaml: generated.yaml, psp, leftOut };
  } catch (e) {
    if (isInputRefusal(e)) return { ok: false, error: e };
    throw e;
  }
}

/** Loads a generated file with the engine, asserting valid YAML and no load error or warning. */
export function loadClean(yaml: string, target: FalcoTarget, what: string): RuleSet {
  const doc = parseYaml(yaml);
  assert.ok(Array.isArray(doc), `${what}: the rules file is not a YAML sequence`);
  const check = checkLoad(yaml, target);
  assert.deepEqual(check.errors, [], `${what}: load errors`);
  assert.deepEqual(check.warnings, [], `${what}: load warnings`);
  return check.ruleset;
}

/** A literal as compared: regex patterns are masked (checked by evaluation instead). */
type Subst = (value: string) => string;

/** Literal values (whether one is quoted or bare does not change what it compares with). */
function items(v: ValueItem[], op: string, subst: Subst): unknown[] {
  return v.map((i) => (op === "regex" ? "<regex>" : subst(i.value)));
}

/** The expression without positions, literals mapped through `subst`. */
export function shape(expr: Expr, subst: Subst = (v) => v): unknown {
  switch (expr.kind) {
    case "and":
      return { k: expr.kind, c: expr.children.map((c) => shape(c, subst)) };
    case "or": {
      // A long regex is split into several (joined by `or`) to stay within Falco's limit on
      // one value, so how many depends on the values' lengths: adjacent masked regexes on
      // the same field count as one (the evaluation checks what they match).
      const c: unknown[] = [];
      for (const child of expr.children.map((x) => shape(x, subst))) {
        const prev = c[c.length - 1];
        const isRegex = (x: unknown) => (x as { op?: string } | undefined)?.op === "regex";
        if (isRegex(child) && isRegex(prev) && JSON.stringify(prev) === JSON.stringify(child)) {
          continue;
        }
        c.push(child);
      }
      return c.length === 1 ? c[0] : { k: "or", c };
    }
    case "not":
      return { k: "not", c: shape(expr.child, subst) };
    case "macro":
      return { k: "macro", name: expr.name };
    case "check": {
      const v = expr.value;
      return {
        k: "check",
        field: expr.field,
        arg: expr.arg,
        transformers: expr.transformers ?? [],
        op: expr.op,
        value: v === undefined
          ? undefined
          : v.kind === "value"
          ? items([v.item], expr.op, subst)
          : v.kind === "list"
          ? items(v.items, expr.op, subst)
          : { field: v.ref },
      };
    }
  }
}

/**
 * What a rule means, for comparison: expanded condition shape, the fields its output reads
 * (its text may show untrusted values sanitised), priority, source, tags.
 */
export function ruleMeaning(rs: RuleSet, subst: Subst = (v) => v): unknown[] {
  return rs.rules.map((r) => ({
    condition: shape(r.expr, subst),
    outputFields: outputFields(r.output),
    desc: subst(r.desc),
    priority: r.priority,
    source: r.source,
    tags: r.tags,
    enabled: r.enabled,
  }));
}

/**
 * Asserts that the hostile rules mean what the benign ones mean with `benign` replaced by
 * `hostile`: every literal equal to the placeholder is now exactly the hostile value, and
 * nothing else changed. Rule names are compared after `renameRule`.
 */
export function assertSameMeaning(
  hostile: RuleSet,
  benign: RuleSet,
  placeholder: string,
  value: string,
  what: string,
  renameRule: (name: string) => string = (n) => n,
): void {
  const subst: Subst = (v) => v.replaceAll(placeholder, value);
  assert.deepEqual(
    hostile.rules.map((r) => r.name),
    benign.rules.map((r) => renameRule(r.name)),
    `${what}: rule names`,
  );
  assert.deepEqual(ruleMeaning(hostile), ruleMeaning(benign, subst), `${what}: rule meaning`);
}

/** A pod create audit event as the API server logs it (level RequestResponse). */
export function podCreateEvent(
  namespace: string,
  spec: Record<string, unknown>,
  annotations: Record<string, string> = {},
): ReturnType<typeof auditEventFromObject> {
  return auditEventFromObject({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "RequestResponse",
    auditID: "00000000-0000-0000-0000-000000000000",
    stage: "ResponseComplete",
    requestURI: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
    verb: "create",
    user: { username: "alice", groups: ["system:authenticated"] },
    sourceIPs: ["127.0.0.1"],
    objectRef: { resource: "pods", namespace, name: "p", apiVersion: "v1" },
    responseStatus: { metadata: {}, code: 201 },
    requestObject: {
      kind: "Pod",
      apiVersion: "v1",
      metadata: { name: "p", namespace, annotations },
      spec,
    },
    requestReceivedTimestamp: "2026-11-28T12:00:00.000000Z",
    stageTimestamp: "2026-11-28T12:00:00.001000Z",
  });
}

/** A privileged pod with one container using `image`. */
export function privilegedPod(image: string): Record<string, unknown> {
  return { containers: [{ name: "c", image, securityContext: { privileged: true } }] };
}

/** Names of the k8s_audit rules that fire on an event. */
export function fired(rs: RuleSet, event: ReturnType<typeof auditEventFromObject>): string[] {
  return firingRules(rs, event).map((r) => r.name);
}
