/**
 * Reading and copy-on-write changing of pods during admission.
 *
 * Pods are plain JSON objects and are treated as immutable: `PodMutation` starts from the original
 * pod and clones only the objects on the path to a field it changes (pod, metadata, annotations,
 * spec, pod securityContext, a container list, a container and its securityContext), so a policy
 * that changes nothing costs no copy at all. Every change is recorded with its field path.
 */
import type { Container, Pod, PodSecurityContext, SecurityContext } from "../model/pod.ts";
import type { PspField } from "../model/psp_fields.ts";

/**
 * A change a policy makes to a pod; `field` is a path like the violations', `pspField` the PSP
 * field whose defaulting made it.
 */
export interface Change {
  field: string;
  from: unknown;
  to: unknown;
  pspField: PspField;
  /**
   * `none` for a change without effect: the seccomp annotation written from the pod's own
   * `seccompProfile` field (the same profile; Kubernetes 1.19–1.24 PSP admission copies it).
   * Absent for every change that does something.
   */
  effect?: "none";
}

/** The pod's container lists, in the order admission visits them. */
export type ContainerKind = "initContainers" | "containers" | "ephemeralContainers";

/** Container lists PSP mutation visits: all three, regardless of the EphemeralContainers gate. */
export const MUTATED_KINDS: readonly ContainerKind[] = [
  "initContainers",
  "containers",
  "ephemeralContainers",
];

/**
 * Container lists PSP validation visits: ephemeral containers only with the EphemeralContainers
 * gate, which is alpha and off in 1.20 (docs/psp-admission.md §2).
 */
export const VALIDATED_KINDS: readonly ContainerKind[] = ["initContainers", "containers"];

/**
 * The container lists validation visits: with the EphemeralContainers gate on (the default from
 * Kubernetes 1.23) ephemeral containers too, else init and regular containers (1.20).
 */
export function validatedKinds(ephemeralContainers: boolean): readonly ContainerKind[] {
  return ephemeralContainers ? MUTATED_KINDS : VALIDATED_KINDS;
}

const NO_CONTAINERS: readonly Container[] = Object.freeze([]);
/** The empty pod securityContext, for pods without one. */
const EMPTY_POD_SC: PodSecurityContext = Object.freeze({});

/** The pod's containers of one kind (empty when absent). */
export function containersOf(pod: Pod, kind: ContainerKind): readonly Container[] {
  return (pod.spec?.[kind] as Container[] | null | undefined) ?? NO_CONTAINERS;
}

/** The pod-level securityContext (empty when absent). */
export function podSecurityContext(pod: Pod): PodSecurityContext {
  return pod.spec?.securityContext ?? EMPTY_POD_SC;
}

/** `spec.<kind>[<index>]`, the path admission errors use for a container. */
export function containerPath(kind: ContainerKind, index: number): string {
  return `spec.${kind}[${index}]`;
}

/** A container as validation sees it: its own and the pod's securityContext. */
export class ContainerView {
  #path: string | undefined;
  #scPath: string | undefined;
  constructor(
    readonly pod: Pod,
    readonly kind: ContainerKind,
    readonly index: number,
    readonly container: Container,
    /** The container's securityContext, or null. */
    readonly sc: SecurityContext | null,
    readonly podSc: PodSecurityContext,
  ) {}
  /** `spec.containers[0]` etc. */
  get path(): string {
    return this.#path ??= containerPath(this.kind, this.index);
  }
  /** `spec.containers[0].securityContext` etc. */
  get scPath(): string {
    return this.#scPath ??= `${this.path}.securityContext`;
  }
}

