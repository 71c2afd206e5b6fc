/**
 * `deno task package`: packs the compiled binaries in dist/bin/<os>-<arch>/ into
 * release archives (with the completion helper, LICENSE and README.md), writes
 * dist/release/SHA256SUMS and the Krew manifest plugins/falco-psp.yaml (also
 * copied to dist/release/). `deno task compile` runs this after compiling.
 *
 * Download URL of the archives: `--download-url URL`, else
 * `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/releases/download/v<version>` (set in
 * GitHub Actions). Timestamps come from `$SOURCE_DATE_EPOCH` when set.
 */
import { parseArgs } from "node:util";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ArchiveEntry,
  archiveName,
  buildArchive,
  sha256Hex,
  sha256SumsText,
} from "./release/archive.ts";
import { krewManifest, type ManifestArchive } from "./release/krew.ts";
import {
  binaryName,
  findTarget,
  platformName,
  type ReleaseTarget,
  TARGETS,
} from "./release/targets.ts";
import { COMPLETION_HELPER, unixCompletionHelper, windowsCompletionHelper } from "./launchers.ts";

/** The repository root (where deno.json, LICENSE and README.md live). */
export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Inputs of {@link packageRelease}. */
export interface PackageOptions {
  /** The compiled binary of each target to ship. */
  binaries: { target: ReleaseTarget; path: string }[];
  licensePath: string;
  readmePath: string;
  /** Folder for the archives, SHA256SUMS and a copy of the manifest. */
  outDir: string;
  /** Where the Krew manifest is written. */
  manifestPath: string;
  version: string;
  homepage: string;
  downloadUrl: string;
  /** Timestamp of every archive entry, in ms since the epoch. */
  mtimeMs: number;
}

/** A written archive. */
export interface PackagedArchive extends ManifestArchive {
  path: string;
}

/** What {@link packageRelease} wrote. */
export interface PackageResult {
  archives: PackagedArchive[];
  sumsPath: string;
  manifestPath: string;
}

/** The completion helper's file name and text for `target`. */
function completionHelper(target: ReleaseTarget): { name: string; text: string } {
  return target.os === "windows"
    ? { name: `${COMPLETION_HELPER}.cmd`, text: windowsCompletionHelper() }
    : { name: COMPLETION_HELPER, text: unixCompletionHelper() };
}

/** Reads a file, failing with a message that names it and what it is for. */
async function readRequired(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new Error(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Builds every archive, the checksums and the Krew manifest. */
export async function packageRelease(options: PackageOptions): Promise<PackageResult> {
  const license = await readRequired(options.licensePath, "the license");
  const readme = await readRequired(options.readmePath, "the README");
  await Deno.mkdir(options.outDir, { recursive: true });
  const archives: PackagedArchive[] = [];
  for (const { target, path } of options.binaries) {
    const binary = await readRequired(path, `the ${platformName(target)} binary`);
    const helper = completionHelper(target);
    const entries: ArchiveEntry[] = [
      { name: binaryName(target), data: binary, executable: true },
      { name: helper.name, data: new TextEncoder().encode(helper.text), executable: true },
      { name: "LICENSE", data: license, executable: false },
      { name: "README.md", data: readme, executable: false },
    ];
    const bytes = buildArchive(target, entries, options.mtimeMs);
    const fileName = archiveName(options.version, target);
    const archivePath = join(options.outDir, fileName);
    await Deno.writeFile(archivePath, bytes);
    archives.push({
      target,
      fileName,
      path: archivePath,
      sha256: await sha256Hex(bytes),
      helperName: helper.name,
    });
  }
  const sumsPath = join(options.outDir, "SHA256SUMS");
  await Deno.writeTextFile(
    sumsPath,
    sha256SumsText(archives.map((a) => ({ name: a.fileName, sha256: a.sha256 }))),
  );
  const manifest = krewManifest({
    version: options.version,
    homepage: options.homepage,
    downloadUrl: options.downloadUrl,
    archives,
  });
  await Deno.mkdir(dirname(options.manifestPath), { recursive: true });
  await Deno.writeTextFile(options.manifestPath, manifest);
  await Deno.writeTextFile(join(options.outDir, basename(options.manifestPath)), manifest);
  return { archives, sumsPath, manifestPath: options.manifestPath };
}

/** The plugin version from deno.json. */
export async function projectVersion(repoDir = REPO_DIR): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(join(repoDir, "deno.json")));
  if (typeof config.version !== "string") throw new Error("deno.json has no version");
  return config.version;
}

