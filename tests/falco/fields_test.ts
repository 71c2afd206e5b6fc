/**
 * Per-field fixtures (fixtures/fields/<field>/: psp.yaml, pass.yaml, fail.yaml, mutate.yaml):
 * the current-target rules generated for the PSP, evaluated by the test-side Falco engine on
 * the pods as audit events, raise a Violation for exactly that field on every pod that fails,
 * nothing on pods that pass, and a Mutation (not a Violation) on pods admission would change.
 */
import assert from "node:assert/strict";
import { generateRules } from "../../src/falco/generate.ts";
import { PSP_FIELDS } from "../../src/model/psp_fields.ts";
import { loadObjects } from "../../src/io/documents.ts";
import { loadPspFiles } from "../../src/psp/load.ts";
import { auditEventFromObject, firingRules, loadRules } from "../support/falco/mod.ts";

const FIELDS_DIR = new URL("../../fixtures/fields/", import.meta.url);
const VIOLATION = /^PSP (?:.* )?Violation \(([A-Za-z]+)[^)]*\) K8s Audit$/;
const MUTATION = /^PSP (?:.* )?Mutation \(([A-Za-z]+)[^)]*\) K8s Audit$/;

function fixtureDirs(): string[] {
  return [...Deno.readDirSync(FIELDS_DIR)].filter((e) => e.isDirectory).map((e) => e.name).sort();
}

/** The PSP field a fixture directory is about (`runAsUser-nonroot` -> `runAsUser`). */
function fieldOf(dir: string): string {
  return dir.split("-")[0];
}

function auditEvent(pod: Record<string, unknown>) {
  const meta = pod.metadata as { name: string; namespace?: string };
  return auditEventFromObject({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "RequestResponse",
    auditID: crypto.randomUUID(),
    stage: "ResponseComplete",
    requestURI: `/api/v1/namespaces/${meta.namespace ?? "default"}/pods`,
    verb: "create",
    user: { username: "fixture" },
    objectRef: {
      resource: "pods",
      namespace: meta.namespace ?? "default",
      name: meta.name,
      apiVersion: "v1",
    },
    responseStatus: { metadata: {}, code: 201 },
    requestObject: pod,
    responseObject: { kind: "Pod", apiVersion: "v1", metadata: { name: meta.name } },
    stageTimestamp: "2026-11-28T12:00:00.000000Z",
  });
}

/** The pods of a fixture file; the file must exist and hold at least one pod. */
async function pods(dir: string, file: string): Promise<Record<string, unknown>[]> {
  const path = new URL(`${dir}/${file}`, FIELDS_DIR).pathname;
  const found = (await loadObjects([path], {})).map((o) => o.object);
  assert.ok(found.length > 0, `${dir}/${file} holds no pod`);
  return found;
}

/** Like pods(), for a file a fixture may leave out (fail.yaml, mutate.yaml): [] when absent. */
async function optionalPods(dir: string, file: string): Promise<Record<string, unknown>[]> {
  const present = [...Deno.readDirSync(new URL(`${dir}/`, FIELDS_DIR))].some((e) =>
    e.name === file
  );
  return present ? await pods(dir, file) : [];
}

Deno.test("every PSP field and annotation has a fixture directory", () => {
  const covered = new Set(fixtureDirs().map(fieldOf));
  assert.deepEqual(PSP_FIELDS.filter((f) => !covered.has(f)), []);
});

