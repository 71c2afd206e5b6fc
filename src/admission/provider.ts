/**
 * One PSP compiled into a provider: its strategies composed in Kubernetes' order
 * (docs/psp-admission.md §2.21 mutation order, §2.22 validation order; Kubernetes provider.go).
 */
import type { Pod } from "../model/pod.ts";
import type { PodSecurityPolicy } from "../model/psp.ts";
import type { Violation } from "./violation.ts";
import {
  type Change,
  type ContainerKind,
  containersOf,
  ContainerView,
  MUTATED_KINDS,
  PodMutation,
  podSecurityContext,
  VALIDATED_KINDS,
} from "./pod_access.ts";
import type { ContainerMutator, ContainerValidator, PodMutator, PodValidator } from "./strategy.ts";
import { compileRunAsUser, MustRunAsNonRoot, MustRunAsUser } from "./user.ts";
import { compileFsGroup, compileRunAsGroup, compileSupplementalGroups } from "./group.ts";
import { compileSeLinux } from "./selinux.ts";
import { compileSeccomp } from "./seccomp.ts";
import { compileAppArmor } from "./apparmor.ts";
import { compileRuntimeClass } from "./runtime_class.ts";
import { compileCapabilities } from "./capabilities.ts";
import { compileReadOnlyRoot } from "./read_only_root.ts";
import { compilePrivilegeEscalation } from "./privilege_escalation.ts";
import { compileHostNamespaces, compileHostPorts } from "./host_namespaces.ts";
import { compileSysctls } from "./sysctls.ts";
import { compileVolumes } from "./volumes.ts";
import { compilePrivileged } from "./privileged.ts";
import { compileProcMount } from "./proc_mount.ts";

/** What one PSP does to one pod: the pod it leaves, its changes and its violations. */
export interface Evaluation {
  pod: Pod;
  changes: Change[];
  violations: Violation[];
}

function present<T>(list: (T | null)[]): T[] {
  return list.filter((x): x is T => x !== null);
}

/**
 * A compiled PSP (already defaulted, see `applyPspDefaults`). Construction throws ProviderError
 * where Kubernetes' provider factory fails.
 */
export class Provider {
  readonly #podMutators: readonly PodMutator[];
  readonly #containerMutators: readonly ContainerMutator[];
  readonly #podValidators: readonly PodValidator[];
  readonly #containerValidators: readonly ContainerValidator[];

  constructor(psp: PodSecurityPolicy) {
    const spec = psp.spec;
    const user = compileRunAsUser(spec.runAsUser);
    const runAsGroup = compileRunAsGroup(spec.runAsGroup);
    const seLinux = compileSeLinux(spec.seLinux);
    const fsGroup = compileFsGroup(spec.fsGroup);
    const supplementalGroups = compileSupplementalGroups(spec.supplementalGroups);
    const seccomp = compileSeccomp(psp);
    const appArmor = compileAppArmor(psp);
    const runtimeClass = compileRuntimeClass(spec.runtimeClass);
    const capabilities = compileCapabilities(spec);
    const readOnlyRoot = compileReadOnlyRoot(spec.readOnlyRootFilesystem);
    const escalation = compilePrivilegeEscalation(
      spec.allowPrivilegeEscalation,
      spec.defaultAllowPrivilegeEscalation,
    );

    this.#podMutators = present<PodMutator>([
      supplementalGroups,
      fsGroup,
      seLinux,
      seccomp,
      runtimeClass,
    ]);
    this.#containerMutators = present<ContainerMutator>([
      user instanceof MustRunAsUser ? user : null,
      runAsGroup,
      seLinux,
      appArmor,
      user instanceof MustRunAsNonRoot ? user : null,
      capabilities,
      readOnlyRoot,
      escalation,
    ]);
    this.#podValidators = present<PodValidator>([
      fsGroup,
      supplementalGroups,
      seccomp,
      seLinux,
      compileHostNamespaces(spec),
      compileSysctls(spec),
      compileVolumes(spec),
      runtimeClass,
    ]);
    this.#containerValidators = present<ContainerValidator>([
      user,
      runAsGroup,
      seLinux,
      appArmor,
      seccomp,
      compilePrivileged(spec.privileged),
      compileProcMount(spec.allowedProcMountTypes),
      capabilities,
      compileHostPorts(spec),
      readOnlyRoot,
      escalation,
    ]);
  }

  /** Kubernetes' `MutatePod`: the PSP's defaults applied copy-on-write. */
  mutate(pod: Pod): PodMutation {
    const m = new PodMutation(pod);
    for (const s of this.#podMutators) s.mutatePod(m);
    if (this.#containerMutators.length > 0) {
      for (const kind of MUTATED_KINDS) {
        const n = containersOf(m.pod, kind).length;
        for (let i = 0; i < n; i++) {
          for (const s of this.#containerMutators) s.mutateContainer(m, kind, i);
        }
      }
    }
    return m;
  }

  /**
   * Kubernetes' `ValidatePod`: every violation, pod-level first, then per container of `kinds`
   * (init and regular containers unless the EphemeralContainers gate is on).
   */
  validate(pod: Pod, kinds: readonly ContainerKind[] = VALIDATED_KINDS): Violation[] {
    const out: Violation[] = [];
    for (const s of this.#podValidators) s.validatePod(pod, out, kinds);
    const podSc = podSecurityContext(pod);
    for (const kind of kinds) {
      const containers = containersOf(pod, kind);
      for (let i = 0; i < containers.length; i++) {
        const c = containers[i];
        const view = new ContainerView(pod, kind, i, c, c.securityContext ?? null, podSc);
        for (const s of this.#containerValidators) s.validateContainer(view, out);
      }
    }
    return out;
  }

  /** Mutate, then validate the mutated pod (Kubernetes' `assignSecurityContext`). */
  evaluate(pod: Pod, kinds: readonly ContainerKind[] = VALIDATED_KINDS): Evaluation {
    const m = this.mutate(pod);
    return { pod: m.pod, changes: m.changes ?? [], violations: this.validate(m.pod, kinds) };
  }
}
