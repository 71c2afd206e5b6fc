/**
 * How the command line ends on an error: a CliError with its code, an I/O failure nothing
 * wrapped with 3, and anything else (a bug) as an internal error with its stack and code 4.
 */
import assert from "node:assert/strict";
import { describeFailure } from "../../src/cli/main.ts";
import { ApiError } from "../../src/cluster/errors.ts";
import { EXIT_INTERNAL, EXIT_IO, EXIT_USAGE, IoError, UsageError } from "../../src/io/errors.ts";
import { runDeno } from "../support/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("describeFailure: a bug is an internal error with its stack and exit code 4", () => {
  let bug: unknown;
  try {
    (undefined as unknown as { spec: unknown }).spec;
  } catch (e) {
    bug = e;
  }
  const f = describeFailure(bug);
  assert.equal(f.exitCode, EXIT_INTERNAL);
  assert.equal(EXIT_INTERNAL, 4);
  const [first, ...frames] = f.text.split("\n");
  assert.match(
    first,
    /^error: internal error \(a bug in kubectl falco-psp [0-9.]+; please report it/,
  );
  assert.match(first, /: TypeError: Cannot read properties of undefined \(reading 'spec'\)$/);
  assert.ok(frames.length > 0 && frames.every((l) => /^\s+at /.test(l)), f.text);
  assert.ok(frames[0].includes("main_test.ts"), "the stack points at the throw");
  const thrown = describeFailure("not an Error");
  assert.equal(thrown.exitCode, EXIT_INTERNAL);
  assert.match(thrown.text, /internal error .*: thrown value: not an Error$/);
});

Deno.test("describeFailure: user and I/O errors keep their codes and print no stack", () => {
  const cases: [unknown, number, string][] = [
    [new UsageError("bad flag"), EXIT_USAGE, "error: bad flag"],
    [new IoError("cannot read x"), EXIT_IO, "error: cannot read x"],
    [new Deno.errors.NotFound("no such file"), EXIT_IO, "error: no such file"],
    [new Deno.errors.PermissionDenied("denied"), EXIT_IO, "error: denied"],
    [
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      EXIT_IO,
      "error: read ECONNRESET",
    ],
    [
      new ApiError(500, "GET", "/api/v1/pods", undefined),
      EXIT_IO,
      "error: GET /api/v1/pods: HTTP 500",
    ],
  ];
  for (const [e, code, text] of cases) {
    assert.deepEqual(describeFailure(e), { text, exitCode: code });
  }
});

Deno.test("the CLI ends a bug with exit 4, the internal-error text and the stack", async () => {
  // A fault inside the run (writing the report throws a TypeError), through the real run().
  const script = `
    import { run } from ${JSON.stringify(`${ROOT}src/cli/main.ts`)};
    Deno.stdout.write = () => { throw new TypeError("stdout.write is broken"); };
    Deno.exit(await run(Deno.args));
  `;
  const r = await runDeno([
    "eval",
    script,
    "audit-pods",
    "--psp-file",
    `${ROOT}fixtures/audit/psps.yaml`,
    "-f",
    `${ROOT}fixtures/audit/workloads.yaml`,
  ], { env: { KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" } });
  assert.equal(r.code, 4, r.stderr);
  assert.match(
    r.stderr,
    /^error: internal error \(a bug in kubectl falco-psp .*\): TypeError: stdout\.write is broken\n\s+at /m,
  );
  assert.match(
    r.stderr,
    /at .*src\/report\/render\.ts:\d+/,
    "the stack names the frame that failed",
  );
  assert.equal(r.stdout, "");
});
