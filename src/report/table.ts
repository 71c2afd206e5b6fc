/**
 * The default output of `audit-pods`: a table a person reads at a glance, one
 * row per workload with its pod count, verdict, the PSP that would admit it and
 * the first reasons (a SOURCE column when the rows come from several files), then
 * a summary line. Each row is one line that fits the given width: the reasons, then the
 * source, then the longest names are cut with `…` (see fitWidths). Pure: report in, text out.
 */
import { terminalText } from "../io/terminal_text.ts";
import { renderAdvice } from "./advice.ts";
import { renderMigration } from "./migration.ts";
import { messageHint } from "./hints.ts";
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
  /** Longest reasons cell before it is cut with `…` (default 160). */
  reasonWidth?: number;
  /**
   * The terminal's width in columns: every line fits in it (reasons, then the longest
   * other cells, are cut). Undefined: no limit but `reasonWidth`.
   */
  width?: number;
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
 * The reasons cell: the first violation (refused; with a hint for an empty value) or change
 * (changed; with `cosmetic`, also changes without effect, of admitted rows too), and how many
 * more.
 */
export function reasons(item: AuditItem, opts: { cosmetic?: boolean } = {}): string {
  if (item.verdict === "refused") {
    const texts = refusalReasons(item).map((r) => {
      const hint = r.field !== undefined ? messageHint(r.field, r.message) : undefined;
      const text = r.policy ? `${r.policy}: ${r.text}` : r.text;
      return hint ? `${text} (hint: ${hint})` : text;
    });
    return texts[0] + (texts.length > 1 ? ` (+${texts.length - 1} more)` : "");
  }
  const changes = chosenChanges(item, opts.cosmetic);
  if (changes.length === 0) return "";
  return showChange(changes[0]) + (changes.length > 1 ? ` (+${changes.length - 1} more)` : "");
}

