/**
 * Volumes: allowed volume types, the projected service-account-token exemption, allowed host
 * paths (prefix match, read-only enforcement), flexVolume and inline CSI drivers
 * (docs/psp-admission.md §2.3, §2.13-2.15, §3, §4; Kubernetes provider.go and util/util.go).
 */
import type { Pod, Volume } from "../model/pod.ts";
import type { AllowedHostPath, PodSecurityPolicySpec } from "../model/psp.ts";
import { goQuote, invalid } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import { type ContainerKind, containerPath, containersOf } from "./pod_access.ts";
import type { PodValidator } from "./strategy.ts";

/** Pod volume source keys and the PSP `volumes` value (FSType) each maps to, in match order. */
export const VOLUME_FS_TYPES: readonly (readonly [source: string, fsType: string])[] = [
  ["hostPath", "hostPath"],
  ["emptyDir", "emptyDir"],
  ["gcePersistentDisk", "gcePersistentDisk"],
  ["awsElasticBlockStore", "awsElasticBlockStore"],
  ["gitRepo", "gitRepo"],
  ["secret", "secret"],
  ["nfs", "nfs"],
  ["iscsi", "iscsi"],
  ["glusterfs", "glusterfs"],
  ["persistentVolumeClaim", "persistentVolumeClaim"],
  ["rbd", "rbd"],
  ["flexVolume", "flexVolume"],
  ["cinder", "cinder"],
  ["cephfs", "cephFS"],
  ["flocker", "flocker"],
  ["downwardAPI", "downwardAPI"],
  ["fc", "fc"],
  ["azureFile", "azureFile"],
  ["configMap", "configMap"],
  ["vsphereVolume", "vsphereVolume"],
  ["quobyte", "quobyte"],
  ["azureDisk", "azureDisk"],
  ["photonPersistentDisk", "photonPersistentDisk"],
  ["storageos", "storageos"],
  ["projected", "projected"],
  ["portworxVolume", "portworxVolume"],
  ["scaleIO", "scaleIO"],
  ["csi", "csi"],
  ["ephemeral", "ephemeral"],
];

const FS_TYPE_BY_SOURCE = new Map(
  VOLUME_FS_TYPES.map(([source, fsType], order) => [source, { fsType, order }]),
);

/** The PSP FSType of a pod volume (first source set, in the table's order, wins), or null. */
export function volumeFsType(v: Volume): string | null {
  let best: { fsType: string; order: number } | null = null;
  for (const key in v) {
    const entry = FS_TYPE_BY_SOURCE.get(key);
    if (entry === undefined || v[key] === undefined || v[key] === null) continue;
    if (best === null || entry.order < best.order) best = entry;
  }
  return best?.fsType ?? null;
}

interface ProjectedSource {
  serviceAccountToken?: { path?: string; audience?: string } | null;
  configMap?: { name?: string } | null;
  downwardAPI?: {
    items?:
      | { path?: string; fieldRef?: { apiVersion?: string; fieldPath?: string } | null }[]
      | null;
  } | null;
  [key: string]: unknown;
}

/**
 * Kubernetes' `IsOnlyServiceAccountTokenSources`: every source is the service-account token
 * (path `token`, no audience), the `kube-root-ca.crt` configMap, or a namespace downwardAPI.
 * A fieldRef without apiVersion counts as `v1`, which v1 defaulting sets.
 */
export function isOnlyServiceAccountTokenSources(projected: unknown): boolean {
  const sources = (projected as { sources?: ProjectedSource[] | null } | null)?.sources ?? [];
  for (const s of sources) {
    const token = s.serviceAccountToken ?? null;
    const cm = s.configMap ?? null;
    const dapi = s.downwardAPI ?? null;
    if (token === null && cm === null && dapi === null) return false;
    if (token !== null && ((token.path ?? "") !== "token" || (token.audience ?? "") !== "")) {
      return false;
    }
    if (cm !== null && cm.name !== "kube-root-ca.crt") return false;
    if (dapi !== null) {
      for (const d of dapi.items ?? []) {
        const ref = d.fieldRef ?? null;
        if (
          d.path !== "namespace" || ref === null || (ref.apiVersion || "v1") !== "v1" ||
          ref.fieldPath !== "metadata.namespace"
        ) return false;
      }
    }
  }
  return true;
}

/**
 * Kubernetes' `hasPathPrefix`: one trailing `/` trimmed from both, then equal or a prefix followed
 * by `/`. No other normalisation (no cleaning, no wildcards, case-sensitive).
 */
export function hasPathPrefix(path: string, prefix: string): boolean {
  if (path.endsWith("/")) path = path.slice(0, -1);
  if (prefix.endsWith("/")) prefix = prefix.slice(0, -1);
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path[prefix.length] === "/";
}

/**
 * Kubernetes' `AllowsHostVolumePath`: whether the path is allowed and whether it must be mounted
 * read-only. Any matching writable entry wins; no entries allow everything, writable.
 */
