/** `hostPathVolumes` (baseline, v1.0+): no hostPath volume. */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  forbid,
  joinQuote,
  pluralize,
  type PssMetadata,
  type PssPodSpec,
} from "../check.ts";

function hostPathVolumes1_0(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const bad: string[] = [];
  for (const v of spec.volumes ?? []) if (v?.hostPath != null) bad.push(v.name);
  if (bad.length === 0) return ALLOWED;
  return forbid(
    "hostPath volumes",
    `${pluralize("volume", "volumes", bad.length)} ${joinQuote(bad)}`,
  );
}

/** The check, as upstream's check_hostPathVolumes.go defines it. */
export const hostPathVolumes: Check = {
  id: "hostPathVolumes",
  level: "baseline",
  versions: [{ minVersion: 0, check: hostPathVolumes1_0 }],
};
