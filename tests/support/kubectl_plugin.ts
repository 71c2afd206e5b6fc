/**
 * The plugin as users run it: `deno task install` once per test process into a temp dir put
 * first on PATH, then the real kubectl finds `kubectl-falco_psp` there and runs it
 * (`kubectl falco-psp ...`). Shared by the plugin tests and the end-to-end tests.
 */
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Exit code and decoded output of a finished command. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` in the repository with exactly `env`, stdin closed. */
export async function exec(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<Result> {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    clearEnv: false,
    cwd: REPO,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

let installation: Promise<{ dir: string; env: Record<string, string> }> | undefined;

/**
 * One `deno task install --bin-dir <tmp>/bin` for the whole test process (removed when it ends):
 * the temp dir, and an environment with its bin first on PATH and HOME in it (no
 * ~/.kube/config, no kubectl cache of the developer's).
 */
export function installedPlugin(): Promise<{ dir: string; env: Record<string, string> }> {
  installation ??= install();
  return installation.then(({ dir, env }) => ({ dir, env: { ...env } }));
}

async function install(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await Deno.makeTempDir();
  const bin = join(dir, "bin");
  const env = {
    PATH: `${bin}:${Deno.env.get("PATH")}`,
    HOME: dir,
    NO_COLOR: "1",
  };
  const install = await exec(Deno.execPath(), ["task", "install", "--bin-dir", bin], env);
  assert.equal(install.code, 0, install.stderr + install.stdout);
  assert.match(install.stdout, new RegExp(`installed ${bin}/kubectl-falco_psp\\n`));
  assert.match(install.stdout, new RegExp(`installed ${bin}/kubectl_complete-falco_psp\\n`));
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  return { dir, env };
}

/** `kubectl falco-psp <args>` with the installed plugin (`env` added to its environment). */
export async function kubectlFalcoPsp(
  args: string[],
  env: Record<string, string> = {},
): Promise<Result> {
  const installed = await installedPlugin();
  return await exec("kubectl", ["falco-psp", ...args], { ...installed.env, ...env });
}