export function allowsHostPath(
  allowed: readonly AllowedHostPath[],
  path: string,
): { allowed: boolean; readOnly: boolean } {
  if (allowed.length === 0) return { allowed: true, readOnly: false };
  let found = false;
  for (const a of allowed) {
    if (hasPathPrefix(path, a.pathPrefix ?? "")) {
      if (!a.readOnly) return { allowed: true, readOnly: false };
      found = true;
    }
  }
  return { allowed: found, readOnly: found };
}

/** The compiled volume checks of one PSP. */
export class VolumesStrategy implements PodValidator {
  readonly #allowAll: boolean;
  readonly #allowed: ReadonlySet<string>;
  readonly #hostPaths: readonly AllowedHostPath[];
  readonly #flexDrivers: ReadonlySet<string>;
  readonly #csiDrivers: ReadonlySet<string>;

  constructor(spec: PodSecurityPolicySpec) {
    const volumes = spec.volumes ?? [];
    this.#allowAll = volumes.includes("*");
    this.#allowed = new Set(volumes);
    this.#hostPaths = spec.allowedHostPaths ?? [];
    this.#flexDrivers = new Set((spec.allowedFlexVolumes ?? []).map((f) => f.driver));
    this.#csiDrivers = new Set((spec.allowedCSIDrivers ?? []).map((c) => c.name));
  }

  #allowsType(fsType: string, v: Volume): boolean {
    if (this.#allowAll || this.#allowed.has(fsType)) return true;
    return fsType === "projected" && this.#allowed.has("secret") &&
      isOnlyServiceAccountTokenSources(v.projected);
  }

  validatePod(pod: Pod, out: Violation[], kinds: readonly ContainerKind[]) {
    const volumes = pod.spec?.volumes;
    if (!volumes || volumes.length === 0) return;
    for (let i = 0; i < volumes.length; i++) {
      const v = volumes[i];
      const fsType = volumeFsType(v);
      if (fsType === null) {
        // Pod validation refuses such a pod first (422); Kubernetes' provider would dump the
        // whole Go struct here, which this tool does not reproduce.
        out.push(raisedBy(
          "volumes",
          invalid(
            `spec.volumes[${i}]`,
            '""',
            `unknown volume type for volume: ${goQuote(v.name ?? "")}`,
          ),
        ));
        continue;
      }
      if (!this.#allowsType(fsType, v)) {
        out.push(raisedBy(
          "volumes",
          invalid(
            `spec.volumes[${i}]`,
            goQuote(fsType),
            `${fsType} volumes are not allowed to be used`,
          ),
        ));
        continue;
      }
      if (fsType === "hostPath") this.#checkHostPath(pod, v, i, out, kinds);
      else if (fsType === "flexVolume" && this.#flexDrivers.size > 0) {
        const driver = v.flexVolume?.driver ?? "";
        if (!this.#flexDrivers.has(driver)) {
          out.push(raisedBy(
            "allowedFlexVolumes",
            invalid(
              `spec.volumes[${i}].driver`,
              goQuote(driver),
              "Flexvolume driver is not allowed to be used",
            ),
          ));
        }
      } else if (fsType === "csi" && this.#csiDrivers.size > 0) {
        const driver = v.csi?.driver ?? "";
        if (!this.#csiDrivers.has(driver)) {
          out.push(raisedBy(
            "allowedCSIDrivers",
            invalid(
              `spec.volumes[${i}].csi.driver`,
              goQuote(driver),
              "Inline CSI driver is not allowed to be used",
            ),
          ));
        }
      }
    }
  }

  #checkHostPath(
    pod: Pod,
    v: Volume,
    i: number,
    out: Violation[],
    kinds: readonly ContainerKind[],
  ) {
    const path = v.hostPath?.path ?? "";
    const { allowed, readOnly } = allowsHostPath(this.#hostPaths, path);
    if (!allowed) {
      out.push(raisedBy(
        "allowedHostPaths",
        invalid(
          `spec.volumes[${i}].hostPath.pathPrefix`,
          goQuote(path),
          "is not allowed to be used",
        ),
      ));
      return;
    }
    if (!readOnly) return;
    for (const kind of kinds) {
      const containers = containersOf(pod, kind);
      for (let ci = 0; ci < containers.length; ci++) {
        const mounts = containers[ci].volumeMounts ?? [];
        for (let mi = 0; mi < mounts.length; mi++) {
          const mount = mounts[mi];
          if (mount.name === v.name && !mount.readOnly) {
            out.push(raisedBy(
              "allowedHostPaths",
              invalid(
                `${containerPath(kind, ci)}.volumeMounts[${mi}].readOnly`,
                "false",
                "must be read-only",
              ),
            ));
          }
        }
      }
    }
  }
}

/** Compiles the volume checks (always active: no `volumes` means no volumes allowed). */
export function compileVolumes(spec: PodSecurityPolicySpec): VolumesStrategy {
  return new VolumesStrategy(spec);
}
