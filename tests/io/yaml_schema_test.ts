/**
 * YAML read as kubectl reads it (src/io/yaml_schema.ts): go-yaml v2's YAML 1.1 plain scalars,
 * one test per difference from the YAML 1.2 core schema the reader used before. Each text is
 * read by both readers (the fast path and the `yaml` library alone), which must agree; the
 * last test runs audit-pods on a PSP and a pod written with YAML 1.1 values.
 */
import assert from "node:assert/strict";
import {
  MAX_NESTING,
  MAX_SCALAR_CHARS,
  parseObjects,
  parseObjectsWithYaml,
} from "../../src/io/documents.ts";
import { fastParseYaml } from "../../src/io/yaml_fast.ts";
import {
  implicitTag,
  KUBECTL_SCALAR_TAGS,
  neverImplicit,
  resolveGoNumber,
} from "../../src/io/yaml_schema.ts";
import { runDeno } from "../support/cli.ts";

const LIMITS = { maxNesting: MAX_NESTING, maxScalarChars: MAX_SCALAR_CHARS };
const ROOT = new URL("../../", import.meta.url).pathname;

/** The value of `v:` in a one-field document, as both readers read it (they must agree). */
function read(scalar: string, opts: { fast?: boolean } = { fast: true }): unknown {
  const text = `apiVersion: v1\nkind: ConfigMap\nv: ${scalar}\n`;
  const slow = parseObjectsWithYaml(text, "f.yaml")[0].object.v;
  const both = parseObjects(text, "f.yaml")[0].object.v;
  assert.deepEqual(both, slow, `both readers on ${scalar}`);
  if (opts.fast) assert.ok(fastParseYaml(text, LIMITS), `the fast path reads ${scalar}`);
  return slow;
}

function readAll(scalars: string[]): unknown[] {
  return scalars.map((s) => read(s));
}

