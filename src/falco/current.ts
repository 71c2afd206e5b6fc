/**
 * PSP field -> rules for current Falco (0.43-0.45 with the k8saudit >= 0.18.0 and json >= 0.7.0
 * plugins). One row per PSP spec field or annotation. The k8s_audit "Violation" rules fire
 * exactly when Kubernetes 1.20 PSP admission would refuse the pod for that field (after its
 * mutations), the "Mutation" rules when admission would change the pod instead.
 *
 * Semantics this relies on (docs/falco.md §8): all `ka.*`/`json.*` values are strings; list fields
 * only take `exists`/`in`/`intersects`; an absent value makes every comparison false (so
 * `not X in (...)` is true and needs an `exists` guard); `eff_run_as_*` are not used. Ranges
 * are checked with `regex`, per-container values that need the pod-level fallback with
 * `json.value[/requestObject/spec/<kind>/<i>/...]` for the first N containers (a separate
 * "Unchecked" rule fires for larger pods), and hostPath readOnly with `val()`.
 */
import type { FieldRule } from "./field_rule.ts";
import { hostNamespaces, hostPorts, privileged } from "./current/host.ts";
import {
  allowedCSIDrivers,
  allowedFlexVolumes,
  allowedHostPaths,
  volumes,
} from "./current/volumes.ts";
import { fsGroup, runAsGroup, runAsUser, supplementalGroups } from "./current/users.ts";
import { apparmor, seccomp, seLinux } from "./current/profiles.ts";
import { allowedUnsafeSysctls, forbiddenSysctls } from "./current/sysctls.ts";
import {
  allowedProcMountTypes,
  allowPrivilegeEscalation,
  defaultAllowPrivilegeEscalation,
  readOnlyRootFilesystem,
  runtimeClass,
} from "./current/container.ts";
import {
  allowedCapabilities,
  defaultAddCapabilities,
  requiredDropCapabilities,
} from "./current/capabilities.ts";

export { MAX_CONTAINERS } from "./current/support.ts";

/** The table: PSP field -> rules, in admission's validation order (one module per concern). */
export const CURRENT_FIELD_RULES: readonly FieldRule[] = [
  privileged,
  ...hostNamespaces,
  hostPorts,
  volumes,
  allowedHostPaths,
  allowedFlexVolumes,
  allowedCSIDrivers,
  fsGroup,
  supplementalGroups,
  seccomp,
  seLinux,
  forbiddenSysctls,
  allowedUnsafeSysctls,
  runtimeClass,
  runAsUser,
  runAsGroup,
  apparmor,
  allowedProcMountTypes,
  allowedCapabilities,
  defaultAddCapabilities,
  requiredDropCapabilities,
  readOnlyRootFilesystem,
  allowPrivilegeEscalation,
  defaultAllowPrivilegeEscalation,
];
