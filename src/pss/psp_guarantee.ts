/**
 * What a PodSecurityPolicy guarantees in Pod Security Standards terms, derived from its spec
 * (as the API server stores it, defaults applied), check by check: a check is guaranteed when
 * every pod the PSP admits (as admission leaves it, its defaults applied) passes it at the newest
 * policy version. The PSP guarantees the strictest level whose checks all are; checks PSP has no
 * field for (probe hosts, the appArmorProfile field) are listed apart. Also the PSP fields Pod
 * Security Admission has no equivalent for. Pure.
 */
import type { PodSecurityPolicy } from "../model/psp.ts";
import type { Level } from "./api.ts";
import { BASELINE_ALLOWED_CAPABILITIES } from "./checks/capabilities_baseline.ts";

/** One check and whether the PSP guarantees it. */
export interface CheckGuarantee {
  check: string;
  level: "baseline" | "restricted";
  guaranteed: boolean;
  /** Why (the PSP fields that decide it). */
  why: string;
}

/** A PSP's Pod Security Standards guarantee. */
export interface PspGuarantee {
  policy: string;
  /** The strictest level every pod the PSP admits meets (apart from `outsidePsp`). */
  level: Level;
  checks: CheckGuarantee[];
  /** Checks PSP has no field for: no PSP can guarantee them. */
  outsidePsp: string[];
  /** PSP fields (set by this PSP) that Pod Security Admission does not enforce. */
  notInPss: { field: string; note: string }[];
}

const RESTRICTED_VOLUMES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);
const SELINUX_TYPES = new Set([
  "",
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
]);
const SECCOMP_ALLOWED = "seccomp.security.alpha.kubernetes.io/allowedProfileNames";
const SECCOMP_DEFAULT = "seccomp.security.alpha.kubernetes.io/defaultProfileName";
const APPARMOR_ALLOWED = "apparmor.security.beta.kubernetes.io/allowedProfileNames";
const APPARMOR_DEFAULT = "apparmor.security.beta.kubernetes.io/defaultProfileName";

function list(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(",").map((s) => s.trim()).filter((s) => s);
}