Deno.test("YAML 1.1: y, yes, on and their capitalised forms are true (privileged: yes)", () => {
  assert.deepEqual(
    readAll(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"]),
    Array(11).fill(true),
  );
  // other spellings stay strings, as in go-yaml v2
  assert.deepEqual(readAll(["yES", "oN", "tRUE", "'yes'", '"on"']), [
    "yES",
    "oN",
    "tRUE",
    "yes",
    "on",
  ]);
});

Deno.test("YAML 1.1: n, no, off and their capitalised forms are false", () => {
  assert.deepEqual(
    readAll(["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"]),
    Array(11).fill(false),
  );
  assert.deepEqual(readAll(["nO", "oFF"]), ["nO", "oFF"]);
});

Deno.test("YAML 1.1: a leading 0 is octal (defaultMode: 0755 is 493), 0o too, signs allowed", () => {
  assert.deepEqual(readAll(["0755", "0644", "0o755", "0O17", "-0755", "+0755", "00", "0"]), [
    493,
    420,
    493,
    15,
    -493,
    493,
    0,
    0,
  ]);
  // not octal: Go's ParseInt refuses, its float form reads them in base 10
  assert.deepEqual(readAll(["08", "0789", "0_9"]), [8, 789, 9]);
});

Deno.test("YAML 1.1: 0b binary, 0X upper-case hex and signed hex are integers", () => {
  assert.deepEqual(readAll(["0b101", "-0b11", "0B1", "0X1F", "0x1f", "-0x1F", "+0x10"]), [
    5,
    -3,
    1,
    31,
    31,
    -31,
    16,
  ]);
  assert.deepEqual(readAll(["0b", "0b2", "0x", "0xg"]), ["0b", "0b2", "0x", "0xg"]);
});

Deno.test("YAML 1.1: underscores in numbers are dropped (1_000 is 1000)", () => {
  assert.deepEqual(readAll(["1_000", "1__0", "0x_1F", "1_000.5", "+_1", "1_"]), [
    1000,
    10,
    31,
    1000.5,
    1,
    1,
  ]);
  assert.deepEqual(readAll(["_1", "1_000_a"]), ["_1", "1_000_a"]);
});

Deno.test("YAML 1.1 as go-yaml v2: no sexagesimal numbers, no timestamps (strings stay strings)", () => {
  // the `yaml` library's own yaml-1.1 schema would read 80, 4800.5 and a Date here
  assert.deepEqual(readAll(["1:20", "1:20:00.5", "2001-12-14", "2001-12-14t21:59:43.10-05:00"]), [
    "1:20",
    "1:20:00.5",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
  ]);
  // nor the YAML 1.1 value key `=`
  assert.deepEqual(readAll(["="]), ["="]);
});

Deno.test("YAML 1.1 as go-yaml v2: a float out of range stays a string; floats as before", () => {
  assert.deepEqual(readAll(["1e400", "-1e400", ".5e400"]), ["1e400", "-1e400", ".5e400"]);
  assert.deepEqual(readAll(["1.5", "1.", ".5", "+.5", "-1e3", "1E-2", ".5e1", "1.20"]), [
    1.5,
    1,
    0.5,
    0.5,
    -1000,
    0.01,
    5,
    1.2,
  ]);
  assert.deepEqual(readAll([".inf", "-.Inf", "+.INF"]), [Infinity, -Infinity, Infinity]);
  assert.ok(Number.isNaN(read(".NaN")));
  assert.deepEqual(readAll(["~", "null", "Null", "NULL", "nULL"]), [
    null,
    null,
    null,
    null,
    "nULL",
  ]);
});

Deno.test("YAML 1.1: integers beyond int64 are uint64, beyond that the float form decides", () => {
  assert.equal(resolveGoNumber("9223372036854775807"), 9223372036854775807);
  assert.equal(resolveGoNumber("18446744073709551615"), 18446744073709551615);
  assert.equal(resolveGoNumber("-9223372036854775809"), -9223372036854775809);
  // an octal-looking number too big for uint64: go-yaml reads its digits as a decimal float
  assert.equal(resolveGoNumber("0777777777777777777777777"), 777777777777777777777777);
  assert.equal(resolveGoNumber("0x1FFFFFFFFFFFFFFFFF"), "0x1FFFFFFFFFFFFFFFFF");
});

Deno.test('YAML 1.1: keys resolve too and become JSON strings (on: is the key "true")', () => {
  const text = "apiVersion: v1\nkind: ConfigMap\ndata:\n  on: a\n  off: b\n  0755: c\n  1_0: d\n";
  const slow = parseObjectsWithYaml(text, "k.yaml")[0].object.data;
  assert.deepEqual(parseObjects(text, "k.yaml")[0].object.data, slow);
  assert.deepEqual(slow, { true: "a", false: "b", 493: "c", 10: "d" });
});

Deno.test("YAML 1.1 values in a PSP and a pod: audit-pods decides as the API server would", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const psp = `apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: p}
spec:
  privileged: off
  allowPrivilegeEscalation: no
  readOnlyRootFilesystem: Yes
  hostPorts: [{min: 0o10, max: 0x10}]
  seLinux: {rule: RunAsAny}
  runAsUser: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: [secret]
`;
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ns}
spec:
  automountServiceAccountToken: n
  containers:
  - name: c
    image: nginx
    ports: [{containerPort: 80, hostPort: 020}]
    securityContext: {privileged: yes, allowPrivilegeEscalation: no, readOnlyRootFilesystem: on}
  volumes:
  - name: s
    secret: {secretName: s, defaultMode: 0755}
`;
    await Deno.writeTextFile(`${dir}/psp.yaml`, psp);
    await Deno.writeTextFile(`${dir}/pod.yaml`, pod);
    const r = await runDeno(
      [
        "run",
        "-A",
        "main.ts",
        "audit-pods",
        "--psp-file",
        `${dir}/psp.yaml`,
        "-f",
        `${dir}/pod.yaml`,
        "-o",
        "json",
      ],
      { cwd: ROOT, env: { KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" } },
    );
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as {
      items: { verdict: string; results: { violations: { text: string }[] }[] }[];
    };
    const texts = report.items[0].results[0].violations.map((v) => v.text);
    // privileged: yes is true; hostPort 020 is 16, inside 0o10-0x10 (8-16); the volume is
    // allowed; no other violation
    assert.deepEqual(texts, [
      "spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed",
    ]);
    assert.equal(report.items[0].verdict, "refused");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("plain scalars whose first character no tag's test accepts are strings without a test", () => {
  const tests = KUBECTL_SCALAR_TAGS.map((t) => t.test).filter((t): t is RegExp => !!t);
  assert.ok(tests.length >= 5);
  // every test is anchored at the start, so its first character decides
  for (const t of tests) assert.ok(t.source.startsWith("^") || t.source.startsWith("(?:^"));
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i));
  const suffixes = ["", ...printable, ...printable.flatMap((a) => printable.map((b) => a + b))];
  // the words and numbers the tests name, after any first character
  const words = tests.flatMap((t) => t.source.match(/[A-Za-z0-9.]+/g) ?? []);
  let checked = 0;
  for (const first of printable.filter((c) => neverImplicit(c.charCodeAt(0)))) {
    for (const rest of [...suffixes, ...words, "1_000", "0x1F", "1e3", ".inf"]) {
      for (const t of tests) assert.ok(!t.test(first + rest), JSON.stringify(first + rest));
      checked++;
    }
  }
  assert.ok(checked > 500_000, `${checked}`);
  // and the characters that may start one are not skipped
  for (const s of ["~", "null", "y", "True", "on", "Off", "no", "-1", "+1", ".5", "0755", ".nan"]) {
    assert.ok(!neverImplicit(s.charCodeAt(0)), s);
    assert.ok(implicitTag(s), s);
  }
});
