/**
 * `runAsNonRoot` (restricted, v1.0+): the pod or every container sets `runAsNonRoot: true`, and
 * none sets false. From v1.35 a user-namespace pod (`hostUsers: false`) is exempt.
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

function runAsNonRoot1_0(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const badSetters: string[] = [];
  let podNonRoot = false;
  const pod = spec.securityContext?.runAsNonRoot;
  if (pod != null) {
    if (pod !== true) badSetters.push("pod");
    else podNonRoot = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const v = c.securityContext?.runAsNonRoot;
    if (v != null) {
      if (v !== true) explicit.push(c.name);
    } else if (!podNonRoot) implicit.push(c.name);
  });
  if (explicit.length > 0) {
    badSetters.push(
      `${containersNamed(explicit)}`,
    );
  }
  if (badSetters.length > 0) {
    return forbid(
      "runAsNonRoot != true",
      `${badSetters.join(" and ")} must not set securityContext.runAsNonRoot=false`,
    );
  }
  if (implicit.length === 0) return ALLOWED;
  return forbid(
    "runAsNonRoot != true",
    `pod or ${containersNamed(implicit)} must set securityContext.runAsNonRoot=true`,
  );
}

function runAsNonRoot1_35(meta: PssMetadata, spec: PssPodSpec): CheckResult {
  if (spec.hostUsers === false) return ALLOWED;
  return runAsNonRoot1_0(meta, spec);
}

/** The check, as upstream's check_runAsNonRoot.go defines it. */
export const runAsNonRoot: Check = {
  id: "runAsNonRoot",
  level: "restricted",
  versions: [
    { minVersion: 0, check: runAsNonRoot1_0 },
    { minVersion: 35, check: runAsNonRoot1_35 },
  ],
};
