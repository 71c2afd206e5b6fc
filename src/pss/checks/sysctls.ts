/**
 * `sysctls` (baseline, v1.0+): only the safe, namespaced sysctls; the set grows at policy
 * versions 1.27, 1.29, 1.32 and 1.37.
 */
import {
  ALLOWED,
  type Check,
  type CheckPodFn,
  type CheckResult,
  forbid,
  type PssMetadata,
  type PssPodSpec,
} from "../check.ts";

const SAFE_1_0 = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
];
const SAFE_1_27 = [...SAFE_1_0, "net.ipv4.ip_local_reserved_ports"];
const SAFE_1_29 = [
  ...SAFE_1_27,
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
];
const SAFE_1_32 = [...SAFE_1_29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SAFE_1_37 = [
  ...SAFE_1_32,
  "net.ipv4.tcp_slow_start_after_idle",
  "net.ipv4.tcp_notsent_lowat",
];

function sysctls(safe: readonly string[]): CheckPodFn {
  const allowed = new Set(safe);
  return (_meta: PssMetadata, spec: PssPodSpec): CheckResult => {
    const list = spec.securityContext?.sysctls;
    if (!Array.isArray(list)) return ALLOWED;
    const bad: string[] = [];
    for (const s of list) {
      const name = s?.name ?? "";
      if (!allowed.has(name)) bad.push(name);
    }
    return bad.length === 0 ? ALLOWED : forbid("forbidden sysctls", bad.join(", "));
  };
}

/** The check, as upstream's check_sysctls.go defines it. */
export const sysctlsCheck: Check = {
  id: "sysctls",
  level: "baseline",
  versions: [
    { minVersion: 0, check: sysctls(SAFE_1_0) },
    { minVersion: 27, check: sysctls(SAFE_1_27) },
    { minVersion: 29, check: sysctls(SAFE_1_29) },
    { minVersion: 32, check: sysctls(SAFE_1_32) },
    { minVersion: 37, check: sysctls(SAFE_1_37) },
  ],
};
