/**
 * `deno task compile`: runtime selection (DENORT_BIN), the `deno compile`
 * arguments, the real behaviour where the Deno runtime cannot be downloaded (forced with an
 * unreachable proxy), a real compile with the real runtime where it can be downloaded (not on
 * the project's machines: reported as ignored there), and a real compile with a stand-in runtime (the deno binary itself: deno then
 * writes the same embedded payload, which is what we check for leanness).
 */
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  compileArgs,
  EXIT_COMPILE_FAILED,
  explainCompileFailure,
  runtimeFor,
} from "../../scripts/compile.ts";
import { findTarget, TARGETS } from "../../scripts/release/targets.ts";
import { runDeno } from "../support/cli.ts";
import { ignoreIf } from "../support/ignore.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const linux = findTarget("linux-amd64")!;
const darwin = findTarget("aarch64-apple-darwin")!;

function task(args: string[], env: Record<string, string | undefined>) {
  const childEnv = { ...Deno.env.toObject(), NO_COLOR: "1" } as Record<string, string>;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  return runDeno(["task", "compile", ...args], { cwd: REPO, env: childEnv, clearEnv: true });
}

Deno.test("targets: the five platforms of the issue, with deno's triples", () => {
  assert.deepEqual(TARGETS.map((t) => `${t.os}/${t.arch}=${t.triple}`), [
    "linux/amd64=x86_64-unknown-linux-gnu",
    "linux/arm64=aarch64-unknown-linux-gnu",
    "darwin/amd64=x86_64-apple-darwin",
    "darwin/arm64=aarch64-apple-darwin",
    "windows/amd64=x86_64-pc-windows-msvc",
  ]);
});

Deno.test("DENORT_BIN: one target only; DENORT_BIN_<OS>_<ARCH> per target wins", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assert.throws(() => runtimeFor([...TARGETS], env({ DENORT_BIN: "/r" })), /exactly one --target/);
  assert.deepEqual([...runtimeFor([linux], env({ DENORT_BIN: "/r" })).values()], ["/r"]);
  const per = runtimeFor(
    [linux, darwin],
    env({ DENORT_BIN_LINUX_AMD64: "/l", DENORT_BIN_DARWIN_ARM64: "/d" }),
  );
  assert.deepEqual([...per.values()], ["/l", "/d"]);
  assert.deepEqual([...runtimeFor([linux], env({})).values()], [undefined]);
});

Deno.test("compile arguments: bundled and minified by default, the launcher's permissions", () => {
  const args = compileArgs(linux, "/o/kubectl-falco_psp", true);
  assert.deepEqual(args.slice(0, 5), [
    "compile",
    "--target",
    "x86_64-unknown-linux-gnu",
    "--output",
    "/o/kubectl-falco_psp",
  ]);
  assert.ok(args.includes("--bundle") && args.includes("--minify"));
  // all: /dev/stdin, /dev/fd/N and /proc paths open only to --allow-all (scripts/launchers.ts)
  for (const p of ["--allow-all", "--no-prompt"]) assert.ok(args.includes(p), p);
  assert.equal(args[args.length - 1], join(REPO, "main.ts"));
  const unbundled = compileArgs(linux, "/o/x", false);
  assert.ok(unbundled.includes("--exclude-unused-npm") && !unbundled.includes("--bundle"));
});

Deno.test("failure message: a runtime download failure says what to do; others show deno's output", () => {
  // deno 2.9's output when dl.deno.land cannot be reached (seen on these machines).
  const downloadFailure = `Compile main.ts to dist/bin/linux-amd64/kubectl-falco_psp
Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
error: Writing deno compile executable to temporary file 'dist/x.tmp-1'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)
    3: dns error
    4: failed to lookup address information: Name or service not known`;
  const msg = explainCompileFailure(linux, downloadFailure, undefined);
  assert.match(msg, /cannot build kubectl-falco_psp for linux-amd64/);
  assert.match(msg, /could not download the Deno runtime/);
  assert.match(
    msg,
    /https:\/\/dl\.deno\.land\/release\/v2\.9\.6\/denort-x86_64-unknown-linux-gnu\.zip/,
  );
  assert.match(msg, /DENORT_BIN_LINUX_AMD64=/);
  assert.match(msg, /Nothing was packaged/);
  const other = explainCompileFailure(
    darwin,
    "error: Invalid object: Linkedit segment not found",
    "/r",
  );
  assert.match(other, /deno compile failed for darwin-arm64 with the runtime \/r/);
  assert.match(other, /Linkedit segment not found/);
});

/** Where deno keeps the runtimes `deno compile` downloaded (`<DENO_DIR>/dl`). */
function denoDownloads(): string {
  const out = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .outputSync();
  return join(JSON.parse(new TextDecoder().decode(out.stdout)).denoDir, "dl");
}

/** A linux-amd64 denort that deno has downloaded before, if any (then it does not download). */
function cachedDenort(dir = denoDownloads()): string | undefined {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isFile && e.name === "denort-x86_64-unknown-linux-gnu.zip") return path;
    const found = e.isDirectory ? cachedDenort(path) : undefined;
    if (found) return found;
  }
  return undefined;
}

const CACHED_DENORT = cachedDenort();
/** FALCO_PSP_COMPILE_ONLINE=1: this machine can download the runtime (GitHub's CI can). */
const ONLINE = Deno.env.get("FALCO_PSP_COMPILE_ONLINE") === "1";

