import assert from "node:assert/strict";
import { ReportBuilder } from "../../src/report/build.ts";
import { parse } from "yaml";
import { admitPod, compilePolicy } from "../../src/admission/admit.ts";
import { renderReport } from "../../src/report/render.ts";
import { messageHint } from "../../src/report/hints.ts";
import {
  cut,
  cutStart,
  displayWidth,
  podsCell,
  reasons,
  renderTable,
} from "../../src/report/table.ts";
import { ADMITTED, CHANGED, podSubject, REFUSED, templateSubject } from "./helpers.ts";

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

/** A report with long names and reasons from several files. */
function wideReport() {
  const b = new ReportBuilder(["restricted"]);
  b.add(
    podSubject("a-very-long-pod-name-that-goes-on-and-on-0123456789", { file: "prod/app.yaml" }),
    REFUSED,
  );
  b.add(podSubject("mutated", { file: "staging/app.yaml" }), CHANGED);
  b.add(podSubject("日本語の名前", { file: "staging/app.yaml" }), REFUSED);
  return b.finish();
}

Deno.test("every line fits the width: reasons, then long names, are cut; rows never break", () => {
  const natural = renderTable(wideReport()).split("\n");
  for (const width of [40, 72, 80, 100, 132, 160]) {
    const lines = renderTable(wideReport(), { width }).split("\n");
    assert.equal(lines.length, natural.length, `${width}: one line per row`);
    for (const l of lines) {
      assert.ok(displayWidth(l) <= width, `${width}: ${l} (${displayWidth(l)})`);
    }
    if (width >= 72) {
      for (const l of lines.slice(1, 4)) assert.match(l, /(refused|changed)/, `${width}: ${l}`);
    }
    if (width < 100) continue; // too narrow for the header to show REASONS whole
    assert.match(lines[0], /^NAMESPACE\s+WORKLOAD\s+SOURCE\s+PODS\s+VERDICT\s+PSP\s+REASONS$/);
    assert.match(lines[1], /refused\s+-\s+restri.*…$/, `${width}`);
  }
  // 132 columns: the names stay whole; the reasons get what is left.
  const l132 = renderTable(wideReport(), { width: 132 }).split("\n");
  assert.ok(l132[1].includes("Pod/a-very-long-pod-name-that-goes-on-and-on-0123456789"));
  assert.equal(displayWidth(l132[1]), 132, "the cut reasons fill the line");
  // 100 columns: the reasons would get less than 10: the long workload name gives way.
  const l100 = renderTable(wideReport(), { width: 100 }).split("\n");
  assert.ok(!l100[1].includes("0123456789") && l100[1].includes("Pod/a-very-long"), l100[1]);
  assert.equal(displayWidth(l100[1].slice(l100[0].indexOf("REASONS"))), 10, l100[1]);
  assert.equal(displayWidth(l100[1]), 100);
  // Colour codes take no columns.
  for (const l of renderTable(wideReport(), { width: 72, color: true }).split("\n")) {
    // deno-lint-ignore no-control-regex
    assert.ok(displayWidth(l.replace(/\x1b\[[0-9;]*m/g, "")) <= 72);
  }
});

Deno.test("wide characters take two columns; columns line up", () => {
  assert.equal(displayWidth("日本"), 4);
  assert.equal(displayWidth("e\u0301"), 1);
  assert.equal(cut("日本語", 4), "日…");
  assert.equal(cutStart("prod/app.yaml:392", 10), "….yaml:392");
  const lines = renderTable(wideReport()).split("\n");
  const col = displayWidth(lines[0].slice(0, lines[0].indexOf("VERDICT")));
  for (const l of lines.slice(1, 4)) {
    let w = 0;
    let i = 0;
    for (const c of l) {
      if (w >= col) break;
      w += displayWidth(c);
      i += c.length;
    }
    assert.match(l.slice(i), /^(refused|changed|admitted)/, l);
  }
});

Deno.test("a SOURCE column (file:line) only when rows come from several files", () => {
  assert.ok(!renderTable(report()).split("\n")[0].includes("SOURCE"));
  const b = new ReportBuilder([]);
  b.add({
    ...podSubject("x", { file: "prod/app.yaml" }),
    source: { file: "prod/app.yaml", document: 3, line: 392 },
  }, REFUSED);
  b.add(podSubject("x", { file: "staging/app.yaml" }), REFUSED);
  const lines = renderTable(b.finish()).split("\n");
  assert.match(lines[0], /^NAMESPACE\s+WORKLOAD\s+SOURCE\s+PODS/);
  assert.match(lines[1], /^ns\s+Pod\/x\s+prod\/app\.yaml:392\s+1\s+refused/);
  assert.match(lines[2], /^ns\s+Pod\/x\s+staging\/app\.yaml\s+1\s+refused/);
});

Deno.test("PODS says per node for a DaemonSet, per run for a CronJob, and counts a Job", () => {
  const b = new ReportBuilder([]);
  b.add({ ...templateSubject("DaemonSet", "agent", null), podsPer: "node" }, REFUSED);
  b.add({ ...templateSubject("CronJob", "nightly", 2), podsPer: "run" }, REFUSED);
  b.add(templateSubject("Job", "migrate", 5), REFUSED);
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.kind, podsCell(i)]), [
    ["CronJob", "2 per run"],
    ["DaemonSet", "per node"],
    ["Job", "5"],
  ]);
  assert.equal(r.summary.pods, 5, "per-run and per-node counts are not in the total");
  const doc = JSON.parse(renderReport(r, "json"));
  assert.deepEqual(
    doc.items.map((i: { pods: number | null; podsPer?: string }) => [i.pods, i.podsPer]),
    [
      [2, "run"],
      [null, "node"],
      [5, undefined],
    ],
  );
  const out = renderTable(r);
  assert.match(out, /DaemonSet\/agent\s+per node\s+refused/);
  assert.match(out, /CronJob\/nightly\s+2 per run\s+refused/);
});

Deno.test("an empty seccomp profile in the server's words gets a plain hint beside them", () => {
  const psp = parse(
    Deno.readTextFileSync(new URL("../../fixtures/psp/good/restricted.yaml", import.meta.url)),
  );
  delete psp.metadata.annotations["seccomp.security.alpha.kubernetes.io/defaultProfileName"];
  const pod = podSubject("nosec");
  const decision = admitPod(pod.pod, [compilePolicy(psp)]);
  const b = new ReportBuilder([psp.metadata.name]);
  b.add(pod, decision);
  const item = b.finish().items[0];
  const server = decision.results[0].violations[0].text;
  assert.match(server, /: Forbidden: {2}is not an allowed seccomp profile\. Valid values are /);
  const cellText = reasons(item);
  assert.ok(
    cellText.startsWith(
      `${psp.metadata.name}: ${server} (hint: the empty value is "no seccomp profile": the pod sets none`,
    ),
    cellText,
  );
  assert.equal(
    messageHint("spec.x", "Invalid value: true: Privileged containers are not allowed"),
    undefined,
  );
  assert.match(
    messageHint(
      "pod.metadata.annotations[container.seccomp.security.alpha.kubernetes.io/app]",
      "Forbidden:  is not an allowed seccomp profile. Valid values are runtime/default",
    )!,
    /the container sets none/,
  );
  assert.match(
    messageHint(
      "f",
      "Forbidden: localhost/x is not an allowed seccomp profile. Valid values are ",
    )!,
    /allowedProfileNames annotation is empty/,
  );
});
