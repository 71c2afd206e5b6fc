/**
 * Oracle agreement of the current-target k8s_audit rules (issue 2, "Tests", second bullet):
 * for every PSP of fixtures/oracle/corpus.json alone, the generated "Violation" k8s_audit
 * rules, evaluated by the test-side Falco engine (current Falco, k8saudit 0.18 + json 0.7)
 * on every real audit event, fire exactly on the PSP fields the real kube-apiserver named
 * when it refused the pod under that PSP; an admitted pod fires nothing. The written
 * exceptions are documented in tests/support/falco/oracle_agreement.ts.
 */
import assert from "node:assert/strict";
import {
  agreementLine,
  disagreementReport,
  figureLines,
  type GenerateRules,
  readOracle,
  runOracleAgreement,
} from "../support/falco/oracle_agreement.ts";
import { generateRules } from "../../src/falco/generate.ts";
import { sharedOrIgnore } from "../support/shared.ts";

const REALWORLD = sharedOrIgnore("oracle/realworld/", import.meta.url);

Deno.test("current-target Violation rules fire exactly on the fields the API server refused", async (t) => {
  const oracle = await readOracle();
  assert.equal(oracle.psps.length, 33, "PSPs in corpus.json");
  assert.equal(oracle.events.length, 408, "events in audit-events.jsonl");
  const report = runOracleAgreement(generateRules, oracle);
  console.log(agreementLine(report));
  for (const [note, n] of report.exceptions) console.log(`  exception (${n} events): ${note}`);
  console.log(figureLines(report).join("\n"));
  await t.step("the generated rules of every PSP load", () => {
    assert.deepEqual(report.loadProblems, []);
  });
  assert.equal(report.pairs, 33 * 136, "every (PSP, pod) pair is compared");
  await t.step("no (PSP, pod) pair disagrees", () => {
    if (report.disagreements.length > 0) assert.fail(disagreementReport(report));
  });
  await t.step("a rule checking the wrong field is caught (control)", () => {
    // Relabel the privileged Violation rule as another field: the comparison must report
    // the privileged refusals as missing and the relabelled firings as extra.
    const relabel: GenerateRules = (psps, opts) => {
      const r = generateRules(psps, opts);
      return {
        ...r,
        yaml: r.yaml.replaceAll(
          "Violation (privileged) K8s Audit",
          "Violation (bogusField) K8s Audit",
        ),
      };
    };
    const subset = { ...oracle, psps: oracle.psps.filter((p) => p.metadata.name === "restricted") };
    const broken = runOracleAgreement(relabel, subset);
    assert.ok((broken.perField.get("privileged")?.missing ?? 0) > 0, "privileged refusals missed");
    assert.ok(
      (broken.perField.get("bogusField")?.extra ?? 0) > 0,
      "relabelled rule firings reported",
    );
    assert.ok(broken.agreeing < broken.pairs);
  });
});

Deno.test({
  name: "real-world corpus: current-target Violation rules fire exactly on the refused fields",
  ignore: REALWORLD.ignore,
  fn: async () => {
    const oracle = await readOracle(REALWORLD.url, true);
    assert.equal(oracle.psps.length, 77, "PSPs in realworld/corpus.json");
    assert.equal(oracle.events.length, 216, "events in realworld/audit-events.jsonl.gz");
    const report = runOracleAgreement(generateRules, oracle);
    console.log(agreementLine(report).replace("[current target", "[real-world, current target"));
    for (const [note, n] of report.exceptions) console.log(`  exception (${n} events): ${note}`);
    console.log(figureLines(report).join("\n"));
    assert.deepEqual(report.loadProblems, []);
    assert.ok(report.pairs > 77 * 200, `pairs compared: ${report.pairs}`);
    if (report.disagreements.length > 0) assert.fail(disagreementReport(report));
  },
});
