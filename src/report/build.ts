/**
 * Builds the AuditReport from (pod subject, admission decision) pairs, one at a
 * time: pods of the same controller with the same decision collapse into one
 * item, ReplicaSets resolve to their Deployment (and Jobs to their CronJob) when
 * the owner is known, and only one decision per item is kept in memory.
 */
import { canon, NotKeyable } from "../model/canonical.ts";
import type { Pod } from "../model/pod.ts";
import { type PodPss, podPssKey } from "../pss/pod_result.ts";
import { namespaceAdvice, type NamespaceLabels } from "../pss/namespace_advice.ts";
import { parseVersion } from "../pss/api.ts";
import type { OwnerEdge } from "../workloads/extract.ts";
import { podServiceAccount } from "../workloads/service_account_token.ts";
import { type PodSubject, workloadKey, type WorkloadRef } from "../workloads/subject.ts";
import {
  type AdmittedPod,
  type AuditItem,
  type AuditReport,
  type FieldPosition,
  type NoUsablePolicy,
  REPORT_API_VERSION,
  REPORT_KIND,
  type ReportPolicyResult,
  type ReportPssSetting,
  reportSource,
  reportVerdict,
  summarize,
  type Verdict,
} from "./model.ts";

/** The part of the admission's decision the report reads (admit.ts's AdmissionDecision). */
export interface DecisionLike {
  verdict: Verdict;
  policy: string | null;
  results: readonly ReportPolicyResult[];
  admitted: Pod | null;
  message?: string;
  /** With `--pss`: the pod's Pod Security Standards result. */
  pss?: PodPss;
}

interface Group {
  row: WorkloadRef;
  /** Id of the decision's fingerprint (identical decisions share one id and one results list). */
  fingerprint: number;
  item: AuditItem;
  /** Template subjects in the group: workload key -> its pod count (made on the first one). */
  templates: Map<string, number | null> | undefined;
  /** Template subjects whose count is per node or per run: workload key -> how. */
  podsPer?: Map<string, "node" | "run">;
  /** Bare pods in the group. */
  pods: number;
  /** The `pod-template-hash` label of the group's pods, for the Deployment heuristic. */
  templateHash?: string;
  /**
   * For the template of the row's own workload (a Deployment given as an object, not pods
   * it owns): where in the file it was read. The same workload given twice in one file makes
   * two rows; its ReplicaSets and pods join the first.
   */
  self?: string;
}

/** ReportBuilder options. */
export interface ReportBuilderOptions {
  /**
   * Find the input position of every violated or changed field (only SARIF prints them;
   * costly for big inputs). Default true.
   */
  positions?: boolean;
  /** The pod creator RBAC checks when the pod names none (`--creator`), for `noUsablePolicy`. */
  requester?: string;
  /** How to change RBAC leaving a pod no PSP (the end of `noUsablePolicy.text`). */
  noUsableHint?: string;
  /** With `--pss`: what it asked (the report and its summary carry it). */
  pss?: ReportPssSetting;
}

/** The default end of `noUsablePolicy.text`. */
export const NO_USABLE_HINT = 'grant one of them "use" of a PSP (a Role or ClusterRole with ' +
  "verb use on podsecuritypolicies, and a binding), or audit without RBAC (--rbac=none)";

/** What the report keeps of a pod subject (plain data: a worker can send it). */
export interface ReportSubject {
  workload: WorkloadRef;
  owner?: WorkloadRef;
  source: PodSubject["source"];
  fromTemplate: boolean;
  podCount: number | null;
  podsPer?: PodSubject["podsPer"];
  /** The pod's `pod-template-hash` label (for the Deployment heuristic). */
  templateHash?: string;
  /** The pod's service account name ("" for none), for `noUsablePolicy`. */
  serviceAccount?: string;
  /** The pod's creator, when its source names one (an audit event's user). */
  requester?: string;
}

