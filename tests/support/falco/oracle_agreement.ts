/**
 * Oracle agreement of generated k8s_audit rules with the real kube-apiserver (issue 2,
 * "Tests", second bullet): generated rules for one PSP, loaded by the test-side Falco
 * engine, evaluated on every real audit event of fixtures/oracle/audit-events.jsonl, must
 * fire exactly on the PSP spec fields the API server named when it refused the pod under
 * that PSP alone (verdicts.json). See tests/falco/oracle_agreement_test.ts.
 *
 * Written exceptions (reported with their reason):
 * - scope: a PSP with `falco-rules-psp-images` / `falco-rules-psp-namespaces` only covers
 *   pods in scope (issue 2: any container, init and ephemeral included, uses a listed
 *   image; the namespace is listed). Out of scope, the expected set is empty.
 * - uncovered: a field the generator reports in `uncovered` for that PSP (no Falco field
 *   can check it). Such pairs are counted as excepted, not as agreeing.
 */
import { parse as parseYaml } from "yaml";
import { type AuditEvent, auditEventFromJson } from "./event.ts";
import { evaluate } from "./evaluate.ts";
import { loadRules } from "./rules.ts";
import { renderExpr } from "./ast.ts";
import { pluginRepository } from "./extract_current.ts";
import { violationsOf } from "./psp_violations.ts";
import type { PodSecurityPolicy } from "../../../src/model/psp.ts";
import { ORACLE_DIR } from "../shared.ts";

/** The generator's contract (src/falco/generate.ts). */
export interface GenerateResult {
  yaml: string;
  warnings: string[];
  uncovered: { policy: string; field: string; reason: string }[];
}
export type GenerateRules = (
  psps: readonly PodSecurityPolicy[],
  opts: { target: "current" | "0.27"; prefix: boolean },
) => GenerateResult;

/** The oracle directory (fixtures/oracle). */
export { ORACLE_DIR };

interface Verdict {
  pod: string;
  policies: string;
  status: "allowed" | "forbidden" | "invalid";
  message?: string;
}

/** `PSP <prefix> Violation (<field>...) ...`: the captured group is the PSP spec field. */
export const VIOLATION_RULE = /^PSP (?:.* )?Violation \(([A-Za-z]+)/;

function podName(ev: AuditEvent): string {
  const j = ev.json as {
    objectRef?: { name?: string };
    requestObject?: { metadata?: { name?: string } };
  };
  const name = j.requestObject?.metadata?.name ?? j.objectRef?.name;
  if (!name) throw new Error("audit event without a pod name");
  return name;
}

/** Parses a scoping annotation: a YAML flow list such as "[nginx]" or a comma list. */
function annotationList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t.startsWith("[")) return (parseYaml(t) as unknown[]).map(String);
  return t.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Whether a pod is in the scope the PSP's falco-rules-psp-* annotations define. */
function inScope(psp: PodSecurityPolicy, ev: AuditEvent): string | null {
  const ann = psp.metadata.annotations ?? {};
  const images = annotationList(ann["falco-rules-psp-images"]);
  const namespaces = annotationList(ann["falco-rules-psp-namespaces"]);
  const j = ev.json as {
    objectRef?: { namespace?: string };
    requestObject?: { spec?: Record<string, { image?: string }[] | undefined> };
  };
  if (images) {
    const spec = j.requestObject?.spec ?? {};
    const repos = ["containers", "initContainers", "ephemeralContainers"].flatMap((k) =>
      (spec[k] ?? []).map((c) => pluginRepository(c.image ?? ""))
    );
    if (!repos.some((r) => images.includes(r))) {
      return `no container image of the pod is in falco-rules-psp-images ${JSON.stringify(images)}`;
    }
  }
  if (namespaces && !namespaces.includes(j.objectRef?.namespace ?? "")) {
    return `namespace not in falco-rules-psp-namespaces ${JSON.stringify(namespaces)}`;
  }
  return null;
}

/** One (PSP, pod) pair whose fired fields differ from the refusal. */
export interface Disagreement {
  psp: string;
  pod: string;
  missing: string[];
  extra: string[];
  refusal: string[];
  fired: { rule: string; condition: string }[];
  /** Rules expected to fire for the missing fields, with their expanded conditions. */
  expected: { rule: string; condition: string }[];
}

