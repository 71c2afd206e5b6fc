import assert from "node:assert/strict";
import { InputError, ioFailureText } from "../../src/io/errors.ts";
import { runDeno } from "../support/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("a permission problem says what the user can do, never Deno's --allow-all advice", async () => {
  // main.ts run by hand with fewer permissions than the installed plugin has
  const r = await runDeno(
    [
      "run",
      "--no-prompt",
      `--allow-read=${ROOT}`,
      "--allow-env",
      "main.ts",
      "convert",
      "/dev/stdin",
    ],
    { cwd: ROOT, stdin: "kind: PodSecurityPolicy\n" },
  );
  assert.equal(r.code, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /allow-all|run again/);
  assert.match(r.stderr, /cannot read \/dev\/stdin: .*kubectl falco-psp.*- < FILE/);
  // the system's refusal (a file the user may not read)
  const denied = ioFailureText("write", "/etc/rules.yaml", new Deno.errors.PermissionDenied("x"));
  assert.match(
    denied,
    /^cannot write \/etc\/rules\.yaml: permission denied \(check its permissions/,
  );
});

Deno.test("an input error names its field once, also when the detail already starts with it", () => {
  const e = new InputError(
    { file: "p.yaml", document: 1 },
    "metadata.name",
    'metadata.name: Invalid value: "A": a lowercase RFC 1123 subdomain',
  );
  assert.equal(
    e.message,
    'p.yaml (document 1): metadata.name: Invalid value: "A": a lowercase RFC 1123 subdomain',
  );
  assert.equal(
    new InputError({ file: "p.yaml" }, "spec", "required").message,
    "p.yaml: spec: required",
  );
});
