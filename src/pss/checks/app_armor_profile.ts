/**
 * `appArmorProfile` (baseline, v1.0+): AppArmor may not be disabled or overridden. The
 * `securityContext.appArmorProfile.type` of the pod and each container must be RuntimeDefault or
 * Localhost; the `container.apparmor.security.beta.kubernetes.io/*` annotations must be empty,
 * `runtime/default` or `localhost/*`. (Upstream patched the field check into the 1.0 revision,
 * so it applies at every policy version.)
 */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  compareGo,
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

const ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

function allowedAnnotationValue(v: string): boolean {
  return v === "" || v === "runtime/default" || v.startsWith("localhost/");
}

function allowedType(t: string | undefined): boolean {
  return t === "RuntimeDefault" || t === "Localhost";
}

function appArmorProfile1_0(meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const badSetters: string[] = [];
  const badValues: string[] = [];
  const podProfile = spec.securityContext?.appArmorProfile;
  if (podProfile != null && !allowedType(podProfile.type)) {
    badSetters.push("pod");
    badValues.push(podProfile.type ?? "");
  }
  const badContainers: string[] = [];
  visitContainers(spec, (c) => {
    const profile = c.securityContext?.appArmorProfile;
    if (profile != null && !allowedType(profile.type)) {
      badContainers.push(c.name);
      badValues.push(profile.type ?? "");
    }
  });
  if (badContainers.length > 0) {
    badSetters.push(
      `${containersNamed(badContainers)}`,
    );
  }
  const annotations: string[] = [];
  const all = meta.annotations;
  if (isObject(all)) {
    for (const k in all) {
      if (!Object.hasOwn(all, k) || !k.startsWith(ANNOTATION_PREFIX)) continue;
      const v = String(all[k]);
      if (!allowedAnnotationValue(v)) annotations.push(`${k}=${goQuote(v)}`);
    }
  }
  const values = sortedSet(badValues);
  if (annotations.length > 0) {
    annotations.sort(compareGo);
    values.push(...annotations);
    badSetters.push(pluralize("annotation", "annotations", annotations.length));
  }
  if (badSetters.length === 0) return ALLOWED;
  return forbid(
    pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", values.length),
    `${badSetters.join(" and ")} must not set AppArmor profile type to ${joinQuote(values)}`,
  );
}

/** The check, as upstream's check_appArmorProfile.go defines it. */
export const appArmorProfile: Check = {
  id: "appArmorProfile",
  level: "baseline",
  versions: [{ minVersion: 0, check: appArmorProfile1_0 }],
};