/** The ReportSubject of a pod subject. */
export function reportSubject(subject: PodSubject): ReportSubject {
  const hash = subject.pod.metadata?.labels?.["pod-template-hash"];
  return {
    workload: subject.workload,
    ...(subject.owner ? { owner: subject.owner } : {}),
    source: subject.source,
    fromTemplate: subject.fromTemplate,
    podCount: subject.podCount,
    ...(subject.podsPer ? { podsPer: subject.podsPer } : {}),
    ...(typeof hash === "string" && hash ? { templateHash: hash } : {}),
    serviceAccount: podServiceAccount(subject.pod),
    ...(subject.requester ? { requester: subject.requester.user } : {}),
  };
}

/**
 * Who RBAC checked for a pod left without a PSP to try, and the sentence saying so: its
 * service account and its creator (`requester`, else the default one); with neither, any
 * authenticated user.
 */
export function noUsablePolicy(
  subject: Pick<ReportSubject, "workload" | "serviceAccount" | "requester">,
  defaultRequester: string | undefined,
  hint: string = NO_USABLE_HINT,
): NoUsablePolicy {
  const sa = subject.serviceAccount
    ? `${subject.workload.namespace}/${subject.serviceAccount}`
    : null;
  const user = subject.requester ?? defaultRequester ?? null;
  const who = [
    ...(sa ? [`service account ${JSON.stringify(sa)}`] : []),
    ...(user !== null ? [`user ${JSON.stringify(user)}`] : []),
  ];
  const whom = who.length ? who.join(" or ") : "any authenticated user";
  return {
    serviceAccount: sa,
    user,
    text: `no PSP usable by ${whom} (RBAC grants "use" of none of the candidate PSPs); ` +
      `to change that, ${hint}`,
  };
}

/** Field path -> object keys, for the field paths seen so far (few distinct ones). */
const OBJECT_PATHS = new Map<string, (string | number)[]>();

function cachedObjectPath(field: string): (string | number)[] {
  let path = OBJECT_PATHS.get(field);
  if (!path) {
    path = objectPath(field);
    if (OBJECT_PATHS.size < 10_000) OBJECT_PATHS.set(field, path);
  }
  return path;
}

/** The report's copy of a decision, shared by every item with an equal decision. */
export interface SharedDecision {
  id: number;
  verdict: Verdict;
  policy: string | null;
  results: ReportPolicyResult[];
  admitted: AdmittedPod | null;
  /** JSON of `admitted` (and the key of `pss`, after a NUL, with `--pss`), for comparing. */
  admittedJson: string;
  pss?: PodPss;
  /** The message without the pod's name (pods that differ only by name share a decision). */
  message: string | undefined;
}

/** The admission's message without the pod's name. */
export function messageKey(decision: Pick<DecisionLike, "message">): string | undefined {
  return decision.message?.replace(/^pods "(?:[^"\\]|\\.)*" is forbidden: /, "");
}

function mix(h: number, n: number): number {
  return Math.imul(h ^ n, 0x01000193) >>> 0;
}

/**
 * A hash of a decision from its shape only (counts, string lengths, flags), so that
 * it reads no text: equal decisions have equal hashes; ones with equal hashes are
 * compared field by field.
 */
function shapeHash(
  d: Pick<DecisionLike, "verdict" | "policy" | "results">,
  admittedJson: string,
  message: string | undefined,
): number {
  let h = mix(0x811c9dc5, d.verdict.length);
  h = mix(h, d.policy === null ? -1 : d.policy.length);
  h = mix(h, admittedJson.length);
  h = mix(h, message === undefined ? -1 : message.length);
  for (const r of d.results) {
    h = mix(h, r.policy.length * 2 + (r.allowed ? 1 : 0));
    h = mix(h, r.error === undefined ? -1 : r.error.length);
    h = mix(h, r.violations.length);
    for (const v of r.violations) h = mix(mix(h, v.text.length), v.field.length);
    h = mix(h, r.changes.length);
    for (const c of r.changes) h = mix(h, c.field.length * 2 + (c.effect ? 1 : 0));
  }
  return h;
}

