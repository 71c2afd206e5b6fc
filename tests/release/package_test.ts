/**
 * Release packaging with stand-in binaries (the real ones need a Deno runtime
 * download): archive layout and modes, the completion helper inside, checksums
 * (also checked with `sha256sum -c`), reproducibility, and the Krew manifest.
 */
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseTarGzip } from "nanotar";
import { unzipSync } from "fflate";
import { parse } from "yaml";
import { packageRelease, type PackageResult, releaseUrls } from "../../scripts/package.ts";
import { KREW_API_VERSION } from "../../scripts/release/krew.ts";
import { binaryName, platformName, TARGETS } from "../../scripts/release/targets.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const VERSION = "1.2.3";
const DOWNLOAD = "https://github.com/example/kubectl-falco-psp/releases/download/v1.2.3";
const MTIME = Date.UTC(2024, 0, 2, 3, 4, 5);

/** Writes a stand-in binary per target (a shell script naming its platform) and packages them. */
async function packageStandIns(dir: string, out = "release"): Promise<PackageResult> {
  const binaries = [];
  for (const target of TARGETS) {
    const path = join(dir, "bin", platformName(target), binaryName(target));
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(
      path,
      `#!/bin/sh\necho "stand-in ${platformName(target)}: $*"\n`,
      { mode: 0o755 },
    );
    binaries.push({ target, path });
  }
  const readme = join(dir, "README.md");
  await Deno.writeTextFile(readme, "# kubectl falco-psp\n");
  return packageRelease({
    binaries,
    licensePath: join(REPO, "LICENSE"),
    readmePath: readme,
    outDir: join(dir, out),
    manifestPath: join(dir, "plugins", "falco-psp.yaml"),
    version: VERSION,
    homepage: "https://github.com/example/kubectl-falco-psp",
    downloadUrl: DOWNLOAD,
    mtimeMs: MTIME,
  });
}

/** Entry name -> {data, mode} of a .tar.gz or .zip. */
async function readArchive(path: string): Promise<Map<string, { data: Uint8Array; mode: number }>> {
  const bytes = await Deno.readFile(path);
  const entries = new Map<string, { data: Uint8Array; mode: number }>();
  if (path.endsWith(".zip")) {
    for (const [name, data] of Object.entries(unzipSync(bytes))) {
      entries.set(name, { data, mode: -1 });
    }
  } else {
    for (const item of await parseTarGzip(bytes)) {
      entries.set(item.name, { data: item.data!, mode: parseInt(item.attrs!.mode!, 8) & 0o777 });
    }
  }
  return entries;
}

