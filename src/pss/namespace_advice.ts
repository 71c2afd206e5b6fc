/**
 * Per-namespace Pod Security Admission advice from audited pods and templates: the strictest
 * level whose `enforce` admits every one of them, what would break at the next level (which
 * workloads, why), the `kubectl label` command that sets it (enforce pinned to a version, warn
 * and audit one level stricter), and, for a namespace that already carries PSA labels, which
 * workloads its current labels reject (and warn and audit about), each label pair read as Pod
 * Security Admission reads it and checked at its own level and version. Pure.
 */
import {
  formatVersion,
  type Level,
  levelRank,
  LEVELS,
  parseLevel,
  parseVersion,
  PolicyParseError,
  type Version,
} from "./api.ts";
import type { PssViolation } from "./evaluate.ts";
import { type PodPss, violationsAt } from "./pod_result.ts";
import { MAX_MINOR } from "./registry.ts";

/** The PSA label prefix (`pod-security.kubernetes.io/enforce`, `...-version`, warn, audit). */
const PSA_LABEL_PREFIX = "pod-security.kubernetes.io/";

/** A namespace and its labels (from a Namespace object in a file or the cluster). */
export interface NamespaceLabels {
  name: string;
  labels: Record<string, string>;
}

/** One audited workload or pod of a namespace. */
export interface AdviceSubject {
  namespace: string;
  /** `Kind/name`. */
  workload: string;
  pods: number | null;
  pss: PodPss;
}

/** A workload and the violations that matter for the advice. */
export interface AdviceWorkload {
  workload: string;
  pods: number | null;
  violations: PssViolation[];
}

/** One mode's level and version as PSA reads the labels, and the workloads it would act on. */
export interface ModeCheck {
  level: Level;
  /** `latest` or `v1.<minor>`. */
  version: string;
  /** Workloads the mode would act on (enforce: reject; warn: warn about; audit: annotate). */
  workloads: AdviceWorkload[];
}

/** What a namespace's current PSA labels say, and whom they reject (each at its own version). */
export interface CurrentLabels {
  /** The namespace's `pod-security.kubernetes.io/*` labels. */
  labels: Record<string, string>;
  /** The enforce level and version (privileged:latest, PSA's default, without an enforce label). */
  enforce: { level: Level; version: string };
  /** Workloads the enforce label would reject, checked at its level and version. */
  rejected: AdviceWorkload[];
  /** With a warn label: the workloads PSA would warn about (at that label's level and version). */
  warn?: ModeCheck;
  /** With an audit label: the workloads PSA would record in the audit log. */
  audit?: ModeCheck;
  /** Said when the labels are not read as written (invalid values) or enforce is the default. */
  note?: string;
}

