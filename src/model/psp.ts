/**
 * PodSecurityPolicy (policy/v1beta1) as the API server stores it.
 * Field names follow the Kubernetes API; every field is optional on input.
 */

/** An inclusive ID range (`min`..`max`). */
export interface IDRange {
  min: number;
  max: number;
}

/** An inclusive host port range. */
export interface HostPortRange {
  min: number;
  max: number;
}

export interface SELinuxOptions {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

export interface SELinuxStrategyOptions {
  rule: "MustRunAs" | "RunAsAny" | string;
  seLinuxOptions?: SELinuxOptions;
}

export interface RunAsUserStrategyOptions {
  rule: "MustRunAs" | "MustRunAsNonRoot" | "RunAsAny" | string;
  ranges?: IDRange[];
}

export interface RunAsGroupStrategyOptions {
  rule: "MustRunAs" | "MayRunAs" | "RunAsAny" | string;
  ranges?: IDRange[];
}

export interface SupplementalGroupsStrategyOptions {
  rule?: "MustRunAs" | "MayRunAs" | "RunAsAny" | string;
  ranges?: IDRange[];
}

export interface FSGroupStrategyOptions {
  rule?: "MustRunAs" | "MayRunAs" | "RunAsAny" | string;
  ranges?: IDRange[];
}

export interface AllowedHostPath {
  pathPrefix?: string;
  readOnly?: boolean;
}

export interface RuntimeClassStrategyOptions {
  allowedRuntimeClassNames: string[];
  defaultRuntimeClassName?: string;
}

export interface PodSecurityPolicySpec {
  privileged?: boolean;
  defaultAddCapabilities?: string[] | null;
  requiredDropCapabilities?: string[] | null;
  allowedCapabilities?: string[] | null;
  volumes?: string[] | null;
  hostNetwork?: boolean;
  hostPorts?: HostPortRange[] | null;
  hostPID?: boolean;
  hostIPC?: boolean;
  seLinux: SELinuxStrategyOptions;
  runAsUser: RunAsUserStrategyOptions;
  runAsGroup?: RunAsGroupStrategyOptions | null;
  supplementalGroups: SupplementalGroupsStrategyOptions;
  fsGroup: FSGroupStrategyOptions;
  readOnlyRootFilesystem?: boolean;
  defaultAllowPrivilegeEscalation?: boolean | null;
  allowPrivilegeEscalation?: boolean | null;
  allowedHostPaths?: AllowedHostPath[] | null;
  allowedFlexVolumes?: { driver: string }[] | null;
  allowedCSIDrivers?: { name: string }[] | null;
  allowedUnsafeSysctls?: string[] | null;
  forbiddenSysctls?: string[] | null;
  allowedProcMountTypes?: string[] | null;
  runtimeClass?: RuntimeClassStrategyOptions | null;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid?: string;
    controller?: boolean;
  }[];
  resourceVersion?: string;
  creationTimestamp?: string;
}

export interface PodSecurityPolicy {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: PodSecurityPolicySpec;
}

/** The PSP annotations that admission reads (see docs/psp-admission.md §2.19, §2.20). */
export const SECCOMP_ALLOWED_PROFILES = "seccomp.security.alpha.kubernetes.io/allowedProfileNames";
export const SECCOMP_DEFAULT_PROFILE = "seccomp.security.alpha.kubernetes.io/defaultProfileName";
export const APPARMOR_ALLOWED_PROFILES = "apparmor.security.beta.kubernetes.io/allowedProfileNames";
export const APPARMOR_DEFAULT_PROFILE = "apparmor.security.beta.kubernetes.io/defaultProfileName";
/** falcoctl's scoping annotations. */
export const FALCO_IMAGES_ANNOTATION = "falco-rules-psp-images";
export const FALCO_NAMESPACES_ANNOTATION = "falco-rules-psp-namespaces";
