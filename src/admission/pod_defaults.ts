/**
 * The core/v1 defaulting a pod goes through before admission, as far as it matters to PSP
 * admission or to the admitted pod's reported fields (docs/psp-admission.md §1;
 * Kubernetes pkg/apis/core/v1/defaults.go):
 *
 * - `spec.securityContext` becomes `{}` when absent;
 * - with `hostNetwork: true`, every container and init container port without a hostPort gets
 *   `hostPort = containerPort` (the PSP must then allow those host ports);
 * - container ports without a protocol get `TCP`.
 *
 * Copy-on-write: the input is never mutated, and returned as is when nothing needs defaulting.
 */
import type { Container, ContainerPort, Pod } from "../model/pod.ts";
import { type ContainerKind, containersOf, MUTATED_KINDS } from "./pod_access.ts";

function defaultPorts(
  ports: readonly ContainerPort[],
  hostNetwork: boolean,
): ContainerPort[] | null {
  let out: ContainerPort[] | null = null;
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i];
    const needsHostPort = hostNetwork && !p.hostPort;
    const needsProtocol = !p.protocol;
    if (!needsHostPort && !needsProtocol) continue;
    out ??= [...ports];
    const q: ContainerPort = { ...p };
    if (needsHostPort) q.hostPort = p.containerPort;
    if (needsProtocol) q.protocol = "TCP";
    out[i] = q;
  }
  return out;
}

function defaultContainers(
  containers: readonly Container[],
  hostNetwork: boolean,
): Container[] | null {
  let out: Container[] | null = null;
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i];
    if (!c?.ports || c.ports.length === 0) continue;
    const ports = defaultPorts(c.ports, hostNetwork);
    if (ports === null) continue;
    out ??= [...containers];
    out[i] = { ...c, ports };
  }
  return out;
}

/** Returns the pod as v1 defaulting leaves it (the same object when nothing changes). */
export function applyPodDefaults(pod: Pod): Pod {
  const spec = pod.spec;
  if (!spec || typeof spec !== "object") return pod;
  let newSpec: Pod["spec"] | null = null;
  if (spec.securityContext === undefined || spec.securityContext === null) {
    newSpec = { ...spec, securityContext: {} };
  }
  for (const kind of MUTATED_KINDS) {
    // hostNetwork host ports: containers and init containers only; protocol: every port.
    const hostNetwork = spec.hostNetwork === true &&
      kind !== ("ephemeralContainers" as ContainerKind);
    const updated = defaultContainers(containersOf(pod, kind), hostNetwork);
    if (updated === null) continue;
    newSpec ??= { ...spec };
    newSpec[kind] = updated;
  }
  return newSpec === null ? pod : { ...pod, spec: newSpec };
}
