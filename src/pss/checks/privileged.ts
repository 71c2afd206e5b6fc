/** `privileged` (baseline, v1.0+): no container may set `securityContext.privileged=true`. */
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

function privileged1_0(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.privileged === true) bad.push(c.name);
  });
  if (bad.length === 0) return ALLOWED;
  return forbid(
    "privileged",
    `${containersNamed(bad)} must not set securityContext.privileged=true`,
  );
}

/** The check, as upstream's check_privileged.go defines it. */
export const privileged: Check = {
  id: "privileged",
  level: "baseline",
  versions: [{ minVersion: 0, check: privileged1_0 }],
};
