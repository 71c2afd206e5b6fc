/**
 * Rendering dispatch: each output format gets its own renderer (none falls back to the
 * table), with the options that renderer takes.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { fileInputs } from "../../src/audit/inputs.ts";
import { auditPods } from "../../src/audit/run.ts";
import { renderJsonChunks, renderYamlChunks } from "../../src/report/document.ts";
import { renderJunitChunks } from "../../src/report/junit.ts";
import { OUTPUT_FORMATS, renderReportChunks } from "../../src/report/render.ts";
import { renderTable } from "../../src/report/table.ts";

const FX = new URL("../../fixtures/audit/", import.meta.url).pathname;

async function fixtureReport() {
  const inputs = fileInputs({
    pspFile: [`${FX}psps.yaml`],
    filename: [`${FX}workloads.yaml`],
    recursive: false,
    auditLog: [],
    rbacFile: [],
    creatorGroups: [],
  }, () => {});
  return await auditPods(await inputs.policies(), inputs, undefined, new Set(["restricted"]), {
    positions: true,
  });
}

Deno.test("renderReportChunks: every output format has its own renderer", async () => {
  const report = await fixtureReport();
  assert.ok(report.summary.refused > 0 && report.summary.changed > 0, "a report with findings");
  const out = (f: typeof OUTPUT_FORMATS[number], failOn?: "refused" | "changed") =>
    [...renderReportChunks(report, f, { showAdmitted: true, failOn })].join("");
  assert.equal(out("table"), renderTable(report, { showAdmitted: true }));
  assert.equal(out("json"), [...renderJsonChunks(report)].join(""));
  assert.equal(out("yaml"), [...renderYamlChunks(report)].join(""));
  assert.equal(JSON.parse(out("json")).kind, "AuditReport");
  assert.equal(parseYaml(out("yaml")).kind, "AuditReport");
  const sarif = JSON.parse(out("sarif"));
  assert.equal(sarif.version, "2.1.0");
  assert.ok(sarif.runs[0].results.length > 0);
  assert.equal(out("junit"), [...renderJunitChunks(report)].join(""));
  assert.notEqual(out("junit", "changed"), out("junit"), "--fail-on reaches the JUnit renderer");
  const outputs = OUTPUT_FORMATS.map((f) => out(f));
  assert.equal(new Set(outputs).size, OUTPUT_FORMATS.length, "no two formats render alike");
});
