/**
 * `deno task install [--prefix DIR | --bin-dir DIR] [--share-dir DIR]`: puts
 * `kubectl-falco_psp` and its completion helper `kubectl_complete-falco_psp` on PATH, so that
 * `kubectl falco-psp ...` works through kubectl's plugin discovery.
 *
 * The program is installed as a self-contained bundle (`deno bundle` of main.ts and its audit
 * worker, the npm libraries inside) into the share directory, so the plugin keeps working when
 * the checkout moves or is deleted and when Deno's or npx's caches are cleared. The
 * executables are launchers (scripts/launchers.ts) that find a deno (the installing one while
 * it exists, else FALCO_PSP_DENO, DENO, PATH, known places, `npx -y deno@PINNED`) and say how to
 * get one when there is none. (`deno compile` would need a runtime download these machines
 * cannot make.)
 *
 * Directories: binaries into `--bin-dir DIR`, else `--prefix DIR` (DIR/bin), else
 * `$FALCO_PSP_BIN_DIR`, else `~/.local/bin`; the bundle into `--share-dir DIR`, else
 * `<prefix>/share/falco-psp` (the prefix being `--prefix` or the bin directory's parent).
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  COMPLETION_HELPER,
  type LauncherSpec,
  PLUGIN_EXECUTABLE,
  unixLauncher,
  windowsLauncher,
} from "./launchers.ts";

/** What to install, and where. */
export interface InstallOptions {
  binDir: string;
  /** The program's bundle (installBundle); without it, `repoDir`'s main.ts runs. */
  program?: string;
  /** A checkout whose main.ts the launchers run (development). */
  repoDir?: string;
  denoPath: string;
  os?: typeof Deno.build.os;
}

/** The bundle's file names in the share directory. */
export const BUNDLE_MAIN = "main.js";
export const BUNDLE_WORKER = "worker.js";

/** Chooses the target directory from the flags and the environment. */
export function resolveBinDir(
  flags: { prefix?: string; "bin-dir"?: string },
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): string {
  if (flags["bin-dir"]) return resolve(flags["bin-dir"]);
  if (flags.prefix) return resolve(flags.prefix, "bin");
  const fromEnv = env("FALCO_PSP_BIN_DIR");
  if (fromEnv) return resolve(fromEnv);
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) throw new Error("cannot find the home directory; pass --bin-dir DIR");
  return join(home, ".local", "bin");
}

/** Chooses the share directory (the bundle's) from the flags and the bin directory. */
export function resolveShareDir(
  flags: { prefix?: string; "share-dir"?: string },
  binDir: string,
): string {
  if (flags["share-dir"]) return resolve(flags["share-dir"]);
  return join(flags.prefix ? resolve(flags.prefix) : dirname(binDir), "share", "falco-psp");
}

/** Writes the two executables into `binDir`; returns their paths. */
export async function installLaunchers(options: InstallOptions): Promise<string[]> {
  const { binDir, denoPath } = options;
  const windows = (options.os ?? Deno.build.os) === "windows";
  const spec: LauncherSpec = options.program !== undefined
    ? { program: options.program, denoPath }
    : {
      program: join(options.repoDir!, "main.ts"),
      config: join(options.repoDir!, "deno.json"),
      denoPath,
    };
  const complete = { ...spec, extraArgs: ["__complete"] };
  await Deno.mkdir(binDir, { recursive: true });
  const entries: [string, string][] = windows
    ? [
      [`${PLUGIN_EXECUTABLE}.cmd`, windowsLauncher(spec)],
      [`${COMPLETION_HELPER}.cmd`, windowsLauncher(complete)],
    ]
    : [
      [PLUGIN_EXECUTABLE, unixLauncher(spec)],
      [COMPLETION_HELPER, unixLauncher(complete)],
    ];
  const written: string[] = [];
  for (const [name, text] of entries) {
    const path = join(binDir, name);
    const tmp = `${path}.tmp-${Deno.pid}`;
    await Deno.writeTextFile(tmp, text, { mode: 0o755 });
    if (!windows) await Deno.chmod(tmp, 0o755);
    await Deno.rename(tmp, path);
    written.push(path);
  }
  return written;
}

