import assert from "node:assert/strict";
import { ReportBuilder } from "../../src/report/build.ts";
import { xmlEscape } from "../../src/report/junit.ts";
import { renderReport } from "../../src/report/render.ts";
import { ADMITTED, CHANGED, podSubject, PRIVILEGED_TEXT, REFUSED } from "./helpers.ts";

function report() {
  const b = new ReportBuilder(["privileged", "restricted"]);
  b.add(podSubject("ok", { file: "a.yaml" }), ADMITTED);
  b.add(podSubject("mutated", { file: "a.yaml" }), CHANGED);
  b.add(podSubject("<bad&>", { file: "b.yaml" }), REFUSED);
  return b.finish();
}

Deno.test("one suite per file, one case per row, refused rows fail with every violation", () => {
  const xml = renderReport(report(), "junit");
  assert.match(
    xml,
    /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="kubectl falco-psp audit-pods" tests="3" failures="1" errors="0">/,
  );
  assert.match(xml, /<testsuite name="a\.yaml" tests="2" failures="0"/);
  assert.match(xml, /<testsuite name="b\.yaml" tests="1" failures="1"/);
  assert.match(
    xml,
    /<testcase classname="ns" name="Pod\/&lt;bad&amp;&gt;" file="b\.yaml" time="0">\n\s+<failure type="refused" message="restricted: spec\.containers/,
  );
  assert.ok(
    xml.includes(`restricted: ${PRIVILEGED_TEXT}\nrestricted: spec.securityContext.hostNetwork`),
  );
  assert.match(
    xml,
    /<system-out>changed by PSP restricted\nspec\.containers\[0\]\.securityContext\.runAsNonRoot: unset -&gt; true/,
  );
  assert.equal((xml.match(/<testcase /g) ?? []).length, 3);
  assert.equal((xml.match(/<\/testcase>/g) ?? []).length, 3);
});

Deno.test("--fail-on changed makes changed rows failures", () => {
  const xml = renderReport(report(), "junit", { failOn: "changed" });
  assert.match(xml, /failures="2"/);
  assert.match(xml, /<failure type="changed"/);
});

Deno.test("xmlEscape handles markup and characters XML cannot hold", () => {
  assert.equal(
    xmlEscape(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;",
  );
  assert.equal(xmlEscape("a\x1bb\x00"), "a\\u001bb\\u0000");
  assert.equal(xmlEscape("tab\tok"), "tab\tok");
});
