/**
 * The policy/v1beta1 API defaulting and field dropping a PodSecurityPolicy goes through when it is
 * created on a Kubernetes 1.20 API server with default feature gates (docs/psp-admission.md §6.1).
 *
 * - `allowPrivilegeEscalation: nil -> true` (`SetDefaults_PodSecurityPolicySpec`).
 * - `allowedProcMountTypes` is dropped: the `ProcMountType` gate is alpha and off in 1.20
 *   (`DropDisabledFields`). `runAsGroup`, the sysctl fields and `allowedCSIDrivers` are kept,
 *   because their gates (`RunAsGroup`, `Sysctls`, `CSIInlineVolume`) are on by default.
 */
import type { PodSecurityPolicy, PodSecurityPolicySpec } from "../model/psp.ts";

/**
 * Returns the PSP as the API server would store it (defaults applied, disabled fields dropped).
 * Pure: the input is not mutated; the result shares unchanged nested values with the input.
 */
export function applyPspDefaults(psp: PodSecurityPolicy): PodSecurityPolicy {
  const spec: PodSecurityPolicySpec = { ...(psp.spec ?? ({} as PodSecurityPolicySpec)) };
  if (spec.allowPrivilegeEscalation === undefined || spec.allowPrivilegeEscalation === null) {
    spec.allowPrivilegeEscalation = true;
  }
  if ("allowedProcMountTypes" in spec) delete spec.allowedProcMountTypes;
  return { ...psp, spec };
}
