/** `hostNamespaces` (baseline, v1.0+): no hostNetwork, hostPID or hostIPC. */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  forbid,
  type PssMetadata,
  type PssPodSpec,
} from "../check.ts";

function hostNamespaces1_0(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const used: string[] = [];
  if (spec.hostNetwork === true) used.push("hostNetwork=true");
  if (spec.hostPID === true) used.push("hostPID=true");
  if (spec.hostIPC === true) used.push("hostIPC=true");
  return used.length === 0 ? ALLOWED : forbid("host namespaces", used.join(", "));
}

/** The check, as upstream's check_hostNamespaces.go defines it. */
export const hostNamespaces: Check = {
  id: "hostNamespaces",
  level: "baseline",
  versions: [{ minVersion: 0, check: hostNamespaces1_0 }],
};