/** The advice for one namespace. */
export interface NamespaceAdvice {
  namespace: string;
  /** The strictest level whose enforce admits every workload of the namespace. */
  level: Level;
  /** The policy version the advice is for (pinned: `latest` is written as the newest). */
  version: string;
  workloads: number;
  /** The next stricter level (null: restricted already) and the workloads it would refuse. */
  next: { level: Level; breaks: AdviceWorkload[] } | null;
  /** `kubectl label` that sets enforce (and warn/audit one level stricter). */
  command: string;
  current?: CurrentLabels;
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9._\/:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The `kubectl label` command setting enforce=level (pinned) and warn/audit=`watch`. */
export function labelCommand(
  namespace: string,
  level: Level,
  watch: Level,
  version: string,
): string {
  const l = (mode: string, v: Level) =>
    `${PSA_LABEL_PREFIX}${mode}=${v} ${PSA_LABEL_PREFIX}${mode}-version=${version}`;
  return `kubectl label --overwrite ns ${shellWord(namespace)} ${l("enforce", level)} ${
    l("warn", watch)
  } ${l("audit", watch)}`;
}

type Mode = "enforce" | "warn" | "audit";

/**
 * Reads one mode's label pair as PSA's PolicyToEvaluate does (k8s.io/pod-security-admission/api)
 * with its default policy (privileged:latest): a missing label takes the default; an invalid
 * level is read as restricted for enforce and as privileged for warn and audit (they fail
 * open), an invalid version as latest. PSA refuses a namespace created or relabelled with an
 * invalid value, but labels set before it was enabled stay. `notes` gets what differs from the
 * labels as written.
 */
function readMode(
  labels: Record<string, string>,
  mode: Mode,
  notes: string[],
): { level: Level; version: Version; set: boolean } {
  let level: Level = "privileged";
  let version: Version = "latest";
  const levelKey = `${PSA_LABEL_PREFIX}${mode}`;
  const versionKey = `${levelKey}-version`;
  const l = labels[levelKey];
  const v = labels[versionKey];
  const invalid = (key: string, e: unknown, readAs: string) => {
    if (!(e instanceof PolicyParseError)) throw e;
    notes.push(`${key}: ${e.message}; PSA reads it as ${readAs}`);
  };
  if (l !== undefined) {
    try {
      level = parseLevel(l);
    } catch (e) {
      level = mode === "enforce" ? "restricted" : "privileged";
      invalid(levelKey, e, mode === "enforce" ? "restricted" : "privileged (it fails open)");
    }
  }
  if (v !== undefined) {
    try {
      version = parseVersion(v);
    } catch (e) {
      invalid(versionKey, e, "latest");
    }
  }
  return { level, version, set: l !== undefined || v !== undefined };
}

/** The workloads of `list` that `level` at `version` refuses, with those violations. */
function refusedAt(list: readonly AdviceSubject[], level: Level, version: Version) {
  const out: AdviceWorkload[] = [];
  for (const s of list) {
    const violations = violationsAt(s.pss, level, version);
    if (violations.length > 0) out.push({ workload: s.workload, pods: s.pods, violations });
  }
  return out;
}

/** The namespace's PSA labels checked, each mode at its own level and version. */
function currentLabels(psa: Record<string, string>, list: readonly AdviceSubject[]): CurrentLabels {
  const notes: string[] = [];
  const enforce = readMode(psa, "enforce", notes);
  if (!(`${PSA_LABEL_PREFIX}enforce` in psa)) {
    notes.push(
      "no enforce label: the cluster's default applies (privileged unless its " +
        "AdmissionConfiguration sets another)",
    );
  }
  const current: CurrentLabels = {
    labels: psa,
    enforce: { level: enforce.level, version: formatVersion(enforce.version) },
    rejected: refusedAt(list, enforce.level, enforce.version),
  };
  for (const mode of ["warn", "audit"] as const) {
    const m = readMode(psa, mode, notes);
    if (!m.set) continue;
    current[mode] = {
      level: m.level,
      version: formatVersion(m.version),
      workloads: refusedAt(list, m.level, m.version),
    };
  }
  if (notes.length) current.note = notes.join("; ");
  return current;
}

/**
 * The advice per namespace (sorted by name) for `subjects` evaluated at `version`;
 * `namespaces` gives the labels of the namespaces known as objects.
 */
export function namespaceAdvice(
  subjects: readonly AdviceSubject[],
  namespaces: readonly NamespaceLabels[],
  version: Version,
): NamespaceAdvice[] {
  const pinned = version === "latest" ? `v1.${MAX_MINOR}` : formatVersion(version);
  const labelsOf = new Map(namespaces.map((n) => [n.name, n.labels]));
  const byNs = new Map<string, AdviceSubject[]>();
  for (const s of subjects) {
    const list = byNs.get(s.namespace);
    if (list) list.push(s);
    else byNs.set(s.namespace, [s]);
  }
  const out: NamespaceAdvice[] = [];
  for (const ns of [...byNs.keys()].sort()) {
    const list = byNs.get(ns)!;
    const rank = Math.min(...list.map((s) => levelRank(s.pss.levelMet)));
    const level = LEVELS[rank];
    const nextLevel = rank < LEVELS.length - 1 ? LEVELS[rank + 1] : null;
    const next = nextLevel === null ? null : {
      level: nextLevel,
      breaks: list.filter((s) => s.pss.levelMet === level).map((s) => ({
        workload: s.workload,
        pods: s.pods,
        violations: s.pss.next?.violations ?? [],
      })),
    };
    const advice: NamespaceAdvice = {
      namespace: ns,
      level,
      version: pinned,
      workloads: list.length,
      next,
      command: labelCommand(ns, level, nextLevel ?? level, pinned),
    };
    const labels = labelsOf.get(ns);
    const psa = labels &&
      Object.fromEntries(Object.entries(labels).filter(([k]) => k.startsWith(PSA_LABEL_PREFIX)));
    if (psa && Object.keys(psa).length > 0) advice.current = currentLabels(psa, list);
    out.push(advice);
  }
  return out;
}

/** The name and labels of a Namespace object (undefined for other objects). */
export function namespaceLabelsOf(object: Record<string, unknown>): NamespaceLabels | undefined {
  if (object.kind !== "Namespace") return undefined;
  const meta = object.metadata as { name?: unknown; labels?: unknown } | undefined;
  if (typeof meta?.name !== "string" || meta.name === "") return undefined;
  const labels: Record<string, string> = {};
  if (meta.labels && typeof meta.labels === "object" && !Array.isArray(meta.labels)) {
    for (const [k, v] of Object.entries(meta.labels)) if (typeof v === "string") labels[k] = v;
  }
  return { name: meta.name, labels };
}