/** With `--pss`: the PSS cell (the level met with `--pss` alone, else allowed / refused). */
function pssCell(report: AuditReport, item: AuditItem): string {
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

/**
 * The PODS cell: the count, `N per run` for a CronJob, `per node` for a DaemonSet (the nodes
 * it runs on are not in the files), `-` when unknown (PodTemplate).
 */
export function podsCell(item: AuditItem): string {
  if (item.podsPer === "node" && item.pods === null) return "per node";
  if (item.pods === null) return "-";
  return item.podsPer === "run" ? `${item.pods} per run` : String(item.pods);
}

/** Columns a terminal gives a code point: 0 for combining marks, 2 for wide (CJK, emoji), else 1. */
function charWidth(c: string): number {
  if (/\p{Mn}/u.test(c)) return 0;
  const n = c.codePointAt(0)!;
  const wide = (n >= 0x1100 && n <= 0x115f) || (n >= 0x2e80 && n <= 0xa4cf && n !== 0x303f) ||
    (n >= 0xac00 && n <= 0xd7a3) || (n >= 0xf900 && n <= 0xfaff) ||
    (n >= 0xfe30 && n <= 0xfe4f) || (n >= 0xff00 && n <= 0xff60) ||
    (n >= 0xffe0 && n <= 0xffe6) || (n >= 0x1f300 && n <= 0x1f64f) ||
    (n >= 0x1f900 && n <= 0x1f9ff) || (n >= 0x20000 && n <= 0x3fffd);
  return wide ? 2 : 1;
}

/** The columns `text` takes on a terminal (escaped text: no control characters). */
export function displayWidth(text: string): number {
  let w = 0;
  for (const c of text) w += charWidth(c);
  return w;
}

/** With `--pss`: the namespace advice after the summary, one blank line between. */
function adviceAfter(report: AuditReport): string {
  const advice = renderAdvice(report);
  const migration = report.migration ? renderMigration(report.migration) : "";
  return (advice === "" ? "" : `\n${advice}`) + (migration === "" ? "" : `\n${migration}`);
}

/** `text` cut to at most `width` columns, ending with `…` when cut. */
export function cut(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return "";
  let out = "";
  let w = 0;
  for (const c of text) {
    const cw = charWidth(c);
    if (w + cw > width - 1) break;
    out += c;
    w += cw;
  }
  return out + "…";
}

/** `text` cut to at most `width` columns from the left, starting with `…` when cut. */
export function cutStart(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  return [...cut([...text].reverse().join(""), width)].reverse().join("");
}

const GAP = "   ";
/** The reasons column's share, before the SOURCE column is cut (to SOURCE_MIN). */
const REASONS_WANTED = 30;
/** A cut source keeps this much of its end (`…ds.yaml:100`). */
const SOURCE_MIN = 16;
/** The reasons column's least share before names are cut (to NAME_MIN). */
const REASONS_LEAST = 10;
/** Name cells (namespace, workload, source) are never cut below this (see fitLine). */
const NAME_MIN = 12;

/**
 * Column widths that fit `width`; the reasons column takes what is left. Names identify a
 * row (and `-o json` has every reason in full), so they give way last: for the reasons to
 * get REASONS_WANTED columns only the SOURCE column is cut (keeping its end), and NAMESPACE,
 * WORKLOAD and SOURCE are cut (widest first) only when the reasons would get less than
 * REASONS_LEAST.
 */
function fitWidths(
  widths: number[],
  names: number[],
  source: number,
  width: number | undefined,
): number[] {
  const out = [...widths];
  if (width === undefined) return out;
  const last = out.length - 1;
  const left = () => width - out.slice(0, last).reduce((a, b) => a + b, 0) - GAP.length * last;
  if (source >= 0) {
    while (left() < REASONS_WANTED && out[source] > SOURCE_MIN) out[source]--;
  }
  while (left() < REASONS_LEAST) {
    const widest = names.reduce((a, b) => out[b] > out[a] ? b : a, names[0]);
    if (out[widest] <= NAME_MIN) break;
    out[widest]--;
  }
  out[last] = Math.max(0, Math.min(out[last], left()));
  return out;
}

/** Renders the report as a table plus a summary line. */
export function renderTable(report: AuditReport, opts: TableOptions = {}): string {
  const reasonWidth = opts.reasonWidth ?? 160;
  const cosmetic = opts.showCosmetic ?? false;
  // With --pss alone every row shows its level; with --pss LEVEL, rows that level refuses too.
  const pss = report.pss;
  const psp = pss?.psp !== false;
  const rows = report.items.filter((it) =>
    opts.showAdmitted || (psp && it.verdict !== "admitted") ||
    (psp && cosmetic && chosenChanges(it, true).length > 0) ||
    (pss !== undefined && (pss.level === null || it.pss?.allowed === false))
  );
  const withSource = new Set(report.items.map((it) => it.source.file)).size > 1;
  /** The columns shown: header and cell of a row. */
  const columns: { header: string; cell: (it: AuditItem) => string }[] = [
    { header: "NAMESPACE", cell: (it) => cell(it.namespace) },
    { header: "WORKLOAD", cell: (it) => cell(`${it.kind}/${it.name}`) },
    ...(withSource ? [{ header: "SOURCE", cell: (it: AuditItem) => cell(it.source.display) }] : []),
    { header: "PODS", cell: podsCell },
    ...(psp
      ? [
        { header: "VERDICT", cell: (it: AuditItem) => it.verdict },
        { header: "PSP", cell: (it: AuditItem) => it.policy === null ? "-" : cell(it.policy) },
      ]
      : []),
    ...(pss
      ? [{
        header: pss.level === null ? "PSS LEVEL" : `PSS ${pss.level}`,
        cell: (it: AuditItem) => pssCell(report, it),
      }]
      : []),
    {
      header: "REASONS",
      cell: (it) =>
        cut(
          cell(pss ? reasonsWithPss(report, it, cosmetic) : reasons(it, { cosmetic })),
          reasonWidth,
        ),
    },
  ];
  const header = columns.map((c) => c.header);
  const verdictColumn = header.indexOf("VERDICT");
  const sourceColumn = header.indexOf("SOURCE");
  const cells = rows.map((it) => columns.map((c) => c.cell(it)));
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
    return `${fitLine(what, opts.width)}\n${fitLine(summary, opts.width)}\n${adviceAfter(report)}`;
  }
  const natural = header.map((h, i) =>
    Math.max(displayWidth(h), ...cells.map((r) => displayWidth(r[i])))
  );
  const names = withSource ? [0, 1, sourceColumn] : [0, 1];
  const widths = fitWidths(natural, names, sourceColumn, opts.width);
  const line = (r: string[], verdict?: Verdict) =>
    fitLine(
      r.map((c, i) => {
        // A source keeps its end (`…/app.yaml:392`: the line), other cells their start.
        const text = i === sourceColumn ? cutStart(c, widths[i]) : cut(c, widths[i]);
        const padded = i === r.length - 1
          ? text
          : text + " ".repeat(widths[i] - displayWidth(text));
        return opts.color && verdict && i === verdictColumn
          ? COLORS[verdict] + text + RESET + padded.slice(text.length)
          : padded;
      }).join(GAP).trimEnd(),
      opts.width,
      opts.color,
    );
  const out = [line(header), ...cells.map((r, i) => line(r, rows[i].verdict))];
  return `${out.join("\n")}\n\n${fitLine(summary, opts.width)}\n${adviceAfter(report)}`;
}

/**
 * The last guard of "one row, one line": a line wider than `width` (columns that cannot
 * shrink further) is cut. Colour codes take no columns (only the verdict, never cut, has them).
 */
function fitLine(text: string, width: number | undefined, color = false): string {
  if (width === undefined) return text;
  // deno-lint-ignore no-control-regex
  const visible = color ? text.replace(/\x1b\[[0-9;]*m/g, "") : text;
  if (displayWidth(visible) <= width) return text;
  return color ? cut(visible, width) : cut(text, width);
}
