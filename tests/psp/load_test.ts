import assert from "node:assert/strict";
import { parseObjects } from "../../src/io/documents.ts";
import { InputError } from "../../src/io/errors.ts";
import { fieldPathSegments, loadPspFiles, loadPsps } from "../../src/psp/load.ts";
import { runDeno } from "../support/cli.ts";

const FIX = new URL("../../fixtures/psp/", import.meta.url).pathname;

const RULES = `
  seLinux: {rule: RunAsAny}
  runAsUser: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}`;

function load(text: string, opts = {}) {
  return loadPsps(parseObjects(text, "in.yaml"), opts);
}

function throwsInput(fn: () => unknown, ...patterns: RegExp[]): InputError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof InputError, `expected an InputError, got ${err}`);
  assert.equal(err.exitCode, 2);
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

Deno.test("loads a PSP file: defaulted psp, untouched raw, source", async () => {
  const { psps, warnings } = await loadPspFiles([`${FIX}good/restricted.yaml`]);
  assert.deepEqual(warnings, []);
  assert.equal(psps.length, 1);
  const [p] = psps;
  assert.equal(p.psp.metadata.name, "restricted");
  assert.equal(p.psp.spec.allowPrivilegeEscalation, false);
  assert.deepEqual(p.psp.spec.requiredDropCapabilities, ["ALL"]);
  assert.equal(p.source.file, `${FIX}good/restricted.yaml`);
  assert.equal(p.source.document, 1);
});

Deno.test("a List from kubectl get: both apiVersions, items keep their index, defaults applied", async () => {
  const { psps, warnings } = await loadPspFiles([`${FIX}good/list.yaml`]);
  assert.deepEqual(warnings, []);
  assert.deepEqual(psps.map((p) => p.psp.metadata.name), ["privileged", "host-ns"]);
  assert.deepEqual(psps.map((p) => p.source.item), [0, 1]);
  assert.equal(psps[1].raw.apiVersion, "extensions/v1beta1");
  assert.equal(psps[1].raw.spec.allowPrivilegeEscalation, undefined);
  assert.equal(psps[1].psp.spec.allowPrivilegeEscalation, true);
});

Deno.test("a directory: every YAML/JSON file, in name order", async () => {
  const { psps } = await loadPspFiles([`${FIX}good`]);
  assert.deepEqual(psps.map((p) => p.psp.metadata.name), [
    "privileged",
    "host-ns",
    "typo",
    "procmount",
    "json-policy",
    "restricted",
  ]);
});

Deno.test("other kinds are skipped with a warning naming file and document", async () => {
  const { psps, warnings } = await loadPspFiles([`${FIX}good/mixed.yaml`]);
  assert.deepEqual(psps.map((p) => p.psp.metadata.name), ["typo", "procmount"]);
  assert.ok(
    warnings.includes(
      `${FIX}good/mixed.yaml (document 1, line 3:1): skipped ConfigMap (v1) "not-a-psp": not a PodSecurityPolicy`,
    ),
    warnings.join("\n"),
  );
  const { warnings: w2 } = load("apiVersion: v1\nmetadata: {name: x}\n");
  assert.match(w2[0], /^in\.yaml \(document 1.*\): skipped object without kind \(v1\) "x"/);
});

Deno.test("unknown spec fields: a warning naming the field and line; dropped from psp", async () => {
  const { psps, warnings } = await loadPspFiles([`${FIX}good/mixed.yaml`]);
  const typo = psps[0];
  assert.ok(
    warnings.some((w) =>
      w.startsWith(`${FIX}good/mixed.yaml (document 2, line 15:14): unknown field spec.privilegd`)
    ),
    warnings.join("\n"),
  );
  assert.equal("privilegd" in typo.psp.spec, false);
  assert.equal((typo.raw.spec as unknown as Record<string, unknown>).privilegd, true);
});

Deno.test("allowedProcMountTypes is dropped with a warning; unusable PSPs are flagged", async () => {
  const { psps, warnings } = await loadPspFiles([`${FIX}good/mixed.yaml`]);
  const pm = psps[1];
  assert.equal("allowedProcMountTypes" in pm.psp.spec, false);
  assert.ok(warnings.some((w) => w.includes("spec.allowedProcMountTypes ignored")));
  assert.ok(
    warnings.some((w) =>
      w.includes(
        'PodSecurityPolicy "procmount" is valid but unusable: MustRunAs requires at least one range',
      )
    ),
  );
});

Deno.test("JSON input", async () => {
  const { psps } = await loadPspFiles([`${FIX}good/restricted.json`]);
  assert.deepEqual(psps[0].psp.spec.runAsUser.ranges, [{ min: 1000, max: 2000 }]);
});

