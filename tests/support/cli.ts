/**
 * Runs the deno that runs the tests as a subprocess (`deno run -A main.ts ...`, `deno bundle`,
 * `deno task ...`) and collects what it printed: the one runner the CLI tests share.
 */

/** Exit code and decoded output of a finished subprocess. */
export interface DenoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** How to run it; the environment is NO_COLOR=1 plus `env` (over the test's own unless `clearEnv`). */
export interface DenoRunOptions {
  cwd?: string;
  env?: Record<string, string>;
  clearEnv?: boolean;
  /** written to the child's stdin, which is then closed; without it stdin is /dev/null */
  stdin?: string | Uint8Array;
}

/** Runs `deno <args>` to the end, stdout and stderr piped and decoded. */
export async function runDeno(args: string[], opts: DenoRunOptions = {}): Promise<DenoRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: opts.cwd,
    env: { NO_COLOR: "1", ...(opts.env ?? {}) },
    clearEnv: opts.clearEnv ?? false,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(
      typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin,
    );
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
