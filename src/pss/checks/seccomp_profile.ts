/**
 * `seccompProfile_baseline` (baseline) and `seccompProfile_restricted` (restricted, v1.19+).
 * Baseline: before v1.19 the seccomp annotations, from v1.19 the `seccompProfile.type` fields,
 * may name only RuntimeDefault or Localhost profiles (unset is fine). Restricted, replacing it:
 * every container must end up with RuntimeDefault or Localhost, set on the container or the pod;
 * from v1.25 a Windows pod (`spec.os.name: windows`) is exempt.
 */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  containersNamed,
  forbid,
  goQuote,
  isObject,
  joinQuote,
  pluralize,
  type PssMetadata,
  type PssPodSpec,
  sortedSet,
  visitContainers,
} from "../check.ts";

const ANNOTATION_POD = "seccomp.security.alpha.kubernetes.io/pod";
const ANNOTATION_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";

function validType(t: string | undefined): boolean {
  return t === "Localhost" || t === "RuntimeDefault";
}

function validAnnotation(v: string): boolean {
  return v === "runtime/default" || v === "docker/default" || v.startsWith("localhost/");
}

function seccompBaseline1_0(meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const annotations = isObject(meta.annotations) ? meta.annotations : {};
  const bad: string[] = [];
  const check = (key: string) => {
    if (!Object.hasOwn(annotations, key)) return;
    const v = String(annotations[key]);
    if (!validAnnotation(v)) bad.push(`${key}=${goQuote(v)}`);
  };
  check(ANNOTATION_POD);
  visitContainers(spec, (c) => check(ANNOTATION_CONTAINER_PREFIX + c.name));
  if (bad.length === 0) return ALLOWED;
  const set = sortedSet(bad);
  return forbid(
    "seccompProfile",
    `forbidden ${pluralize("annotation", "annotations", set.length)} ${set.join(", ")}`,
  );
}

/** Shared by baseline 1.19 and restricted: who set a bad type, and which containers set none. */
function scan(spec: PssPodSpec) {
  const badSetters: string[] = [];
  const badValues: string[] = [];
  let podSet = false;
  const pod = spec.securityContext?.seccompProfile;
  if (pod != null) {
    if (!validType(pod.type)) {
      badSetters.push("pod");
      badValues.push(pod.type ?? "");
    } else podSet = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.seccompProfile;
    if (p != null) {
      if (!validType(p.type)) {
        explicit.push(c.name);
        badValues.push(p.type ?? "");
      }
    } else if (!podSet) implicit.push(c.name);
  });
  if (explicit.length > 0) {
    badSetters.push(
      `${containersNamed(explicit)}`,
    );
  }
  return { badSetters, badValues, implicit };
}

function explicitlyBad(badSetters: string[], badValues: string[]): CheckResult {
  return forbid(
    "seccompProfile",
    `${badSetters.join(" and ")} must not set securityContext.seccompProfile.type to ${
      joinQuote(sortedSet(badValues))
    }`,
  );
}

function seccompBaseline1_19(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const { badSetters, badValues } = scan(spec);
  return badSetters.length === 0 ? ALLOWED : explicitlyBad(badSetters, badValues);
}

function seccompRestricted1_19(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const { badSetters, badValues, implicit } = scan(spec);
  if (badSetters.length > 0) return explicitlyBad(badSetters, badValues);
  if (implicit.length === 0) return ALLOWED;
  return forbid(
    "seccompProfile",
    `pod or ${
      containersNamed(implicit)
    } must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
  );
}

function seccompRestricted1_25(meta: PssMetadata, spec: PssPodSpec): CheckResult {
  if (spec.os?.name === "windows") return ALLOWED;
  return seccompRestricted1_19(meta, spec);
}

/** The baseline check, as upstream's check_seccompProfile_baseline.go defines it. */
export const seccompProfileBaseline: Check = {
  id: "seccompProfile_baseline",
  level: "baseline",
  versions: [
    { minVersion: 0, check: seccompBaseline1_0 },
    { minVersion: 19, check: seccompBaseline1_19 },
  ],
};

const OVERRIDES = ["seccompProfile_baseline"];

/** The restricted check, as upstream's check_seccompProfile_restricted.go defines it. */
export const seccompProfileRestricted: Check = {
  id: "seccompProfile_restricted",
  level: "restricted",
  versions: [
    { minVersion: 19, check: seccompRestricted1_19, overrides: OVERRIDES },
    { minVersion: 25, check: seccompRestricted1_25, overrides: OVERRIDES },
  ],
};