Deno.test("invalid PSP: InputError with file, document, line, field and the API server's message", async () => {
  let err: unknown;
  try {
    await loadPspFiles([`${FIX}bad/bad-range.yaml`]);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof InputError);
  assert.equal(err.exitCode, 2);
  assert.equal(err.field, "spec.runAsUser.ranges[0].min");
  assert.equal(
    err.message,
    `${FIX}bad/bad-range.yaml (document 1, line 11:12): spec.runAsUser.ranges[0].min: Invalid value: 2000: min cannot be greater than max`,
  );
});

Deno.test("several errors: the first located, the others listed", async () => {
  await assert.rejects(
    () => loadPspFiles([`${FIX}bad/several-errors.yaml`], { allowInvalidNames: true }),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.field, "spec.volumes");
      assert.match(e.message, /line 14:12\): spec\.volumes: Unsupported value: "hostpath"/);
      assert.match(
        e.message,
        /\(and 1 more: allowedCapabilities: Invalid value: "NET_RAW": capability is listed in allowedCapabilities and requiredDropCapabilities\)$/,
      );
      return true;
    },
  );
  await assert.rejects(
    () => loadPspFiles([`${FIX}bad/several-errors.yaml`]),
    (e: unknown) => e instanceof InputError && /metadata\.name.*and 2 more/.test(e.message),
  );
});

Deno.test("wrong JSON types: InputError naming the field", async () => {
  await assert.rejects(
    () => loadPspFiles([`${FIX}bad/bad-types.yaml`]),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.field, "spec.privileged");
      assert.match(
        e.message,
        /line 6:15\): spec\.privileged: Invalid value: "yes": must be a boolean/,
      );
      assert.match(e.message, /spec\.volumes: Invalid value: "secret": must be a list/);
      return true;
    },
  );
});

Deno.test("unsupported apiVersion for a PodSecurityPolicy is an error", async () => {
  await assert.rejects(
    () => loadPspFiles([`${FIX}bad/wrong-apiversion.yaml`]),
    (e: unknown) =>
      e instanceof InputError &&
      /apiVersion: unsupported apiVersion "policy\/v1" for PodSecurityPolicy/.test(e.message),
  );
});

Deno.test("duplicate names across inputs name both sources", async () => {
  await assert.rejects(
    () => loadPspFiles([`${FIX}good/restricted.yaml`, `${FIX}bad/duplicate.yaml`]),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.ok(e.message.startsWith(`${FIX}bad/duplicate.yaml (document 1, line 5:9)`));
      assert.match(e.message, /duplicate PodSecurityPolicy name "restricted": also defined at /);
      assert.ok(e.message.endsWith(`${FIX}good/restricted.yaml (document 1, line 2:1)`));
      return true;
    },
  );
});

Deno.test("the Falco docs' seed PSP: refused by default, accepted with both allowances", async () => {
  const file = `${FIX}seed/no_privileged.yaml`;
  await assert.rejects(
    () => loadPspFiles([file]),
    (e: unknown) =>
      e instanceof InputError && e.field === "metadata.name" &&
      e.message.includes(
        'metadata.name: Invalid value: "no_privileged": a lowercase RFC 1123 subdomain',
      ),
  );
  await assert.rejects(
    () => loadPspFiles([file], { allowInvalidNames: true }),
    (e: unknown) =>
      e instanceof InputError && e.field === "spec.runAsUser.rule" &&
      e.message.includes('Unsupported value: ""'),
  );
  const { psps, warnings } = await loadPspFiles([file], {
    allowInvalidNames: true,
    allowMissingRules: true,
  });
  assert.equal(psps.length, 1);
  const p = psps[0];
  assert.equal(p.psp.metadata.name, "no_privileged");
  assert.equal(p.psp.spec.runAsUser.rule, "RunAsAny");
  assert.equal(p.psp.spec.seLinux.rule, "RunAsAny");
  assert.equal(p.psp.spec.supplementalGroups.rule, "RunAsAny");
  assert.equal(p.psp.spec.readOnlyRootFilesystem, true);
  assert.equal(p.psp.spec.allowPrivilegeEscalation, true);
  assert.equal(p.raw.spec.runAsUser, undefined);
  assert.equal(warnings.length, 4, warnings.join("\n"));
  assert.match(
    warnings[0],
    /line 9:9\): metadata\.name: Invalid value: "no_privileged": a lowercase/,
  );
  assert.match(warnings[0], /a cluster would refuse this PodSecurityPolicy; used anyway/);
  assert.ok(warnings.some((w) => w.includes('spec.seLinux.rule: Unsupported value: ""')));
  assert.ok(
    warnings.some((w) => w.includes("spec.supplementalGroups.rule") && w.includes("RunAsAny")),
  );
});

