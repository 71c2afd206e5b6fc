/**
 * `-o json` and `-o yaml`: the AuditReport document (`apiVersion: falco-psp/v1`,
 * `kind: AuditReport`, `items`, `summary`). Pure: report in, text out.
 */
import { stringify } from "yaml";
import type { AuditItem, AuditReport } from "./model.ts";
import { indentLines, jsonChunks, LazyArray } from "./stream.ts";

/** The report as a plain document: every item field except the internal `location`. */
export function reportDocument(report: AuditReport): Record<string, unknown> {
  return {
    apiVersion: report.apiVersion,
    kind: report.kind,
    items: report.items.map(itemDocument),
    summary: report.summary,
  };
}

function itemDocument(it: AuditItem): Record<string, unknown> {
  return {
    kind: it.kind,
    namespace: it.namespace,
    name: it.name,
    source: it.source,
    pods: it.pods,
    verdict: it.verdict,
    policy: it.policy,
    ...(it.message !== undefined ? { message: it.message } : {}),
    ...(it.noUsablePolicy ? { noUsablePolicy: it.noUsablePolicy } : {}),
    results: it.results,
    admitted: it.admitted,
  };
}

/**
 * The JSON document in chunks (one item field per chunk at most). Items that
 * share a decision share the rendering of its results and admitted pod.
 */
export function* renderJsonChunks(report: AuditReport): Generator<string> {
  const doc = {
    apiVersion: report.apiVersion,
    kind: report.kind,
    items: new LazyArray(function* () {
      for (const it of report.items) yield itemDocument(it);
    }),
    summary: report.summary,
  };
  yield* jsonChunks(doc, 3, "", new WeakMap());
  yield "\n";
}

/** Renders the report as indented JSON (one document, trailing newline). */
export function renderJson(report: AuditReport): string {
  return [...renderJsonChunks(report)].join("");
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
    const tails = new WeakMap<object, { admitted: unknown; text: string }>();
    for (const it of report.items) {
      const { results, admitted, ...head } = itemDocument(it);
      let tail = tails.get(it.results);
      if (tail === undefined || tail.admitted !== admitted) {
        tail = { admitted, text: stringify({ results, admitted }, YAML_OPTIONS) };
        tails.set(it.results, tail);
      }
      const entry = stringify(head, YAML_OPTIONS) + tail.text;
      yield indentLines(entry, "    ").replace(/^ {4}/, "  - ");
    }
  }
  yield stringify({ summary: report.summary }, YAML_OPTIONS);
}

/** Renders the report as YAML. */
export function renderYaml(report: AuditReport): string {
  return [...renderYamlChunks(report)].join("");
}
