/** Test helpers for the Pod Security Standards checks. */
import type { Check, CheckResult, PssContainer, PssPodSpec } from "../../src/pss/check.ts";

/** Runs `check`'s revision for policy minor `minor` on a pod with `spec` and `annotations`. */
export function run(
  check: Check,
  minor: number,
  spec: PssPodSpec,
  annotations: Record<string, string> = {},
): CheckResult {
  const rev = check.versions.findLast((v) => v.minVersion <= minor);
  if (!rev) throw new Error(`${check.id} has no revision at 1.${minor}`);
  return rev.check({ annotations }, spec);
}

/** A container named `name` with `securityContext` and other fields. */
export function ctr(
  name: string,
  securityContext: PssContainer["securityContext"] = undefined,
  extra: Partial<PssContainer> = {},
): PssContainer {
  return { name, ...(securityContext === undefined ? {} : { securityContext }), ...extra };
}

/** `[reason, detail]` of a forbidden result, or "allowed". */
export function said(r: CheckResult): [string, string] | "allowed" {
  return r.allowed ? "allowed" : [r.reason, r.detail];
}
