/**
 * Host namespaces (`hostNetwork`, `hostPID`, `hostIPC`, pod level) and `hostPorts` (per
 * container) (docs/psp-admission.md §2.4-2.5; Kubernetes provider.go). Validation only.
 */
import type { Pod } from "../model/pod.ts";
import type { HostPortRange, PodSecurityPolicySpec } from "../model/psp.ts";
import { invalid } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import type { ContainerView } from "./pod_access.ts";
import type { ContainerValidator, PodValidator } from "./strategy.ts";

/** Rejects host namespaces the PSP does not allow. Errors use the internal API's path. */
export class HostNamespacesStrategy implements PodValidator {
  constructor(
    readonly hostNetwork: boolean,
    readonly hostPID: boolean,
    readonly hostIPC: boolean,
  ) {}
  validatePod(pod: Pod, out: Violation[]) {
    const spec = pod.spec;
    if (!spec) return;
    if (!this.hostNetwork && spec.hostNetwork === true) {
      out.push(raisedBy(
        "hostNetwork",
        invalid(
          "spec.securityContext.hostNetwork",
          "true",
          "Host network is not allowed to be used",
        ),
      ));
    }
    if (!this.hostPID && spec.hostPID === true) {
      out.push(
        raisedBy(
          "hostPID",
          invalid("spec.securityContext.hostPID", "true", "Host PID is not allowed to be used"),
        ),
      );
    }
    if (!this.hostIPC && spec.hostIPC === true) {
      out.push(
        raisedBy(
          "hostIPC",
          invalid("spec.securityContext.hostIPC", "true", "Host IPC is not allowed to be used"),
        ),
      );
    }
  }
}

/** Kubernetes' `hostPortRangesToString`: `min-max` or `min`, comma-joined. */
export function hostPortRangesToString(ranges: readonly HostPortRange[]): string {
  return ranges.map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(",");
}

/** Every container port with hostPort > 0 must lie in an allowed range (error at the container). */
export class HostPortsStrategy implements ContainerValidator {
  readonly #rangesText: string;
  constructor(readonly ranges: readonly HostPortRange[]) {
    this.#rangesText = hostPortRangesToString(ranges);
  }
  validateContainer(c: ContainerView, out: Violation[]) {
    const ports = c.container.ports;
    if (!ports) return;
    for (const p of ports) {
      const hp = p.hostPort ?? 0;
      if (hp > 0 && !this.#allows(hp)) {
        out.push(raisedBy(
          "hostPorts",
          invalid(
            `${c.path}.hostPort`,
            String(hp),
            `Host port ${hp} is not allowed to be used. Allowed ports: [${this.#rangesText}]`,
          ),
        ));
      }
    }
  }
  #allows(port: number): boolean {
    for (const r of this.ranges) if (port >= r.min && port <= r.max) return true;
    return false;
  }
}

/** Compiles the host namespace checks; null when the PSP allows all three. */
export function compileHostNamespaces(spec: PodSecurityPolicySpec): HostNamespacesStrategy | null {
  const s = new HostNamespacesStrategy(!!spec.hostNetwork, !!spec.hostPID, !!spec.hostIPC);
  return s.hostNetwork && s.hostPID && s.hostIPC ? null : s;
}

/** Compiles the host port check (always active: no ranges means no host ports). */
export function compileHostPorts(spec: PodSecurityPolicySpec): HostPortsStrategy {
  return new HostPortsStrategy(spec.hostPorts ?? []);
}
