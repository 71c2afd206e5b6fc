/**
 * The AuditReport model that `audit-pods` prints: one item per workload (pods of
 * the same controller collapsed into it) with the admission's decision, and a
 * summary. Every renderer (table, json, yaml, sarif, junit) reads only this model.
 */

import type { PspField } from "../model/psp_fields.ts";
import type { Level } from "../pss/api.ts";
import type { PodPss } from "../pss/pod_result.ts";
import type { NamespaceAdvice } from "../pss/namespace_advice.ts";
import type { MigrationView } from "./migration.ts";

/** The document's apiVersion and kind (`-o json|yaml`). */
export const REPORT_API_VERSION = "falco-psp/v1";
export const REPORT_KIND = "AuditReport";

/**
 * `admitted`: unchanged (or changed only without effect, see ReportChange.effect);
 * `changed`: admitted with changes; `refused`.
 */
export type Verdict = "admitted" | "changed" | "refused";

/**
 * One violation, as the API server words it. `text` is `<field>: <message>`; `pspField` is the
 * PSP field (src/model/psp_fields.ts) whose check raised it, null for none (core pod validation).
 */
export interface ReportViolation {
  field: string;
  message: string;
  text: string;
  pspField?: PspField | null;
}

/** One change a PSP's defaults make to the pod, and the PSP field whose defaulting made it. */
export interface ReportChange {
  field: string;
  from: unknown;
  to: unknown;
  pspField?: PspField;
  /**
   * `none`: a change without effect (the pod-level seccomp annotation copied from the pod's
   * own `seccompProfile` field). It does not make the verdict `changed`. Absent otherwise.
   */
  effect?: "none";
}

/** Whether a change does something (see ReportChange.effect). */
export function hasEffect(change: Pick<ReportChange, "effect">): boolean {
  return change.effect !== "none";
}

/**
 * The report's verdict of an admission decision: `changed` only when the chosen PSP makes a
 * change with effect; a pod the chosen PSP changes only without effect is `admitted`.
 */
export function reportVerdict(
  d: { verdict: Verdict; policy: string | null; results: readonly ReportPolicyResult[] },
): Verdict {
  if (d.verdict !== "changed") return d.verdict;
  const chosen = d.results.find((r) => r.policy === d.policy);
  return !chosen || chosen.changes.some(hasEffect) ? "changed" : "admitted";
}

/** What one candidate PSP made of the pod. */
export interface ReportPolicyResult {
  policy: string;
  allowed: boolean;
  violations: ReportViolation[];
  changes: ReportChange[];
  /** Set when the PSP cannot be used at all (its provider cannot be created); admission skips it. */
  error?: string;
}

/**
 * The fields of the pod that admission may change, as the chosen PSP leaves them
 * (metadata.annotations, spec.securityContext, spec.runtimeClassName, and each
 * container's and init container's securityContext and ports).
 */
export interface AdmittedPod {
  metadata: { annotations: Record<string, string> };
  spec: {
    securityContext: unknown;
    runtimeClassName: string | null;
    initContainers: AdmittedContainer[];
    containers: AdmittedContainer[];
  };
}

export interface AdmittedContainer {
  name: string;
  securityContext: unknown;
  ports: unknown;
}

/** 1-based position of a field inside the input file. */
export interface FieldPosition {
  line: number;
  column: number;
}

/**
 * Where an item's object was read: the input file (`-` for stdin, `cluster` for objects read
 * from a cluster), the 1-based line and column of the object (of the event's line in an audit
 * log), the 1-based document of a multi-document YAML stream and the 0-based item of a List.
 */
export interface ReportSource {
  file: string;
  line?: number;
  column?: number;
  document?: number;
  item?: number;
  /** For people: `file:line`, else `file` (`cluster` for cluster objects). */
  display: string;
}

/** The ReportSource of where an object was read (plain data in, plain data out). */
export function reportSource(ref: {
  file: string;
  line?: number;
  column?: number;
  document?: number;
  item?: number;
}): ReportSource {
  if (ref.file === "cluster") return { file: "cluster", display: "cluster" };
  return {
    file: ref.file,
    ...(ref.line !== undefined ? { line: ref.line, column: ref.column ?? 1 } : {}),
    ...(ref.document !== undefined ? { document: ref.document } : {}),
    ...(ref.item !== undefined ? { item: ref.item } : {}),
    display: ref.line !== undefined ? `${ref.file}:${ref.line}` : ref.file,
  };
}

/** One audited workload (or bare pod) with one admission decision. */
export interface AuditItem {
  kind: string;
  namespace: string;
  name: string;
  /**
   * Where the object was read (the first pod's, for pods collapsed into their controller).
   * Objects of different files are never merged into one item.
   */
  source: ReportSource;
  verdict: Verdict;
  policy: string | null;
  results: ReportPolicyResult[];
  admitted: AdmittedPod | null;
  /**
   * Pods the row stands for: the replica count of a Deployment, ReplicaSet,
   * StatefulSet or ReplicationController template, a Job's pods (completions, else
   * parallelism, else 1), a CronJob's pods per run, the number of collapsed pods,
   * or null when not known (DaemonSet, PodTemplate).
   */
  pods: number | null;
  /**
   * Set when `pods` is not a total: `node` for a DaemonSet (one pod per node it runs on; the
   * node count is not in the files, so `pods` is null), `run` for a CronJob (`pods` per
   * scheduled run).
   */
  podsPer?: "node" | "run";
  /** The admission's overall message when it refused without per-PSP violations. */
  message?: string;
  /** Set when RBAC left the pod no PSP to try (`unable to admit pod: []`): who, and what to do. */
  noUsablePolicy?: NoUsablePolicy;
  /**
   * With `--pss`: the Pod Security Standards result (`-o json|yaml` print level, version,
   * allowed, violations, and levelMet with `--pss` alone; `next` and `failures` are for the
   * namespace advice).
   */
  pss?: PodPss;
  /** Input positions of the violated or changed fields (SARIF only; not printed otherwise). */
  location?: {
    fields: Record<string, FieldPosition>;
  };
}

