/**
 * The registry of Pod Security Standards checks and their per-version revisions, resolved per
 * level and policy version as upstream's policy/registry.go does: at a version, each check runs
 * its newest revision not newer than it; the restricted level runs every baseline check except
 * those a restricted revision overrides, plus the restricted checks; baseline checks come first,
 * each group ordered by check ID. Versions newer than the newest revision, and `latest`, resolve
 * to the newest.
 */
import type { Level, Version } from "./api.ts";
import type { Check, CheckPodFn } from "./check.ts";
import { allowPrivilegeEscalation } from "./checks/allow_privilege_escalation.ts";
import { appArmorProfile } from "./checks/app_armor_profile.ts";
import { capabilitiesBaseline } from "./checks/capabilities_baseline.ts";
import { capabilitiesRestricted } from "./checks/capabilities_restricted.ts";
import { hostNamespaces } from "./checks/host_namespaces.ts";
import { hostPathVolumes } from "./checks/host_path_volumes.ts";
import { hostPorts } from "./checks/host_ports.ts";
import { hostProbesAndHostLifecycle } from "./checks/host_probes_and_host_lifecycle.ts";
import { privileged } from "./checks/privileged.ts";
import { procMount, procMountRestricted } from "./checks/proc_mount.ts";
import { restrictedVolumes } from "./checks/restricted_volumes.ts";
import { runAsNonRoot } from "./checks/run_as_non_root.ts";
import { runAsUser } from "./checks/run_as_user.ts";
import { seccompProfileBaseline, seccompProfileRestricted } from "./checks/seccomp_profile.ts";
import { seLinuxOptionsCheck } from "./checks/se_linux_options.ts";
import { sysctlsCheck } from "./checks/sysctls.ts";
import { windowsHostProcess } from "./checks/windows_host_process.ts";

/** Every check (upstream's DefaultChecks). */
export const CHECKS: readonly Check[] = [
  allowPrivilegeEscalation,
  appArmorProfile,
  capabilitiesBaseline,
  capabilitiesRestricted,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  hostProbesAndHostLifecycle,
  privileged,
  procMount,
  procMountRestricted,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seccompProfileBaseline,
  seccompProfileRestricted,
  seLinuxOptionsCheck,
  sysctlsCheck,
  windowsHostProcess,
];

/** The newest policy minor any check has a revision for: what `latest` means (1.37). */
export const MAX_MINOR: number = Math.max(
  ...CHECKS.map((c) => c.versions[c.versions.length - 1].minVersion),
);

/** A check as it runs at one level and version. */
export interface ResolvedCheck {
  readonly id: string;
  readonly level: "baseline" | "restricted";
  readonly check: CheckPodFn;
  /** The minimum version of the revision that runs. */
  readonly revision: number;
  /** The revision's place in REVISIONS. */
  readonly index: number;
}

/** One revision of one check. */
export interface Revision {
  readonly id: string;
  readonly minVersion: number;
  readonly check: CheckPodFn;
}

/** Every revision of every check, in CHECKS order (ResolvedCheck.index is the place here). */
export const REVISIONS: readonly Revision[] = CHECKS.flatMap((c) =>
  c.versions.map((v) => ({ id: c.id, minVersion: v.minVersion, check: v.check }))
);

/** The policy minor a version evaluates as (latest and newer versions: MAX_MINOR). */
export function effectiveMinor(version: Version): number {
  return version === "latest" ? MAX_MINOR : Math.min(version.minor, MAX_MINOR);
}

const byId = (a: { id: string }, b: { id: string }) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
const cache = new Map<string, readonly ResolvedCheck[]>();

/** The checks that run for `level` at `version`, in upstream's order (none for privileged). */
export function checksFor(level: Level, version: Version): readonly ResolvedCheck[] {
  if (level === "privileged") return [];
  const minor = effectiveMinor(version);
  const key = `${level}:${minor}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const baseline: ResolvedCheck[] = [];
  const restricted: ResolvedCheck[] = [];
  const overridden = new Set<string>();
  for (const c of CHECKS) {
    const rev = c.versions.findLast((v) => v.minVersion <= minor);
    if (!rev) continue;
    const index = REVISIONS.findIndex((r) => r.id === c.id && r.minVersion === rev.minVersion);
    const resolved = {
      id: c.id,
      level: c.level,
      check: rev.check,
      revision: rev.minVersion,
      index,
    };
    if (c.level === "baseline") baseline.push(resolved);
    else if (level === "restricted") {
      restricted.push(resolved);
      for (const id of rev.overrides ?? []) overridden.add(id);
    }
  }
  const out = [
    ...baseline.filter((c) => !overridden.has(c.id)).sort(byId),
    ...restricted.sort(byId),
  ];
  cache.set(key, out);
  return out;
}