/** Download URL and homepage from the flags or the GitHub Actions environment. */
export function releaseUrls(
  version: string,
  flags: { "download-url"?: string; homepage?: string },
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): { downloadUrl: string; homepage: string } {
  const repo = env("GITHUB_REPOSITORY");
  const server = (env("GITHUB_SERVER_URL") ?? "https://github.com").replace(/\/+$/, "");
  const downloadUrl = flags["download-url"] ??
    (repo ? `${server}/${repo}/releases/download/v${version}` : undefined);
  const homepage = flags.homepage ?? (repo ? `${server}/${repo}` : undefined);
  if (!downloadUrl || !homepage) {
    throw new Error(
      "the release's download URL is unknown: pass --download-url URL and --homepage URL, " +
        "or set GITHUB_REPOSITORY=owner/repo",
    );
  }
  return { downloadUrl, homepage };
}

/** Entry timestamp: `$SOURCE_DATE_EPOCH` (seconds) when set, else now. */
export function archiveMtime(env: (name: string) => string | undefined): number {
  const epoch = env("SOURCE_DATE_EPOCH");
  if (epoch && /^\d+$/.test(epoch)) return Number(epoch) * 1000;
  return Date.now();
}

/** Command-line flags shared by the package and compile tasks. */
export const PACKAGE_FLAGS = {
  target: { type: "string", multiple: true },
  dist: { type: "string" },
  manifest: { type: "string" },
  "download-url": { type: "string" },
  homepage: { type: "string" },
} as const;

/** Targets named by `--target` (triples or `os-arch`), or all of them. */
export function selectTargets(names: string[] | undefined): ReleaseTarget[] {
  if (!names?.length) return [...TARGETS];
  return names.map((name) => {
    const target = findTarget(name);
    if (!target) {
      throw new Error(
        `unknown target ${name}; use one of ${TARGETS.map((t) => platformName(t)).join(", ")}`,
      );
    }
    return target;
  });
}

/** Packages the binaries of `targets` found under `<dist>/bin/`. */
export async function packageFromDist(
  targets: ReleaseTarget[],
  flags: { dist?: string; manifest?: string; "download-url"?: string; homepage?: string },
): Promise<PackageResult> {
  const dist = resolve(flags.dist ?? join(REPO_DIR, "dist"));
  const version = await projectVersion();
  const { downloadUrl, homepage } = releaseUrls(version, flags);
  const result = await packageRelease({
    binaries: targets.map((target) => ({
      target,
      path: join(dist, "bin", platformName(target), binaryName(target)),
    })),
    licensePath: join(REPO_DIR, "LICENSE"),
    readmePath: join(REPO_DIR, "README.md"),
    outDir: join(dist, "release"),
    manifestPath: resolve(flags.manifest ?? join(REPO_DIR, "plugins", "falco-psp.yaml")),
    version,
    homepage,
    downloadUrl,
    mtimeMs: archiveMtime((n) => Deno.env.get(n)),
  });
  for (const a of result.archives) console.log(`${a.sha256}  ${a.path}`);
  console.log(`wrote ${result.sumsPath}\nwrote ${result.manifestPath}`);
  return result;
}

if (import.meta.main) {
  try {
    const { values } = parseArgs({ args: Deno.args, options: PACKAGE_FLAGS });
    await packageFromDist(selectTargets(values.target), values);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(2);
  }
}
