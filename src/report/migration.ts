/**
 * The migration view of an `audit-pods --pss` run with PSPs: where the PSP verdict and the Pod
 * Security level disagree, which pods rely on a PSP's defaults (PSA never changes a pod, so the
 * pod must set those fields itself), and per PSP the strictest level it guarantees and the PSP
 * fields PSS does not cover. Pure: report and PSPs in, plain data and text out.
 */
import { terminalText } from "../io/terminal_text.ts";
import type { PodSecurityPolicy } from "../model/psp.ts";
import type { Level } from "../pss/api.ts";
import { type PspGuarantee, pspGuarantee } from "../pss/psp_guarantee.ts";
import { type AuditItem, type AuditReport, hasEffect } from "./model.ts";

/** One workload where the PSPs and the proposed Pod Security level disagree. */
export interface Disagreement {
  namespace: string;
  workload: string;
  psp: "admitted" | "changed" | "refused";
  pss: "allowed" | "refused";
  /** The proposed level: the one asked, or with `--pss` alone the namespace's advised level. */
  level: Level;
}

/** A workload admitted only thanks to a PSP's defaults: what the pod must set itself. */
export interface MustSet {
  namespace: string;
  workload: string;
  policy: string;
  fields: { field: string; value: unknown }[];
}

/** The migration view. */
export interface MigrationView {
  disagreements: Disagreement[];
  mustSet: MustSet[];
  policies: PspGuarantee[];
}

function levelFor(report: AuditReport, it: AuditItem): Level {
  if (report.pss?.level) return report.pss.level;
  return report.namespaces?.find((n) => n.namespace === it.namespace)?.level ?? "privileged";
}

function allowedAt(it: AuditItem, level: Level): boolean {
  const rank = ["privileged", "baseline", "restricted"];
  return rank.indexOf(it.pss!.levelMet) >= rank.indexOf(level);
}

/** The migration view of a `--pss` report made with PSPs (`policies`: the PSPs audited). */
export function migrationView(
  report: AuditReport,
  policies: readonly PodSecurityPolicy[],
): MigrationView {
  const disagreements: Disagreement[] = [];
  const mustSet: MustSet[] = [];
  for (const it of report.items) {
    if (!it.pss) continue;
    const workload = `${it.kind}/${it.name}`;
    const level = levelFor(report, it);
    const allowed = allowedAt(it, level);
    if ((it.verdict !== "refused") !== allowed) {
      disagreements.push({
        namespace: it.namespace,
        workload,
        psp: it.verdict,
        pss: allowed ? "allowed" : "refused",
        level,
      });
    }
    if (it.verdict === "changed" && it.policy) {
      const chosen = it.results.find((r) => r.policy === it.policy);
      const fields = (chosen?.changes ?? []).filter(hasEffect).map((c) => ({
        field: c.field,
        value: c.to,
      }));
      if (fields.length) {
        mustSet.push({ namespace: it.namespace, workload, policy: it.policy, fields });
      }
    }
  }
  return { disagreements, mustSet, policies: policies.map(pspGuarantee) };
}

function safe(text: string): string {
  return terminalText(text, { oneLine: true });
}

/** The view as the table prints it after the namespace advice. */
export function renderMigration(view: MigrationView): string {
  const lines = ["Migration from PSP to Pod Security Admission:"];
  const admittedRefused = view.disagreements.filter((d) => d.pss === "refused");
  const refusedAllowed = view.disagreements.filter((d) => d.pss === "allowed");
  const names = (ds: Disagreement[]) =>
    ds.slice(0, 5).map((d) => safe(`${d.namespace}/${d.workload} (${d.level})`)).join(", ") +
    (ds.length > 5 ? `, and ${ds.length - 5} more` : "");
  lines.push(
    `  PSP admits, PSS refuses: ${admittedRefused.length}${
      admittedRefused.length ? `: ${names(admittedRefused)}` : ""
    }`,
    `  PSP refuses, PSS allows: ${refusedAllowed.length}${
      refusedAllowed.length ? `: ${names(refusedAllowed)}` : ""
    }`,
  );
  if (view.mustSet.length) {
    lines.push("  Relying on PSP defaults (PSA never changes a pod: set these in the pod itself):");
    for (const m of view.mustSet) {
      lines.push(
        `    ${safe(`${m.namespace}/${m.workload}`)} (PSP ${safe(m.policy)}): ${
          safe(m.fields.map((f) => `${f.field}=${JSON.stringify(f.value)}`).join(", "))
        }`,
      );
    }
  }
  lines.push("  What each PSP guarantees (every pod it admits meets the level):");
  for (const p of view.policies) {
    const next = p.level === "restricted"
      ? null
      : p.level === "baseline"
      ? "restricted"
      : "baseline";
    const missing = next ? p.checks.filter((c) => c.level === next && !c.guaranteed) : [];
    lines.push(
      `    ${safe(p.policy)}: ${p.level}${
        missing.length
          ? `; ${next} not guaranteed: ${
            safe(missing.map((c) => `${c.check} (${c.why})`).join("; "))
          }`
          : ""
      }${
        p.notInPss.length ? `; not in PSS: ${safe(p.notInPss.map((n) => n.field).join(", "))}` : ""
      }`,
    );
  }
  return lines.join("\n") + "\n";
}
