/**
 * `deno task install [--prefix DIR | --bin-dir DIR]`: puts `kubectl-falco_psp`
 * and its completion helper `kubectl_complete-falco_psp` on PATH, so that
 * `kubectl falco-psp ...` works through kubectl's plugin discovery.
 *
 * `deno compile` needs a runtime download these machines cannot make, so the
 * installed executables are launchers that run this checkout's main.ts with the
 * deno binary running this script (the pinned one) and explicit permissions.
 *
 * Target directory: `--bin-dir DIR`, else `--prefix DIR` (DIR/bin), else
 * `$FALCO_PSP_BIN_DIR`, else `~/.local/bin`.
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  COMPLETION_HELPER,
  PLUGIN_EXECUTABLE,
  unixLauncher,
  windowsLauncher,
} from "./launchers.ts";

/** What to install, and where. */
export interface InstallOptions {
  binDir: string;
  repoDir: string;
  denoPath: string;
  os?: typeof Deno.build.os;
}

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

/** Writes the two executables into `binDir`; returns their paths. */
export async function installLaunchers(options: InstallOptions): Promise<string[]> {
  const { binDir, repoDir, denoPath } = options;
  const windows = (options.os ?? Deno.build.os) === "windows";
  await Deno.mkdir(binDir, { recursive: true });
  const entries: [string, string][] = windows
    ? [
      [`${PLUGIN_EXECUTABLE}.cmd`, windowsLauncher(denoPath, repoDir)],
      [`${COMPLETION_HELPER}.cmd`, windowsLauncher(denoPath, repoDir, ["__complete"])],
    ]
    : [
      [PLUGIN_EXECUTABLE, unixLauncher(denoPath, repoDir)],
      [COMPLETION_HELPER, unixLauncher(denoPath, repoDir, ["__complete"])],
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

/** Caches main.ts's dependencies so the launcher starts without downloads. */
async function cacheDependencies(denoPath: string, repoDir: string): Promise<void> {
  const out = await new Deno.Command(denoPath, {
    args: ["cache", "--quiet", `--config=${join(repoDir, "deno.json")}`, join(repoDir, "main.ts")],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("deno cache failed: dependencies of main.ts are not available");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      prefix: { type: "string" },
      "bin-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task install [--prefix DIR | --bin-dir DIR]\n" +
        "Installs kubectl-falco_psp and kubectl_complete-falco_psp into DIR/bin, DIR,\n" +
        "$FALCO_PSP_BIN_DIR or ~/.local/bin (in that order of preference).",
    );
    return 0;
  }
  const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const denoPath = Deno.execPath();
  const binDir = resolveBinDir(values);
  await cacheDependencies(denoPath, repoDir);
  const written = await installLaunchers({ binDir, repoDir, denoPath });
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
