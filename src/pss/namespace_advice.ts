/**
 * Per-namespace Pod Security Admission advice from audited pods and templates: the strictest
 * level whose `enforce` admits every one of them, what would break at the next level (which
 * workloads, why), the `kubectl label` command that sets it (enforce pinned to a version, warn
 * and audit one level stricter), and, for a namespace that already carries PSA labels, which
 * workloads its current `enforce` label rejects. Pure.
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
import type { PodPss } from "./pod_result.ts";
import { effectiveMinor, MAX_MINOR } from "./registry.ts";

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

/** What a namespace's current PSA labels say, and whom its enforce label rejects. */
export interface CurrentLabels {
  /** The namespace's `pod-security.kubernetes.io/*` labels. */
  labels: Record<string, string>;
  /** The enforce level and version (privileged:latest without an enforce label). */
  enforce: { level: Level; version: string };
  /** Workloads the enforce label would reject (at the audit's policy version, see `note`). */
  rejected: AdviceWorkload[];
  /** Said when the labels could not be read as PSA reads them, or were checked at another version. */
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

/** Reads a namespace's enforce label pair as PSA does (errors said in `note`). */
function readEnforce(
  labels: Record<string, string>,
): { level: Level; version: Version; note?: string } {
  const notes: string[] = [];
  let level: Level = "privileged";
  let version: Version = "latest";
  const l = labels[`${PSA_LABEL_PREFIX}enforce`];
  const v = labels[`${PSA_LABEL_PREFIX}enforce-version`];
  try {
    if (l !== undefined) level = parseLevel(l);
  } catch (e) {
    if (!(e instanceof PolicyParseError)) throw e;
    notes.push(
      `enforce label ${JSON.stringify(l)} is not a level (PSA then enforces the cluster default)`,
    );
  }
  try {
    if (v !== undefined) version = parseVersion(v);
  } catch (e) {
    if (!(e instanceof PolicyParseError)) throw e;
    notes.push(`enforce-version label ${JSON.stringify(v)} is not a version (read as latest)`);
  }
  return { level, version, ...(notes.length ? { note: notes.join("; ") } : {}) };
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
    if (psa && Object.keys(psa).length > 0) {
      const enforce = readEnforce(psa);
      const notes = enforce.note ? [enforce.note] : [];
      if (effectiveMinor(enforce.version) !== effectiveMinor(version)) {
        notes.push(
          `checked at ${formatVersion(version)} (the audit's version), not ${
            formatVersion(enforce.version)
          }: pass --pss ${enforce.level}:${formatVersion(enforce.version)} to check at the label's`,
        );
      }
      advice.current = {
        labels: psa,
        enforce: { level: enforce.level, version: formatVersion(enforce.version) },
        rejected: list
          .filter((s) => levelRank(s.pss.levelMet) < levelRank(enforce.level))
          .map((s) => ({
            workload: s.workload,
            pods: s.pods,
            violations: violationsAt(s.pss, enforce.level),
          })),
        ...(notes.length ? { note: notes.join("; ") } : {}),
      };
    }
    out.push(advice);
  }
  return out;
}

/** The violations of a pod at `level`, from its result (those keeping it from that level). */
function violationsAt(p: PodPss, level: Level): PssViolation[] {
  if (p.level === level) return p.violations;
  if (p.next?.level === level) return p.next.violations;
  // Restricted asked of a pod that fails baseline: its baseline violations are a subset.
  return p.next?.violations ?? p.violations;
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
