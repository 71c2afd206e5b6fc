/**
 * The subset of core/v1 Pod that PSP admission reads or writes.
 * Unknown fields are preserved by callers (objects are plain JSON).
 */
import type { ObjectMeta, SELinuxOptions } from "./psp.ts";

export interface Capabilities {
  add?: string[] | null;
  drop?: string[] | null;
}

export interface SeccompProfile {
  type: "RuntimeDefault" | "Localhost" | "Unconfined" | string;
  localhostProfile?: string;
}

export interface SecurityContext {
  capabilities?: Capabilities | null;
  privileged?: boolean | null;
  seLinuxOptions?: SELinuxOptions | null;
  windowsOptions?: Record<string, unknown> | null;
  runAsUser?: number | null;
  runAsGroup?: number | null;
  runAsNonRoot?: boolean | null;
  readOnlyRootFilesystem?: boolean | null;
  allowPrivilegeEscalation?: boolean | null;
  procMount?: string | null;
  seccompProfile?: SeccompProfile | null;
}

export interface PodSecurityContext {
  seLinuxOptions?: SELinuxOptions | null;
  windowsOptions?: Record<string, unknown> | null;
  runAsUser?: number | null;
  runAsGroup?: number | null;
  runAsNonRoot?: boolean | null;
  supplementalGroups?: number[] | null;
  fsGroup?: number | null;
  fsGroupChangePolicy?: string | null;
  sysctls?: { name: string; value: string }[] | null;
  seccompProfile?: SeccompProfile | null;
}

export interface ContainerPort {
  name?: string;
  hostPort?: number;
  containerPort: number;
  protocol?: string;
  hostIP?: string;
}

export interface VolumeMount {
  name: string;
  readOnly?: boolean;
  mountPath: string;
  subPath?: string;
  mountPropagation?: string;
  subPathExpr?: string;
}

export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[] | null;
  volumeMounts?: VolumeMount[] | null;
  securityContext?: SecurityContext | null;
  [key: string]: unknown;
}

/** A volume: exactly one source key besides `name` (hostPath, secret, flexVolume, csi, ...). */
export interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  flexVolume?: { driver: string; [key: string]: unknown };
  csi?: { driver: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface PodSpec {
  volumes?: Volume[] | null;
  initContainers?: Container[] | null;
  containers: Container[];
  ephemeralContainers?: Container[] | null;
  serviceAccountName?: string;
  serviceAccount?: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: PodSecurityContext | null;
  runtimeClassName?: string | null;
  [key: string]: unknown;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: unknown;
}
