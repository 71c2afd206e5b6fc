/**
 * Every line both commands print on stderr goes through terminalText: a file name, a kind or
 * an unknown flag holding terminal escapes, bidi overrides or invisible characters reaches the
 * terminal escaped, in warnings and in errors.
 */
import assert from "node:assert/strict";
import { GOOD_PODS, GOOD_PSP, runCli } from "./cli.ts";

/** ESC (recolour), CSI (C1), BEL, a right-to-left override, a zero-width space, an isolate. */
const EVIL = "evil\u001b[31m\u009b2J\u0007\u202egpj\u200b\u2066x";
const ESCAPED = "evil\\u001b[31m\\u009b2J\\u0007\\u202egpj\\u200b\\u2066x";
// deno-lint-ignore no-control-regex
const RAW = /[\u001b\u009b\u0007\u202e\u200b\u2066]/;

async function evilDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "falco-psp-terminal-" });
  const psp = await Deno.readTextFile(GOOD_PSP);
  await Deno.writeTextFile(
    `${dir}/${EVIL}.yaml`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n${psp}`,
  );
  await Deno.writeTextFile(
    `${dir}/pods.yaml`,
    `${await Deno.readTextFile(
      GOOD_PODS,
    )}\n---\napiVersion: v1\nkind: "${EVIL}"\nmetadata: {name: b}\n`,
  );
  await Deno.writeTextFile(`${dir}/${EVIL}-bad.yaml`, "apiVersion: [\n");
  return dir;
}

Deno.test("convert: warnings and the `wrote` line name a hostile file escaped", async () => {
  const dir = await evilDir();
  try {
    const r = await runCli(["convert", `${dir}/${EVIL}.yaml`, "--output-dir", `${dir}/${EVIL}.d`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!RAW.test(r.stderr), JSON.stringify(r.stderr));
    assert.match(
      r.stderr,
      new RegExp(`warning: [^\n]*${escape(ESCAPED)}\\.yaml [^\n]*not a PodSecurityPolicy`),
    );
    assert.match(r.stderr, new RegExp(`wrote [^\n]*${escape(ESCAPED)}\\.d/restricted\\.yaml`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit-pods: warnings name a hostile file and kind escaped", async () => {
  const dir = await evilDir();
  try {
    const r = await runCli([
      "audit-pods",
      "--psp-file",
      `${dir}/${EVIL}.yaml`,
      "-f",
      `${dir}/pods.yaml`,
    ]);
    assert.ok(!RAW.test(r.stderr), JSON.stringify(r.stderr));
    assert.ok(!RAW.test(r.stdout), JSON.stringify(r.stdout));
    assert.match(
      r.stderr,
      new RegExp(`warning: [^\n]*${escape(ESCAPED)}\\.yaml [^\n]*not a PodSecurityPolicy`),
    );
    assert.match(
      r.stderr,
      new RegExp(`warning: skipped objects that hold no pod \\(${escape(ESCAPED)} x1\\)`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("errors of both commands, and commander's own, name hostile text escaped", async () => {
  const dir = await evilDir();
  try {
    const bad = `${dir}/${EVIL}-bad.yaml`;
    for (
      const args of [
        ["convert", bad],
        ["audit-pods", "--psp-file", bad, "-f", GOOD_PODS],
        ["audit-pods", "--psp-file", GOOD_PSP, "-f", bad],
        ["convert", `--${EVIL}`],
        ["audit-pods", "-o", EVIL],
      ]
    ) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.ok(!RAW.test(r.stderr), `${args[0]}: ${JSON.stringify(r.stderr)}`);
      assert.ok(r.stderr.includes(ESCAPED), `${args.join(" ")}: ${r.stderr}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