/** Effective runAsUser: the container's if set, else the pod's. */
export function effectiveRunAsUser(sc: SecurityContext | null, podSc: PodSecurityContext) {
  return sc?.runAsUser ?? podSc.runAsUser ?? null;
}
/** Effective runAsGroup: the container's if set, else the pod's. */
export function effectiveRunAsGroup(sc: SecurityContext | null, podSc: PodSecurityContext) {
  return sc?.runAsGroup ?? podSc.runAsGroup ?? null;
}
/** Effective runAsNonRoot: the container's if set, else the pod's. */
export function effectiveRunAsNonRoot(sc: SecurityContext | null, podSc: PodSecurityContext) {
  return sc?.runAsNonRoot ?? podSc.runAsNonRoot ?? null;
}
/** Effective seLinuxOptions: the container's whole struct if set, else the pod's (no merge). */
export function effectiveSeLinux(sc: SecurityContext | null, podSc: PodSecurityContext) {
  return sc?.seLinuxOptions ?? podSc.seLinuxOptions ?? null;
}

/**
 * Copy-on-write changes to a pod. `pod` is the current state (the original until the first
 * change); `changes` lists what was changed, or is null when nothing was.
 */
export class PodMutation {
  pod: Pod;
  changes: Change[] | null = null;
  #top = false;
  #meta = false;
  #annotations = false;
  #spec = false;
  #podSc = false;
  #lists: (boolean[] | null)[] = [null, null, null];

  constructor(readonly original: Pod) {
    this.pod = original;
  }

  #record(pspField: PspField, field: string, from: unknown, to: unknown, effect?: "none") {
    (this.changes ??= []).push({
      field,
      from: from ?? null,
      to: to ?? null,
      pspField,
      ...(effect ? { effect } : {}),
    });
  }

  #ensureTop(): Pod {
    if (!this.#top) {
      this.pod = { ...this.pod };
      this.#top = true;
    }
    return this.pod;
  }

  #ensureSpec() {
    const pod = this.#ensureTop();
    if (!this.#spec) {
      pod.spec = { ...pod.spec };
      this.#spec = true;
    }
    return pod.spec;
  }

  /** Sets a pod-level securityContext field (the defaulting of `pspField`). */
  setPodSc<K extends keyof PodSecurityContext>(
    pspField: PspField,
    key: K,
    value: PodSecurityContext[K],
  ) {
    const spec = this.#ensureSpec();
    if (!this.#podSc) {
      spec.securityContext = { ...(spec.securityContext ?? {}) };
      this.#podSc = true;
    }
    const sc = spec.securityContext!;
    this.#record(pspField, `spec.securityContext.${key}`, sc[key], value);
    sc[key] = value;
  }

  /** Sets a container's securityContext field (the defaulting of `pspField`). */
  setContainerSc<K extends keyof SecurityContext>(
    pspField: PspField,
    kind: ContainerKind,
    index: number,
    key: K,
    value: SecurityContext[K],
  ) {
    const spec = this.#ensureSpec();
    const k = MUTATED_KINDS.indexOf(kind);
    let cloned = this.#lists[k];
    if (cloned === null) {
      spec[kind] = [...containersOf(this.pod, kind)];
      cloned = this.#lists[k] = [];
    }
    const list = spec[kind] as Container[];
    if (!cloned[index]) {
      const c = list[index];
      list[index] = { ...c, securityContext: { ...(c.securityContext ?? {}) } };
      cloned[index] = true;
    }
    const sc = list[index].securityContext!;
    this.#record(pspField, `${containerPath(kind, index)}.securityContext.${key}`, sc[key], value);
    sc[key] = value;
  }

  /**
   * Sets an annotation, if it differs from the current value. `effect: "none"` marks a copy of
   * what the pod already says elsewhere (see Change).
   */
  setAnnotation(pspField: PspField, key: string, value: string, effect?: "none") {
    const current = this.pod.metadata?.annotations?.[key];
    if (current === value) return;
    const pod = this.#ensureTop();
    if (!this.#meta) {
      pod.metadata = { ...pod.metadata };
      this.#meta = true;
    }
    if (!this.#annotations) {
      pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}) };
      this.#annotations = true;
    }
    this.#record(pspField, `metadata.annotations[${key}]`, current, value, effect);
    pod.metadata.annotations![key] = value;
  }

  /** Sets `spec.runtimeClassName`. */
  setRuntimeClassName(pspField: PspField, value: string) {
    const spec = this.#ensureSpec();
    this.#record(pspField, "spec.runtimeClassName", spec.runtimeClassName, value);
    spec.runtimeClassName = value;
  }
}
