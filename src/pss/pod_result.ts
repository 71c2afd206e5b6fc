/**
 * A pod's Pod Security Standards result for an audit: the strictest level it meets, what keeps
 * it from the next level, and its result at the level asked (`audit-pods --pss LEVEL[:VERSION]`;
 * with `--pss` alone no level is asked, and the level reported is the first one it fails).
 */
import { formatVersion, type Level, levelRank, type Version } from "./api.ts";
import { type PodLike, preparePod, type PssViolation, violations } from "./evaluate.ts";

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
  const prepared = preparePod(pod);
  const { version } = setting;
  let levelMet: Level;
  let next: PodPss["next"];
  const baseline = violations(prepared, "baseline", version);
  if (baseline.length > 0) {
    levelMet = "privileged";
    next = { level: "baseline", violations: baseline };
  } else {
    const restricted = violations(prepared, "restricted", version);
    levelMet = restricted.length > 0 ? "baseline" : "restricted";
    next = restricted.length > 0 ? { level: "restricted", violations: restricted } : null;
  }
  const level = setting.level ?? next?.level ?? "restricted";
  let found: PssViolation[];
  if (levelRank(level) <= levelRank(levelMet)) found = [];
  else if (next?.level === level) found = next.violations;
  else found = violations(prepared, level, version);
  return {
    level,
    version: formatVersion(version),
    allowed: found.length === 0,
    violations: found,
    levelMet,
    next,
  };
}