/** The outcome of an agreement run. */
export interface AgreementReport {
  pairs: number;
  agreeing: number;
  excepted: number;
  events: number;
  psps: number;
  disagreements: Disagreement[];
  /** Generated files the engine could not load (errors), by PSP. */
  loadProblems: string[];
  /** Written exceptions applied, with the number of events each covered. */
  exceptions: Map<string, number>;
  perField: Map<string, { missing: number; extra: number }>;
  /**
   * Per PSP field, over every compared (PSP, pod audit event): how often the API server
   * refused for it, how often its Violation rule fired then, missed, or fired without a
   * refusal.
   */
  figures: Map<string, FieldFigures>;
}

/** Per-field figures of an agreement run. */
export interface FieldFigures {
  refused: number;
  detected: number;
  missed: number;
  falseAlarms: number;
}

/** The oracle data: PSPs, verdicts and audit events. */
export interface Oracle {
  psps: PodSecurityPolicy[];
  verdicts: Verdict[];
  events: AuditEvent[];
}

async function readText(url: URL): Promise<string> {
  const bytes = await Deno.readFile(url);
  if (!url.pathname.endsWith(".gz")) return new TextDecoder().decode(bytes);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}

/**
 * Reads corpus.json, verdicts.json and audit-events.jsonl of `dir` (the project's oracle),
 * or of the real-world corpus with `gz` (its verdicts and events are gzipped).
 */
export async function readOracle(dir: URL = ORACLE_DIR, gz = false): Promise<Oracle> {
  const z = gz ? ".gz" : "";
  const corpus = JSON.parse(await readText(new URL("corpus.json", dir)));
  const verdicts = JSON.parse(await readText(new URL(`verdicts.json${z}`, dir))).verdicts;
  const events = (await readText(new URL(`audit-events.jsonl${z}`, dir)))
    .split("\n").filter((l) => l.trim() !== "").map(auditEventFromJson);
  return { psps: corpus.psps, verdicts, events };
}

function bump(
  map: Map<string, { missing: number; extra: number }>,
  f: string,
  k: "missing" | "extra",
) {
  const c = map.get(f) ?? { missing: 0, extra: 0 };
  c[k]++;
  map.set(f, c);
}

/**
 * Generates current-target rules for each PSP alone and compares the fields whose
 * Violation k8s_audit rules fire on each audit event with the API server's refusal.
 */
