/**
 * `-o junit`: the report as JUnit XML for CI dashboards. One test suite per
 * input source file, one test case per workload row; a refused row is a
 * failure listing every violation (a changed row too with `--fail-on changed`),
 * others pass with what admission would do in `system-out`. Pure.
 */
import { type AuditItem, type AuditReport, refusalReasons } from "./model.ts";
import { chosenChanges, pssReasons, reasons, showChange } from "./table.ts";

/** JUnit options. */
export interface JunitOptions {
  failOn?: "refused" | "changed";
}

// deno-lint-ignore no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/gu;

/**
 * Escapes text for XML attribute and element content. Characters XML 1.0 cannot
 * hold (most control characters, lone surrogates) become `\uNNNN` text.
 */
export function xmlEscape(text: string): string {
  return text
    .replace(
      NOT_XML,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    )
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\n/g, "&#10;");
}

function fileOf(it: AuditItem): string {
  return it.source.file;
}

function details(it: AuditItem, psp: boolean): string {
  const lines: string[] = [];
  if (!psp) {
    // Pod Security Standards only.
  } else if (it.verdict === "refused") {
    for (const r of refusalReasons(it)) lines.push(r.policy ? `${r.policy}: ${r.text}` : r.text);
  } else {
    lines.push(`${it.verdict} by PSP ${it.policy}`);
    for (const c of chosenChanges(it, true)) lines.push(showChange(c));
  }
  if (it.pss) {
    lines.push(
      it.pss.allowed
        ? `allowed by Pod Security Standards ${it.pss.level}:${it.pss.version} (level met: ${it.pss.levelMet})`
        : `refused by Pod Security Standards ${it.pss.level}:${it.pss.version} (level met: ${it.pss.levelMet})`,
      ...pssReasons(it),
    );
  }
  return lines.join("\n");
}

/** Whether a row fails: PSP refused (or changed, with `--fail-on changed`), or `--pss LEVEL` refused. */
function fails(report: AuditReport, it: AuditItem, failOn: "refused" | "changed"): boolean {
  if (report.pss?.level != null && it.pss && !it.pss.allowed) return true;
  if (report.pss?.psp === false) return false;
  return it.verdict === "refused" || (failOn === "changed" && it.verdict === "changed");
}

function failureMessage(report: AuditReport, it: AuditItem): string {
  const psp = report.pss?.psp === false ? "" : reasons(it);
  return psp !== "" ? psp : pssReasons(it)[0] ?? "";
}

function testcase(report: AuditReport, it: AuditItem, failOn: "refused" | "changed"): string {
  const name = `${it.kind}/${it.name}`;
  const head = `    <testcase classname="${xmlEscape(it.namespace)}" name="${
    xmlEscape(name)
  }" file="${xmlEscape(fileOf(it))}" time="0">`;
  const body = xmlEscape(details(it, report.pss?.psp !== false)).replace(/&#10;/g, "\n");
  if (fails(report, it, failOn)) {
    const type = report.pss?.psp === false || it.verdict === "admitted" ? "pss" : it.verdict;
    return `${head}\n      <failure type="${type}" message="${
      xmlEscape(failureMessage(report, it))
    }">${body}</failure>\n    </testcase>`;
  }
  return `${head}\n      <system-out>${body}</system-out>\n    </testcase>`;
}

/** The JUnit XML document in chunks (one test case per chunk). */
export function* renderJunitChunks(
  report: AuditReport,
  opts: JunitOptions = {},
): Generator<string> {
  const failOn = opts.failOn ?? "refused";
  const suites = new Map<string, AuditItem[]>();
  for (const it of report.items) {
    const f = fileOf(it);
    const list = suites.get(f);
    if (list) list.push(it);
    else suites.set(f, [it]);
  }
  const isFailure = (it: AuditItem) => fails(report, it, failOn);
  const failures = report.items.filter(isFailure).length;
  yield `<?xml version="1.0" encoding="UTF-8"?>\n`;
  yield `<testsuites name="kubectl falco-psp audit-pods" tests="${report.items.length}" failures="${failures}" errors="0">\n`;
  for (const [file, items] of suites) {
    yield `  <testsuite name="${xmlEscape(file)}" tests="${items.length}" failures="${
      items.filter(isFailure).length
    }" errors="0" skipped="0">\n`;
    for (const it of items) yield testcase(report, it, failOn) + "\n";
    yield `  </testsuite>\n`;
  }
  yield `</testsuites>\n`;
}
