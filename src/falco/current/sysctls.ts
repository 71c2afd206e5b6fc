/**
 * Current-target rows for pod sysctls: forbidden and allowed unsafe sysctls.
 */
import { and, cmp, type Cond, exists, not, or, str, TRUE } from "../condition.ts";
import type { FieldRule } from "../field_rule.ts";
import { jv, MAX_SYSCTLS, POD_SC } from "./support.ts";

const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
];

function sysctlMatches(f: ReturnType<typeof jv>, patterns: readonly string[]): Cond {
  const exact = patterns.filter((p) => !p.endsWith("*"));
  const prefixes = patterns.filter((p) => p.endsWith("*")).map((p) => p.slice(0, -1));
  if (prefixes.includes("")) return exists(f);
  return or(cmp(f, "in", exact.map(str)), ...prefixes.map((p) => cmp(f, "startswith", str(p))));
}

/** `forbiddenSysctls`. */
export const forbiddenSysctls: FieldRule = {
  field: "forbiddenSysctls",
  audit: (ctx) => {
    const forbidden = ctx.psp.spec.forbiddenSysctls ?? [];
    if (!forbidden.length) return undefined;
    return {
      cond: or(
        ...ctx.indices([...POD_SC, "sysctls"], MAX_SYSCTLS).map((i) => {
          const f = jv(...POD_SC, "sysctls", i, "name");
          return and(exists(f), sysctlMatches(f, forbidden));
        }),
      ),
      text: `sysctl matching the forbidden set [${forbidden.join(",")}]`,
    };
  },
};

/** `allowedUnsafeSysctls`. */
export const allowedUnsafeSysctls: FieldRule = {
  field: "allowedUnsafeSysctls",
  audit: (ctx) => {
    const forbidden = ctx.psp.spec.forbiddenSysctls ?? [];
    const allowed = ctx.psp.spec.allowedUnsafeSysctls ?? [];
    if (allowed.includes("*")) return undefined;
    return {
      cond: or(
        ...ctx.indices([...POD_SC, "sysctls"], MAX_SYSCTLS).map((i) => {
          const f = jv(...POD_SC, "sysctls", i, "name");
          return and(
            exists(f),
            forbidden.length ? not(sysctlMatches(f, forbidden)) : TRUE,
            not(cmp(f, "in", SAFE_SYSCTLS.map(str))),
            allowed.length ? not(sysctlMatches(f, allowed)) : TRUE,
          );
        }),
      ),
      text: `unsafe sysctl outside of the allowed set [${allowed.join(",")}]`,
    };
  },
};
