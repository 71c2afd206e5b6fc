/**
 * Running the real CLI (main.ts under the Deno running the tests) on hostile input, with a
 * timeout, and checking that a failure is a clean one: exit code 2, one `error:` line naming
 * the file and a position, no stack trace, nothing on stdout.
 */
import assert from "node:assert/strict";
import { CEILING_MS } from "../support/ceiling.ts";

/** The repository root. */
export const ROOT = new URL("../../", import.meta.url).pathname;
/** The small hostile fixtures. */
export const HOSTILE = `${ROOT}fixtures/hostile/`;
/** A valid PSP and pods, for the side of a command that is not under test. */
export const GOOD_PSP = `${ROOT}fixtures/psp/good/restricted.yaml`;
export const GOOD_PODS = `${ROOT}fixtures/plugin/pods.yaml`;

/** The outcome of one CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** True when the run was killed by the timeout. */
  timedOut: boolean;
  ms: number;
}

/** At most this many CLI subprocesses at once (the tests start them eagerly). */
const MAX_RUNNING = 3;
let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/**
 * Runs `main.ts <args>` with an optional stdin, killed after `timeoutMs` (default: the test
 * ceiling of tests/support/ceiling.ts; counted from the start of the process; runs queue for a
 * slot first).
 */
export function runCli(
  args: string[],
  opts: { stdin?: Uint8Array; timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  return slot(() => runCliNow(args, opts));
}

async function runCliNow(
  args: string[],
  opts: { stdin?: Uint8Array; timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, ...args],
    cwd: opts.cwd ?? ROOT,
    stdin: opts.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...(opts.env ?? {}) },
    clearEnv: false,
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, opts.timeoutMs ?? CEILING_MS);
  if (opts.stdin) {
    const w = child.stdin.getWriter();
    await w.write(opts.stdin).catch(() => {});
    await w.close().catch(() => {});
  }
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    timedOut,
    ms: performance.now() - started,
  };
}

/**
 * Asserts that stderr holds no stack trace, no uncaught-exception dump, no JS error name, and
 * no control character (hostile input echoed raw could drive the terminal).
 */
export function assertNoTrace(r: CliRun, what: string): void {
  // deno-lint-ignore no-control-regex
  const control = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.exec(r.stderr);
  assert.equal(control, null, `${what}: control character on stderr:\n${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: stack frame on stderr:\n${r.stderr}`);
  assert.doesNotMatch(
    r.stderr,
    /\b(?:Uncaught|[A-Z][A-Za-z]*Error:|Stack backtrace|panicked)/,
    `${what}: exception dump on stderr:\n${r.stderr}`,
  );
}

/**
 * Asserts a clean input error: not killed by the timeout, exit code 2, stdout empty, no trace,
 * and an `error:` line that names `file` followed by a position matching `position` (for
 * example `/\(document 1, line 6:15\)/`) and a message matching `message`.
 */
export function assertInputError(
  r: CliRun,
  what: string,
  expect: { file: string; position?: RegExp; message: RegExp },
): void {
  assert.ok(!r.timedOut, `${what}: killed at the ${r.ms.toFixed(0)} ms ceiling (it hangs)`);
  assertNoTrace(r, what);
  assert.equal(r.code, 2, `${what}: exit code ${r.code}, stderr:\n${r.stderr}`);
  assert.equal(r.stdout, "", `${what}: partial output on stdout`);
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
  assert.equal(errors.length, 1, `${what}: expected one error line, stderr:\n${r.stderr}`);
  const line = errors[0];
  assert.ok(line.includes(expect.file), `${what}: error does not name ${expect.file}: ${line}`);
  const afterFile = line.slice(line.indexOf(expect.file) + expect.file.length);
  if (expect.position) {
    assert.match(afterFile, expect.position, `${what}: error without the position: ${line}`);
  }
  assert.match(line, expect.message, `${what}: unexpected message: ${line}`);
}

/** The names and contents of the files of a directory (to prove nothing was written). */
export async function snapshotDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(dir)) {
    out.set(e.name, e.isFile ? await Deno.readTextFile(`${dir}/${e.name}`) : "<dir>");
  }
  return out;
}