Deno.test("allowMissingRules does not excuse a present but bad rule", () => {
  throwsInput(
    () =>
      load(
        `apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p}\nspec:\n  runAsUser: {rule: Sometimes}\n`,
        { allowMissingRules: true },
      ),
    /spec\.runAsUser\.rule: Unsupported value: "Sometimes"/,
  );
});

Deno.test("no spec (or spec under metadata): an error whatever the allowances", async () => {
  for (const name of ["missing", "indented"]) {
    const file = `${FIX}specless/${name}.yaml`;
    for (const opts of [{}, { allowInvalidNames: true, allowMissingRules: true }]) {
      await assert.rejects(() => loadPspFiles([file], opts), (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.equal(e.field, "spec");
        assert.match(e.detail, /^Required value: a PodSecurityPolicy needs a spec/);
        assert.match(e.detail, /an API server refuses it: spec\.runAsUser\.rule: Unsupported/);
        assert.equal(e.source.line, name === "missing" ? 2 : 8, name);
        return true;
      });
    }
  }
});

Deno.test("metadata: name required, generateName unsupported offline, namespace ignored", () => {
  throwsInput(
    () =>
      load(`apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {}\nspec:${RULES}\n`),
    /metadata\.name: Required value: name or generateName is required/,
  );
  throwsInput(
    () =>
      load(
        `apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {generateName: p-}\nspec:${RULES}\n`,
      ),
    /metadata\.name: Required value: a PodSecurityPolicy needs a fixed name/,
  );
  const { psps, warnings } = load(
    `apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p, namespace: x}\nspec:${RULES}\n`,
  );
  assert.equal(psps.length, 1);
  assert.match(warnings[0], /metadata\.namespace ignored: PodSecurityPolicy is cluster-scoped/);
});

Deno.test("fieldPathSegments undoes the API server's path quirks", () => {
  assert.deepEqual(fieldPathSegments("spec.runAsUser.ranges[0].min"), [
    "spec",
    "runAsUser",
    "ranges",
    0,
    "min",
  ]);
  assert.deepEqual(fieldPathSegments("allowedCapabilities"), ["spec", "allowedCapabilities"]);
  assert.deepEqual(fieldPathSegments("spec.allowedFlexVolumes.allowedFlexVolumes[1].driver"), [
    "spec",
    "allowedFlexVolumes",
    1,
    "driver",
  ]);
  assert.deepEqual(fieldPathSegments("spec.allowedCSIDrivers.allowedCSIDriver[0].name"), [
    "spec",
    "allowedCSIDrivers",
    0,
    "name",
  ]);
  assert.deepEqual(fieldPathSegments("spec.forbiddenSysctls.items"), ["spec", "forbiddenSysctls"]);
  assert.deepEqual(
    fieldPathSegments("metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]"),
    ["metadata", "annotations", "seccomp.security.alpha.kubernetes.io/pod"],
  );
});

Deno.test("stdin (-): PSPs piped in are read like a file", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const code = `
    import { loadPspFiles } from "${root}src/psp/load.ts";
    const r = await loadPspFiles(["-"]);
    console.log(JSON.stringify({ names: r.psps.map((p) => p.psp.metadata.name), source: r.psps[0].source }));
  `;
  const out = await runDeno(["eval", "--quiet", "--config", `${root}deno.json`, code], {
    stdin: await Deno.readTextFile(`${FIX}good/list.yaml`),
  });
  assert.equal(out.code, 0, out.stderr);
  const got = JSON.parse(out.stdout);
  assert.deepEqual(got.names, ["privileged", "host-ns"]);
  assert.equal(got.source.file, "-");
});

Deno.test("untrusted text in warnings and errors has its control characters escaped", () => {
  const { warnings } = load(
    `apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p}\nspec:${RULES}\n  "\\e[31mred": true\n---\nkind: "Evil\\e[2J"\napiVersion: v1\n`,
  );
  assert.equal(warnings.length, 2);
  for (const w of warnings) assert.ok(!w.includes("\u001b"), w);
  assert.match(warnings[0], /unknown field spec\.\\u001b\[31mred ignored/);
  assert.match(warnings[1], /skipped Evil\\u001b\[2J \(v1\)/);
  const err = throwsInput(() =>
    load(
      `apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p, annotations: {"\\e]0;x": 1}}\nspec:${RULES}\n`,
    )
  );
  assert.ok(!err.message.includes("\u001b"), err.message);
  assert.match(
    err.message,
    /metadata\.annotations\[\\u001b\]0;x\]: Invalid value: 1: must be a string/,
  );
});