/** Deep equality of JSON values (a change's from/to); undefined equals null. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b || (a ?? null) === (b ?? null)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) {
      return false;
    }
  }
  return true;
}

/** Whether a decision equals a shared one in everything the report keeps. */
function sameDecision(
  d: Pick<DecisionLike, "verdict" | "policy" | "results">,
  admittedJson: string,
  message: string | undefined,
  s: SharedDecision,
): boolean {
  if (
    d.verdict !== s.verdict || d.policy !== s.policy || message !== s.message ||
    d.results.length !== s.results.length || admittedJson !== s.admittedJson
  ) return false;
  for (let i = 0; i < d.results.length; i++) {
    const r = d.results[i];
    const t = s.results[i];
    if (
      r.policy !== t.policy || r.allowed !== t.allowed || r.error !== t.error ||
      r.violations.length !== t.violations.length || r.changes.length !== t.changes.length
    ) return false;
    for (let j = 0; j < r.violations.length; j++) {
      const v = r.violations[j];
      const w = t.violations[j];
      if (v.field.length !== w.field.length || v.text !== w.text) return false;
      if ((v.pspField ?? null) !== (w.pspField ?? null)) return false;
      // `text` is `field: message` (admission's Violation), so equal texts with equal field
      // lengths have equal fields and messages; other texts are compared in full.
      if (
        v.text.length !== v.field.length + 2 + v.message.length &&
        (v.field !== w.field || v.message !== w.message)
      ) return false;
    }
    for (let j = 0; j < r.changes.length; j++) {
      const c = r.changes[j];
      const e = t.changes[j];
      if (
        c.field !== e.field || c.pspField !== e.pspField || c.effect !== e.effect ||
        !sameValue(c.from, e.from) ||
        !sameValue(c.to, e.to)
      ) {
        return false;
      }
    }
  }
  return true;
}

/** More decisions than this with one shape hash are told apart by a text key instead. */
const BUCKET_LIMIT = 8;

/** A text key of everything `sameDecision` compares (for crowded hash buckets). */
function textKey(
  d: Pick<DecisionLike, "verdict" | "policy" | "results">,
  admittedJson: string,
  message: string | undefined,
): string {
  return JSON.stringify([d.verdict, d.policy, d.results, admittedJson, message ?? null]);
}

/**
 * The distinct decisions seen so far. Finding a decision's shared copy costs a
 * hash of its shape and a comparison with the few decisions of that shape;
 * building a text fingerprint of 30 PSPs' results for every pod took a third of
 * an audit's time. Shapes with many decisions fall back to text keys.
 */
export class DecisionTable {
  readonly #buckets = new Map<number, SharedDecision[] | Map<string, SharedDecision>>();
  #size = 0;

  /** How many distinct decisions there are (ids are 0 to size - 1, in order of first sight). */
  get size(): number {
    return this.#size;
  }

  /** The shared copy of `decision`, made on its first sight. */
  shared(decision: DecisionLike, admitted: AdmittedPod | null): SharedDecision {
    const verdict = reportVerdict(decision);
    const d = verdict === decision.verdict ? decision : { ...decision, verdict };
    const json = JSON.stringify(admitted) +
      (decision.pss ? `\u0000${podPssKey(decision.pss)}` : "");
    return this.#find(d, admitted, json, messageKey(decision));
  }

  /**
   * The shared copy of a decision shared by another table (a worker's, or this thread's
   * auditor's): on first sight `other` itself under this table's id, its parts shared, not
   * copied again (a table's decisions are never changed; a second deep copy doubled the
   * memory of distinct decisions in a one-thread audit).
   */
  adopt(other: SharedDecision): SharedDecision {
    return this.#find(
      other,
      other.admitted,
      other.admittedJson,
      other.message,
      () => ({ ...other, id: this.#size++ }),
    );
  }

  #find(
    decision: Pick<DecisionLike, "verdict" | "policy" | "results" | "pss">,
    admitted: AdmittedPod | null,
    admittedJson: string,
    message: string | undefined,
    make = () => this.#copy(decision, admitted, admittedJson, message),
  ): SharedDecision {
    const h = shapeHash(decision, admittedJson, message);
    let bucket = this.#buckets.get(h);
    if (bucket instanceof Map) {
      const key = textKey(decision, admittedJson, message);
      let s = bucket.get(key);
      if (!s) bucket.set(key, s = make());
      return s;
    }
    if (!bucket) this.#buckets.set(h, bucket = []);
    for (const s of bucket) if (sameDecision(decision, admittedJson, message, s)) return s;
    const s = make();
    if (bucket.length < BUCKET_LIMIT) bucket.push(s);
    else {
      const byText = new Map<string, SharedDecision>();
      for (const t of [...bucket, s]) {
        byText.set(textKey(t, t.admittedJson, t.message), t);
      }
      this.#buckets.set(h, byText);
    }
    return s;
  }