export function runOracleAgreement(generateRules: GenerateRules, oracle: Oracle): AgreementReport {
  const verdictOf = new Map<string, Verdict>();
  for (const v of oracle.verdicts) verdictOf.set(`${v.policies}\u0000${v.pod}`, v);
  const eventsByPod = new Map<string, AuditEvent[]>();
  for (const ev of oracle.events) {
    const name = podName(ev);
    eventsByPod.set(name, [...(eventsByPod.get(name) ?? []), ev]);
  }
  const report: AgreementReport = {
    pairs: 0,
    agreeing: 0,
    excepted: 0,
    events: oracle.events.length,
    psps: oracle.psps.length,
    disagreements: [],
    loadProblems: [],
    exceptions: new Map(),
    perField: new Map(),
    figures: new Map(),
  };
  const figure = (f: string) => {
    let c = report.figures.get(f);
    if (!c) report.figures.set(f, c = { refused: 0, detected: 0, missed: 0, falseAlarms: 0 });
    return c;
  };
  const note = (text: string) =>
    report.exceptions.set(text, (report.exceptions.get(text) ?? 0) + 1);

  for (const psp of oracle.psps) {
    const name = psp.metadata.name ?? "";
    const generated = generateRules([psp], { target: "current", prefix: true });
    const ruleset = loadRules(generated.yaml, "current");
    if (ruleset.errors.length > 0) {
      report.loadProblems.push(
        `PSP ${name}: generated rules do not load: ${ruleset.errors.join(" | ")}`,
      );
      report.pairs += eventsByPod.size; // none of its pairs can agree
      continue;
    }
    const uncovered = new Map(
      generated.uncovered.filter((u) => u.policy === name).map((u) => [u.field, u.reason]),
    );
    const violationRules = ruleset.rules.flatMap((r) => {
      const m = VIOLATION_RULE.exec(r.name);
      return m && r.source === "k8s_audit" && r.enabled ? [{ rule: r, field: m[1] }] : [];
    });
    for (const [pod, podEvents] of eventsByPod) {
      const verdict = verdictOf.get(`${name}\u0000${pod}`);
      if (!verdict) throw new Error(`no verdict for pod ${pod} under PSP ${name}`);
      if (verdict.status === "invalid") continue;
      const refusal = verdict.status === "forbidden" ? violationsOf(verdict.message ?? "") : [];
      report.pairs++;
      let disagrees = false;
      let excepted = false;
      for (const ev of podEvents) {
        let expected = new Set(refusal.map((v) => v.field));
        const outOfScope = inScope(psp, ev);
        if (outOfScope && expected.size > 0) {
          note(`scope: PSP ${name}: ${outOfScope}, so its rules do not cover the pod`);
          expected = new Set();
        }
        const firing = violationRules.filter((v) => evaluate(v.rule.expr, ev, "current"));
        const fired = new Set(firing.map((v) => v.field));
        const missing = [...expected].filter((f) => !fired.has(f)).sort();
        const extra = [...fired].filter((f) => !expected.has(f)).sort();
        for (const f of expected) {
          figure(f).refused++;
          if (fired.has(f)) figure(f).detected++;
          else figure(f).missed++;
        }
        for (const f of extra) figure(f).falseAlarms++;
        if (missing.length === 0 && extra.length === 0) continue;
        if (extra.length === 0 && missing.every((f) => uncovered.has(f))) {
          excepted = true;
          for (const f of missing) note(`uncovered: PSP ${name} field ${f}: ${uncovered.get(f)}`);
          continue;
        }
        disagrees = true;
        for (const f of missing) bump(report.perField, f, "missing");
        for (const f of extra) bump(report.perField, f, "extra");
        const show = (v: { rule: { name: string; expr: Parameters<typeof renderExpr>[0] } }) => ({
          rule: v.rule.name,
          condition: renderExpr(v.rule.expr),
        });
        report.disagreements.push({
          psp: name,
          pod,
          missing,
          extra,
          refusal: refusal.map((v) => `${v.path}: ${v.body}`),
          fired: firing.filter((v) => extra.includes(v.field)).map(show),
          expected: violationRules.filter((v) => missing.includes(v.field)).map(show),
        });
        break; // the first disagreeing event of a pair is enough to report it
      }
      if (disagrees) continue;
      if (excepted) report.excepted++;
      else report.agreeing++;
    }
  }
  return report;
}

/** The one-line summary printed by the test. */
export function agreementLine(r: AgreementReport): string {
  const pct = r.pairs === 0 ? 0 : (100 * r.agreeing) / r.pairs;
  return `falco agreement: ${r.agreeing}/${r.pairs} (PSP, pod) pairs, ${pct.toFixed(2)}%` +
    (r.excepted > 0 ? ` (+${r.excepted} excepted)` : "") +
    ` [current target, ${r.psps} PSPs, ${r.events} audit events]`;
}

/** The per-field figures, one line per PSP field. */
export function figureLines(r: AgreementReport): string[] {
  return [...r.figures].sort(([a], [b]) => a.localeCompare(b)).map(([f, c]) =>
    `  ${f}: ${c.refused} refusals, ${c.detected} detected, ${c.missed} missed, ${c.falseAlarms} false alarms`
  );
}

/** A readable account of the disagreements, for the generator's author. */
export function disagreementReport(r: AgreementReport, limit = 40): string {
  return [
    `${r.disagreements.length} (PSP, pod) pairs disagree with the API server.`,
    "Per PSP field (missing = refused for it but no rule fired; extra = its rule fired but the API server did not refuse for it):",
    ...[...r.perField].sort().map(([f, c]) => `  ${f}: missing ${c.missing}, extra ${c.extra}`),
    `First ${Math.min(limit, r.disagreements.length)} disagreements:`,
    ...r.disagreements.slice(0, limit).flatMap((d) => [
      `- PSP ${d.psp}, pod ${d.pod}: missing [${d.missing.join(", ")}] extra [${
        d.extra.join(", ")
      }]`,
      ...(d.refusal.length === 0
        ? ["    API server: admitted"]
        : d.refusal.map((x) => `    API server: ${x}`)),
      ...d.fired.map((f) => `    fired (should not): ${f.rule}: ${f.condition}`),
      ...d.expected.map((f) => `    did not fire: ${f.rule}: ${f.condition}`),
      ...(d.missing.some((m) => !d.expected.some((e) => e.rule.includes(`(${m}`)))
        ? [`    no Violation rule named (${d.missing.join("|")}...) exists in the generated file`]
        : []),
    ]),
  ].join("\n");
}
