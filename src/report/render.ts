/**
 * Rendering dispatch: the report in the format `-o` names, in chunks (a report of
 * 100,000 pods is hundreds of MB), and the writer that puts chunks on stdout. Each
 * format's renderer lives in its own module; this one only chooses.
 */
import denoJson from "../../deno.json" with { type: "json" };
import { renderJsonChunks, renderYamlChunks } from "./document.ts";
import { renderJunitChunks } from "./junit.ts";
import type { AuditReport } from "./model.ts";
import { renderSarifChunks } from "./sarif.ts";
import { renderTable } from "./table.ts";

/** Output formats of `-o`. */
export const OUTPUT_FORMATS = ["table", "json", "yaml", "sarif", "junit"] as const;
export type OutputFormat = typeof OUTPUT_FORMATS[number];

/** What the renderers take besides the report. */
export interface RenderOptions {
  /** table: also list pods admitted unchanged. */
  showAdmitted?: boolean;
  /** table: also show changes without effect (TableOptions.showCosmetic). */
  showCosmetic?: boolean;
  /** table: ANSI colours. */
  color?: boolean;
  /** table: the terminal's width (TableOptions.width); undefined for no limit. */
  width?: number;
  /** sarif, junit: which verdicts are failures. */
  failOn?: "refused" | "changed";
}

/**
 * Renders the report in `format`, in chunks. Pure. Every format has its case: a format
 * added to OUTPUT_FORMATS without one fails type checking.
 */
export function renderReportChunks(
  report: AuditReport,
  format: OutputFormat,
  opts: RenderOptions = {},
): Iterable<string> {
  switch (format) {
    case "table":
      return [
        renderTable(report, {
          showAdmitted: opts.showAdmitted,
          showCosmetic: opts.showCosmetic,
          color: opts.color,
          width: opts.width,
        }),
      ];
    case "json":
      return renderJsonChunks(report);
    case "yaml":
      return renderYamlChunks(report);
    case "sarif":
      return renderSarifChunks(report, { version: denoJson.version, failOn: opts.failOn });
    case "junit":
      return renderJunitChunks(report, { failOn: opts.failOn });
    default: {
      const unknown: never = format;
      throw new Error(`no renderer for output format ${JSON.stringify(unknown)}`);
    }
  }
}

/** The report in `format` as one string (its chunks joined): for callers that need it whole. */
export function renderReport(
  report: AuditReport,
  format: OutputFormat,
  opts: RenderOptions = {},
): string {
  return [...renderReportChunks(report, format, opts)].join("");
}

/**
 * Writes chunks to stdout, encoded into one reused buffer of 256 KiB and written
 * when full (no copy of the whole report is made).
 */
export async function writeChunks(chunks: Iterable<string>): Promise<void> {
  const encoder = new TextEncoder();
  const buf = new Uint8Array(256 * 1024);
  let used = 0;
  const flush = async () => {
    let written = 0;
    while (written < used) written += await Deno.stdout.write(buf.subarray(written, used));
    used = 0;
  };
  for (const chunk of chunks) {
    let rest = chunk;
    while (rest.length > 0) {
      const { read, written } = encoder.encodeInto(rest, buf.subarray(used));
      used += written;
      if (read === rest.length) break;
      rest = rest.slice(read);
      await flush();
    }
  }
  await flush();
}
