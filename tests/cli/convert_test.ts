/** `kubectl falco-psp convert` end to end: main.ts run as a subprocess. */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { type DenoRun, runDeno } from "../support/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const SEED_PSP = `${ROOT}fixtures/seed/no_privileged.yaml`;
const SEED_RULES = `${ROOT}fixtures/seed/expected_rules_0.27.yaml`;

function convert(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<DenoRun> {
  return runDeno(["run", "-A", MAIN, "convert", ...args], { ...opts, cwd: opts.cwd ?? ROOT });
}

const TWO_PSPS = `
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: alpha}
spec:
  privileged: false
  seLinux: {rule: RunAsAny}
  runAsUser: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: ["*"]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-psp}
---
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: beta}
spec:
  hostNetwork: true
  seLinux: {rule: RunAsAny}
  runAsUser: {rule: MustRunAsNonRoot}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: [configMap]
`;

const ruleNames = (yaml: string) =>
  (parseYaml(yaml) as Record<string, unknown>[]).flatMap((i) => (i.rule ? [String(i.rule)] : []));

Deno.test("convert: the seed example with --no-prefix --falco-version 0.27 prints the docs' rules", async () => {
  const r = await convert(["--no-prefix", "--falco-version", "0.27", SEED_PSP]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(parseYaml(r.stdout), parseYaml(await Deno.readTextFile(SEED_RULES)));
  assert.match(r.stderr, /warning: .*no_privileged.*a cluster would refuse/);
  assert.match(r.stderr, /warning: .*volumes not fully checked/);
});

Deno.test("convert: --psp-path/--rules-path and their FALCOCTL_* environment fallbacks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/rules.yaml`;
    let r = await convert(["--psp-path", SEED_PSP, "--rules-path", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.ok(
      ruleNames(await Deno.readTextFile(out)).includes(
        "PSP no_privileged Violation (privileged) K8s Audit",
      ),
    );
    const envOut = `${dir}/env.yaml`;
    r = await convert(["--falco-version", "0.27"], {
      env: { FALCOCTL_PSP_PATH: SEED_PSP, FALCOCTL_RULES_PATH: envOut },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      ruleNames(await Deno.readTextFile(envOut)).includes(
        "PSP no_privileged Violation (privileged) K8s Audit",
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("convert: several PSPs give one policy set by default; --no-policy-set per-PSP rules", async () => {
  const r = await convert(["-"], { stdin: TWO_PSPS });
  assert.equal(r.code, 0, r.stderr);
  const names = ruleNames(r.stdout);
  assert.ok(names.includes("PSP set Violation (alpha: privileged) K8s Audit"), names.join("\n"));
  assert.ok(names.includes("PSP set Violation (beta: runAsUser=MustRunAsNonRoot) K8s Audit"));
  assert.ok(names.every((n) => n.startsWith("PSP set ")), names.join("\n"));
  // one PSP keeps per-PSP rules
  const one = await convert(["-"], { stdin: TWO_PSPS.split("---")[0] });
  assert.equal(one.code, 0, one.stderr);
  assert.ok(ruleNames(one.stdout).includes("PSP alpha Violation (privileged) K8s Audit"));
  const forced = await convert(["-", "--policy-set"], { stdin: TWO_PSPS.split("---")[0] });
  assert.ok(ruleNames(forced.stdout).includes("PSP set Violation (alpha: privileged) K8s Audit"));
  for (
    const [args, pattern] of [
      [["--policy-set", "--output-dir", "d"], /--policy-set.*--output-dir/],
      [["--policy-set", "--falco-version", "0.27"], /--policy-set.*0\.27/],
    ] as const
  ) {
    const bad = await convert(["-", ...args], { stdin: TWO_PSPS });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, pattern);
  }
});

Deno.test("convert: stdin with -, several PSPs in one file, other kinds skipped with a warning", async () => {
  const r = await convert(["-", "--rules-path", "-", "--no-policy-set"], { stdin: TWO_PSPS });
  assert.equal(r.code, 0, r.stderr);
  const names = ruleNames(r.stdout);
  assert.ok(names.includes("PSP alpha Violation (privileged) K8s Audit"));
  assert.ok(names.includes("PSP beta Violation (runAsUser=MustRunAsNonRoot) K8s Audit"));
  assert.equal(new Set(names).size, names.length);
  assert.match(r.stderr, /warning: -.*document 2.*ConfigMap/);
});

Deno.test("convert: --output-dir writes one file per PSP", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await convert(["-", "--output-dir", `${dir}/out`, "--no-prefix"], {
      stdin: TWO_PSPS,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    const files = [...Deno.readDirSync(`${dir}/out`)].map((e) => e.name).sort();
    assert.deepEqual(files, ["alpha.yaml", "beta.yaml"]);
    assert.ok(
      ruleNames(await Deno.readTextFile(`${dir}/out/alpha.yaml`)).includes(
        "PSP Violation (privileged) K8s Audit",
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("convert: bad input exits 2 with file and field, and leaves the rules file untouched", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/rules.yaml`;
    await Deno.writeTextFile(out, "previous\n");
    const bad = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      bad,
      TWO_PSPS.replace("runAsUser: {rule: MustRunAsNonRoot}", "runAsUser: {rule: Sometimes}"),
    );
    let r = await convert([bad, "--rules-path", out]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad\.yaml \(document 3/);
    assert.match(r.stderr, /spec\.runAsUser\.rule: Unsupported value: "Sometimes"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.equal(await Deno.readTextFile(out), "previous\n");

    const unsafe = `${dir}/unsafe.yaml`;
    await Deno.writeTextFile(
      unsafe,
      TWO_PSPS.replace(
        "metadata: {name: alpha}",
        `metadata: {name: alpha, annotations: {falco-rules-psp-images: '[nginx, "a) or (b"]'}}`,
      ),
    );
    r = await convert([unsafe, "--rules-path", out]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unsafe\.yaml \(document 1.*falco-rules-psp-images/);
    assert.equal(await Deno.readTextFile(out), "previous\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** PSPs without a spec: none at all, and one indented under metadata. */
const SPECLESS = ["missing", "indented"].map((n) => `${ROOT}fixtures/psp/specless/${n}.yaml`);

Deno.test("convert: a PSP without spec (or with spec under metadata) is an error, as in audit-pods", async () => {
  for (const file of SPECLESS) {
    const r = await convert(["-"], { stdin: await Deno.readTextFile(file) });
    assert.equal(r.code, 2, `${file}: ${r.stderr}`);
    assert.equal(r.stdout, "", file);
    assert.match(r.stderr, /^error: - \(document 1, line \d+:\d+\): spec: Required value: /m);
    if (file.endsWith("indented.yaml")) {
      assert.match(r.stderr, /metadata\.spec .*indented under metadata/);
    }
  }
});

Deno.test("convert: usage errors exit 2", async () => {
  for (
    const [args, stdin, pattern] of [
      [["-", "--no-prefix"], TWO_PSPS, /only one PodSecurityPolicy/],
      [["--falco-version", "0.30", SEED_PSP], undefined, /0\.30/],
      [[], undefined, /no input/],
      [
        ["--rules-path", "x.yaml", "--output-dir", "d", SEED_PSP],
        undefined,
        /cannot be used together/,
      ],
      [["does-not-exist.yaml"], undefined, /does-not-exist\.yaml/],
    ] as const
  ) {
    const r = await convert([...args], { stdin });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
});

Deno.test("convert: --falco-version 0.43, 0.44 and 0.45 are the current target; 0.42 is refused", async () => {
  const [a, b, c, d, old] = await Promise.all([
    convert(["--falco-version", "0.43", SEED_PSP]),
    convert(["--falco-version", "0.44", SEED_PSP]),
    convert(["--falco-version", "0.45", SEED_PSP]),
    convert([SEED_PSP]),
    convert(["--falco-version", "0.42", SEED_PSP]),
  ]);
  for (const r of [a, b, c]) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, d.stdout);
  }
  assert.match(a.stdout, /required_engine_version: 0\.58\.0/);
  assert.match(a.stdout, /^# Target: Falco 0\.43-0\.45 /m);
  assert.equal(old.code, 2);
  assert.match(old.stderr, /0\.42/);
});

Deno.test("convert: help speaks of kubectl falco-psp convert", async () => {
  const r = await convert(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: kubectl falco-psp convert/);
  assert.match(r.stdout, /FALCOCTL_PSP_PATH/);
});

Deno.test("convert: -R is --recursive as in kubectl; the old -R FILE is refused saying --rules-path, -r warns", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/psps/nested`, { recursive: true });
    await Deno.writeTextFile(`${dir}/psps/nested/two.yaml`, TWO_PSPS);
    const flat = await convert([`${dir}/psps`]);
    assert.equal(flat.code, 2, "without -R the nested file is not read");
    assert.match(flat.stderr, /no PodSecurityPolicy found/);
    for (const flag of ["-R", "--recursive"]) {
      const r = await convert([flag, `${dir}/psps`]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(ruleNames(r.stdout).some((n) => n.includes("alpha")), true, flag);
      assert.doesNotMatch(r.stderr, /deprecated/);
    }
    const old = await convert([`${dir}/psps`, "-r"]);
    assert.equal(old.code, 0, old.stderr);
    assert.match(old.stderr, /^warning: -r is deprecated: use -R\/--recursive \(as in kubectl\)$/m);
    // An older script's `-R rules.yaml`: refused (exit 2), the file neither read nor written.
    const rules = `${dir}/rules.yaml`;
    await Deno.writeTextFile(rules, "previous rules\n");
    const legacy = await convert([SEED_PSP, "-R", rules]);
    assert.equal(legacy.code, 2, legacy.stderr);
    assert.equal(legacy.stdout, "");
    assert.equal(
      legacy.stderr.trim(),
      `error: -R means --recursive now, as in kubectl, and takes no value; to write the rules to ` +
        `"${rules}", pass --rules-path ${rules} (falcoctl's long flag)`,
    );
    assert.equal(await Deno.readTextFile(rules), "previous rules\n");
    const written = await convert([SEED_PSP, "--rules-path", rules]);
    assert.equal(written.code, 0, written.stderr);
    assert.match(await Deno.readTextFile(rules), /^# Falco rules generated by kubectl falco-psp/);
    const help = await convert(["--help"]);
    assert.match(help.stdout, /-R, --recursive +read directories recursively/);
    assert.match(help.stdout, /^ +--rules-path <path>/m);
    assert.doesNotMatch(help.stdout, /-r\b/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
