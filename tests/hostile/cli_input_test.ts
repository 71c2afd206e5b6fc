/**
 * Hostile and broken input through the real CLI (issue 5): malformed YAML/JSON, wrong types,
 * duplicate keys, alias bombs, deep nesting, huge values, invalid UTF-8, empty and binary
 * files, as PSP input of `convert` and `audit-pods` and as pod input of `audit-pods`. Each
 * must be a clear error naming the file and a position, exit code 2, no stack trace, no hang,
 * and no output: stdout stays empty and a pre-existing `--rules-path` file is untouched with
 * no temporary file left beside it. Unknown fields are warnings, not errors.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import {
  assertInputError,
  assertNoTrace,
  type CliRun,
  GOOD_PODS,
  GOOD_PSP,
  HOSTILE,
  runCli,
  snapshotDir,
} from "./cli.ts";

/** How a hostile file is fed to the CLI. */
type Role = "convert" | "audit-psp" | "audit-pod";

interface Case {
  name: string;
  /** Path of the hostile file (fixtures/hostile/ or generated). */
  file: string;
  roles: Role[];
  /** What follows the file name in the error line. */
  position: RegExp;
  message: RegExp;
}

const ALL: Role[] = ["convert", "audit-psp", "audit-pod"];
/**
 * convert and `audit-pods --psp-file` read PSP files with the same loader (loadPspFiles), so
 * format-level cases run through convert and `audit-pods -f` (pods are read another way) and
 * only some through `--psp-file` too, to keep the suite fast.
 */
const FORMAT: Role[] = ["convert", "audit-pod"];
const SENTINEL = "# previous rules: must survive a failed convert\n- list: keep\n  items: [x]\n";

const BIG = await Deno.makeTempDir({ prefix: "hostile_big_" });
const enc = (s: string) => new TextEncoder().encode(s);

/** Large inputs are generated, not committed. */
async function generate(name: string, bytes: Uint8Array): Promise<string> {
  const path = `${BIG}/${name}`;
  await Deno.writeFile(path, bytes);
  return path;
}

const DEEP_SEQ = await generate("deep-seq.yaml", enc("[".repeat(100_000)));
const DEEP_MAP_JSON = await generate(
  "deep-map.json",
  enc('{"a":'.repeat(100_000) + "1" + "}".repeat(100_000)),
);
const DEEP_BLOCK = await generate(
  "deep-block.yaml",
  enc(Array.from({ length: 2_000 }, (_, i) => `${" ".repeat(i)}a:`).join("\n") + " 1\n"),
);
const HUGE_JSON = await generate(
  "huge-value.json",
  enc(JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "huge" },
    spec: { containers: [{ name: "c", image: "x".repeat(50 * 1024 * 1024) }] },
  })),
);
const LATE_BAD_UTF8 = await generate(
  "late-invalid-utf8.yaml",
  new Uint8Array([...enc(`# ${"x".repeat(5_000_000)}\nkind: Pod\n# `), 0xc3, 0x28, 0x0a]),
);

