/**
 * The shapes of the compiled per-concern strategies a provider composes
 * (Kubernetes' pkg/security/podsecuritypolicy: one strategy per concern).
 * A strategy that can never change or reject anything compiles to null and costs nothing.
 */
import type { Pod } from "../model/pod.ts";
import type { Violation } from "./violation.ts";
import type { ContainerKind, ContainerView, PodMutation } from "./pod_access.ts";

/** Pod-level defaulting (MutatePod). */
export interface PodMutator {
  mutatePod(m: PodMutation): void;
}

/** Per-container defaulting (mutateContainer); reads the current state from `m.pod`. */
export interface ContainerMutator {
  mutateContainer(m: PodMutation, kind: ContainerKind, index: number): void;
}

/** Pod-level checks (ValidatePod, before the containers). */
export interface PodValidator {
  /** `kinds`: the container lists validation visits (for checks that look at containers). */
  validatePod(pod: Pod, out: Violation[], kinds: readonly ContainerKind[]): void;
}

/** Per-container checks (validateContainer). */
export interface ContainerValidator {
  validateContainer(c: ContainerView, out: Violation[]): void;
}

/**
 * A PSP whose provider cannot be created (docs/psp-admission.md §6.3): admission skips it.
 * The message is Kubernetes' (`MustRunAs requires at least one range`, ...).
 */
export class ProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProviderError";
  }
}

/** True when `v` lies in one of the inclusive ranges. */
export function inRanges(v: number, ranges: readonly { min: number; max: number }[]): boolean {
  for (const r of ranges) if (v >= r.min && v <= r.max) return true;
  return false;
}
