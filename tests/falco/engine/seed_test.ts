/**
 * The rules file of the Falco 0.27 docs page (../shared/seed), loaded and evaluated by the
 * engine on the real audit events of ../shared/oracle.
 */
import assert from "node:assert/strict";
import { type AuditEvent, auditEventFromJson } from "../../support/falco/event.ts";
import { checkLoad } from "../../support/falco/load_check.ts";
import { firingRules } from "../../support/falco/mod.ts";
import { SHARED_DIR } from "../../support/shared.ts";

const SHARED = SHARED_DIR;

async function seedRules(): Promise<string> {
  const page = await Deno.readTextFile(new URL("seed/000_7e39e79a8ff469ca.txt", SHARED));
  const start = page.indexOf("- required_engine_version: 5");
  const end = page.indexOf("PSP 규칙 평가를");
  assert.ok(start >= 0 && end > start, "the rules file is found in the seed page");
  return page.slice(start, end);
}

async function eventsByPod(): Promise<Map<string, AuditEvent>> {
  const text = await Deno.readTextFile(new URL("oracle/audit-events.jsonl", SHARED));
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
    "Falco 0.42",
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
