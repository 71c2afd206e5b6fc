/**
 * Property-based fuzzing of `audit-pods` (issue 5), seeded (FUZZ_SEED), a fixed number of cases:
 * random and mutated pods, serialised as YAML or JSON, go through the same steps as the CLI
 * (parseObjects, extractFromObject, compilePolicy/admitPod against random PSPs that load, the
 * report builder and every renderer). Properties: the only exceptions are the project's input
 * errors; admission never throws and never mutates its input; the json and sarif reports parse
 * and the yaml report means exactly what the json one does; the junit report holds no character XML 1.0 forbids; the table holds no control
 * character (no terminal escape from a hostile pod name or value).
 */
import assert from "node:assert/strict";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { admitPod, type CompiledPolicy, compilePolicy } from "../../src/admission/admit.ts";
import { renderReportChunks } from "../../src/report/render.ts";
import { parseObjects } from "../../src/io/documents.ts";
import { loadPsps } from "../../src/psp/load.ts";
import { ReportBuilder } from "../../src/report/build.ts";
import { extractFromObject } from "../../src/workloads/extract.ts";
import type { PodSubject } from "../../src/workloads/subject.ts";
import { isInputRefusal } from "../hostile/meaning.ts";
import { fuzzCases, fuzzSeed, Random, randomPod, randomPsp, timeCeiling } from "./random.ts";

const SEED = fuzzSeed();
/** Random pods: the same ones, and outcome, on any machine. */
const PODS = fuzzCases(500);

/** Random PSPs that the loader accepts (as audit-pods loads them), compiled. */
function randomPolicies(r: Random, n: number): CompiledPolicy[] {
  const out: CompiledPolicy[] = [];
  const names = new Set<string>();
  for (let tries = 0; out.length < n && tries < 500; tries++) {
    try {
      const { psps } = loadPsps(parseObjects(JSON.stringify(randomPsp(r)), "psp.json"), {
        allowInvalidNames: true,
      });
      for (const p of psps) {
        if (names.has(p.psp.metadata.name!)) continue;
        names.add(p.psp.metadata.name!);
        out.push(compilePolicy(p.psp));
      }
    } catch (e) {
      if (!isInputRefusal(e)) throw e;
    }
  }
  return out;
}

// deno-lint-ignore no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
// deno-lint-ignore no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

Deno.test("fuzz audit-pods: random and mutated pods give input errors or a decision and valid reports", () => {
  const r = new Random(SEED);
  const policies = randomPolicies(r, 6);
  assert.ok(policies.length >= 3, `only ${policies.length} random PSPs loaded`);
  const builder = new ReportBuilder(policies.map((p) => p.name).sort());
  const tally = { audited: 0, refusedInput: 0 };
  const failures = new Map<string, string>();
  const ceiling = timeCeiling("fuzz audit-pods", PODS, SEED);
  let i = 0;
  for (; i < PODS; i++, ceiling(i)) {
    const pod = randomPod(r);
    const text = r.chance(0.5) ? JSON.stringify(pod) : stringifyYaml(pod);
    let subject: PodSubject | undefined;
    try {
      subject = extractFromObject(parseObjects(text, "pod.yaml")[0]).subject;
    } catch (e) {
      if (isInputRefusal(e)) {
        tally.refusedInput++;
        continue;
      }
      const key = `${(e as Error).name}: ${(e as Error).message}`.slice(0, 100);
      if (!failures.has(key)) failures.set(key, `pod ${i}: uncaught ${key}\n${text}`);
      continue;
    }
    if (!subject) continue;
    const before = JSON.stringify(subject.pod);
    try {
      const candidates = policies.filter(() => r.chance(0.7));
      const others = policies.filter((p) => !candidates.includes(p));
      const decision = admitPod(subject.pod, candidates, { otherPolicies: others });
      admitPod(subject.pod, policies, { ephemeralContainers: true });
      assert.equal(JSON.stringify(subject.pod), before, "admitPod changed its input pod");
      builder.add(subject, decision);
      tally.audited++;
    } catch (e) {
      const key = `${(e as Error).name}: ${(e as Error).message}`.slice(0, 100);
      if (!failures.has(key)) failures.set(key, `pod ${i}: admission threw ${key}\n${text}`);
    }
  }
  const report = builder.finish();
  const render = (format: "json" | "yaml" | "sarif" | "junit" | "table") =>
    [...renderReportChunks(report, format, { showAdmitted: true, color: false })].join("");
  try {
    const json = JSON.parse(render("json"));
    assert.equal(json.kind, "AuditReport");
    // the YAML report says exactly what the JSON one says (no name read as a number or bool)
    assert.deepEqual(parseYaml(render("yaml"), { maxAliasCount: -1 }), json, "yaml != json");
    assert.equal(JSON.parse(render("sarif")).version, "2.1.0");
    const junit = render("junit");
    assert.ok(junit.startsWith("<?xml"), "junit is XML");
    assert.doesNotMatch(junit, XML_FORBIDDEN, "junit holds a character XML 1.0 forbids");
    const table = render("table");
    assert.doesNotMatch(table, TERMINAL_CONTROL, "the table holds a control character");
  } catch (e) {
    failures.set("render", `rendering: ${(e as Error).message.slice(0, 500)}`);
  }
  console.log(
    `audit-pods: ${i} pods, seed ${SEED}: ${tally.audited} audited, ${tally.refusedInput} input errors, ${failures.size} distinct failure(s)`,
  );
  assert.deepEqual([...failures.values()], [], `FUZZ_SEED=${SEED}`);
  assert.ok(tally.audited > 50, "too few pods reached admission to mean anything");
});
