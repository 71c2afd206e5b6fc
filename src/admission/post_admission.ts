/**
 * What the API server does to an admitted pod after PSP `Admit` and before it is stored, as far
 * as the admitted pod's reported fields are concerned (docs/psp-admission.md §1 step 5; Kubernetes
 * pkg/registry/core/pod/strategy.go `PrepareForCreate`):
 *
 * - the `kubernetes.io/psp` annotation names the chosen PSP;
 * - `DropDisabledPodFields`: with the ProcMountType gate off (1.20), a set `procMount` becomes
 *   `Default`;
 * - `applySeccompVersionSkew`: the pod's and each (init) container's seccomp field and annotation
 *   are synced both ways (a field without annotation adds the annotation and vice versa).
 *
 * Copy-on-write: the input pod is not mutated.
 */
import type { Container, Pod, PodSpec } from "../model/pod.ts";
import {
  SECCOMP_CONTAINER_ANNOTATION_PREFIX,
  SECCOMP_POD_ANNOTATION,
  seccompAnnotationForField,
  seccompFieldForAnnotation,
} from "./seccomp.ts";
import { type ContainerKind, containersOf, MUTATED_KINDS, VALIDATED_KINDS } from "./pod_access.ts";

/** The annotation the PSP admission writes with the chosen PSP's name. */
export const PSP_ANNOTATION = "kubernetes.io/psp";

/** Returns the admitted pod as the API server would store it (see the module comment). */
export function finalizeAdmittedPod(
  pod: Pod,
  policy: string,
  kinds: readonly ContainerKind[] = VALIDATED_KINDS,
): Pod {
  const annotations: Record<string, string> = { ...(pod.metadata?.annotations ?? {}) };
  annotations[PSP_ANNOTATION] = policy;
  let spec: PodSpec | null = null; // copied on first change

  // DropDisabledPodFields: procMount -> Default (all container kinds).
  for (const kind of MUTATED_KINDS) {
    const list = containersOf(pod, kind);
    let updated: Container[] | null = null;
    for (let i = 0; i < list.length; i++) {
      const sc = list[i].securityContext;
      if (sc?.procMount !== undefined && sc.procMount !== null && sc.procMount !== "Default") {
        updated ??= [...list];
        updated[i] = { ...list[i], securityContext: { ...sc, procMount: "Default" } };
      }
    }
    if (updated !== null) (spec ??= { ...pod.spec })[kind] = updated;
  }

  // applySeccompVersionSkew, pod level.
  const podField = pod.spec?.securityContext?.seccompProfile ?? null;
  const hasPodAnnotation = annotations[SECCOMP_POD_ANNOTATION] !== undefined;
  if (podField !== null && !hasPodAnnotation) {
    const a = seccompAnnotationForField(podField);
    if (a !== "") annotations[SECCOMP_POD_ANNOTATION] = a;
  } else if (podField === null && hasPodAnnotation) {
    const f = seccompFieldForAnnotation(annotations[SECCOMP_POD_ANNOTATION]);
    if (f !== null) {
      spec ??= { ...pod.spec };
      spec.securityContext = { ...(spec.securityContext ?? {}), seccompProfile: f };
    }
  }

  // applySeccompVersionSkew, containers of the feature-enabled kinds.
  let containerAnnotations = false;
  for (const key in annotations) {
    if (key.startsWith(SECCOMP_CONTAINER_ANNOTATION_PREFIX)) {
      containerAnnotations = true;
      break;
    }
  }
  for (const kind of kinds) {
    const list = spec === null
      ? containersOf(pod, kind)
      : (spec[kind] as Container[] | null | undefined) ?? [];
    let updated: Container[] | null = null;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      const field = c.securityContext?.seccompProfile ?? null;
      if (field === null && !containerAnnotations) continue;
      const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name;
      const hasAnnotation = annotations[key] !== undefined;
      if (field !== null && !hasAnnotation) {
        const a = seccompAnnotationForField(field);
        if (a !== "") annotations[key] = a;
      } else if (field === null && hasAnnotation) {
        const f = seccompFieldForAnnotation(annotations[key]);
        if (f !== null) {
          updated ??= [...list];
          updated[i] = {
            ...c,
            securityContext: { ...(c.securityContext ?? {}), seccompProfile: f },
          };
        }
      }
    }
    if (updated !== null) (spec ??= { ...pod.spec })[kind] = updated;
  }

  return { ...pod, metadata: { ...pod.metadata, annotations }, spec: spec ?? pod.spec };
}
