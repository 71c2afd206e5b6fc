/**
 * Seccomp, driven by PSP annotations (docs/psp-admission.md §2.19; Kubernetes
 * pkg/security/podsecuritypolicy/seccomp/strategy.go and pkg/api/pod/util.go).
 */
import type { Pod, SeccompProfile } from "../model/pod.ts";
import type { PodSecurityPolicy } from "../model/psp.ts";
import { SECCOMP_ALLOWED_PROFILES, SECCOMP_DEFAULT_PROFILE } from "../model/psp.ts";
import { forbidden } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import { type ContainerView, type PodMutation, podSecurityContext } from "./pod_access.ts";
import type { ContainerValidator, PodMutator, PodValidator } from "./strategy.ts";

/** The pod-level seccomp annotation. */
export const SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
/** Prefix of the per-container seccomp annotation (`<prefix><container name>`). */
export const SECCOMP_CONTAINER_ANNOTATION_PREFIX =
  "container.seccomp.security.alpha.kubernetes.io/";

/**
 * Kubernetes' `SeccompAnnotationForField`: `unconfined`, `runtime/default`, `localhost/<p>`, or ""
 * (Localhost without a profile, or an unknown type).
 */
export function seccompAnnotationForField(field: SeccompProfile): string {
  switch (field.type) {
    case "Unconfined":
      return "unconfined";
    case "RuntimeDefault":
      return "runtime/default";
    case "Localhost":
      if (field.localhostProfile !== undefined && field.localhostProfile !== null) {
        return `localhost/${field.localhostProfile}`;
      }
  }
  return "";
}

/** Kubernetes' `SeccompFieldForAnnotation`: the field for an annotation value, or null. */
export function seccompFieldForAnnotation(annotation: string): SeccompProfile | null {
  if (annotation === "unconfined") return { type: "Unconfined" };
  if (annotation === "runtime/default" || annotation === "docker/default") {
    return { type: "RuntimeDefault" };
  }
  if (annotation.startsWith("localhost/")) {
    const p = annotation.slice("localhost/".length);
    if (p !== "") return { type: "Localhost", localhostProfile: p };
  }
  return null;
}

/** The compiled seccomp strategy of one PSP. */
export class SeccompStrategy implements PodMutator, PodValidator, ContainerValidator {
  readonly #default: string;
  /** null when the allowed annotation is absent ("no seccomp allowed"). */
  readonly #allowed: ReadonlySet<string> | null;
  readonly #allowedText: string;
  readonly #allowAny: boolean;

  constructor(annotations: Readonly<Record<string, string>>) {
    this.#default = annotations[SECCOMP_DEFAULT_PROFILE] ?? "";
    const raw = annotations[SECCOMP_ALLOWED_PROFILES];
    this.#allowedText = raw ?? "";
    let allowAny = false;
    let allowed: Set<string> | null = null;
    if (raw !== undefined) {
      allowed = new Set();
      for (const p of raw.split(",")) {
        if (p === "*") {
          allowAny = true;
          continue;
        }
        if (p === "docker/default" || p === "runtime/default") {
          allowed.add("runtime/default");
          allowed.add("docker/default");
        }
        allowed.add(p);
      }
    }
    this.#allowed = allowed;
    this.#allowAny = allowAny;
  }

  /**
   * Pod annotation, else the pod field as an annotation, else the PSP default. Writing the
   * field's own profile as the annotation changes nothing the pod runs with: that change is
   * marked `effect: "none"`; the PSP's default profile is a real change.
   */
  mutatePod(m: PodMutation) {
    const pod = m.pod;
    let profile = pod.metadata?.annotations?.[SECCOMP_POD_ANNOTATION] ?? "";
    let copied = false;
    if (profile === "") {
      const field = podSecurityContext(pod).seccompProfile;
      profile = field ? seccompAnnotationForField(field) : this.#default;
      copied = !!field;
    }
    if (profile !== "") {
      m.setAnnotation("seccomp", SECCOMP_POD_ANNOTATION, profile, copied ? "none" : undefined);
    }
  }

  validatePod(pod: Pod, out: Violation[]) {
    let profile = pod.metadata?.annotations?.[SECCOMP_POD_ANNOTATION] ?? "";
    if (profile === "") {
      const field = podSecurityContext(pod).seccompProfile;
      if (field) profile = seccompAnnotationForField(field);
    }
    this.#check(`pod.metadata.annotations[${SECCOMP_POD_ANNOTATION}]`, profile, out);
  }

  validateContainer(c: ContainerView, out: Violation[]) {
    const profile = profileForContainer(c);
    const allowedCount = this.#allowed?.size ?? 0;
    if (this.#allowAny || (allowedCount === 0 && profile === "")) return; // fast path: allowed
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + (c.container.name ?? "");
    this.#check(`pod.metadata.annotations[${key}]`, profile, out);
  }

  #check(path: string, profile: string, out: Violation[]) {
    const allowedCount = this.#allowed?.size ?? 0;
    if (!this.#allowAny && allowedCount === 0 && profile !== "") {
      out.push(raisedBy("seccomp", forbidden(path, "seccomp may not be set")));
      return;
    }
    const ok = (allowedCount === 0 && profile === "") || this.#allowAny ||
      (this.#allowed?.has(profile) ?? false);
    if (!ok) {
      out.push(raisedBy(
        "seccomp",
        forbidden(
          path,
          `${profile} is not an allowed seccomp profile. Valid values are ${this.#allowedText}`,
        ),
      ));
    }
  }
}

/**
 * The container's profile: its field, else its annotation (if present, even empty), else the pod
 * field, else the pod annotation.
 */
function profileForContainer(c: ContainerView): string {
  const field = c.sc?.seccompProfile;
  if (field) return seccompAnnotationForField(field);
  const annotations = c.pod.metadata?.annotations;
  if (annotations) {
    // Annotation values are strings, so a present key is never undefined.
    const own = annotations[SECCOMP_CONTAINER_ANNOTATION_PREFIX + (c.container.name ?? "")];
    if (own !== undefined && own !== null) return own;
  }
  const podField = c.podSc.seccompProfile;
  if (podField) return seccompAnnotationForField(podField);
  return annotations?.[SECCOMP_POD_ANNOTATION] ?? "";
}

/** Compiles the seccomp strategy from the PSP's annotations (always active). */
export function compileSeccomp(psp: PodSecurityPolicy): SeccompStrategy {
  return new SeccompStrategy(psp.metadata?.annotations ?? {});
}