/** Derives the guarantee of one PSP. */
export function pspGuarantee(psp: PodSecurityPolicy): PspGuarantee {
  const s = psp.spec;
  const ann = psp.metadata.annotations ?? {};
  const caps = [...(s.allowedCapabilities ?? []), ...(s.defaultAddCapabilities ?? [])];
  const volumes = s.volumes ?? [];
  const procMounts = s.allowedProcMountTypes ?? [];
  const checks: CheckGuarantee[] = [];
  const add = (check: string, level: CheckGuarantee["level"], guaranteed: boolean, why: string) =>
    checks.push({ check, level, guaranteed, why });

  add(
    "privileged",
    "baseline",
    !s.privileged,
    s.privileged ? "privileged: true" : "privileged: false",
  );
  const hostNs = (["hostNetwork", "hostPID", "hostIPC"] as const).filter((k) => s[k]);
  add(
    "hostNamespaces",
    "baseline",
    hostNs.length === 0,
    hostNs.length ? `${hostNs.join(", ")}: true` : "no host namespace allowed",
  );
  const ports = (s.hostPorts ?? []).filter((r) => r.max > 0);
  add(
    "hostPorts",
    "baseline",
    ports.length === 0,
    ports.length ? `hostPorts ${ports.map((r) => `${r.min}-${r.max}`).join(", ")}` : "no hostPorts",
  );
  const badCaps = caps.filter((c) => !BASELINE_ALLOWED_CAPABILITIES.has(c));
  add(
    "capabilities_baseline",
    "baseline",
    badCaps.length === 0,
    badCaps.length
      ? `allowedCapabilities/defaultAddCapabilities include ${badCaps.join(", ")}`
      : "added capabilities only from the default set",
  );
  const hostPath = volumes.includes("hostPath") || volumes.includes("*");
  add(
    "hostPathVolumes",
    "baseline",
    !hostPath,
    hostPath
      ? `volumes allow ${volumes.includes("*") ? "*" : "hostPath"}`
      : "volumes exclude hostPath",
  );
  const apparmor = list(ann[APPARMOR_ALLOWED]);
  const apparmorOk = ann[APPARMOR_ALLOWED] !== undefined &&
    apparmor.every((p) => p === "runtime/default" || p.startsWith("localhost/"));
  add(
    "appArmorProfile",
    "baseline",
    apparmorOk,
    ann[APPARMOR_ALLOWED] === undefined
      ? `no ${APPARMOR_ALLOWED} annotation: any AppArmor profile, unconfined too`
      : `${APPARMOR_ALLOWED}: ${ann[APPARMOR_ALLOWED]}`,
  );
  const se = s.seLinux;
  const seOk = se.rule === "MustRunAs" && SELINUX_TYPES.has(se.seLinuxOptions?.type ?? "") &&
    !se.seLinuxOptions?.user && !se.seLinuxOptions?.role;
  add(
    "seLinuxOptions",
    "baseline",
    seOk,
    se.rule === "MustRunAs"
      ? `seLinux MustRunAs ${JSON.stringify(se.seLinuxOptions ?? {})}`
      : `seLinux ${se.rule}: any SELinux options`,
  );
  const procOk = procMounts.every((t) => t === "Default");
  add(
    "procMount",
    "baseline",
    procOk,
    procOk
      ? "allowedProcMountTypes: Default only"
      : `allowedProcMountTypes: ${procMounts.join(", ")}`,
  );
  const seccomp = list(ann[SECCOMP_ALLOWED]);
  const seccompValid = (p: string) =>
    p === "runtime/default" || p === "docker/default" || p.startsWith("localhost/");
  const seccompOk = seccomp.every(seccompValid);
  add(
    "seccompProfile_baseline",
    "baseline",
    seccompOk,
    ann[SECCOMP_ALLOWED] === undefined
      ? "no allowedProfileNames: pods may not set a seccomp profile"
      : `${SECCOMP_ALLOWED}: ${ann[SECCOMP_ALLOWED]}`,
  );
  const unsafe = s.allowedUnsafeSysctls ?? [];
  add(
    "sysctls",
    "baseline",
    unsafe.length === 0,
    unsafe.length ? `allowedUnsafeSysctls: ${unsafe.join(", ")}` : "safe sysctls only",
  );
  add(
    "windowsHostProcess",
    "baseline",
    !s.hostNetwork,
    s.hostNetwork
      ? "hostNetwork: true (HostProcess pods need it)"
      : "hostNetwork: false (HostProcess pods need it)",
  );

  add(
    "allowPrivilegeEscalation",
    "restricted",
    s.allowPrivilegeEscalation === false,
    `allowPrivilegeEscalation: ${s.allowPrivilegeEscalation ?? true}`,
  );
  const drop = s.requiredDropCapabilities ?? [];
  const capsR = caps.filter((c) => c !== "NET_BIND_SERVICE");
  add(
    "capabilities_restricted",
    "restricted",
    drop.includes("ALL") && capsR.length === 0,
    !drop.includes("ALL")
      ? "requiredDropCapabilities lacks ALL"
      : capsR.length
      ? `allowedCapabilities/defaultAddCapabilities include ${capsR.join(", ")}`
      : "drops ALL, adds at most NET_BIND_SERVICE",
  );
  const badVolumes = volumes.filter((v) => !RESTRICTED_VOLUMES.has(v));
  add(
    "restrictedVolumes",
    "restricted",
    badVolumes.length === 0,
    badVolumes.length ? `volumes allow ${badVolumes.join(", ")}` : "core volume types only",
  );
  const ru = s.runAsUser;
  add(
    "runAsNonRoot",
    "restricted",
    false,
    ru.rule === "MustRunAsNonRoot"
      ? "runAsUser MustRunAsNonRoot admits a pod setting a non-zero runAsUser without runAsNonRoot: true, which restricted refuses"
      : ru.rule === "MustRunAs"
      ? "runAsUser MustRunAs sets a UID but never runAsNonRoot: true"
      : `runAsUser ${ru.rule}: root allowed`,
  );
  // PSP checks each container's effective UID: a pod-level runAsUser: 0 that every container
  // overrides is admitted whatever the rule, and restricted refuses it (found on the corpus).
  add(
    "runAsUser",
    "restricted",
    false,
    ru.rule === "RunAsAny"
      ? "runAsUser RunAsAny: root allowed"
      : `runAsUser ${ru.rule} checks each container's UID: a pod-level runAsUser: 0 that every container overrides is admitted`,
  );
  const seccompR = ann[SECCOMP_ALLOWED] !== undefined && seccomp.every(seccompValid) &&
    seccompValid(ann[SECCOMP_DEFAULT] ?? "");
  add(
    "seccompProfile_restricted",
    "restricted",
    seccompR,
    seccompR
      ? `every pod gets ${ann[SECCOMP_DEFAULT]} or an allowed profile`
      : ann[SECCOMP_DEFAULT] === undefined
      ? "no defaultProfileName: pods without a profile are admitted"
      : `${SECCOMP_ALLOWED}: ${ann[SECCOMP_ALLOWED] ?? "(none)"}`,
  );
  add(
    "procMount_restricted",
    "restricted",
    procOk,
    procOk
      ? "allowedProcMountTypes: Default only"
      : `allowedProcMountTypes: ${procMounts.join(", ")}`,
  );

  const baselineOk = checks.every((c) => c.level !== "baseline" || c.guaranteed);
  const restrictedOk = baselineOk && checks.every((c) => c.guaranteed);
  const notInPss: PspGuarantee["notInPss"] = [];
  const note = (cond: unknown, field: string, text: string) => {
    if (cond) notInPss.push({ field, note: text });
  };
  note(
    s.readOnlyRootFilesystem,
    "readOnlyRootFilesystem",
    "PSS does not require a read-only root filesystem",
  );
  note(
    s.allowedHostPaths?.length,
    "allowedHostPaths",
    "PSS has no path allow-list (baseline forbids hostPath volumes outright)",
  );
  note(
    s.fsGroup?.rule && s.fsGroup.rule !== "RunAsAny",
    "fsGroup",
    "PSS does not restrict fsGroup",
  );
  note(
    s.supplementalGroups?.rule && s.supplementalGroups.rule !== "RunAsAny",
    "supplementalGroups",
    "PSS does not restrict supplemental groups",
  );
  note(
    s.runAsGroup && s.runAsGroup.rule !== "RunAsAny",
    "runAsGroup",
    "PSS does not restrict runAsGroup",
  );
  note(ru.rule === "MustRunAs", "runAsUser.ranges", "PSS only forbids UID 0, not other UIDs");
  note(
    se.rule === "MustRunAs" && se.seLinuxOptions?.level,
    "seLinux.seLinuxOptions.level",
    "PSS does not check the SELinux level",
  );
  note(
    s.allowedFlexVolumes?.length,
    "allowedFlexVolumes",
    "PSS has no driver allow-list (restricted forbids flexVolume)",
  );
  note(s.allowedCSIDrivers?.length, "allowedCSIDrivers", "PSS allows every CSI driver");
  note(
    s.forbiddenSysctls?.length,
    "forbiddenSysctls",
    "PSS allows its safe sysctls whatever this list says",
  );
  note(s.runtimeClass, "runtimeClass", "PSS does not restrict runtime classes");
  note(
    s.hostPorts?.some((r) => r.max > 0),
    "hostPorts",
    "PSS has no port ranges: baseline forbids every host port",
  );
  note(
    s.defaultAddCapabilities?.length,
    "defaultAddCapabilities",
    "PSA never adds capabilities: pods must ask for them",
  );
  note(
    s.defaultAllowPrivilegeEscalation != null,
    "defaultAllowPrivilegeEscalation",
    "PSA never sets it: pods must set allowPrivilegeEscalation themselves",
  );
  note(
    ann[SECCOMP_DEFAULT],
    SECCOMP_DEFAULT,
    "PSA never sets a seccomp profile: pods must set it themselves",
  );
  note(
    ann[APPARMOR_DEFAULT],
    APPARMOR_DEFAULT,
    "PSA never sets an AppArmor profile: pods must set it themselves",
  );
  note(
    ru.rule === "MustRunAs" || ru.rule === "MustRunAsNonRoot",
    "runAsUser (defaulting)",
    "PSA never sets runAsUser/runAsNonRoot: pods must set them themselves",
  );
  return {
    policy: psp.metadata.name ?? "",
    level: restrictedOk ? "restricted" : baselineOk ? "baseline" : "privileged",
    checks,
    outsidePsp: [
      "hostProbesAndHostLifecycle (probe and lifecycle hosts)",
      "appArmorProfile (the securityContext.appArmorProfile field)",
    ],
    notInPss,
  };
}