/** Why a pod had no PSP to try: RBAC lets neither its service account nor its creator use one. */
export interface NoUsablePolicy {
  /** The pod's service account (`namespace/name`); null for a pod without one (a mirror pod). */
  serviceAccount: string | null;
  /** The pod's creator checked besides it (the audit event's user, or `--creator`); null if none. */
  user: string | null;
  /** The explanation for people, with how to change it. */
  text: string;
}

/** Counts over the items (and over the pods they stand for). */
export interface AuditSummary {
  items: number;
  admitted: number;
  changed: number;
  refused: number;
  /** Sum of the known pod counts (a CronJob's pods per run not included). */
  pods: number;
  /** The PSPs that were candidates, in the admission's order. */
  policies: string[];
  /** With `--pss`: items the level asked allows and refuses, and items per level met. */
  pss?: PssSummary;
}

/** Pod Security Standards counts over the items. */
export interface PssSummary {
  /** The level asked (null: `--pss` alone). */
  level: Level | null;
  version: string;
  allowed: number;
  refused: number;
  levelMet: Record<Level, number>;
}

/** What `--pss` asked, and whether PSPs were audited too (false: PSS only, no PSP columns). */
export interface ReportPssSetting {
  level: Level | null;
  version: string;
  psp: boolean;
}

/** The whole report (`-o json|yaml` print it as is, minus `location`). */
export interface AuditReport {
  apiVersion: typeof REPORT_API_VERSION;
  kind: typeof REPORT_KIND;
  items: AuditItem[];
  summary: AuditSummary;
  /** With `--pss`: what it asked. */
  pss?: ReportPssSetting;
  /** With `--pss`: the Pod Security Admission advice per namespace. */
  namespaces?: NamespaceAdvice[];
  /** With `--pss` and PSPs: where they disagree, PSP defaults pods rely on, PSP guarantees. */
  migration?: MigrationView;
}

/** Counts the items by verdict and sums their pods (and, with `pss`, by Pod Security result). */
export function summarize(
  items: readonly AuditItem[],
  policies: readonly string[],
  pss?: ReportPssSetting,
): AuditSummary {
  const s: AuditSummary = {
    items: items.length,
    admitted: 0,
    changed: 0,
    refused: 0,
    pods: 0,
    policies: [...policies],
  };
  for (const it of items) {
    s[it.verdict]++;
    if (it.podsPer !== "run") s.pods += it.pods ?? 0;
  }
  if (pss) {
    const p: PssSummary = {
      level: pss.level,
      version: pss.version,
      allowed: 0,
      refused: 0,
      levelMet: { privileged: 0, baseline: 0, restricted: 0 },
    };
    for (const it of items) {
      if (!it.pss) continue;
      p[it.pss.allowed ? "allowed" : "refused"]++;
      p.levelMet[it.pss.levelMet]++;
    }
    s.pss = p;
  }
  return s;
}

/** One reason for a refusal: a candidate PSP's violation, or the admission's whole message. */
export interface RefusalReason {
  policy: string | null;
  field?: string;
  /** The PSP field whose check raised the violation (absent for the admission's message). */
  pspField?: PspField | null;
  message: string;
  text: string;
}

/**
 * Why an item is refused: every candidate PSP's violations, in the admission's
 * order. When those do not explain the refusal (no usable PSP, or a pod admitted
 * with changes that then fails the validating phase), the admission's message.
 */
export function refusalReasons(item: AuditItem): RefusalReason[] {
  if (item.verdict !== "refused") return [];
  if (item.noUsablePolicy) {
    return [{ policy: null, message: item.noUsablePolicy.text, text: item.noUsablePolicy.text }];
  }
  const explained = item.results.length > 0 && item.results.every((r) => !r.allowed) &&
    item.results.some((r) => r.violations.length > 0);
  if (explained) {
    return item.results.flatMap((r) =>
      r.violations.map((v) => ({
        policy: r.policy,
        field: v.field,
        pspField: v.pspField ?? null,
        message: v.message,
        text: v.text,
      }))
    );
  }
  return [{
    policy: null,
    message: item.message ?? "no PodSecurityPolicy may be used",
    text: item.message ?? "no PodSecurityPolicy may be used",
  }];
}

/**
 * Whether the report should fail the command: a pod the PSPs refuse (or change, with
 * `--fail-on changed`), or one the Pod Security level asked refuses (`--pss LEVEL`; `--pss`
 * alone only reports levels).
 */
export function reportFails(report: AuditReport, failOn: "refused" | "changed"): boolean {
  const s = report.summary;
  if (s.pss && s.pss.level !== null && s.pss.refused > 0) return true;
  if (report.pss && !report.pss.psp) return false;
  return s.refused > 0 || (failOn === "changed" && s.changed > 0);
}