const CASES: Case[] = [
  {
    name: "malformed YAML (unclosed flow sequence)",
    file: `${HOSTILE}malformed.yaml`,
    roles: ALL,
    position: /^ \(document 1, line 11:3\)/,
    message: /invalid YAML\/JSON: .*end with a \]/,
  },
  {
    name: "malformed JSON (object never closed)",
    file: `${HOSTILE}malformed.json`,
    roles: FORMAT,
    position: /^ \(document 1, line 3:1\)/,
    message: /invalid YAML\/JSON: Flow map must end with a \}/,
  },
  {
    name: 'PSP with privileged: "yes"',
    file: `${HOSTILE}psp-wrong-type.yaml`,
    roles: ["convert", "audit-psp"],
    position: /^ \(document 1, line 10:15\): spec\.privileged: /,
    message: /Invalid value: "yes": must be a boolean/,
  },
  {
    name: 'pod with securityContext.privileged: "yes"',
    file: `${HOSTILE}pod-wrong-type.yaml`,
    roles: ["audit-pod"],
    position: /^ \(document 1, line 11:19\): spec\.containers\[0\]\.securityContext\.privileged: /,
    message: /expected a boolean, got string "yes"/,
  },
  {
    name: "duplicate keys (YAML)",
    file: `${HOSTILE}duplicate-keys.yaml`,
    roles: ALL,
    position: /^ \(document 1, line 11:3\)/,
    message: /Map keys must be unique/,
  },
  {
    name: "duplicate keys (JSON)",
    file: `${HOSTILE}duplicate-keys.json`,
    roles: FORMAT,
    position: /^ \(document 1, line 2:\d+\)/,
    message: /Map keys must be unique/,
  },
  {
    name: "YAML alias bomb",
    file: `${HOSTILE}alias-bomb.yaml`,
    roles: FORMAT,
    position: /^ \(document 1, line 2:1\)/,
    message: /aliases expand to too many nodes/,
  },
  {
    name: "100,000 nested [",
    file: DEEP_SEQ,
    roles: ALL,
    position: /^ \(document 1, line 1:101\)/,
    message: /nesting deeper than 100 levels/,
  },
  {
    name: "100,000 nested JSON objects",
    file: DEEP_MAP_JSON,
    roles: ["audit-pod"],
    position: /^ \(document 1, line 1:501\)/,
    message: /nesting deeper than 100 levels/,
  },
  {
    name: "2,000 nested block mappings",
    file: DEEP_BLOCK,
    roles: ["audit-psp"],
    position: /^ \(document 1, line 101:101\)/,
    message: /nesting deeper than 100 levels/,
  },
  {
    name: "a 50 MB string in JSON",
    file: HUGE_JSON,
    roles: FORMAT,
    position: /^ \(document 1, line 1:\d+\)/,
    message: /a single value of 52428802 characters/,
  },
  {
    name: "invalid UTF-8 (Latin-1 byte)",
    file: `${HOSTILE}invalid-utf8.yaml`,
    roles: ALL,
    position: /^ \(line 10\)/,
    message: /invalid UTF-8 near byte offset 215/,
  },
  {
    name: "invalid UTF-8 after 5 MB",
    file: LATE_BAD_UTF8,
    roles: FORMAT,
    position: /^ \(line 3\)/,
    message: /invalid UTF-8 near byte offset 5000015/,
  },
  {
    name: "empty file",
    file: `${HOSTILE}empty.yaml`,
    roles: ALL,
    position: /^: /,
    message: /empty input/,
  },
  {
    name: "only comments and ---",
    file: `${HOSTILE}comments-only.yaml`,
    roles: FORMAT,
    position: /^: /,
    message: /empty input: no Kubernetes objects/,
  },
  {
    name: "/dev/zero (endless binary data): read no further than the first NUL",
    file: "/dev/zero",
    roles: ALL,
    position: /^: binary data \(NUL byte at offset 0\)/,
    message: /not YAML or JSON/,
  },
  {
    name: "binary file",
    file: `${HOSTILE}binary.yaml`,
    roles: FORMAT,
    position: /^: binary data \(NUL byte at offset 7\)/,
    message: /not YAML or JSON/,
  },
];

/** Runs one role; for convert, into a pre-existing --rules-path whose directory is checked. */
async function runRole(role: Role, file: string): Promise<{ run: CliRun; after?: () => void }> {
  if (role === "audit-psp") {
    return { run: await runCli(["audit-pods", "--psp-file", file, "-f", GOOD_PODS]) };
  }
  if (role === "audit-pod") {
    return { run: await runCli(["audit-pods", "--psp-file", GOOD_PSP, "-f", file]) };
  }
  const dir = await Deno.makeTempDir({ prefix: "hostile_out_" });
  const rules = `${dir}/rules.yaml`;
  await Deno.writeTextFile(rules, SENTINEL);
  const before = await snapshotDir(dir);
  const run = await runCli(["convert", file, "--rules-path", rules]);
  const after = await snapshotDir(dir);
  await Deno.remove(dir, { recursive: true });
  return {
    run,
    after: () =>
      assert.deepEqual(after, before, "convert: the rules file or its directory changed"),
  };
}

// The first case test starts every case's runs (a few at a time) so that the subprocesses
// overlap; each test awaits its own.
let runs: Promise<{ run: CliRun; after?: () => void }[]>[] | undefined;
const startRuns = () =>
  runs ??= CASES.map((c) => Promise.all(c.roles.map((role) => runRole(role, c.file))));

for (const [n, c] of CASES.entries()) {
  Deno.test(`hostile input: ${c.name} -> clean error, exit 2 (${c.roles.join(", ")})`, async () => {
    const results = await startRuns()[n];
    c.roles.forEach((role, i) => {
      const { run, after } = results[i];
      assertInputError(run, `${role} ${c.name}`, c);
      after?.();
    });
  });
}

Deno.test("hostile input on stdin: binary to convert, malformed JSON to audit-pods -f -", async () => {
  const [convert, audit] = await Promise.all([
    runCli(["convert", "-"], { stdin: await Deno.readFile(`${HOSTILE}binary.yaml`) }),
    runCli(["audit-pods", "--psp-file", GOOD_PSP, "-f", "-"], {
      stdin: await Deno.readFile(`${HOSTILE}malformed.json`),
    }),
  ]);
  assertInputError(convert, "convert -", {
    file: "-",
    position: /^: binary data \(NUL byte at offset 7\)/,
    message: /not YAML or JSON/,
  });
  assertInputError(audit, "audit-pods -f -", {
    file: "-",
    position: /^ \(document 1, line 3:1\)/,
    message: /invalid YAML\/JSON: Flow map must end with a \}/,
  });
});

