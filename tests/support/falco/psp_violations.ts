/**
 * Maps the API server's PSP refusal message to the PSP spec fields it names.
 *
 * A 403 from PSP admission reads `pods "<name>" is forbidden: PodSecurityPolicy: unable to
 * admit pod: [<path>: <body> <path>: <body> ...]`. Each violation's field path (and, for
 * sysctls, its text) identifies the PSP field that refused it; the mapping follows the
 * messages of docs/psp-admission.md §2 (paths quirks in §8 item 3).
 */

/** One violation of a refusal: its field path, its text, and the PSP field it comes from. */
export interface Violation {
  path: string;
  body: string;
  field: string;
}

const PATH_START = /(?:^|\s)((?:pod\.)?(?:spec|metadata)\.[^\s:]*|spec\.[^\s:]*): /g;

/** Splits the bracketed list of a refusal message into `path: body` items. */
export function splitViolations(message: string): { path: string; body: string }[] {
  const open = message.indexOf("unable to admit pod: [");
  if (open < 0) throw new Error(`not a PSP admission refusal: ${message}`);
  const inner = message.slice(open + "unable to admit pod: [".length, message.lastIndexOf("]"));
  const starts: { index: number; path: string; bodyStart: number }[] = [];
  for (const m of inner.matchAll(PATH_START)) {
    const path = m[1];
    const pathIndex = m.index! + m[0].indexOf(path);
    starts.push({ index: pathIndex, path, bodyStart: pathIndex + path.length + 2 });
  }
  return starts.map((s, i) => ({
    path: s.path,
    body: inner.slice(s.bodyStart, i + 1 < starts.length ? starts[i + 1].index - 1 : inner.length),
  }));
}

const CONTAINER_PATH = /^spec\.(?:initContainers|containers|ephemeralContainers)\[\d+\]\.(.*)$/;

/** The PSP spec field (or annotation check) a violation path comes from. */
export function pspFieldOf(path: string, body: string): string {
  const annotation = /^pod\.metadata\.annotations\[(.*)\]$/.exec(path);
  if (annotation) {
    const key = annotation[1];
    if (key.startsWith("seccomp.security.alpha.kubernetes.io/")) return "seccomp";
    if (key.startsWith("container.seccomp.security.alpha.kubernetes.io/")) return "seccomp";
    if (key.startsWith("container.apparmor.security.beta.kubernetes.io/")) return "apparmor";
  }
  if (/^pod\.spec\.securityContext\.sysctls\[\d+\]$/.test(path)) {
    // §2.16: "sysctl X is not allowed" = matched forbiddenSysctls;
    // "unsafe sysctl X is not allowed" = not safe and not in allowedUnsafeSysctls.
    return body.startsWith("Forbidden: unsafe sysctl")
      ? "allowedUnsafeSysctls"
      : "forbiddenSysctls";
  }
  const pod: Record<string, string> = {
    "spec.securityContext.fsGroup": "fsGroup",
    "spec.securityContext.supplementalGroups": "supplementalGroups",
    "spec.securityContext.hostNetwork": "hostNetwork",
    "spec.securityContext.hostPID": "hostPID",
    "spec.securityContext.hostIPC": "hostIPC",
    "spec.runtimeClassName": "runtimeClass",
  };
  if (path in pod) return pod[path];
  if (path.startsWith("spec.securityContext.seLinuxOptions")) return "seLinux";
  if (/^spec\.volumes\[\d+\]$/.test(path)) return "volumes";
  if (/^spec\.volumes\[\d+\]\.hostPath\.pathPrefix$/.test(path)) return "allowedHostPaths";
  if (/^spec\.volumes\[\d+\]\.driver$/.test(path)) return "allowedFlexVolumes";
  if (/^spec\.volumes\[\d+\]\.csi\.driver$/.test(path)) return "allowedCSIDrivers";
  const c = CONTAINER_PATH.exec(path);
  if (c) {
    const rest = c[1];
    const container: Record<string, string> = {
      "securityContext.privileged": "privileged",
      "securityContext.runAsUser": "runAsUser",
      "securityContext.runAsNonRoot": "runAsUser",
      "securityContext": "runAsGroup", // §2.8: runAsGroup errors are reported at securityContext
      "securityContext.procMount": "allowedProcMountTypes",
      "securityContext.capabilities.add": "allowedCapabilities",
      "securityContext.capabilities.drop": "requiredDropCapabilities",
      "securityContext.capabilities": "requiredDropCapabilities",
      "hostPort": "hostPorts",
      "securityContext.readOnlyRootFilesystem": "readOnlyRootFilesystem",
      "securityContext.allowPrivilegeEscalation": "allowPrivilegeEscalation",
    };
    if (rest in container) return container[rest];
    if (rest.startsWith("securityContext.seLinuxOptions")) return "seLinux";
    if (/^volumeMounts\[\d+\]\.readOnly$/.test(rest)) return "allowedHostPaths";
  }
  throw new Error(`no PSP field known for violation path ${path} (${body})`);
}

/** The violations of a PSP refusal message, each with its PSP field. */
export function violationsOf(message: string): Violation[] {
  return splitViolations(message).map((v) => ({ ...v, field: pspFieldOf(v.path, v.body) }));
}
