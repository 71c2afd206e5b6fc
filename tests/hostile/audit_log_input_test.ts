/**
 * Hostile and broken audit logs (`audit-pods --audit-log`, JSON lines) through the real CLI:
 * a clear error naming the file and line, exit code 2, no stack trace, no hang, no output.
 */
import { assertInputError, type CliRun, GOOD_PSP, runCli } from "./cli.ts";

const DIR = await Deno.makeTempDir({ prefix: "hostile_log_" });
const enc = (s: string) => new TextEncoder().encode(s);

/** One audit event of a pod creation, as the API server logs it at level Request. */
function event(container: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "Request",
    auditID: crypto.randomUUID(),
    stage: "ResponseComplete",
    verb: "create",
    user: { username: "alice", groups: ["system:authenticated"] },
    objectRef: { resource: "pods", namespace: "default", name: "p", apiVersion: "v1" },
    requestObject: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "c", image: "nginx", ...container }] },
    },
  });
}

async function log(name: string, bytes: Uint8Array): Promise<string> {
  const path = `${DIR}/${name}.jsonl`;
  await Deno.writeFile(path, bytes);
  return path;
}

interface LogCase {
  name: string;
  file: string;
  position: RegExp;
  message: RegExp;
}

const CASES: LogCase[] = [
  {
    name: "a line that is not JSON",
    file: await log("malformed", enc(`${event()}\n{"kind": "Event", \n`)),
    position: /^ \(line 2\)/,
    message: /not a JSON audit event/,
  },
  {
    name: 'privileged: "yes" in a requestObject',
    file: await log("wrong-type", enc(`${event({ securityContext: { privileged: "yes" } })}\n`)),
    position: /^ \(line 1\): spec\.containers\[0\]\.securityContext\.privileged: /,
    message: /expected a boolean/,
  },
  {
    name: "binary data",
    file: await log("binary", new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0xff, 0x00, 0x01, 0x0a])),
    position: /^ \(line 1\)/,
    message: /invalid UTF-8|binary/,
  },
  {
    // The invalid byte is on line 2: the error must say so.
    name: "invalid UTF-8 on line 2",
    file: await log("invalid-utf8", new Uint8Array([...enc(`${event()}\n{"x": "caf`), 0xe9, 0x0a])),
    position: /^ \(line 2\)/,
    message: /invalid UTF-8/,
  },
  {
    name: "a duplicate key in an event",
    file: await log(
      "duplicate-key",
      enc(`${event().replace('"verb":"create"', '"verb":"create","verb":"get"')}\n`),
    ),
    position: /^ \(line 1:\d+\)/,
    message: /duplicate key "verb"/,
  },
  {
    name: "100,000 nested arrays in a requestObject",
    file: await log(
      "deep",
      enc(
        `${event()}\n${
          event({ args: "DEEP" }).replace('"DEEP"', "[".repeat(100_000) + "]".repeat(100_000))
        }\n`,
      ),
    ),
    position: /^ \(line 2:\d+\)/,
    message: /nesting deeper than 100 levels/,
  },
  {
    name: "an empty log",
    file: await log("empty", new Uint8Array()),
    position: /^: /,
    message: /empty/,
  },
  {
    // One 50 MB line: refused with its line number for its length, not read as an event.
    name: "a 50 MB line",
    file: await log("huge", enc(`${event({ image: "x".repeat(50 * 1024 * 1024) })}\n`)),
    position: /^ \(line 1\)/,
    message: /long|large|characters|bytes/,
  },
];

let runs: Promise<CliRun>[] | undefined;
const startRuns = () =>
  runs ??= CASES.map((c) => runCli(["audit-pods", "--psp-file", GOOD_PSP, "--audit-log", c.file]));

for (const [n, c] of CASES.entries()) {
  Deno.test(`hostile audit log: ${c.name} -> clean error, exit 2`, async () => {
    assertInputError(await startRuns()[n], `--audit-log ${c.name}`, c);
  });
}

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(DIR, { recursive: true });
  } catch { /* gone */ }
});
