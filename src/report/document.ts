/**
 * `-o json` and `-o yaml`: the AuditReport document (`apiVersion: falco-psp/v1`,
 * `kind: AuditReport`, `items`, `summary`). Pure: report in, text out.
 */
import { stringify } from "yaml";
import type { AuditItem, AuditReport } from "./model.ts";

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
    results: it.results,
    admitted: it.admitted,
  };
}

/** Renders the report as indented JSON (one document, trailing newline). */
export function renderJson(report: AuditReport): string {
  return JSON.stringify(reportDocument(report), null, 2) + "\n";
}

/** Renders the report as YAML; every string is quoted as YAML needs, nothing is aliased. */
export function renderYaml(report: AuditReport): string {
  return stringify(reportDocument(report), { aliasDuplicateObjects: false, lineWidth: 0 });
}