  /** One object per distinct policy result, shared by every decision with it. */
  readonly #results = new Map<string, ReportPolicyResult>();

  /**
   * The table's one copy of a policy result: pods that differ in some PSPs' results share the
   * others' (a decision of 77 PSPs is mostly results other decisions have too; one copy each
   * held most of a big audit's memory). Results are never changed once made.
   */
  #intern(r: ReportPolicyResult): ReportPolicyResult {
    let key: string;
    try {
      key = canon(r);
    } catch (e) {
      if (e instanceof NotKeyable) return r;
      throw e;
    }
    const known = this.#results.get(key);
    if (known) return known;
    this.#results.set(key, r);
    return r;
  }

  #copy(
    decision: Pick<DecisionLike, "verdict" | "policy" | "results" | "pss">,
    admitted: AdmittedPod | null,
    admittedJson: string,
    message: string | undefined,
  ): SharedDecision {
    return {
      id: this.#size++,
      verdict: decision.verdict,
      policy: decision.policy,
      results: decision.results.map((r) =>
        this.#intern({
          policy: r.policy,
          allowed: r.allowed,
          violations: r.violations.map((v) => ({
            field: v.field,
            message: v.message,
            text: v.text,
            pspField: v.pspField ?? null,
          })),
          changes: r.changes.map((c) => ({
            field: c.field,
            from: c.from ?? null,
            to: c.to ?? null,
            ...(c.pspField !== undefined ? { pspField: c.pspField } : {}),
            ...(c.effect ? { effect: c.effect } : {}),
          })),
          ...(r.error !== undefined ? { error: r.error } : {}),
        })
      ),
      // A copy: the pod's values may be slices of the whole input document's text.
      admitted: admitted && structuredClone(admitted),
      admittedJson,
      message,
      ...(decision.pss ? { pss: structuredClone(decision.pss) } : {}),
    };
  }
}

/**
 * A copy of `s` that keeps no other text alive: strings read from a YAML document
 * may be slices of the document's whole text, which a report row must not hold.
 */
function own(s: string): string {
  return s.length < 13 ? s : JSON.parse(JSON.stringify(s));
}

function ownRef(w: WorkloadRef): WorkloadRef {
  return { kind: own(w.kind), namespace: own(w.namespace), name: own(w.name) };
}

/** Projects a pod onto the fields admission may change (see AdmittedPod). */
export function admittedView(pod: Pod | null): AdmittedPod | null {
  if (!pod) return null;
  const container = (c: Record<string, unknown>) => ({
    name: String(c.name),
    securityContext: c.securityContext ?? null,
    ports: c.ports ?? null,
  });
  const spec = pod.spec;
  return {
    metadata: { annotations: { ...(pod.metadata?.annotations ?? {}) } },
    spec: {
      securityContext: spec.securityContext ?? null,
      runtimeClassName: spec.runtimeClassName ?? null,
      initContainers: (spec.initContainers ?? []).map(container),
      containers: (spec.containers ?? []).map(container),
    },
  };
}

/**
 * Splits an API server field path (`spec.containers[0].securityContext.privileged`,
 * `pod.metadata.annotations[container.apparmor...]`) into object keys, mapping
 * the paths admission reports at a different place (`spec.securityContext.hostNetwork`
 * is `spec.hostNetwork` in the object) to where the value is written.
 */
export function objectPath(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[([^\]]*)\]/g;
  for (const m of field.replace(/^pod\./, "").matchAll(re)) {
    if (m[1] !== undefined) out.push(m[1]);
    else out.push(/^\d+$/.test(m[2]) ? Number(m[2]) : m[2]);
  }
  if (
    out.length === 3 && out[0] === "spec" && out[1] === "securityContext" &&
    typeof out[2] === "string" && ["hostNetwork", "hostPID", "hostIPC"].includes(out[2])
  ) return ["spec", out[2]];
  if (out[out.length - 1] === "hostPort") out.splice(out.length - 1, 1, "ports");
  return out;
}

