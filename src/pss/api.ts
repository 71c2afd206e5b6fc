/**
 * Pod Security Standards levels and policy versions, parsed as the Pod Security Admission
 * library parses the `pod-security.kubernetes.io/<mode>[-version]` label values
 * (k8s.io/pod-security-admission/api): a level is `privileged`, `baseline` or `restricted`;
 * a version is `latest` or `v1.<minor>`.
 */

/** A Pod Security Standards level, from least to most restrictive. */
export type Level = "privileged" | "baseline" | "restricted";

/** Levels from least to most restrictive. */
export const LEVELS: readonly Level[] = ["privileged", "baseline", "restricted"];

/** A policy version: `latest`, or Kubernetes minor `1.<minor>`. */
export type Version = "latest" | { readonly minor: number };

/** A level at a version, as one `enforce` / `warn` / `audit` label pair names it. */
export interface LevelVersion {
  readonly level: Level;
  readonly version: Version;
}

/** Raised for a level or version text the API server would refuse. */
export class PolicyParseError extends Error {
  override name = "PolicyParseError";
}

/** Parses a level name (exact, lower case, as the label value must be). */
export function parseLevel(text: string): Level {
  if (text === "privileged" || text === "baseline" || text === "restricted") return text;
  throw new PolicyParseError(
    `must be one of privileged, baseline, restricted (got ${JSON.stringify(text)})`,
  );
}

const VERSION_RE = /^v1\.(0|[1-9][0-9]*)$/;
/** Go's strconv.Atoi (int64) refuses minors above this; ParseVersion then refuses the version. */
const MAX_INT64 = "9223372036854775807";

/**
 * Parses `latest` or `v1.<minor>` as `api.ParseVersion` does: no leading zeros, major 1 only,
 * any minor an int64 holds (minors past the newest policy evaluate as the newest).
 */
export function parseVersion(text: string): Version {
  if (text === "latest") return "latest";
  const m = VERSION_RE.exec(text);
  const digits = m?.[1];
  if (
    digits === undefined || digits.length > MAX_INT64.length ||
    (digits.length === MAX_INT64.length && digits > MAX_INT64)
  ) {
    throw new PolicyParseError(
      `must be "latest" or "v1.<minor>", e.g. v1.30 (got ${JSON.stringify(text)})`,
    );
  }
  return { minor: Number(digits) };
}

/** Parses `LEVEL[:VERSION]` (the CLI's form; the version defaults to `latest`). */
export function parseLevelVersion(text: string): LevelVersion {
  const i = text.indexOf(":");
  if (i < 0) return { level: parseLevel(text), version: "latest" };
  return { level: parseLevel(text.slice(0, i)), version: parseVersion(text.slice(i + 1)) };
}

/** `latest` or `v1.<minor>`. */
export function formatVersion(v: Version): string {
  return v === "latest" ? "latest" : `v1.${v.minor}`;
}

/** `level:version`, as the API server prints it in `violates PodSecurity "restricted:latest"`. */
export function formatLevelVersion(lv: LevelVersion): string {
  return `${lv.level}:${formatVersion(lv.version)}`;
}

/** Index of a level in LEVELS (0 = privileged). */
export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}