/** The audit worker's URL as main.ts's bundle holds it (pool.ts), and what it becomes. */
const WORKER_URL = `new URL("./worker.ts",import.meta.url)`;

/**
 * Bundles main.ts and its audit worker (src/audit/worker.ts) with `deno bundle` into
 * `shareDir` (main.js, worker.js, the npm libraries inside: nothing is read from the checkout or
 * Deno's cache at run time) and returns main.js's path. The files are written beside and
 * renamed into place, so a running plugin never sees half a bundle.
 */
export async function installBundle(
  denoPath: string,
  repoDir: string,
  shareDir: string,
): Promise<string> {
  await Deno.mkdir(shareDir, { recursive: true });
  const staging = await Deno.makeTempDir({ dir: shareDir, prefix: ".staging-" });
  try {
    const out = await new Deno.Command(denoPath, {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "deno",
        "--minify",
        `--config=${join(repoDir, "deno.json")}`,
        "--outdir",
        staging,
        join(repoDir, "main.ts"),
        join(repoDir, "src", "audit", "worker.ts"),
      ],
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`deno bundle failed:\n${new TextDecoder().decode(out.stderr).trim()}`);
    }
    const main = await Deno.readTextFile(join(staging, "main.js"));
    const uses = main.split(WORKER_URL).length - 1;
    if (uses !== 1) {
      throw new Error(
        `the bundle of main.ts names its audit worker ${uses} times as ${WORKER_URL} (expected once); ` +
          "src/audit/pool.ts and scripts/install.ts disagree",
      );
    }
    await Deno.writeTextFile(
      join(staging, "main.js"),
      main.replace(WORKER_URL, `new URL("./${BUNDLE_WORKER}",import.meta.url)`),
    );
    // the worker first: a main.js in place always finds its worker
    await Deno.rename(join(staging, "src", "audit", "worker.js"), join(shareDir, BUNDLE_WORKER));
    await Deno.rename(join(staging, "main.js"), join(shareDir, BUNDLE_MAIN));
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
  return join(shareDir, BUNDLE_MAIN);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      prefix: { type: "string" },
      "bin-dir": { type: "string" },
      "share-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task install [--prefix DIR | --bin-dir DIR] [--share-dir DIR]\n" +
        "Installs kubectl-falco_psp and kubectl_complete-falco_psp into DIR/bin, DIR,\n" +
        "$FALCO_PSP_BIN_DIR or ~/.local/bin (in that order of preference), and the program\n" +
        "(a self-contained bundle) into --share-dir, else <prefix>/share/falco-psp.",
    );
    return 0;
  }
  const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const denoPath = Deno.execPath();
  const binDir = resolveBinDir(values);
  const shareDir = resolveShareDir(values, binDir);
  const program = await installBundle(denoPath, repoDir, shareDir);
  console.log(`installed ${program}`);
  const written = await installLaunchers({ binDir, program, denoPath });
  for (const path of written) console.log(`installed ${path}`);

  const check = await new Deno.Command(written[0], { args: ["--version"], stdout: "piped" })
    .output();
  if (!check.success) {
    console.error(`error: ${written[0]} --version failed`);
    return 3;
  }
  console.log(
    `${PLUGIN_EXECUTABLE} ${new TextDecoder().decode(check.stdout).trim()} (deno ${denoPath})`,
  );
  const sep = Deno.build.os === "windows" ? ";" : ":";
  const onPath = (Deno.env.get("PATH") ?? "").split(sep).map((p) => resolve(p)).includes(binDir);
  if (!onPath) {
    console.log(`\n${binDir} is not on PATH; add it, e.g.:\n  export PATH="${binDir}:$PATH"`);
  }
  console.log(
    "\nTry: kubectl falco-psp --help\n" +
      "Completion: 'kubectl falco-psp <TAB>' works once kubectl's own completion is loaded\n" +
      "(e.g. source <(kubectl completion bash)); see 'kubectl falco-psp completion --help'.",
  );
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(2);
  }
}
