/**
 * A pod's Pod Security Standards result for an audit: the strictest level it meets, what keeps
 * it from the next level, its result at the level asked (`audit-pods --pss LEVEL[:VERSION]`;
 * with `--pss` alone no level is asked, and the level reported is the first one it fails), and
 * what it needs to be judged at any other level and version without its spec (`violationsAt`).
 *
 * Why every check revision runs (issue 12.3: a namespace's PSA labels may pin another level and
 * version than `--pss`, and a Namespace object may come after its pods, in another file, or from
 * the cluster, while pods are audited in worker threads that keep no pod spec): the result at a
 * level and version is the ordered filter, over `checksFor(level, version)`, of what each
 * (check, revision) answers. So the result carries the answer of every revision the pod fails
 * (`failures`), and `violationsAt` is that filter: the same as evaluating the pod there
 * (evaluate.ts), by construction, for every level and version, known now or later. It costs the
 * revisions the asked version does not run (30 check functions in all instead of 19 at the
 * newest version; most return at once for a pod that does not use their field) and, per
 * distinct decision, the failing revisions (most pods fail few). The alternatives were worse:
 * per-version summaries multiply (every revision boundary starts a new one: 13 up to v1.37), and
 * keeping pods' check-relevant projections per namespace to evaluate at the end moves pod
 * content out of the workers and grows with the input.
 */
import { formatVersion, type Level, type Version } from "./api.ts";
import type { CheckPodFn } from "./check.ts";
import { type PodLike, preparePod, type PssViolation, violationOf } from "./evaluate.ts";
import { checksFor, REVISIONS } from "./registry.ts";

/** What `--pss` asks: a level (null: `--pss` alone, report the level each pod meets) and version. */
export interface PssSetting {
  readonly level: Level | null;
  readonly version: Version;
}

/** A pod's Pod Security Standards result (plain data). */
export interface PodPss {
  /** The level asked; with `--pss` alone the first level the pod fails (restricted when none). */
  level: Level;
  /** The version asked (`latest` or `v1.30`). */
  version: string;
  allowed: boolean;
  violations: PssViolation[];
  /** The strictest level the pod meets at the version. */
  levelMet: Level;
  /** The level just above levelMet and the violations keeping the pod from it (null: restricted met). */
  next: { level: Level; violations: PssViolation[] } | null;
  /**
   * What every check revision answered, in REVISIONS order (registry.ts): the violation, or
   * null where the pod passes it; for `violationsAt` (not printed; the violations above are
   * entries of it).
   */
  failures: (PssViolation | null)[];
}

/**
 * The revisions by check function: a function two checks share (procMount's v1.0 logic is
 * also restricted's procMount from v1.35) runs once.
 */
const RUNS: readonly { check: CheckPodFn; at: readonly number[] }[] = (() => {
  const byFn = new Map<CheckPodFn, number[]>();
  REVISIONS.forEach((r, i) => {
    const at = byFn.get(r.check);
    if (at) at.push(i);
    else byFn.set(r.check, [i]);
  });
  return [...byFn].map(([check, at]) => ({ check, at }));
})();

/**
 * The pod's violations at `level` and `version`, from its result alone: what evaluatePod
 * gives at that level and version, in the API server's order.
 */
export function violationsAt(p: PodPss, level: Level, version: Version): PssViolation[] {
  const out: PssViolation[] = [];
  for (const c of checksFor(level, version)) {
    const v = p.failures[c.index];
    if (v !== null) out.push(v);
  }
  return out;
}

/** Evaluates a pod (the API server's defaults applied) for an audit. */
export function podPss(pod: PodLike, setting: PssSetting): PodPss {
  const { meta, spec } = preparePod(pod);
  const failures = new Array<PssViolation | null>(REVISIONS.length).fill(null);
  for (const run of RUNS) {
    const r = run.check(meta, spec);
    if (!r.allowed) { for (const i of run.at) failures[i] = violationOf(REVISIONS[i].id, r); }
  }
  const partial = { failures } as PodPss;
  const { version } = setting;
  const baseline = violationsAt(partial, "baseline", version);
  const restricted = baseline.length > 0 ? [] : violationsAt(partial, "restricted", version);
  const levelMet: Level = baseline.length > 0
    ? "privileged"
    : restricted.length > 0
    ? "baseline"
    : "restricted";
  const next: PodPss["next"] = baseline.length > 0
    ? { level: "baseline", violations: baseline }
    : restricted.length > 0
    ? { level: "restricted", violations: restricted }
    : null;
  const level = setting.level ?? next?.level ?? "restricted";
  const found = level === "privileged"
    ? []
    : level === "baseline"
    ? baseline
    : baseline.length > 0
    ? violationsAt(partial, "restricted", version)
    : restricted;
  return {
    level,
    version: formatVersion(version),
    allowed: found.length === 0,
    violations: found,
    levelMet,
    next,
    failures,
  };
}

/**
 * A short text equal for equal results (for telling decisions apart without JSON). In one
 * audit every result has the same setting, so the level, the version and the failures decide
 * all the rest.
 */
export function podPssKey(p: PodPss): string {
  let k = `${p.level}\u0001${p.version}`;
  const f = p.failures;
  for (let i = 0; i < f.length; i++) {
    const v = f[i];
    if (v !== null) k += `\u0001${i}\u0002${v.reason}\u0002${v.detail}`;
  }
  return k;
}
