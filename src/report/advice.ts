/**
 * The `--pss` namespace advice as the table prints it, after the rows: per namespace the
 * strictest level `enforce` can take, what the next level would refuse (workloads and first
 * reasons), whom the current PSA labels reject (and warn and audit about, each label at its own
 * level and version), and the `kubectl label` commands. Pure.
 */
import { terminalText } from "../io/terminal_text.ts";
import type { AdviceWorkload } from "../pss/namespace_advice.ts";
import type { AuditReport } from "./model.ts";

function safe(text: string): string {
  return terminalText(text, { oneLine: true });
}

function workloads(list: readonly AdviceWorkload[], max = 3): string {
  const shown = list.slice(0, max).map((w) => {
    const v = w.violations[0];
    const why = v ? `: ${v.detail === "" ? v.reason : `${v.reason} (${v.detail})`}` : "";
    const more = w.violations.length > 1 ? ` (+${w.violations.length - 1} more)` : "";
    return `${w.workload}${why}${more}`;
  });
  if (list.length > max) shown.push(`and ${list.length - max} more`);
  return shown.join("; ");
}

/** The advice section (empty without `--pss` or without namespaces). */
export function renderAdvice(report: AuditReport): string {
  const advice = report.namespaces;
  if (!advice || advice.length === 0) return "";
  const lines = [
    `Pod Security Admission per namespace (policy ${
      advice[0].version
    }): the strictest enforce level admitting every pod and template`,
  ];
  const width = Math.max(...advice.map((a) => [...safe(a.namespace)].length), 9);
  for (const a of advice) {
    const head = `  ${safe(a.namespace).padEnd(width)}  enforce=${a.level}`;
    lines.push(
      a.next
        ? `${head}; ${a.next.level} would refuse ${a.next.breaks.length} of ${a.workloads} workload${
          a.workloads === 1 ? "" : "s"
        }: ${safe(workloads(a.next.breaks))}`
        : `${head} (all ${a.workloads} workload${a.workloads === 1 ? "" : "s"} meet it)`,
    );
    if (a.current) {
      const c = a.current;
      const pad = `  ${"".padEnd(width)}  `;
      lines.push(
        `${pad}current labels enforce=${c.enforce.level}:${c.enforce.version}: ${
          c.rejected.length === 0
            ? "admits every workload"
            : `would reject ${c.rejected.length}: ${safe(workloads(c.rejected))}`
        }`,
      );
      for (const mode of ["warn", "audit"] as const) {
        const m = c[mode];
        if (!m) continue;
        const verb = mode === "warn" ? "would warn about" : "would audit";
        lines.push(
          `${pad}current labels ${mode}=${m.level}:${m.version}: ${
            m.workloads.length === 0
              ? `nothing to ${mode === "warn" ? "warn about" : "audit"}`
              : `${verb} ${m.workloads.length}: ${safe(workloads(m.workloads))}`
          }`,
        );
      }
      if (c.note) lines.push(`${pad}(${safe(c.note)})`);
    }
  }
  lines.push(
    "",
    "To label the namespaces (enforce pinned to the version; warn and audit one level stricter):",
  );
  for (const a of advice) lines.push(`  ${safe(a.command)}`);
  return lines.join("\n") + "\n";
}
