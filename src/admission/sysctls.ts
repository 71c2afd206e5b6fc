/**
 * Sysctls: `forbiddenSysctls`, the hard-coded safe list, `allowedUnsafeSysctls`
 * (docs/psp-admission.md §2.16; Kubernetes pkg/security/podsecuritypolicy/sysctl/mustmatchpatterns.go).
 */
import type { Pod } from "../model/pod.ts";
import type { PodSecurityPolicySpec } from "../model/psp.ts";
import { forbidden, goQuote } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import { podSecurityContext } from "./pod_access.ts";
import type { PodValidator } from "./strategy.ts";

/** The sysctls Kubernetes 1.20 considers safe (always allowed unless forbidden). */
export const SAFE_SYSCTLS: readonly string[] = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
];

/** A sysctl pattern list: `x*` is a raw string-prefix match (no dot boundary), else exact. */
class Patterns {
  readonly #exact: ReadonlySet<string>;
  readonly #prefixes: readonly string[];
  constructor(patterns: readonly string[]) {
    this.#exact = new Set(patterns.filter((p) => !p.endsWith("*")));
    this.#prefixes = patterns.filter((p) => p.endsWith("*")).map((p) => p.slice(0, -1));
  }
  matches(name: string): boolean {
    if (this.#exact.has(name)) return true;
    for (const p of this.#prefixes) if (name.startsWith(p)) return true;
    return false;
  }
}

const SAFE = new Set(SAFE_SYSCTLS);

/** For each pod sysctl, first match wins: forbidden, safe, allowed unsafe, else refused. */
export class SysctlsStrategy implements PodValidator {
  readonly #forbidden: Patterns;
  readonly #allowedUnsafe: Patterns;
  constructor(spec: PodSecurityPolicySpec) {
    this.#forbidden = new Patterns(spec.forbiddenSysctls ?? []);
    this.#allowedUnsafe = new Patterns(spec.allowedUnsafeSysctls ?? []);
  }
  validatePod(pod: Pod, out: Violation[]) {
    const sysctls = podSecurityContext(pod).sysctls;
    if (!sysctls) return;
    for (let i = 0; i < sysctls.length; i++) {
      const name = sysctls[i].name ?? "";
      if (this.#forbidden.matches(name)) {
        out.push(raisedBy(
          "forbiddenSysctls",
          forbidden(
            `pod.spec.securityContext.sysctls[${i}]`,
            `sysctl ${goQuote(name)} is not allowed`,
          ),
        ));
      } else if (SAFE.has(name) || this.#allowedUnsafe.matches(name)) continue;
      else {out.push(raisedBy(
          "allowedUnsafeSysctls",
          forbidden(
            `pod.spec.securityContext.sysctls[${i}]`,
            `unsafe sysctl ${goQuote(name)} is not allowed`,
          ),
        ));}
    }
  }
}

/** Compiles the sysctl checks (always active: unsafe sysctls need allowing). */
export function compileSysctls(spec: PodSecurityPolicySpec): SysctlsStrategy {
  return new SysctlsStrategy(spec);
}
