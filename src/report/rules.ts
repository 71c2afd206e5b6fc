/**
 * Which PSP control a violation (or change) belongs to, from the API server's
 * field path and message: the rule ids of SARIF output and JUnit failure types.
 */

import { PSP_CONTROLS } from "../model/psp_fields.ts";

/** A PSP control: a rule id (the PSP spec field or annotation it is about) and a title. */
export interface PspRule {
  id: string;
  title: string;
}

const RULES: Readonly<Record<string, string>> = Object.fromEntries(
  PSP_CONTROLS.map((c) => [c.id, c.title]),
);

/** Every rule, for SARIF's rule table. */
export const ALL_RULES: readonly PspRule[] = PSP_CONTROLS.map(({ id, title }) => ({ id, title }));

/** The rule for a violation's or change's field path (and message, for capabilities). */
export function ruleFor(field: string, message = ""): PspRule {
  return { id: ruleIdFor(field, message), title: RULES[ruleIdFor(field, message)] };
}

function ruleIdFor(field: string, message: string): string {
  if (field.includes("seccomp")) return "seccomp";
  if (field.includes("apparmor")) return "apparmor";
  if (/\.sysctls\[\d+\]$/.test(field) || field.endsWith(".sysctls")) return "sysctls";
  if (/^spec\.volumes\[\d+\]$/.test(field)) return "volumes";
  if (/^spec\.volumes\[\d+\]\.hostPath/.test(field) || field.endsWith(".readOnly")) {
    return "allowedHostPaths";
  }
  if (/^spec\.volumes\[\d+\]\.driver$/.test(field)) return "allowedFlexVolumes";
  if (/^spec\.volumes\[\d+\]\.csi/.test(field)) return "allowedCSIDrivers";
  const last = field.slice(field.lastIndexOf(".") + 1);
  switch (last) {
    case "privileged":
    case "hostNetwork":
    case "hostPID":
    case "hostIPC":
    case "readOnlyRootFilesystem":
    case "allowPrivilegeEscalation":
    case "runAsUser":
    case "supplementalGroups":
    case "fsGroup":
      return last;
    case "runAsNonRoot":
      return "runAsUser";
    case "runAsGroup":
    case "securityContext":
      return /ephemeralContainers|initContainers|containers/.test(field)
        ? "runAsGroup"
        : "admission";
    case "hostPort":
    case "ports":
      return "hostPorts";
    case "procMount":
      return "allowedProcMountTypes";
    case "runtimeClassName":
      return "runtimeClass";
    case "add":
      return "allowedCapabilities";
    case "drop":
      return message.includes("required to be dropped")
        ? "requiredDropCapabilities"
        : "capabilities";
    case "capabilities":
      return "capabilities";
  }
  if (/seLinuxOptions/.test(field)) return "seLinux";
  return "admission";
}