Deno.test({
  name:
    "deno task compile, the runtime's download refused: exit 3 with the clear message, no binary",
  // An unreachable proxy makes the download fail on any machine, unless deno has the runtime
  // cached already (then it does not download at all).
  ignore: ignoreIf(
    import.meta.url,
    CACHED_DENORT && `deno has a cached runtime (${CACHED_DENORT}), so no download is tried`,
  ),
}, async () => {
  const dist = await Deno.makeTempDir();
  try {
    const r = await task(["--target", "linux-amd64", "--no-package", "--dist", dist], {
      DENORT_BIN: undefined,
      DENORT_BIN_LINUX_AMD64: undefined,
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
      https_proxy: undefined,
      http_proxy: undefined,
      NO_PROXY: undefined,
      no_proxy: undefined,
    });
    const binary = join(dist, "bin", "linux-amd64", "kubectl-falco_psp");
    assert.equal(r.code, EXIT_COMPILE_FAILED, r.stderr);
    assert.match(
      r.stderr,
      /could not download the Deno runtime for that target \(https:\/\/\S+denort-x86_64-unknown-linux-gnu\.zip\)/,
    );
    assert.match(r.stderr, /DENORT_BIN_LINUX_AMD64=/);
    assert.match(r.stderr, /Nothing was packaged/);
    await assert.rejects(Deno.stat(binary), Deno.errors.NotFound, "no half-written binary");
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});

Deno.test({
  name: "deno task compile with the real runtime: a binary that runs",
  // These machines cannot reach dl.deno.land, so here this is ignored; GitHub's CI sets
  // FALCO_PSP_COMPILE_ONLINE=1 and the release workflow compiles every platform.
  ignore: ignoreIf(
    import.meta.url,
    CACHED_DENORT || ONLINE ? undefined : "no cached Deno runtime (denort) and " +
      "FALCO_PSP_COMPILE_ONLINE is not 1: deno compile cannot download it here",
  ),
}, async () => {
  const dist = await Deno.makeTempDir();
  try {
    const r = await task(["--target", "linux-amd64", "--no-package", "--dist", dist], {
      DENORT_BIN: undefined,
      DENORT_BIN_LINUX_AMD64: undefined,
    });
    assert.equal(r.code, 0, r.stderr);
    const binary = join(dist, "bin", "linux-amd64", "kubectl-falco_psp");
    const version = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json"))).version;
    const out = await new Deno.Command(binary, { args: ["--version"], stdout: "piped" }).output();
    assert.equal(out.code, 0);
    assert.match(new TextDecoder().decode(out.stdout), new RegExp(version.replaceAll(".", "\\.")));
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});

Deno.test("deno task compile with a stand-in DENORT_BIN: embeds the program's and its audit worker's minified bundles, nothing else", async () => {
  const dist = await Deno.makeTempDir();
  try {
    const r = await task(["--target", "linux-amd64", "--no-package", "--dist", dist], {
      DENORT_BIN: Deno.execPath(),
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const binary = join(dist, "bin", "linux-amd64", "kubectl-falco_psp");
    assert.ok((await Deno.stat(binary)).isFile);
    // deno's report of what it embedded: the program's bundle and the bundle of its audit
    // worker (src/audit/worker.ts, which deno finds from `new Worker(new URL(...))`), no npm
    // tree, no tests or fixtures.
    const report = r.stdout.slice(r.stdout.indexOf("Embedded Files"));
    const files = report.split("\n").filter((l) => /^[├└]── /.test(l)).map((l) => l.slice(4));
    assert.equal(files.length, 2, report);
    assert.match(files[0], /^\.deno_compile_bundle_\w+\.mjs \(/);
    assert.match(files[1], /^\.deno_compile_worker_\w+\.mjs \(/);
    for (const unwanted of ["node_modules", "tests", "fixtures", "scripts", ".d.ts"]) {
      assert.ok(!report.includes(unwanted), `${unwanted} is not embedded:\n${report}`);
    }
    const size = /Files: ([\d.]+)(KB|MB)/.exec(report);
    assert.ok(size, report);
    const kb = Number(size[1]) * (size[2] === "MB" ? 1024 : 1);
    assert.ok(kb < 5 * 1024, `embedded files stay small (${size[0]})`);
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});

Deno.test("deno task compile: DENORT_BIN with several targets is refused before compiling", async () => {
  const r = await task(["--no-package"], { DENORT_BIN: "/nonexistent/denort" });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /DENORT_BIN names the Deno runtime of one target/);
  assert.doesNotMatch(r.stdout, /compiling/);
});

Deno.test("the bundled program (what --bundle embeds) behaves like main.ts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bundle = join(dir, "kubectl-falco_psp.mjs");
    const run = (args: string[]) => runDeno(args, { cwd: dir });
    // The same esbuild bundling `deno compile --bundle --minify` does, as a file we can run.
    const built = await run([
      "bundle",
      "--platform",
      "deno",
      "--minify",
      "--config",
      join(REPO, "deno.json"),
      "-o",
      bundle,
      join(REPO, "main.ts"),
    ]);
    assert.equal(built.code, 0, built.stderr);
    const fixtures = join(REPO, "fixtures", "plugin");
    for (
      const args of [
        ["--version"],
        ["convert", join(fixtures, "psp.yaml")],
        [
          "audit-pods",
          "--psp-file",
          join(fixtures, "psp.yaml"),
          "-f",
          join(fixtures, "pods.yaml"),
          "-o",
          "json",
        ],
        ["__complete", "audit-pods", "-o", ""],
      ]
    ) {
      const bundled = await run(["run", "-A", bundle, ...args]);
      const source = await run([
        "run",
        "-A",
        "--config",
        join(REPO, "deno.json"),
        join(REPO, "main.ts"),
        ...args,
      ]);
      assert.deepEqual(bundled, source, args.join(" "));
      assert.ok(source.stdout.length > 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
