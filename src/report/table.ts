/**
 * The default output of `audit-pods`: a table a person reads at a glance, one
 * row per workload with its pod count, verdict, the PSP that would admit it and
 * the first reasons, then a summary line. Pure: report in, text out.
 */
import { terminalText } from "../io/terminal_text.ts";
import {
  type AuditItem,
  type AuditReport,
  hasEffect,
  refusalReasons,
  type ReportChange,
  type Verdict,
} from "./model.ts";

/** A table cell: untrusted text escaped, on one line. */
function cell(text: string): string {
  return terminalText(text, { oneLine: true });
}

/** Table options. */
export interface TableOptions {
  /** Include rows whose pods are admitted unchanged. */
  showAdmitted?: boolean;
  /**
   * Also show changes without effect (the seccomp annotation copied from the pod's field) in
   * the reasons, and the admitted rows that have such changes. They never make a row `changed`.
   */
  showCosmetic?: boolean;
  /** ANSI colours for the verdicts (the shell decides: a terminal and no NO_COLOR). */
  color?: boolean;
  /** Longest reasons cell before it is cut with `…`. */
  reasonWidth?: number;
}

const COLORS: Record<Verdict, string> = {
  admitted: "\x1b[32m",
  changed: "\x1b[33m",
  refused: "\x1b[31m",
};
const RESET = "\x1b[0m";

/** A changed value for people: `unset` for null/undefined, else JSON. */
export function showValue(v: unknown): string {
  return v === undefined || v === null ? "unset" : JSON.stringify(v);
}

/** A change for people: `field: from -> to`, with `(no effect)` for a change without effect. */
export function showChange(c: ReportChange): string {
  return `${c.field}: ${showValue(c.from)} -> ${showValue(c.to)}${
    hasEffect(c) ? "" : " (no effect)"
  }`;
}

/**
 * The chosen PSP's changes of an admitted or changed item: those with effect, and with
 * `cosmetic` also those without.
 */
export function chosenChanges(item: AuditItem, cosmetic = false): ReportChange[] {
  if (item.verdict === "refused") return [];
  const chosen = item.results.find((r) => r.policy === item.policy);
  return (chosen?.changes ?? []).filter((c) => cosmetic || hasEffect(c));
}

/**
 * The reasons cell: the first violation (refused) or change (changed; with `cosmetic`, also
 * changes without effect, of admitted rows too), and how many more.
 */
export function reasons(item: AuditItem, opts: { cosmetic?: boolean } = {}): string {
  if (item.verdict === "refused") {
    const texts = refusalReasons(item).map((r) => r.policy ? `${r.policy}: ${r.text}` : r.text);
    return texts[0] + (texts.length > 1 ? ` (+${texts.length - 1} more)` : "");
  }
  const changes = chosenChanges(item, opts.cosmetic);
  if (changes.length === 0) return "";
  return showChange(changes[0]) + (changes.length > 1 ? ` (+${changes.length - 1} more)` : "");
}

function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, width - 1).join("") + "…";
}

/** Renders the report as a table plus a summary line. */
export function renderTable(report: AuditReport, opts: TableOptions = {}): string {
  const width = opts.reasonWidth ?? 160;
  const cosmetic = opts.showCosmetic ?? false;
  const rows = report.items.filter((it) =>
    opts.showAdmitted || it.verdict !== "admitted" ||
    (cosmetic && chosenChanges(it, true).length > 0)
  );
  const header = ["NAMESPACE", "WORKLOAD", "PODS", "VERDICT", "PSP", "REASONS"];
  const cells = rows.map((it) => [
    cell(it.namespace),
    cell(`${it.kind}/${it.name}`),
    it.pods === null ? "-" : String(it.pods),
    it.verdict,
    it.policy === null ? "-" : cell(it.policy),
    cut(cell(reasons(it, { cosmetic })), width),
  ]);
  const s = report.summary;
  const summary = `${s.items} workload${s.items === 1 ? "" : "s"} (${s.pods} pod${
    s.pods === 1 ? "" : "s"
  }): ${s.refused} refused, ${s.changed} changed, ${s.admitted} admitted`;
  if (cells.length === 0) {
    const what = report.items.length === 0
      ? "No pods found in the input."
      : "No refused or changed pods (--show-admitted lists the admitted ones).";
    return `${what}\n${summary}\n`;
  }
  const widths = header.map((h, i) =>
    Math.max([...h].length, ...cells.map((r) => [...r[i]].length))
  );
  const line = (r: string[], verdict?: Verdict) =>
    r.map((c, i) => {
      const padded = i === r.length - 1 ? c : c + " ".repeat(widths[i] - [...c].length);
      return opts.color && verdict && i === 3
        ? COLORS[verdict] + padded.slice(0, c.length) + RESET + padded.slice(c.length)
        : padded;
    }).join("   ").trimEnd();
  const out = [line(header), ...cells.map((r, i) => line(r, rows[i].verdict))];
  return `${out.join("\n")}\n\n${summary}\n`;
}
