import assert from "node:assert/strict";
import { parse } from "yaml";
import { ReportBuilder } from "../../src/report/build.ts";
import { renderJsonChunks, reportDocument } from "../../src/report/document.ts";
import { renderReport } from "../../src/report/render.ts";
import { ADMITTED, CHANGED, podSubject, REFUSED } from "./helpers.ts";

function report() {
  const b = new ReportBuilder(["privileged", "restricted"]);
  b.add(podSubject("ok"), ADMITTED);
  b.add(podSubject("mutated"), CHANGED);
  b.add(podSubject("bad"), REFUSED);
  return b.finish();
}

Deno.test("-o json is the AuditReport document with the issue's fields", () => {
  const doc = JSON.parse(renderReport(report(), "json"));
  assert.equal(doc.apiVersion, "falco-psp/v1");
  assert.equal(doc.kind, "AuditReport");
  assert.deepEqual(Object.keys(doc), ["apiVersion", "kind", "items", "summary"]);
  for (const it of doc.items) {
    for (
      const k of ["kind", "namespace", "name", "source", "verdict", "policy", "results", "admitted"]
    ) {
      assert.ok(k in it, `item has ${k}`);
    }
    assert.ok(!("location" in it), "internal positions stay out");
  }
  const bad = doc.items.find((i: { name: string }) => i.name === "bad");
  assert.deepEqual(bad.results[0].violations[0], REFUSED.results[0].violations[0]);
  assert.deepEqual(bad.source, { file: "pods.yaml", document: 1, display: "pods.yaml" });
  const mutated = doc.items.find((i: { name: string }) => i.name === "mutated");
  assert.deepEqual(mutated.results[0].changes[1], {
    field: "spec.securityContext.fsGroup",
    from: null,
    to: 1,
    pspField: "fsGroup",
  });
  assert.deepEqual(mutated.admitted.metadata.annotations, { "kubernetes.io/psp": "restricted" });
  assert.deepEqual(doc.summary, {
    items: 3,
    admitted: 1,
    changed: 1,
    refused: 1,
    pods: 3,
    policies: ["privileged", "restricted"],
  });
});

Deno.test("-o json is rendered in pieces that join to the whole document", () => {
  const b = new ReportBuilder(["privileged", "restricted"]);
  b.add(podSubject("ok"), ADMITTED);
  b.add(podSubject("mutated"), CHANGED);
  b.add(podSubject("bad"), REFUSED);
  // shares the refused decision, and so the rendering of its results, with "bad"
  b.add(podSubject("bad-too"), REFUSED);
  const r = b.finish();
  assert.equal(r.items.length, 4);
  const chunks = [...renderJsonChunks(r)];
  assert.ok(chunks.length > r.items.length, "at least one chunk per item");
  // joined, the pieces (shared renderings included) are exactly what one JSON.stringify of
  // the whole document prints
  assert.equal(chunks.join(""), JSON.stringify(reportDocument(r), null, 2) + "\n");
  const items: { name: string; results: unknown }[] = JSON.parse(chunks.join("")).items;
  const byName = new Map(items.map((i) => [i.name, i]));
  assert.deepEqual([...byName.keys()].sort(), ["bad", "bad-too", "mutated", "ok"]);
  assert.deepEqual(byName.get("bad-too")!.results, byName.get("bad")!.results);
  const empty = new ReportBuilder([]).finish();
  assert.deepEqual(JSON.parse(renderReport(empty, "json")).items, []);
  assert.deepEqual(parse(renderReport(empty, "yaml")).items, []);
});

Deno.test("-o yaml is the same document", () => {
  const r = report();
  assert.deepEqual(parse(renderReport(r, "yaml")), JSON.parse(renderReport(r, "json")));
});

Deno.test("untrusted text stays data in YAML", () => {
  const b = new ReportBuilder([]);
  const nasty = "x\n  injected: true\n- item: 1 # ' \" &a *a !!js/function";
  b.add(podSubject(nasty), {
    ...ADMITTED,
    admitted: { ...ADMITTED.admitted!, metadata: { annotations: { [nasty]: nasty } } },
  });
  const doc = parse(renderReport(b.finish(), "yaml"));
  assert.equal(doc.items.length, 1);
  assert.equal(doc.items[0].name, nasty);
  assert.deepEqual(doc.items[0].admitted.metadata.annotations, { [nasty]: nasty });
});
