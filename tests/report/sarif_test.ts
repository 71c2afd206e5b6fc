import assert from "node:assert/strict";
import { parseObjects } from "../../src/io/documents.ts";
import { ReportBuilder } from "../../src/report/build.ts";
import { artifactUri, renderSarifChunks } from "../../src/report/sarif.ts";
import { extractFromObject } from "../../src/workloads/extract.ts";
import { ADMITTED, CHANGED, podSubject, REFUSED } from "./helpers.ts";

const POD = [
  "apiVersion: v1",
  "kind: Pod",
  "metadata: {name: bad, namespace: ns}",
  "spec:",
  "  hostNetwork: true",
  "  containers:",
  "    - name: app",
  "      securityContext:",
  "        privileged: true",
].join("\n");

function sarif(failOn?: "refused" | "changed") {
  const b = new ReportBuilder(["restricted"]);
  b.add(extractFromObject(parseObjects(POD, "dir/bad pod.yaml")[0]).subject!, REFUSED);
  b.add({ ...podSubject("mutated"), source: { file: "-", document: 1 } }, CHANGED);
  b.add(podSubject("ok"), ADMITTED);
  return JSON.parse([...renderSarifChunks(b.finish(), { version: "9.9.9", failOn })].join(""));
}

Deno.test("SARIF 2.1.0: one error result per violation at its line, rule per control", () => {
  const log = sarif();
  assert.equal(log.version, "2.1.0");
  const run = log.runs[0];
  assert.equal(run.tool.driver.name, "kubectl-falco-psp");
  assert.equal(run.tool.driver.version, "9.9.9");
  const errors = run.results.filter((r: { level: string }) => r.level === "error");
  assert.deepEqual(errors.map((r: { ruleId: string }) => r.ruleId), ["privileged", "hostNetwork"]);
  const [priv, hostNet] = errors;
  assert.equal(run.tool.driver.rules[priv.ruleIndex].id, "privileged");
  const loc = priv.locations[0].physicalLocation;
  assert.equal(loc.artifactLocation.uri, "dir/bad%20pod.yaml");
  assert.deepEqual(loc.region, { startLine: 9, startColumn: 21 });
  assert.equal(hostNet.locations[0].physicalLocation.region.startLine, 5);
  assert.match(priv.message.text, /^Pod ns\/bad: refused by PSP restricted: spec\.containers\[0\]/);
});

Deno.test("changes are notes (warnings with --fail-on changed); stdin inputs get logical locations", () => {
  const notes = sarif().runs[0].results.filter((r: { level: string }) => r.level === "note");
  assert.equal(notes.length, 2);
  assert.deepEqual(notes.map((n: { ruleId: string }) => n.ruleId), ["runAsUser", "fsGroup"]);
  assert.equal(notes[0].locations[0].physicalLocation, undefined);
  assert.equal(notes[0].locations[0].logicalLocations[0].fullyQualifiedName, "ns/Pod/mutated");
  const warnings = sarif("changed").runs[0].results.filter((r: { level: string }) =>
    r.level === "warning"
  );
  assert.equal(warnings.length, 2);
});

Deno.test("admitted pods produce no results; absolute paths become file URIs", () => {
  const results = sarif().runs[0].results;
  assert.ok(results.every((r: { message: { text: string } }) => !r.message.text.includes("/ok")));
  assert.equal(artifactUri("/tmp/a b/x.yaml"), "file:///tmp/a%20b/x.yaml");
});
