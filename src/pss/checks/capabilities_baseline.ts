/**
 * `capabilities_baseline` (baseline, v1.0+): `capabilities.add` only from the default set
 * (no NET_RAW, nothing beyond the container runtime's defaults).
 */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  containersNamed,
  forbid,
  joinQuote,
  type PssMetadata,
  type PssPodSpec,
  sortedSet,
  visitContainers,
} from "../check.ts";

/** The capabilities a baseline container may add. */
export const BASELINE_ALLOWED_CAPABILITIES: ReadonlySet<string> = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

function capabilitiesBaseline1_0(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const bad: string[] = [];
  const caps: string[] = [];
  visitContainers(spec, (c) => {
    const add = c.securityContext?.capabilities?.add;
    if (!Array.isArray(add)) return;
    let valid = true;
    for (const cap of add) {
      if (!BASELINE_ALLOWED_CAPABILITIES.has(cap)) {
        valid = false;
        caps.push(String(cap));
      }
    }
    if (!valid) bad.push(c.name);
  });
  if (bad.length === 0) return ALLOWED;
  return forbid(
    "non-default capabilities",
    `${containersNamed(bad)} must not include ${
      joinQuote(sortedSet(caps))
    } in securityContext.capabilities.add`,
  );
}

/** The check, as upstream's check_capabilities_baseline.go defines it. */
export const capabilitiesBaseline: Check = {
  id: "capabilities_baseline",
  level: "baseline",
  versions: [{ minVersion: 0, check: capabilitiesBaseline1_0 }],
};
