/**
 * The API server defaults that change what the Pod Security checks see (pkg/apis/core/v1
 * defaulting, applied before admission): a volume with no source becomes an `emptyDir`, and in
 * a `hostNetwork` pod every container and init container port without a hostPort gets
 * `hostPort = containerPort`. Copy-on-write: the input is returned as is when nothing changes.
 */
import { VOLUME_FS_TYPES } from "../admission/volumes.ts";
import { isObject, type PssContainer, type PssPodSpec } from "./check.ts";

/**
 * Every volume source field of core/v1 VolumeSource: the sources PSP admission maps to an
 * FSType (Kubernetes 1.20's), and `image` (1.31+), which PSP never knew.
 */
const VOLUME_SOURCES: ReadonlySet<string> = new Set([
  ...VOLUME_FS_TYPES.map(([source]) => source),
  "image",
]);

function hasSource(v: Record<string, unknown>): boolean {
  for (const k in v) if (VOLUME_SOURCES.has(k) && v[k] != null) return true;
  return false;
}

function defaultVolumes(volumes: PssPodSpec["volumes"]): PssPodSpec["volumes"] | null {
  if (!Array.isArray(volumes)) return null;
  let out: NonNullable<PssPodSpec["volumes"]> | null = null;
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i];
    if (!isObject(v) || hasSource(v)) continue;
    out ??= [...volumes];
    out[i] = { ...v, emptyDir: {} };
  }
  return out;
}

function defaultHostPorts(containers: PssContainer[] | null | undefined): PssContainer[] | null {
  if (!Array.isArray(containers)) return null;
  let out: PssContainer[] | null = null;
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i];
    if (!isObject(c) || !Array.isArray(c.ports)) continue;
    if (!c.ports.some((p) => isObject(p) && !p.hostPort)) continue;
    out ??= [...containers];
    out[i] = {
      ...c,
      ports: c.ports.map((p) =>
        isObject(p) && !p.hostPort ? { ...p, hostPort: p.containerPort } : p
      ),
    };
  }
  return out;
}

/** The spec as the API server's defaulting leaves it, for the Pod Security checks. */
export function pssDefaults(spec: PssPodSpec): PssPodSpec {
  let out: PssPodSpec | null = null;
  const volumes = defaultVolumes(spec.volumes);
  if (volumes) out = { ...spec, volumes };
  if (spec.hostNetwork === true) {
    const containers = defaultHostPorts(spec.containers);
    if (containers) (out ??= { ...spec }).containers = containers;
    const init = defaultHostPorts(spec.initContainers);
    if (init) (out ??= { ...spec }).initContainers = init;
  }
  return out ?? spec;
}
