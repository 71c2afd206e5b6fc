/**
 * Issue 9.7: the seccomp annotation PSP admission copies from the pod's own field changes
 * nothing in effect. It stays in JSON/YAML (`effect: "none"`), does not make a row `changed`
 * (summary, --fail-on changed), and is out of the table's reasons and SARIF unless asked.
 */
import assert from "node:assert/strict";
import { ReportBuilder } from "../../src/report/build.ts";
import { reportFails } from "../../src/report/model.ts";
import { renderReport } from "../../src/report/render.ts";
import { reasons, renderTable } from "../../src/report/table.ts";
import { parse } from "yaml";
import {
  CHANGED_AND_COSMETIC,
  COSMETIC,
  podSubject,
  SECCOMP_COPY,
  SECCOMP_POD,
} from "./helpers.ts";

function report() {
  const b = new ReportBuilder(["privileged", "restricted"]);
  b.add(podSubject("copy"), COSMETIC);
  b.add(podSubject("both"), CHANGED_AND_COSMETIC);
  return b.finish();
}

Deno.test("a pod changed only without effect is admitted; JSON and YAML keep the change", () => {
  const r = report();
  const copy = r.items.find((i) => i.name === "copy")!;
  assert.equal(copy.verdict, "admitted");
  assert.equal(copy.policy, "privileged");
  assert.deepEqual([r.summary.admitted, r.summary.changed], [1, 1]);
  assert.equal(reportFails(r, "changed"), true, "the other row has a real change");
  const doc = JSON.parse(renderReport(r, "json"));
  const item = doc.items.find((i: { name: string }) => i.name === "copy");
  assert.deepEqual(item.results[0].changes, [
    {
      field: `metadata.annotations[${SECCOMP_POD}]`,
      from: null,
      to: "runtime/default",
      effect: "none",
    },
  ]);
  assert.equal(item.verdict, "admitted");
  assert.deepEqual(parse(renderReport(r, "yaml")), doc);
  // Real changes carry no `effect`.
  const both = doc.items.find((i: { name: string }) => i.name === "both");
  assert.equal(both.verdict, "changed");
  assert.deepEqual(both.results[0].changes.map((c: object) => "effect" in c), [true, false, false]);
});

Deno.test("--fail-on changed ignores changes without effect", () => {
  const b = new ReportBuilder(["privileged"]);
  b.add(podSubject("copy"), COSMETIC);
  const r = b.finish();
  assert.equal(reportFails(r, "changed"), false);
  assert.deepEqual([r.summary.admitted, r.summary.changed], [1, 0]);
});

Deno.test("decisions that differ only in a change's effect are not shared", () => {
  const b = new ReportBuilder(["privileged"]);
  const real = { ...SECCOMP_COPY, effect: undefined };
  b.add(podSubject("copy"), COSMETIC);
  b.add(podSubject("default"), {
    ...COSMETIC,
    results: [{ ...COSMETIC.results[0], changes: [real] }],
  });
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.name, i.verdict]), [
    ["copy", "admitted"],
    ["default", "changed"],
  ]);
});

Deno.test("the table leaves changes without effect out of verdicts and reasons unless asked", () => {
  const r = report();
  const plain = renderTable(r);
  assert.ok(!plain.includes("Pod/copy"));
  assert.ok(!plain.includes("no effect"));
  const both = r.items.find((i) => i.name === "both")!;
  assert.equal(
    reasons(both),
    "spec.containers[0].securityContext.runAsNonRoot: unset -> true (+1 more)",
  );
  const shown = renderTable(r, { showCosmetic: true }).split("\n");
  const copyLine = shown.find((l) => l.includes("Pod/copy"))!;
  assert.match(
    copyLine,
    /admitted\s+privileged\s+metadata\.annotations\[seccomp\.security\.alpha\.kubernetes\.io\/pod\]: unset -> "runtime\/default" \(no effect\)$/,
  );
  assert.match(shown.find((l) => l.includes("Pod/both"))!, /changed .*\(no effect\) \(\+2 more\)$/);
  assert.match(renderTable(r, { showAdmitted: true }), /Pod\/copy\s+1\s+admitted\s+privileged\n/);
});

Deno.test("SARIF has no results for changes without effect; JUnit marks them", () => {
  for (const failOn of ["refused", "changed"] as const) {
    const results = JSON.parse(renderReport(report(), "sarif", { failOn })).runs[0].results;
    assert.deepEqual(
      results.map((x: { message: { text: string } }) => x.message.text.split(": ")[0]),
      ["Pod ns/both", "Pod ns/both"],
    );
    assert.ok(
      results.every((x: { message: { text: string } }) => !x.message.text.includes("seccomp")),
    );
  }
  const xml = renderReport(report(), "junit", { failOn: "changed" });
  assert.match(xml, /failures="1"/);
  assert.match(
    xml,
    /<system-out>admitted by PSP privileged\nmetadata\.annotations\[seccomp[^\n]*&quot;runtime\/default&quot; \(no effect\)<\/system-out>/,
  );
});
