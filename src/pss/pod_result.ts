/**
 * A pod's Pod Security Standards result for an audit: the strictest level it meets, what keeps
 * it from the next level, and its result at the level asked (`audit-pods --pss LEVEL[:VERSION]`;
 * with `--pss` alone no level is asked, and the level reported is the first one it fails).
 */
import { formatVersion, type Level, type Version } from "./api.ts";
import { type PodLike, preparePod, type PssViolation, violationsByLevel } from "./evaluate.ts";

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
}

/** Evaluates a pod (the API server's defaults applied) for an audit. */
export function podPss(pod: PodLike, setting: PssSetting): PodPss {
  const { version } = setting;
  const { baseline, restricted } = violationsByLevel(preparePod(pod), version);
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
  const found = level === "privileged" ? [] : level === "baseline" ? baseline : restricted;
  return {
    level,
    version: formatVersion(version),
    allowed: found.length === 0,
    violations: found,
    levelMet,
    next,
  };
}

/** A short text equal for equal results (for telling decisions apart without JSON). */
export function podPssKey(p: PodPss): string {
  let k = `${p.level}\u0001${p.version}\u0001${p.levelMet}`;
  for (const v of p.violations) k += `\u0001${v.check}\u0002${v.reason}\u0002${v.detail}`;
  if (p.next && p.next.violations !== p.violations) {
    k += `\u0003${p.next.level}`;
    for (const v of p.next.violations) k += `\u0001${v.check}\u0002${v.reason}\u0002${v.detail}`;
  }
  return k;
}
