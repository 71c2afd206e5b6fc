/**
 * Release archives: a `.tar.gz` (unix) or `.zip` (Windows) per target holding
 * the plugin binary, its completion helper, LICENSE and README.md, flat (no
 * top directory), with fixed owner and timestamps so that equal inputs give
 * byte-equal archives.
 */
import { createTar } from "nanotar";
import { gzipSync, zipSync } from "fflate";
import type { ReleaseTarget } from "./targets.ts";

/** One file to put in an archive. */
export interface ArchiveEntry {
  name: string;
  data: Uint8Array;
  /** Sets mode 0755 instead of 0644. */
  executable: boolean;
}

/** The archive file name for `target`, e.g. `kubectl-falco-psp_v0.1.0_linux_amd64.tar.gz`. */
export function archiveName(version: string, target: ReleaseTarget): string {
  const ext = target.os === "windows" ? "zip" : "tar.gz";
  return `kubectl-falco-psp_v${version}_${target.os}_${target.arch}.${ext}`;
}

/** Builds the archive bytes for `target` (tar.gz, or zip on Windows); `mtimeMs` stamps every entry. */
export function buildArchive(
  target: ReleaseTarget,
  entries: ArchiveEntry[],
  mtimeMs: number,
): Uint8Array {
  if (target.os === "windows") {
    const files: Record<string, [Uint8Array, { mtime: Date; os: number; attrs: number }]> = {};
    for (const e of entries) {
      // Unix mode in the high 16 bits of the external attributes (made on "unix", os 3).
      const mode = e.executable ? 0o100755 : 0o100644;
      files[e.name] = [e.data, { mtime: new Date(mtimeMs), os: 3, attrs: mode << 16 }];
    }
    return zipSync(files, { level: 9 });
  }
  const tar = createTar(
    entries.map((e) => ({
      name: e.name,
      data: e.data,
      attrs: { mode: e.executable ? "755" : "644", mtime: mtimeMs },
    })),
    { attrs: { uid: 0, gid: 0, user: "root", group: "root" } },
  );
  return gzipSync(tar, { level: 9, mtime: mtimeMs });
}

/** Lowercase hex SHA-256 of `data`. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `sha256sum`-format lines (`<hex>  <name>`) for the given files. */
export function sha256SumsText(files: { name: string; sha256: string }[]): string {
  return files.map((f) => `${f.sha256}  ${f.name}\n`).join("");
}