Deno.test("hostile --rbac-file: malformed YAML and an alias bomb are input errors too", async () => {
  const [malformed, bomb] = await Promise.all(
    ["malformed.yaml", "alias-bomb.yaml"].map((f) =>
      runCli([
        "audit-pods",
        "--psp-file",
        GOOD_PSP,
        "-f",
        GOOD_PODS,
        "--rbac-file",
        `${HOSTILE}${f}`,
      ])
    ),
  );
  assertInputError(malformed, "--rbac-file malformed", {
    file: `${HOSTILE}malformed.yaml`,
    position: /^ \(document 1, line 11:3\)/,
    message: /invalid YAML\/JSON/,
  });
  assertInputError(bomb, "--rbac-file alias bomb", {
    file: `${HOSTILE}alias-bomb.yaml`,
    position: /^ \(document 1, line 2:1\)/,
    message: /aliases expand to too many nodes/,
  });
});

Deno.test("terminal escapes in names never reach the terminal raw (stderr and table)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hostile_esc_" });
  try {
    const esc = "\u001b]0;owned\u0007\u001b[31mred\u001b[0m\r";
    const psp = `${dir}/psp.json`;
    const good = (await Deno.readTextFile(GOOD_PSP)).replace("name: restricted", "name: x");
    const base = parseYaml(good) as { metadata: Record<string, unknown> };
    base.metadata.name = `a${esc}`;
    await Deno.writeTextFile(psp, JSON.stringify(base));
    const pods = `${dir}/pods.json`;
    await Deno.writeTextFile(
      pods,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `p${esc}`, namespace: `n${esc}` },
        spec: { containers: [{ name: "c", image: "x", securityContext: { privileged: true } }] },
      }),
    );
    const [convert, audit, policy] = await Promise.all([
      runCli(["convert", psp]),
      runCli(["audit-pods", "--psp-file", psp, "-f", pods]),
      // an error message that lists the PSP names (and echoes the flag)
      runCli(["audit-pods", "--psp-file", psp, "-f", pods, "--policy", `x${esc}`]),
    ]);
    assertNoTrace(convert, "convert");
    assertNoTrace(audit, "audit-pods");
    assertNoTrace(policy, "audit-pods --policy");
    assert.equal(policy.code, 2, policy.stderr);
    // the name cannot be written into a Falco output: refused, and shown escaped
    assert.equal(convert.code, 2, convert.stderr);
    assert.equal(audit.code, 1, audit.stderr);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(audit.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, audit.stdout);
    assert.match(audit.stdout, /refused/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("documents without kind are skipped with a warning, not called empty input", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hostile_nokind_" });
  try {
    const file = `${dir}/nokind.yaml`;
    await Deno.writeTextFile(file, "{}\n---\n{}\n");
    const r = await runCli(["audit-pods", "--psp-file", GOOD_PSP, "-f", file]);
    assertNoTrace(r, "audit-pods");
    assert.doesNotMatch(r.stderr, /empty input/, r.stderr);
    assert.match(r.stderr, /^warning: skipped objects that hold no pod \(\(no kind\) x2\)/m);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit-pods -o yaml says what -o json says for names with line separators and quotes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hostile_yaml_" });
  try {
    const names = [
      "a\u2028b",
      "c\u2029d",
      "e\rf",
      "g\nh",
      "i\tj",
      "k: 'l'",
      '"m"',
      "- n",
      "yes",
      "0x1F",
    ];
    const pods = `${dir}/pods.json`;
    await Deno.writeTextFile(
      pods,
      names.map((name, i) =>
        JSON.stringify({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace: `ns${i}`, annotations: { note: name } },
          spec: {
            containers: [{
              name: "c",
              image: "x",
              securityContext: { seLinuxOptions: { type: name } },
            }],
          },
        })
      ).join("\n"),
    );
    const [json, yaml] = await Promise.all(
      ["json", "yaml"].map((o) =>
        runCli(["audit-pods", "--psp-file", GOOD_PSP, "-f", pods, "-o", o])
      ),
    );
    assertNoTrace(json, "-o json");
    assertNoTrace(yaml, "-o yaml");
    const fromJson = JSON.parse(json.stdout);
    assert.deepEqual(
      fromJson.items.map((i: { name: string }) => i.name).sort(),
      [...names].sort(),
    );
    assert.deepEqual(parseYaml(yaml.stdout), fromJson);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hostile input via FALCOCTL_PSP_PATH names the file too", async () => {
  const file = `${HOSTILE}psp-wrong-type.yaml`;
  const r = await runCli(["convert"], { env: { FALCOCTL_PSP_PATH: file } });
  assertInputError(r, "FALCOCTL_PSP_PATH", {
    file,
    position: /^ \(document 1, line 10:15\): spec\.privileged: /,
    message: /must be a boolean/,
  });
});

Deno.test("a bad input among good ones: no rules file is created, nothing is printed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hostile_out_" });
  try {
    const rules = `${dir}/rules.yaml`;
    const r = await runCli([
      "convert",
      `${HOSTILE}../psp/good/restricted.yaml`,
      `${HOSTILE}duplicate-keys.yaml`,
      "--rules-path",
      rules,
    ]);
    assertInputError(r, "convert good+bad", {
      file: `${HOSTILE}duplicate-keys.yaml`,
      position: /^ \(document 1, line 11:3\)/,
      message: /Map keys must be unique/,
    });
    assert.deepEqual([...(await snapshotDir(dir)).keys()], [], "a file was written");
    // audit-pods reads its inputs as a stream: a bad document after many good pods and a
    // good file still prints no partial report
    const many = `${dir}/pods.yaml`;
    const pod = await Deno.readTextFile(GOOD_PODS);
    await Deno.writeTextFile(
      many,
      `${Array(200).fill(pod).join("\n---\n")}\n---\n${await Deno.readTextFile(
        `${HOSTILE}pod-wrong-type.yaml`,
      )}`,
    );
    const audit = await runCli(["audit-pods", "--psp-file", GOOD_PSP, "-f", GOOD_PODS, "-f", many]);
    assertInputError(audit, "audit-pods good+bad", {
      file: many,
      position:
        /^ \(document 401, line \d+:19\): spec\.containers\[0\]\.securityContext\.privileged/,
      message: /expected a boolean/,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--output-dir: a PSP the generator refuses leaves the directory as it was", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hostile_out_" });
  try {
    const input = `${dir}/in.yaml`;
    const good = await Deno.readTextFile(GOOD_PSP);
    const bad = good.replace("name: restricted", "name: second").replace(
      "  annotations:\n",
      '  annotations:\n    falco-rules-psp-images: \'[nginx, "x\\" or ka.verb=get"]\'\n',
    );
    await Deno.writeTextFile(input, `${good}\n---\n${bad}`);
    const out = `${dir}/rules`;
    await Deno.mkdir(out);
    await Deno.writeTextFile(`${out}/restricted.yaml`, SENTINEL);
    const before = await snapshotDir(out);
    const r = await runCli(["convert", input, "--output-dir", out]);
    assertInputError(r, "convert --output-dir", {
      file: input,
      position: /^ \(document 2, line \d+:\d+\)/,
      message: /falco-rules-psp-images.*not a valid image repository/,
    });
    assert.deepEqual(await snapshotDir(out), before, "the output directory changed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unknown PSP field: a warning naming file, line and field; convert still succeeds", async () => {
  const file = `${HOSTILE}psp-unknown-field.yaml`;
  const [convert, audit] = await Promise.all([
    runCli(["convert", file]),
    runCli(["audit-pods", "--psp-file", file, "-f", GOOD_PODS]),
  ]);
  for (const [what, r] of [["convert", convert], ["audit-pods", audit]] as const) {
    assertNoTrace(r, what);
    assert.match(
      r.stderr,
      new RegExp(
        `^warning: ${
          file.replaceAll(".", "\\.")
        } \\(document 1, line 10:16\\): unknown field spec\\.privilegedd ignored`,
        "m",
      ),
      `${what}: ${r.stderr}`,
    );
    assert.doesNotMatch(r.stderr, /^error:/m, what);
  }
  assert.equal(convert.code, 0, convert.stderr);
  assert.ok(Array.isArray(parseYaml(convert.stdout)), "convert printed a rules file");
  // the restricted fixtures pods: one is refused (privileged) by this RunAsAny-everything PSP
  assert.equal(audit.code, 1, audit.stderr);
});

Deno.test("unknown pod field: a warning naming file, line and field, not an error", async () => {
  const file = `${HOSTILE}pod-unknown-field.yaml`;
  const r = await runCli(["audit-pods", "--psp-file", GOOD_PSP, "-f", file, "-o", "json"]);
  assertNoTrace(r, "audit-pods");
  assert.doesNotMatch(r.stderr, /^error:/m);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  assert.equal(JSON.parse(r.stdout).kind, "AuditReport");
  // A typo such as `privilegd` silently audits a different pod than the user meant.
  assert.match(
    r.stderr,
    new RegExp(
      `^warning: ${
        file.replaceAll(".", "\\.")
      } \\(document 1, line 11:\\d+\\): .*spec\\.containers\\[0\\]\\.securityContext\\.privilegd`,
      "m",
    ),
    `no warning for the unknown field:\n${r.stderr}`,
  );
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(BIG, { recursive: true });
  } catch { /* gone */ }
});
