/**
 * `runAsUser` (restricted, v1.23+): neither the pod nor a container sets `runAsUser: 0`. From
 * v1.35 a user-namespace pod (`hostUsers: false`) is exempt.
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

function runAsUser1_23(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const badSetters: string[] = [];
  if (spec.securityContext?.runAsUser === 0) badSetters.push("pod");
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.runAsUser === 0) bad.push(c.name);
  });
  if (bad.length > 0) {
    badSetters.push(`${containersNamed(bad)}`);
  }
  if (badSetters.length === 0) return ALLOWED;
  return forbid("runAsUser=0", `${badSetters.join(" and ")} must not set runAsUser=0`);
}

function runAsUser1_35(meta: PssMetadata, spec: PssPodSpec): CheckResult {
  if (spec.hostUsers === false) return ALLOWED;
  return runAsUser1_23(meta, spec);
}

/** The check, as upstream's check_runAsUser.go defines it. */
export const runAsUser: Check = {
  id: "runAsUser",
  level: "restricted",
  versions: [
    { minVersion: 23, check: runAsUser1_23 },
    { minVersion: 35, check: runAsUser1_35 },
  ],
};
