/**
 * Calibration of the test engine against real Falco answers (issue 13.2): the records of
 * fixtures/oracle/falco (README there; the real-world ones in the shared directory) say, for every rule of a generated rules file,
 * whether Falco 0.44.1 loaded it (and with which error, compared by code and text), and which
 * loaded rule fired on
 * which real audit event. This module replays both through the engine ("current" mode) and
 * counts the agreement.
 */
import { parseAllDocuments, stringify } from "yaml";
import { type AuditEvent, auditEventFromJson } from "./event.ts";
import { evaluate } from "./evaluate.ts";
import { loadRules } from "./rules.ts";

/** One rule's recorded load result (`*-load.json`). */
export interface LoadRecord {
  rule: string;
  loads: boolean;
  errors: { code: string; message: string }[];
  warnings: { code: string; message: string }[];
}

/** The recorded replay (`*-replay.json`). */
export interface ReplayRecord {
  rules: string[];
  events: { auditID: string; pod: string; user: string; fired: string[] }[];
}

/** What the engine did differently from real Falco. */
export interface CalibrationReport {
  loadAgreeing: number;
  loadTotal: number;
  replayAgreeing: number;
  replayTotal: number;
  /** Rules the recorded Falco refused, by error code (as recorded). */
  refusedByCode: Map<string, number>;
  disagreements: string[];
}

/** Reads a file, gunzipping it when its name ends in `.gz`. */
export async function readMaybeGzip(url: URL): Promise<string> {
  const bytes = await Deno.readFile(url);
  if (!url.pathname.endsWith(".gz")) return new TextDecoder().decode(bytes);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}

/** Reads JSON-lines audit events, keyed by auditID. */
export function eventsById(text: string): Map<string, AuditEvent> {
  const out = new Map<string, AuditEvent>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const ev = auditEventFromJson(line);
    const id = (ev.json as { auditID?: string }).auditID;
    if (id) out.set(id, ev);
  }
  return out;
}

type Item = Record<string, unknown>;

/** The error code of an engine error (`... LOAD_ERR_X: ...`), or "" when it names none. */
export function errorCode(message: string): string {
  return /\b(LOAD_ERR_[A-Z_]+)\b/.exec(message)?.[1] ?? "";
}

const WORD = /[A-Za-z_][A-Za-z0-9_]*/g;

/**
 * The items of a rules file needed to load one rule on its own: the `required_*` entries,
 * every list, and the macros the rule reaches (a macro that loads alone loads with any
 * rule; the whole file's macros are checked once by `calibrate`).
 */
function oneRuleFile(items: Item[], rule: Item): string {
  const macros = new Map<string, Item>();
  for (const it of items) if (typeof it.macro === "string") macros.set(it.macro, it);
  const reached = new Set<string>();
  const visit = (text: string) => {
    for (const w of text.match(WORD) ?? []) {
      if (macros.has(w) && !reached.has(w)) {
        reached.add(w);
        visit(String(macros.get(w)!.condition ?? ""));
      }
    }
  };
  visit(String(rule.condition ?? ""));
  const kept = items.filter((it) =>
    typeof it.rule !== "string" &&
    (typeof it.macro !== "string" || reached.has(it.macro))
  );
  return stringify([...kept, rule], { lineWidth: 0 });
}

/** The warnings that matter for calibration (the one-rule split's unused items left out). */
function warningCodes(warnings: readonly string[]): string[] {
  return warnings
    .map((w) => /^(LOAD_[A-Z_]+)/.exec(w)?.[1] ?? w)
    .filter((c) => c !== "LOAD_UNUSED_MACRO" && c !== "LOAD_UNUSED_LIST")
    .sort();
}

/**
 * Replays one recorded set (`rulesYaml`, its load records, its replay records and the
 * events the replay used) through the engine.
 */
