/**
 * The rules file of the Falco 0.27 docs page (fixtures/seed/expected_rules_0.27.yaml, checked
 * against the page itself where the shared directory has it), loaded and evaluated by the
 * engine on the real audit events of fixtures/oracle.
 */
import assert from "node:assert/strict";
import { type AuditEvent, auditEventFromJson } from "../../support/falco/event.ts";
import { checkLoad } from "../../support/falco/load_check.ts";
import { firingRules } from "../../support/falco/mod.ts";
import { ORACLE_DIR, sharedOrIgnore } from "../../support/shared.ts";

/** The Falco 0.27 docs page (third-party: read from the shared directory, never committed). */
const PAGE = sharedOrIgnore("seed/000_7e39e79a8ff469ca.txt", import.meta.url);
const FIXTURES = new URL("../../../fixtures/seed/", import.meta.url);

function seedRules(): Promise<string> {
  return Deno.readTextFile(new URL("expected_rules_0.27.yaml", FIXTURES));
}

/** A fixture without its leading `#` lines (which say where it comes from). */
function withoutHeader(text: string): string {
  return text.replace(/^(#.*\n)+\n?/, "");
}

Deno.test({
  name: "fixtures/seed hold the docs page's PSP and rules file verbatim",
  ignore: PAGE.ignore,
}, async () => {
  const page = await Deno.readTextFile(PAGE.url);
  const rules = withoutHeader(await seedRules());
  const psp = withoutHeader(await Deno.readTextFile(new URL("no_privileged.yaml", FIXTURES)));
  assert.ok(rules.startsWith("- required_engine_version: 5"), "the fixture starts as the page's");
  assert.ok(page.includes(rules.trimEnd()), "the page shows the rules fixture verbatim");
  assert.ok(page.includes(psp.trimEnd()), "the page shows the PSP fixture verbatim");
});

async function eventsByPod(): Promise<Map<string, AuditEvent>> {
  const text = await Deno.readTextFile(new URL("audit-events.jsonl", ORACLE_DIR));
  const map = new Map<string, AuditEvent>();
  for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
    const ev = auditEventFromJson(line);
    const name = (ev.json as { objectRef: { name: string } }).objectRef.name;
    if (!map.has(name)) map.set(name, ev);
  }
  return map;
}

const K8S_PRIV = "PSP Violation (privileged) K8s Audit";
const K8S_RO = "PSP Violation (readOnlyRootFilesystem) K8s Audit";

Deno.test("seed rules load in Falco 0.27 with no error and no warning", async () => {
  const r = checkLoad(await seedRules(), "0.27");
  assert.deepEqual([r.errors, r.warnings], [[], []]);
  assert.deepEqual(r.ruleset.rules.map((x) => `${x.name}/${x.source}`), [
    `${K8S_PRIV}/k8s_audit`,
    "PSP Violation (privileged) System Activity/syscall",
    `${K8S_RO}/k8s_audit`,
    "PSP Violation (readOnlyRootFilesystem) System Activity/syscall",
  ]);
});

Deno.test("seed rules in current Falco: they load, with the warnings a 0.27 file earns", async () => {
  const r = checkLoad(await seedRules(), "current");
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.warnings.map((w) => w.replace(/:.*/, "")).sort(), [
    "Falco 0.43",
    "LOAD_UNUSED_MACRO",
    "LOAD_UNUSED_MACRO",
  ]);
  assert.match(r.warnings.join("\n"), /macro psp_ka_never_true[\s\S]*macro psp_never_true/);
});

Deno.test("seed rules on real audit events, Falco 0.27 semantics", async () => {
  const set = checkLoad(await seedRules(), "0.27").ruleset;
  const events = await eventsByPod();
  const fired = (pod: string) => firingRules(set, events.get(pod)!).map((r) => r.name).sort();
  assert.deepEqual(fired("privileged"), [K8S_PRIV, K8S_RO]);
  // readOnlyRootFilesystem unset: the field is <NA>, `not ... in (true)` fires, although
  // the API server admits the pod (PSP admission defaults it to true)
  assert.deepEqual(fired("plain"), [K8S_RO]);
  assert.deepEqual(fired("readonly-true"), []);
  assert.deepEqual(fired("readonly-false"), [K8S_RO]);
  // 0.27 reads spec.containers only
  assert.deepEqual(fired("init-privileged"), [K8S_RO]);
  // `in (psp_images)` needs every container's repository listed: nginx + envoy is out of scope
  assert.deepEqual(fired("sidecar-privileged"), []);
  assert.deepEqual(fired("image-other"), []);
});

Deno.test("seed rules on real audit events, current semantics", async () => {
  const set = checkLoad(await seedRules(), "current").ruleset;
  const events = await eventsByPod();
  const fired = (pod: string) => firingRules(set, events.get(pod)!).map((r) => r.name).sort();
  assert.deepEqual(fired("privileged"), [K8S_PRIV, K8S_RO]);
  // absent value: `not X in (true)` is true
  assert.deepEqual(fired("plain"), [K8S_RO]);
  assert.deepEqual(fired("readonly-true"), []);
  assert.deepEqual(fired("sidecar-privileged"), []);
  assert.deepEqual(fired("image-other"), []);
});