/**
 * Input positions of the fields SARIF reports for a decision: every violation of
 * a refused pod, the chosen PSP's changes of a changed one, none for an admitted
 * pod (finding a position can mean parsing the object's text again).
 */
export function positionsOf(
  subject: PodSubject,
  decision: Pick<DecisionLike, "verdict" | "policy" | "results">,
) {
  const fields: Record<string, FieldPosition> = {};
  if (!subject.locate || decision.verdict === "admitted") return fields;
  const find = (f: string) => {
    if (f in fields) return;
    const at = subject.locate!([...subject.podPath, ...cachedObjectPath(f)]);
    if (at) fields[f] = at;
  };
  for (const r of decision.results) {
    if (decision.verdict === "refused") { for (const v of r.violations) find(v.field); }
    else if (r.policy === decision.policy) { for (const c of r.changes) find(c.field); }
  }
  return fields;
}

/** Accumulates decisions into an AuditReport. */
export class ReportBuilder {
  readonly #groups = new Map<string, Group>();
  readonly #edges = new Map<string, WorkloadRef>();
  readonly #knownWorkloads = new Set<string>();
  /** Decision fingerprint -> id and the report's copy of it, shared by every item with it. */
  /** The distinct decisions, each shared by every item with it. */
  readonly #decisions = new DecisionTable();
  readonly #positions: boolean;
  readonly #requester: string | undefined;
  readonly #noUsableHint: string | undefined;
  readonly #pss: ReportPssSetting | undefined;

  /** `policies`: the candidate PSP names in the admission's order (for the summary). */
  constructor(readonly policies: readonly string[], opts: ReportBuilderOptions = {}) {
    this.#positions = opts.positions ?? true;
    this.#requester = opts.requester;
    this.#noUsableHint = opts.noUsableHint;
    this.#pss = opts.pss;
  }

  readonly #namespaces = new Map<string, NamespaceLabels>();

  /** Records a Namespace object's labels (for the `--pss` namespace advice). */
  addNamespace(ns: NamespaceLabels): void {
    this.#namespaces.set(ns.name, ns);
  }

  /** Records that `child` (a ReplicaSet or Job) is controlled by `owner`. */
  addEdge(edge: OwnerEdge): void {
    this.#edges.set(workloadKey(edge.child), ownRef(edge.owner));
  }

  /** Adds one pod and the admission's decision on it; returns the report's shared copy. */
  add(subject: PodSubject, decision: DecisionLike): SharedDecision {
    const shared = this.#decisions.shared(decision, admittedView(decision.admitted));
    this.addShared(
      reportSubject(subject),
      shared,
      decision.message,
      // Found only for the pod that makes a new row (finding one can mean parsing again).
      this.#positions ? () => positionsOf(subject, decision) : undefined,
    );
    return shared;
  }

  /**
   * Adds one pod whose decision equals one `add` returned (a decision cache's hit):
   * `verdict` is admission's own verdict of it, `message` the pod's own message.
   */
  addRepeat(
    subject: PodSubject,
    shared: SharedDecision,
    verdict: Verdict,
    message: string | undefined,
  ): void {
    const decision = { verdict, policy: shared.policy, results: shared.results };
    this.addShared(
      reportSubject(subject),
      shared,
      message,
      this.#positions ? () => positionsOf(subject, decision) : undefined,
    );
  }

  /** The builder's shared copy of a decision another DecisionTable (a worker's) made. */
  adopt(shared: SharedDecision): SharedDecision {
    return this.#decisions.adopt(shared);
  }