export function calibrate(
  rulesYaml: string,
  loads: readonly LoadRecord[],
  replay: ReplayRecord,
  events: ReadonlyMap<string, AuditEvent>,
): CalibrationReport {
  const report: CalibrationReport = {
    loadAgreeing: 0,
    loadTotal: 0,
    replayAgreeing: 0,
    replayTotal: 0,
    refusedByCode: new Map(),
    disagreements: [],
  };
  const docs = parseAllDocuments(rulesYaml);
  const items = docs.flatMap((d) => (d.toJS() as Item[] | null) ?? []);
  const rules = new Map<string, Item>();
  for (const it of items) if (typeof it.rule === "string") rules.set(it.rule, it);
  const withoutRules = loadRules(
    stringify(items.filter((it) => typeof it.rule !== "string"), { lineWidth: 0 }),
    "current",
  );
  if (withoutRules.errors.length) {
    report.disagreements.push(
      `the file's lists and macros alone do not load: ${withoutRules.errors.join(" | ")}`,
    );
  }
  for (const rec of loads) {
    report.loadTotal++;
    const expectedCode = rec.errors[0]?.code ?? "";
    if (!rec.loads) {
      report.refusedByCode.set(expectedCode, (report.refusedByCode.get(expectedCode) ?? 0) + 1);
    }
    const rule = rules.get(rec.rule);
    if (!rule) {
      report.disagreements.push(`load: rule ${rec.rule} is not in the recorded rules file`);
      continue;
    }
    const set = loadRules(oneRuleFile(items, rule), "current");
    const loadsHere = set.errors.length === 0;
    const code = loadsHere ? "" : errorCode(set.errors[0]);
    const wantWarnings = warningCodes(rec.warnings.map((w) => w.code));
    const gotWarnings = warningCodes(set.warnings);
    const sameText = rec.loads || set.errors[0]?.endsWith(`: ${rec.errors[0]?.message}`);
    if (
      loadsHere === rec.loads && code === expectedCode && sameText &&
      JSON.stringify(wantWarnings) === JSON.stringify(gotWarnings)
    ) {
      report.loadAgreeing++;
    } else {
      report.disagreements.push(
        `load: rule ${rec.rule}: Falco ${
          rec.loads ? "loads it" : `refuses it (${expectedCode}: ${rec.errors[0]?.message})`
        }${wantWarnings.length ? ` warning ${wantWarnings}` : ""}; the engine ${
          loadsHere ? "loads it" : `refuses it (${set.errors[0]})`
        }${gotWarnings.length ? ` warning ${gotWarnings}` : ""}`,
      );
    }
  }
  const replayFile = stringify(
    items.filter((it) => typeof it.rule !== "string" || replay.rules.includes(it.rule)),
    { lineWidth: 0 },
  );
  const ruleset = loadRules(replayFile, "current");
  if (ruleset.errors.length) {
    report.disagreements.push(
      `replay: the loadable rules do not load in the engine: ${ruleset.errors.join(" | ")}`,
    );
  }
  const compiled = new Map(ruleset.rules.map((r) => [r.name, r]));
  for (const ev of replay.events) {
    const event = events.get(ev.auditID);
    const fired = new Set(ev.fired);
    for (const name of replay.rules) {
      report.replayTotal++;
      const rule = compiled.get(name);
      if (!event) {
        report.disagreements.push(`replay: event ${ev.auditID} (pod ${ev.pod}) not found`);
        continue;
      }
      if (!rule) {
        report.disagreements.push(`replay: rule ${name} not loaded by the engine`);
        continue;
      }
      const firesHere = rule.enabled && rule.source === "k8s_audit" &&
        evaluate(rule.expr, event, "current");
      if (firesHere === fired.has(name)) report.replayAgreeing++;
      else {
        report.disagreements.push(
          `replay: rule ${name} on pod ${ev.pod} (${ev.auditID}): Falco ${
            fired.has(name) ? "fired" : "did not fire"
          }, the engine ${firesHere ? "fires" : "does not fire"}`,
        );
      }
    }
  }
  return report;
}