async function run(cmd: string, args: string[], cwd: string) {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("archives: one per platform, flat, binary + helper executable, LICENSE + README", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await packageStandIns(dir);
    assert.deepEqual(result.archives.map((a) => a.fileName), [
      "kubectl-falco-psp_v1.2.3_linux_amd64.tar.gz",
      "kubectl-falco-psp_v1.2.3_linux_arm64.tar.gz",
      "kubectl-falco-psp_v1.2.3_darwin_amd64.tar.gz",
      "kubectl-falco-psp_v1.2.3_darwin_arm64.tar.gz",
      "kubectl-falco-psp_v1.2.3_windows_amd64.zip",
    ]);
    const license = await Deno.readFile(join(REPO, "LICENSE"));
    for (const archive of result.archives) {
      const entries = await readArchive(archive.path);
      const bin = binaryName(archive.target);
      const windows = archive.target.os === "windows";
      const helper = windows ? "kubectl_complete-falco_psp.cmd" : "kubectl_complete-falco_psp";
      assert.deepEqual([...entries.keys()], [bin, helper, "LICENSE", "README.md"]);
      assert.match(
        new TextDecoder().decode(entries.get(bin)!.data),
        new RegExp(`stand-in ${platformName(archive.target)}:`),
      );
      assert.deepEqual(entries.get("LICENSE")!.data, license);
      assert.match(new TextDecoder().decode(entries.get(helper)!.data), /__complete/);
      if (!windows) {
        assert.equal(entries.get(bin)!.mode, 0o755);
        assert.equal(entries.get(helper)!.mode, 0o755);
        assert.equal(entries.get("LICENSE")!.mode, 0o644);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("archives open with the system's tar and unzip; the helper calls the binary's __complete", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await packageStandIns(dir);
    const linux = result.archives[0];
    const x = join(dir, "x");
    await Deno.mkdir(x);
    const tar = await run("tar", ["-xzf", linux.path, "-C", x], dir);
    assert.ok(tar.ok, tar.stderr);
    const listing = await run("tar", ["-tvzf", linux.path], dir);
    assert.match(listing.stdout, /^-rwxr-xr-x root\/root .* 2024-01-02 03:04 kubectl-falco_psp$/m);
    // kubectl runs the helper with the words being completed.
    const helper = await run(join(x, "kubectl_complete-falco_psp"), ["convert", ""], x);
    assert.ok(helper.ok, helper.stderr);
    assert.equal(helper.stdout, "stand-in linux-amd64: __complete convert \n");

    const zip = result.archives[4];
    const unzip = await run("unzip", ["-l", zip.path], dir).catch(() => undefined);
    if (unzip) {
      assert.ok(unzip.ok, unzip.stderr);
      for (const name of ["kubectl-falco_psp.exe", "kubectl_complete-falco_psp.cmd", "LICENSE"]) {
        assert.match(unzip.stdout, new RegExp(`\\s${name.replace(".", "\\.")}\\n`));
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SHA256SUMS matches the archives (sha256sum -c) and packaging is reproducible", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await packageStandIns(dir, "a");
    const second = await packageStandIns(dir, "b");
    const sums = await Deno.readTextFile(first.sumsPath);
    assert.equal(sums.trim().split("\n").length, TARGETS.length);
    for (const a of first.archives) {
      const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(a.path));
      const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(
        "",
      );
      assert.equal(a.sha256, hex);
      assert.ok(sums.includes(`${hex}  ${a.fileName}\n`));
    }
    const check = await run("sha256sum", ["-c", "SHA256SUMS"], dirname(first.sumsPath));
    assert.ok(check.ok, check.stdout + check.stderr);
    assert.equal((check.stdout.match(/: OK$/gm) ?? []).length, TARGETS.length);
    assert.equal(await Deno.readTextFile(second.sumsPath), sums, "same inputs, same bytes");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Krew manifest: valid Plugin, one platform per target, uri/sha256/bin/files match the archives", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await packageStandIns(dir);
    const text = await Deno.readTextFile(result.manifestPath);
    assert.equal(await Deno.readTextFile(join(dir, "release", "falco-psp.yaml")), text);
    const m = parse(text);
    assert.equal(m.apiVersion, KREW_API_VERSION);
    assert.equal(m.apiVersion, "krew.googlecontainertools.github.com/v1alpha2");
    assert.equal(m.kind, "Plugin");
    assert.equal(m.metadata.name, "falco-psp");
    assert.match(m.metadata.name, /^[\w-]+$/, "krew's safe plugin name");
    assert.equal(m.spec.version, "v1.2.3");
    assert.match(m.spec.homepage, /^https:\/\//);
    assert.ok(m.spec.shortDescription.length > 0 && m.spec.shortDescription.length <= 50);
    assert.doesNotMatch(m.spec.shortDescription, /[\r\n]/);
    assert.ok(m.spec.description.length > m.spec.shortDescription.length);
    assert.equal(m.spec.platforms.length, TARGETS.length);
    const selectors = new Set<string>();
    for (const [i, p] of m.spec.platforms.entries()) {
      const archive = result.archives[i];
      assert.deepEqual(Object.keys(p.selector), ["matchLabels"]);
      assert.deepEqual(Object.keys(p.selector.matchLabels).sort(), ["arch", "os"]);
      const { os, arch } = p.selector.matchLabels;
      assert.deepEqual({ os, arch }, { os: archive.target.os, arch: archive.target.arch });
      selectors.add(`${os}/${arch}`);
      assert.equal(p.uri, `${DOWNLOAD}/${archive.fileName}`);
      assert.match(p.sha256, /^[0-9a-f]{64}$/);
      assert.equal(p.sha256, archive.sha256);
      const entries = await readArchive(archive.path);
      // Krew copies files[].from into the install dir, then links bin from there.
      for (const f of p.files) {
        assert.ok(entries.has(f.from), `${f.from} is in ${archive.fileName}`);
        assert.equal(f.to, ".");
      }
      assert.ok(p.files.some((f: { from: string }) => f.from === p.bin));
      assert.equal(p.bin, os === "windows" ? "kubectl-falco_psp.exe" : "kubectl-falco_psp");
    }
    assert.equal(selectors.size, TARGETS.length, "no two platforms share a selector");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("packaging fails clearly on a missing README or an unknown download URL", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      packageRelease({
        binaries: [],
        licensePath: join(REPO, "LICENSE"),
        readmePath: join(dir, "nope", "README.md"),
        outDir: join(dir, "out"),
        manifestPath: join(dir, "m.yaml"),
        version: VERSION,
        homepage: "https://h",
        downloadUrl: "https://d",
        mtimeMs: MTIME,
      }),
      /cannot read the README .*nope\/README\.md/,
    );
    assert.throws(() => releaseUrls("1.0.0", {}, () => undefined), /--download-url/);
    assert.deepEqual(
      releaseUrls("1.0.0", {}, (n) => n === "GITHUB_REPOSITORY" ? "o/r" : undefined),
      {
        downloadUrl: "https://github.com/o/r/releases/download/v1.0.0",
        homepage: "https://github.com/o/r",
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