for (const dir of fixtureDirs()) {
  const field = fieldOf(dir);
  Deno.test({
    name: `fixtures/fields/${dir}: rules fire exactly for ${field}`,
    fn: async () => {
      const psp = new URL(`${dir}/psp.yaml`, FIELDS_DIR).pathname;
      const { psps } = await loadPspFiles([psp], {});
      assert.equal(psps.length, 1);
      const { yaml } = generateRules([psps[0].psp], { target: "current", prefix: true });
      const ruleset = loadRules(yaml, "current");
      assert.deepEqual(ruleset.errors, [], "the rules load");
      const fired = (pod: Record<string, unknown>) => {
        const names = firingRules(ruleset, auditEvent(pod)).map((r) => r.name);
        return {
          violations: names.flatMap((n) => VIOLATION.exec(n)?.[1] ?? []),
          mutations: names.flatMap((n) => MUTATION.exec(n)?.[1] ?? []),
        };
      };
      const name = (p: Record<string, unknown>) => (p.metadata as { name: string }).name;
      const fail = await optionalPods(dir, "fail.yaml");
      const pass = await pods(dir, "pass.yaml");
      const mutate = await optionalPods(dir, "mutate.yaml");
      assert.ok(fail.length + mutate.length > 0, "the fixture has pods that fail or are changed");
      assert.ok(pass.length > 0, "the fixture has pods that pass");
      for (const p of fail) {
        assert.deepEqual(fired(p).violations, [field], `fail.yaml ${name(p)}: violations`);
      }
      for (const p of pass) {
        assert.deepEqual(fired(p).violations, [], `pass.yaml ${name(p)}: violations`);
        assert.ok(
          !fired(p).mutations.includes(field),
          `pass.yaml ${name(p)}: no ${field} mutation`,
        );
      }
      for (const p of mutate) {
        const f = fired(p);
        assert.deepEqual(f.violations, [], `mutate.yaml ${name(p)}: violations`);
        assert.ok(f.mutations.includes(field), `mutate.yaml ${name(p)}: ${field} mutation fires`);
      }
    },
  });
}

/** Fields falcoctl missed that the 0.27 target checks with Falco 0.27's jevt.value. */
const LEGACY_EXTRA_FIELDS = [
  "seLinux",
  "allowedCSIDrivers",
  "forbiddenSysctls",
  "allowedUnsafeSysctls",
  "runtimeClass",
];

for (const dir of LEGACY_EXTRA_FIELDS) {
  Deno.test(`fixtures/fields/${dir}: the Falco 0.27 rules check ${dir} too`, async () => {
    const psp = new URL(`${dir}/psp.yaml`, FIELDS_DIR).pathname;
    const { psps } = await loadPspFiles([psp], {});
    const { yaml } = generateRules([psps[0].psp], { target: "0.27", prefix: true });
    const ruleset = loadRules(yaml, "0.27");
    assert.deepEqual([ruleset.errors, ruleset.warnings], [[], []]);
    const fires = (pod: Record<string, unknown>) =>
      firingRules(ruleset, auditEvent(pod)).some((r) => r.name.includes(`Violation (${dir})`));
    for (const p of await pods(dir, "fail.yaml")) assert.ok(fires(p), JSON.stringify(p.metadata));
    for (const p of await pods(dir, "pass.yaml")) assert.ok(!fires(p), JSON.stringify(p.metadata));
  });
}

Deno.test("fixtures/fields/privileged: with prefixes the Falco 0.27 rules check init containers", async () => {
  const { psps } = await loadPspFiles([new URL("privileged/psp.yaml", FIELDS_DIR).pathname], {});
  const ruleset = loadRules(
    generateRules([psps[0].psp], { target: "0.27", prefix: true }).yaml,
    "0.27",
  );
  assert.deepEqual([ruleset.errors, ruleset.warnings], [[], []]);
  const fired = async (file: string) =>
    Object.fromEntries(
      (await pods("privileged", file)).map((p) => [
        (p.metadata as { name: string }).name,
        firingRules(ruleset, auditEvent(p)).map((r) => r.name).filter((n) =>
          n.includes("(privileged")
        ),
      ]),
    );
  assert.deepEqual(await fired("fail.yaml"), {
    "privileged": ["PSP f_privileged Violation (privileged) K8s Audit"],
    "init-privileged": ["PSP f_privileged Violation (privileged, init containers) K8s Audit"],
    // falcoctl's own rule: Falco 0.27 gives <NA> for all containers when one lacks the field.
    "sidecar-privileged": [],
  });
  assert.deepEqual(await fired("pass.yaml"), { "plain": [], "privileged-false": [] });
});
