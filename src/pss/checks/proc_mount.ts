/**
 * `procMount` (baseline, v1.0+) and `procMount_restricted` (restricted, v1.35+): containers keep
 * the default /proc masks (`procMount` unset or `Default`). From v1.35 the baseline check allows
 * any procMount in a user-namespace pod (`hostUsers: false`); the restricted one, which replaces
 * it at the restricted level, never does.
 */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  containersNamed,
  forbid,
  joinQuote,
  type PssMetadata,
  type PssPodSpec,
  sortedSet,
  visitContainers,
} from "../check.ts";

function procMount1_0(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const bad: string[] = [];
  const types: string[] = [];
  visitContainers(spec, (c) => {
    const pm = c.securityContext?.procMount;
    if (pm == null) return;
    if (pm !== "Default") {
      bad.push(c.name);
      types.push(String(pm));
    }
  });
  if (bad.length === 0) return ALLOWED;
  return forbid(
    "procMount",
    `${containersNamed(bad)} must not set securityContext.procMount to ${
      joinQuote(sortedSet(types))
    }`,
  );
}

function procMount1_35Baseline(meta: PssMetadata, spec: PssPodSpec): CheckResult {
  if (spec.hostUsers === false) return ALLOWED;
  return procMount1_0(meta, spec);
}

/** The baseline check, as upstream's check_procMount_baseline.go defines it. */
export const procMount: Check = {
  id: "procMount",
  level: "baseline",
  versions: [
    { minVersion: 0, check: procMount1_0 },
    { minVersion: 35, check: procMount1_35Baseline },
  ],
};

/** The restricted check, as upstream's check_procMount_restricted.go defines it. */
export const procMountRestricted: Check = {
  id: "procMount_restricted",
  level: "restricted",
  versions: [{ minVersion: 35, check: procMount1_0, overrides: ["procMount"] }],
};
