/**
 * The platforms a release is built for: Deno's compile target triple, and the
 * os/arch names Krew and archive names use.
 */

/** One release platform. */
export interface ReleaseTarget {
  /** `deno compile --target` triple. */
  triple: string;
  /** Krew / Go `os` label. */
  os: "linux" | "darwin" | "windows";
  /** Krew / Go `arch` label. */
  arch: "amd64" | "arm64";
}

/** Every platform a release ships, in archive order. */
export const TARGETS: readonly ReleaseTarget[] = [
  { triple: "x86_64-unknown-linux-gnu", os: "linux", arch: "amd64" },
  { triple: "aarch64-unknown-linux-gnu", os: "linux", arch: "arm64" },
  { triple: "x86_64-apple-darwin", os: "darwin", arch: "amd64" },
  { triple: "aarch64-apple-darwin", os: "darwin", arch: "arm64" },
  { triple: "x86_64-pc-windows-msvc", os: "windows", arch: "amd64" },
];

/** `linux-amd64` style name of a target. */
export function platformName(target: ReleaseTarget): string {
  return `${target.os}-${target.arch}`;
}

/** The plugin binary's file name on `target` (`.exe` on Windows). */
export function binaryName(target: ReleaseTarget): string {
  return target.os === "windows" ? "kubectl-falco_psp.exe" : "kubectl-falco_psp";
}

/** Finds a target by triple (`x86_64-unknown-linux-gnu`) or platform name (`linux-amd64`). */
export function findTarget(name: string): ReleaseTarget | undefined {
  return TARGETS.find((t) => t.triple === name || platformName(t) === name);
}

/** Name of the per-target runtime variable, e.g. `DENORT_BIN_LINUX_AMD64`. */
export function denortVariable(target: ReleaseTarget): string {
  return `DENORT_BIN_${target.os.toUpperCase()}_${target.arch.toUpperCase()}`;
}
