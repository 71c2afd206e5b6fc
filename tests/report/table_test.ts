import assert from "node:assert/strict";
import { ReportBuilder } from "../../src/report/build.ts";
import { reasons, renderTable } from "../../src/report/table.ts";
import { ADMITTED, CHANGED, podSubject, REFUSED } from "./helpers.ts";

function report() {
  const b = new ReportBuilder(["privileged", "restricted"]);
  b.add(podSubject("ok"), ADMITTED);
  b.add(podSubject("mutated"), CHANGED);
  b.add(podSubject("bad"), REFUSED);
  return b.finish();
}

Deno.test("the table lists refused and changed rows with their first reason, then a summary", () => {
  const out = renderTable(report());
  const lines = out.trimEnd().split("\n");
  assert.match(lines[0], /^NAMESPACE\s+WORKLOAD\s+PODS\s+VERDICT\s+PSP\s+REASONS$/);
  assert.match(
    lines[1],
    /^ns\s+Pod\/bad\s+1\s+refused\s+-\s+restricted: spec\.containers\[0\]\.securityContext\.privileged: Invalid value: true: Privileged containers are not allowed \(\+1 more\)$/,
  );
  assert.match(
    lines[2],
    /^ns\s+Pod\/mutated\s+1\s+changed\s+restricted\s+spec\.containers\[0\]\.securityContext\.runAsNonRoot: unset -> true \(\+1 more\)$/,
  );
  assert.equal(lines.length, 5);
  assert.equal(lines[4], "3 workloads (3 pods): 1 refused, 1 changed, 1 admitted");
  assert.ok(!out.includes("\x1b["), "no colour unless asked");
  assert.ok(!out.includes("Pod/ok"));
});

Deno.test("--show-admitted includes passing rows; columns line up", () => {
  const lines = renderTable(report(), { showAdmitted: true }).split("\n");
  assert.match(lines[3], /^ns\s+Pod\/ok\s+1\s+admitted\s+privileged$/);
  const col = lines[0].indexOf("VERDICT");
  for (const l of lines.slice(1, 4)) assert.match(l.slice(col), /^(refused|changed|admitted)/);
});

Deno.test("colour marks only the verdict", () => {
  const out = renderTable(report(), { color: true });
  assert.ok(out.includes("\x1b[31mrefused\x1b[0m"));
  assert.ok(out.includes("\x1b[33mchanged\x1b[0m"));
});

Deno.test("nothing to show says so", () => {
  const b = new ReportBuilder([]);
  b.add(podSubject("ok"), ADMITTED);
  assert.match(
    renderTable(b.finish()),
    /^No refused or changed pods.*\n1 workload \(1 pod\): 0 refused, 0 changed, 1 admitted\n$/,
  );
  assert.match(renderTable(new ReportBuilder([]).finish()), /^No pods found/);
});

Deno.test("untrusted names cannot write terminal escapes", () => {
  const b = new ReportBuilder([]);
  const s = podSubject("evil\x1b]0;pwned\x07\n\u202e\u200b");
  b.add(s, REFUSED);
  const out = renderTable(b.finish());
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\x1b\x07\u202e\u200b]/.test(out));
  assert.ok(out.includes("Pod/evil\\u001b]0;pwned\\u0007\\u000a\\u202e\\u200b"));
});

Deno.test("a refusal not explained by violations shows the admission's message", () => {
  const b = new ReportBuilder([]);
  b.add(podSubject("none"), {
    verdict: "refused",
    policy: null,
    results: [],
    admitted: null,
    message: 'pods "none" is forbidden: PodSecurityPolicy: unable to admit pod: []',
  });
  assert.equal(
    reasons(b.finish().items[0]),
    'pods "none" is forbidden: PodSecurityPolicy: unable to admit pod: []',
  );
});

Deno.test("long reasons are cut", () => {
  const lines = renderTable(report(), { reasonWidth: 20 }).split("\n");
  assert.ok(lines[1].endsWith("restricted: spec.co…"));
});
