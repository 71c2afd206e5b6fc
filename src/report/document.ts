/**
 * `-o json` and `-o yaml`: the AuditReport document (`apiVersion: falco-psp/v1`,
 * `kind: AuditReport`, `items`, `summary`). Pure: report in, text out.
 */
import { stringify } from "yaml";
import type { AuditItem, AuditReport } from "./model.ts";
import { indentLines, jsonChunks, LazyArray } from "./stream.ts";

/**
 * The report as a plain document: every item field except the internal `location`. With
 * `--pss` and no PSPs, the PSP fields (verdict, policy, results, admitted and their counts)
 * are left out.
 */
export function reportDocument(report: AuditReport): Record<string, unknown> {
  const item = itemDocumentOf(report);
  return {
    apiVersion: report.apiVersion,
    kind: report.kind,
    items: report.items.map(item),
    summary: summaryDocument(report),
    ...(report.namespaces ? { namespaces: report.namespaces } : {}),
    ...(report.migration ? { migration: report.migration } : {}),
  };
}

/** The summary, without the PSP counts when no PSP was audited. */
function summaryDocument(report: AuditReport): Record<string, unknown> {
  if (report.pss?.psp !== false) return { ...report.summary };
  const { admitted: _a, changed: _c, refused: _r, policies: _p, ...rest } = report.summary;
  return rest;
}

/** An item's `pss`: level, version, allowed, violations (and levelMet with `--pss` alone). */
function pssDocument(report: AuditReport, it: AuditItem): Record<string, unknown> | undefined {
  const p = it.pss;
  if (!p) return undefined;
  return {
    level: p.level,
    version: p.version,
    allowed: p.allowed,
    violations: p.violations,
    ...(report.pss?.level === null ? { levelMet: p.levelMet } : {}),
  };
}

function itemDocumentOf(report: AuditReport): (it: AuditItem) => Record<string, unknown> {
  const psp = report.pss?.psp !== false;
  return (it) => {
    const pss = pssDocument(report, it);
    return {
      kind: it.kind,
      namespace: it.namespace,
      name: it.name,
      source: it.source,
      pods: it.pods,
      ...(it.podsPer ? { podsPer: it.podsPer } : {}),
      ...(psp ? { verdict: it.verdict, policy: it.policy } : {}),
      ...(it.message !== undefined ? { message: it.message } : {}),
      ...(it.noUsablePolicy ? { noUsablePolicy: it.noUsablePolicy } : {}),
      ...(pss ? { pss } : {}),
      ...(psp ? { results: it.results, admitted: it.admitted } : {}),
    };
  };
}

/**
 * The JSON document in chunks (one item field per chunk at most). Items that
 * share a decision share the rendering of its results and admitted pod.
 */
export function* renderJsonChunks(report: AuditReport): Generator<string> {
  const itemDocument = itemDocumentOf(report);
  const doc = {
    apiVersion: report.apiVersion,
    kind: report.kind,
    items: new LazyArray(function* () {
      for (const it of report.items) yield itemDocument(it);
    }),
    summary: summaryDocument(report),
    ...(report.namespaces ? { namespaces: report.namespaces } : {}),
    ...(report.migration ? { migration: report.migration } : {}),
  };
  yield* jsonChunks(doc, 3, "", new WeakMap());
  yield "\n";
}

const YAML_OPTIONS = { aliasDuplicateObjects: false, lineWidth: 0 } as const;

/**
 * The YAML document in chunks (one item per chunk): every string is quoted as
 * YAML needs, nothing is aliased. Items that share a decision (same results
 * and admitted pod) share its rendering.
 */
export function* renderYamlChunks(report: AuditReport): Generator<string> {
  yield stringify({ apiVersion: report.apiVersion, kind: report.kind }, YAML_OPTIONS);
  if (report.items.length === 0) yield "items: []\n";
  else {
    yield "items:\n";
    const itemDocument = itemDocumentOf(report);
    const psp = report.pss?.psp !== false;
    const tails = new WeakMap<object, { admitted: unknown; text: string }>();
    for (const it of report.items) {
      const { results, admitted, ...head } = itemDocument(it);
      let tail = tails.get(it.results);
      if (!psp) tail = { admitted, text: "" };
      else if (tail === undefined || tail.admitted !== admitted) {
        tail = { admitted, text: stringify({ results, admitted }, YAML_OPTIONS) };
        tails.set(it.results, tail);
      }
      const entry = stringify(head, YAML_OPTIONS) + tail.text;
      yield indentLines(entry, "    ").replace(/^ {4}/, "  - ");
    }
  }
  yield stringify({ summary: summaryDocument(report) }, YAML_OPTIONS);
  if (report.namespaces) yield stringify({ namespaces: report.namespaces }, YAML_OPTIONS);
  if (report.migration) yield stringify({ migration: report.migration }, YAML_OPTIONS);
}
