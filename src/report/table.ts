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

/** With `--pss`: the PSS cell (the level met with `--pss` alone, else allowed / refused). */
export function pssCell(report: AuditReport, item: AuditItem): string {
  if (!item.pss) return "-";
  if (report.pss?.level === null) return item.pss.levelMet;
  return item.pss.allowed ? "allowed" : "refused";
}

/** With `--pss`: the Pod Security violations as `PSS <level>: reason (detail)` texts. */
export function pssReasons(item: AuditItem): string[] {
  const p = item.pss;
  if (!p || p.allowed) return [];
  return p.violations.map((v) =>
    `PSS ${p.level}: ${v.detail === "" ? v.reason : `${v.reason} (${v.detail})`}`
  );
}

/** The reasons cell with `--pss`: PSP reasons first, then the Pod Security ones. */
function reasonsWithPss(report: AuditReport, item: AuditItem, cosmetic: boolean): string {
  const psp = report.pss?.psp === false ? "" : reasons(item, { cosmetic });
  const pss = pssReasons(item);
  if (pss.length === 0) return psp;
  if (psp === "") return pss[0] + (pss.length > 1 ? ` (+${pss.length - 1} more)` : "");
  return `${psp}; ${pss[0]}${pss.length > 1 ? ` (+${pss.length - 1} more)` : ""}`;
}

/** The summary's Pod Security part (`; PSS restricted:latest: 3 refused, 2 allowed (...)`). */
function pssSummary(report: AuditReport): string {
  const p = report.summary.pss;
  if (!p) return "";
  const met =
    `${p.levelMet.restricted} restricted, ${p.levelMet.baseline} baseline, ${p.levelMet.privileged} privileged`;
  return p.level === null
    ? `; PSS ${p.version}, strictest level met: ${met}`
    : `; PSS ${p.level}:${p.version}: ${p.refused} refused, ${p.allowed} allowed (levels met: ${met})`;
}

function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, width - 1).join("") + "…";
}

/** Renders the report as a table plus a summary line. */
export function renderTable(report: AuditReport, opts: TableOptions = {}): string {
  const width = opts.reasonWidth ?? 160;
  const cosmetic = opts.showCosmetic ?? false;
  // With --pss alone every row shows its level; with --pss LEVEL, rows that level refuses too.
  const pss = report.pss;
  const psp = pss?.psp !== false;
  const rows = report.items.filter((it) =>
    opts.showAdmitted || (psp && it.verdict !== "admitted") ||
    (psp && cosmetic && chosenChanges(it, true).length > 0) ||
    (pss !== undefined && (pss.level === null || it.pss?.allowed === false))
  );
  const header = ["NAMESPACE", "WORKLOAD", "PODS", "VERDICT", "PSP", "REASONS"];
  if (pss) header.splice(5, 0, pss.level === null ? "PSS LEVEL" : `PSS ${pss.level}`);
  if (!psp) header.splice(3, 2);
  const cells = rows.map((it) => {
    const r = [
      cell(it.namespace),
      cell(`${it.kind}/${it.name}`),
      it.pods === null ? "-" : String(it.pods),
      it.verdict,
      it.policy === null ? "-" : cell(it.policy),
      cut(cell(pss ? reasonsWithPss(report, it, cosmetic) : reasons(it, { cosmetic })), width),
    ];
    if (pss) r.splice(5, 0, pssCell(report, it));
    if (!psp) r.splice(3, 2);
    return r;
  });
  const s = report.summary;
  const summary = `${s.items} workload${s.items === 1 ? "" : "s"} (${s.pods} pod${
    s.pods === 1 ? "" : "s"
  })${psp ? `: ${s.refused} refused, ${s.changed} changed, ${s.admitted} admitted` : ""}${
    pssSummary(report)
  }`;
  if (cells.length === 0) {
    const what = report.items.length === 0
      ? "No pods found in the input."
      : psp
      ? "No refused or changed pods (--show-admitted lists the admitted ones)."
      : "No pods the Pod Security level refuses (--show-admitted lists them all).";
    return `${what}\n${summary}\n`;
  }
  const widths = header.map((h, i) =>
    Math.max([...h].length, ...cells.map((r) => [...r[i]].length))
  );
  const line = (r: string[], verdict?: Verdict) =>
    r.map((c, i) => {
      const padded = i === r.length - 1 ? c : c + " ".repeat(widths[i] - [...c].length);
      return opts.color && verdict && i === 3 && psp
        ? COLORS[verdict] + padded.slice(0, c.length) + RESET + padded.slice(c.length)
        : padded;
    }).join("   ").trimEnd();
  const out = [line(header), ...cells.map((r, i) => line(r, rows[i].verdict))];
  return `${out.join("\n")}\n\n${summary}\n`;
}