  /**
   * Adds one pod whose decision is already shared (from `adopt`): `message` is the
   * pod's own message, `fields` finds the input positions of its fields (asked only
   * when the pod makes a new row).
   */
  addShared(
    subject: ReportSubject,
    shared: SharedDecision,
    message: string | undefined,
    fields?: () => Record<string, FieldPosition>,
  ): void {
    if (subject.fromTemplate) this.#knownWorkloads.add(workloadKey(subject.workload));
    const src = subject.source;
    const self = subject.fromTemplate && !subject.owner
      ? `${src.document ?? ""}[${src.item ?? ""}]${src.line ?? ""}`
      : undefined;
    // Objects of different files (or the same workload twice in one file) are never merged.
    const key = `${workloadKey(subject.owner ?? subject.workload)}\n${JSON.stringify(src.file)}\n${
      self ?? ""
    }\n${shared.id}`;
    let g = this.#groups.get(key);
    if (!g) {
      const row = ownRef(subject.owner ?? subject.workload);
      const item: AuditItem = {
        kind: row.kind,
        namespace: row.namespace,
        name: row.name,
        source: reportSource(ownSource(src)),
        verdict: shared.verdict,
        policy: shared.policy,
        results: shared.results,
        admitted: shared.admitted,
        pods: null,
        ...(shared.pss ? { pss: shared.pss } : {}),
        ...(message !== undefined ? { message: own(message) } : {}),
        // No candidate at all although PSPs exist: RBAC (or --check-access) allowed none.
        ...(shared.verdict === "refused" && shared.results.length === 0 && this.policies.length
          ? { noUsablePolicy: noUsablePolicy(subject, this.#requester, this.#noUsableHint) }
          : {}),
        location: { fields: fields?.() ?? {} },
      };
      const hash = subject.templateHash;
      g = {
        row,
        fingerprint: shared.id,
        item,
        templates: undefined,
        pods: 0,
        ...(hash ? { templateHash: own(hash) } : {}),
        ...(self !== undefined ? { self } : {}),
      };
      this.#groups.set(key, g);
    }
    if (subject.fromTemplate) {
      const k = workloadKey(subject.workload);
      g.templates ??= new Map();
      if (!g.templates.has(k)) {
        g.templates.set(k, subject.podCount);
        if (subject.podsPer) (g.podsPer ??= new Map()).set(k, subject.podsPer);
      }
    } else g.pods += subject.podCount ?? 1;
  }

  /**
   * An empty builder with the same policies and options, whose additions `absorb` adds to
   * this one later (or that is dropped): for a List streamed item by item, whose items count
   * only once the whole List is known to be one.
   */
  stage(): ReportBuilder {
    return new ReportBuilder(this.policies, {
      positions: this.#positions,
      ...(this.#requester !== undefined ? { requester: this.#requester } : {}),
      ...(this.#noUsableHint !== undefined ? { noUsableHint: this.#noUsableHint } : {}),
      ...(this.#pss ? { pss: this.#pss } : {}),
    });
  }

  /**
   * Adds what a builder from `stage` was given, as if it had been given to this one (in the
   * same order, after everything given to this one so far).
   */
  absorb(staged: ReportBuilder): void {
    for (const [key, s] of staged.#groups) {
      const g = this.#groups.get(key);
      if (!g) {
        this.#groups.set(key, s);
        continue;
      }
      g.pods += s.pods;
      if (!s.templates) continue;
      g.templates ??= new Map();
      for (const [k, count] of s.templates) {
        if (g.templates.has(k)) continue;
        g.templates.set(k, count);
        const per = s.podsPer?.get(k);
        if (per) (g.podsPer ??= new Map()).set(k, per);
      }
    }
    for (const [k, v] of staged.#edges) this.#edges.set(k, v);
    for (const k of staged.#knownWorkloads) this.#knownWorkloads.add(k);
    for (const [k, v] of staged.#namespaces) this.#namespaces.set(k, v);
  }

  /** Resolves a row through known owners (ReplicaSet -> Deployment, Job -> CronJob). */
  #resolve(g: Group): WorkloadRef {
    let row = g.row;
    for (let i = 0; i < 8; i++) {
      const owner = this.#edges.get(workloadKey(row));
      if (!owner) break;
      row = owner;
    }
    if (
      row.kind === "ReplicaSet" && row === g.row && g.templateHash &&
      !this.#knownWorkloads.has(workloadKey(row)) && row.name.endsWith(`-${g.templateHash}`)
    ) {
      // A Deployment names its ReplicaSets <deployment>-<pod-template-hash>.
      row = { ...row, kind: "Deployment", name: row.name.slice(0, -g.templateHash.length - 1) };
    }
    return row;
  }

  /**
   * The finished report; items ordered by namespace, kind, name, verdict, then source (file,
   * line). Groups that resolve to the same row, file and decision merge (a Deployment given
   * with its ReplicaSets and pods), except templates of the row's own workload read at
   * different places of the file, which stay rows of their own.
   */
  finish(): AuditReport {
    const merged = new Map<string, { row: WorkloadRef; groups: Group[] }>();
    for (const g of this.#groups.values()) {
      const row = this.#resolve(g);
      const key = `${workloadKey(row)}\n${JSON.stringify(g.item.source.file)}\n${g.fingerprint}`;
      const m = merged.get(key);
      if (m) m.groups.push(g);
      else merged.set(key, { row, groups: [g] });
    }
    const items: AuditItem[] = [];
    for (const { row, groups } of merged.values()) {
      for (const part of splitBySelf(row, groups)) {
        const item = { ...part[0].item, kind: row.kind, namespace: row.namespace, name: row.name };
        item.pods = podCount(row, part);
        const per = podsPer(row, part);
        items.push(per ? { ...item, podsPer: per } : item);
      }
    }
    const rank: Record<Verdict, number> = { refused: 0, changed: 1, admitted: 2 };
    items.sort((a, b) =>
      cmp(a.namespace, b.namespace) || cmp(a.kind, b.kind) || cmp(a.name, b.name) ||
      rank[a.verdict] - rank[b.verdict] || cmp(a.source.file, b.source.file) ||
      (a.source.line ?? 0) - (b.source.line ?? 0) ||
      (a.source.document ?? 0) - (b.source.document ?? 0) ||
      (a.source.item ?? 0) - (b.source.item ?? 0)
    );
    return {
      apiVersion: REPORT_API_VERSION,
      kind: REPORT_KIND,
      items,
      summary: summarize(items, this.policies, this.#pss),
      ...(this.#pss
        ? {
          pss: this.#pss,
          namespaces: namespaceAdvice(
            items.flatMap((it) =>
              it.pss
                ? [{
                  namespace: it.namespace,
                  workload: `${it.kind}/${it.name}`,
                  pods: it.pods,
                  pss: it.pss,
                }]
                : []
            ),
            [...this.#namespaces.values()],
            parseVersion(this.#pss.version),
          ),
        }
        : {}),
    };
  }
}

/**
 * The items of one merged row: one per template of the row's own workload (the same workload
 * read at several places of one file), the other groups (its ReplicaSets, pods) with the
 * first; one item when there is no such template.
 */
function splitBySelf(row: WorkloadRef, groups: Group[]): Group[][] {
  const own = workloadKey(row);
  const selves = groups.filter((g) => g.self !== undefined && workloadKey(g.row) === own);
  if (selves.length < 2) return [groups];
  const parts = selves.map((g) => [g]);
  parts[0].push(...groups.filter((g) => !selves.includes(g)));
  return parts;
}

/** A source whose strings keep no input text alive (see `own`). */
function ownSource(ref: PodSubject["source"]): PodSubject["source"] {
  return { ...ref, file: own(ref.file) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How the row's own template counts its pods, when per node or per run. */
function podsPer(row: WorkloadRef, groups: Group[]): "node" | "run" | undefined {
  const own = workloadKey(row);
  for (const g of groups) if (g.templates?.has(own)) return g.podsPer?.get(own);
  return undefined;
}

/**
 * A row's pod count: the row's own template replicas when its workload was given,
 * else the replicas of the templates under it (ReplicaSets of a Deployment), else
 * the number of pods collapsed into it; null when nothing says.
 */
function podCount(row: WorkloadRef, groups: Group[]): number | null {
  const own = workloadKey(row);
  for (const g of groups) if (g.templates?.has(own)) return g.templates.get(own)!;
  let sum: number | null = null;
  let anyTemplate = false;
  for (const g of groups) {
    for (const n of g.templates?.values() ?? []) {
      anyTemplate = true;
      if (n !== null) sum = (sum ?? 0) + n;
    }
  }
  if (anyTemplate) return sum;
  const pods = groups.reduce((n, g) => n + g.pods, 0);
  return pods;
}
