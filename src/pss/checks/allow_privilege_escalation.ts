/**
 * `allowPrivilegeEscalation` (restricted, v1.8+): every container must set
 * `allowPrivilegeEscalation: false`; from v1.25 a Windows pod is exempt.
 */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  containersNamed,
  forbid,
  type PssMetadata,
  type PssPodSpec,
  visitContainers,
} from "../check.ts";

function allowPrivilegeEscalation1_8(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.allowPrivilegeEscalation !== false) bad.push(c.name);
  });
  if (bad.length === 0) return ALLOWED;
  return forbid(
    "allowPrivilegeEscalation != false",
    `${containersNamed(bad)} must set securityContext.allowPrivilegeEscalation=false`,
  );
}

function allowPrivilegeEscalation1_25(meta: PssMetadata, spec: PssPodSpec): CheckResult {
  if (spec.os?.name === "windows") return ALLOWED;
  return allowPrivilegeEscalation1_8(meta, spec);
}

/** The check, as upstream's check_allowPrivilegeEscalation.go defines it. */
export const allowPrivilegeEscalation: Check = {
  id: "allowPrivilegeEscalation",
  level: "restricted",
  versions: [
    { minVersion: 8, check: allowPrivilegeEscalation1_8 },
    { minVersion: 25, check: allowPrivilegeEscalation1_25 },
  ],
};
