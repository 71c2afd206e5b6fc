/**
 * The audit of streamed documents, one batch at a time, by a DocumentAuditor that
 * may run in a worker: parse each document, take its pods, decide which PSPs each
 * may use, admit, and keep each distinct decision once. What it returns is plain
 * data (ReportSubjects and decision ids, new decisions sent once), so the thread
 * that builds the report does no parsing and no admission.
 */
import {
  type AdmissionDecision,
  admitPod,
  type CompiledPolicy,
  compilePolicy,
} from "../admission/admit.ts";
import {
  allowedKey,
  type CacheBudget,
  type CacheStats,
  DecisionCache,
  decisionKey,
  DEFAULT_CACHE_BUDGET,
  forbiddenPrefix,
  podDisplayName,
} from "./decision_cache.ts";
import {
  CliError,
  EXIT_IO,
  EXIT_USAGE,
  InputError,
  IoError,
  type SourceRef,
  UsageError,
} from "../io/errors.ts";
import { clusterObject, listItem, restartKey } from "../cluster/list_text.ts";
import type { LoadedObject } from "../io/documents.ts";
import { type DocumentText, ListItemUnsure } from "../io/stream.ts";
import type { PodSecurityPolicy } from "../model/psp.ts";
import { type PodPss, podPss, type PssSetting } from "../pss/pod_result.ts";
import { type NamespaceLabels, namespaceLabelsOf } from "../pss/namespace_advice.ts";
import { buildRbacIndex, usablePolicies } from "../rbac/authorize.ts";
import { withBootstrapPolicy } from "../rbac/bootstrap.ts";
import { loadRbac } from "../rbac/load.ts";
import {
  admittedView,
  DecisionTable,
  messageKey,
  positionsOf,
  type ReportSubject,
  reportSubject,
  type SharedDecision,
} from "../report/build.ts";
import type { FieldPosition } from "../report/model.ts";
import { readAuditLine } from "../workloads/audit_log.ts";
import {
  extractDocument,
  type Extracted,
  extractFromObject,
  type OwnerEdge,
} from "../workloads/extract.ts";
import {
  podServiceAccount,
  type TokenVolumeMode,
  withServiceAccountToken,
} from "../workloads/service_account_token.ts";
import {
  type CompiledSelection,
  compileSelection,
  type ObjectSelection,
} from "../workloads/selection.ts";
import type { PodSubject, Requester } from "../workloads/subject.ts";

/**
 * Which PSPs (of `candidates`) a pod may use. `rbac`: the RBAC objects it was built
 * from, so that a worker can build the same check.
 */
export type AccessCheck =
  & ((
    subject: PodSubject,
    candidates: readonly string[],
  ) => readonly string[] | Promise<readonly string[]>)
  & { rbac?: RbacAccessSpec };

/** An access check that answers at once (RBAC read from objects). */
export type SyncAccessCheck = (subject: PodSubject, candidates: readonly string[]) => string[];

/** RBAC objects and requester an access check was built from (plain data, for a worker). */
export interface RbacAccessSpec {
  objects: Pick<LoadedObject, "object" | "source">[];
  requester?: Requester;
  /** Files, not a cluster: add Kubernetes' built-in roles and bindings (src/rbac/bootstrap.ts). */
  bootstrapPolicy?: boolean;
}

/** Everything a DocumentAuditor needs (plain data). */
export interface AuditSetup {
  policies: PodSecurityPolicy[];
  /** `--policy`: only these may be used (default all). */
  only?: string[];
  /** RBAC deciding which PSPs each pod may use (default: every PSP). */
  rbac?: RbacAccessSpec;
  /** `-n` and `-l` for the objects of `-f` files. */
  selection?: ObjectSelection;
  tokenVolume: TokenVolumeMode;
  /** `--pss`: also evaluate each pod against the Pod Security Standards. */
  pss?: PssSetting;
  /** Objects listed from a cluster: the error of an item that is not JSON. */
  listing?: { notJson: string };
  /** The decision cache's budget (default DEFAULT_CACHE_BUDGET); null: no cache. */
  decisionCache?: CacheBudget | null;
  /**
   * SARIF: each pod's outcome carries `fields`, which finds the input positions of its
   * decision's fields (a function over the pod's text: for an auditor in the thread that
   * takes its outcomes, as `jobs: 1`).
   */
  positions?: boolean;
}

/**
 * One object of a cluster listing, as the API server sent it (ClusterClient.rawPages): it
 * is parsed where it is audited, and audited as a pod read from the cluster (the API
 * server admitted it: no token volume is added; see PolicySet.admit).
 */
export interface ClusterObjectText {
  format: "cluster-object";
  /** The list item's JSON text (the list gives its apiVersion and kind). */
  text: string;
  apiVersion?: string;
  kind?: string;
  /** The namespace of an object without one. */
  namespace: string;
  /** The PSPs the pod may use when the thread that listed it decided (`--check-access`). */
  allowed?: readonly string[];
}

/** What a DocumentAuditor audits: a document of a file or an audit log, or a cluster object. */
export type AuditUnit = DocumentText | ClusterObjectText;

/** Admission's decision on a pod, with its Pod Security Standards result under `--pss`. */
export type AuditDecision = AdmissionDecision & { pss?: PodPss };

/** The compiled PSPs of an audit and the candidate lists of each allowed set. */
export class PolicySet {
  readonly #compiled = new Map<string, CompiledPolicy>();
  readonly #all: string[];
  /** Candidate names in admission's order (sorted), after `only`. */
  readonly names: string[];
  readonly #cache = new Map<readonly string[], ReturnType<PolicySet["decide"]>>();
  readonly #pss: PssSetting | undefined;
  readonly #keyContext: { psp: boolean; pss: boolean };

  /**
   * `pss`: also evaluate each pod against the Pod Security Standards. With `pss` and no
   * policies, pods are only evaluated against them (no PSP admission).
   */
  constructor(
    policies: readonly PodSecurityPolicy[],
    only?: ReadonlySet<string>,
    pss?: PssSetting,
  ) {
    for (const p of policies) this.#compiled.set(p.metadata.name!, compilePolicy(p));
    this.#all = sortedNames(policies);
    this.names = candidateNames(policies, only);
    this.#pss = pss;
    this.#keyContext = { psp: this.#all.length > 0, pss: pss !== undefined };
  }

  /**
   * Admits a pod that may use `allowed` (of `names`). Pods that have not been through
   * admission yet (all but those read from a cluster) first get the ServiceAccount
   * plugin's token volume, as the API server would add it.
   */
  admit(
    subject: PodSubject,
    allowed: readonly string[],
    tokenVolume: TokenVolumeMode,
  ): AuditDecision {
    // Pod Security Admission sees the pod as submitted: PSA never changes it.
    const pss = this.#pss && podPss(subject.pod, this.#pss);
    if (pss && this.#all.length === 0) {
      return { verdict: "admitted", policy: null, results: [], admitted: null, pss };
    }
    const { candidates, otherPolicies } = this.decide(allowed);
    const admitted = subject.source.file === "cluster" && !subject.fromTemplate;
    const pod = admitted ? subject.pod : withServiceAccountToken(subject.pod, tokenVolume);
    const decision = admitPod(pod, candidates, { otherPolicies });
    return pss ? { ...decision, pss } : decision;
  }

  /**
   * The decision cache's key of what decides `admit(subject, allowed, tokenVolume)` (see
   * decision_cache.ts), or null when the pod cannot be keyed.
   */
  decisionKey(
    subject: PodSubject,
    allowed: readonly string[],
    tokenVolume: TokenVolumeMode,
  ): string | null {
    const admitted = subject.source.file === "cluster" && !subject.fromTemplate;
    return decisionKey(subject.pod, this.#keyContext, {
      allowed: this.#all.length ? allowedKey(allowed) : "",
      tokenVolume: admitted || this.#all.length === 0 ? "none" : tokenVolume,
    });
  }

  /** The candidates a pod may use (of `allowed`) and the PSPs that only exist for it. */
  decide(allowed: readonly string[]): {
    candidates: CompiledPolicy[];
    otherPolicies: CompiledPolicy[];
  } {
    let d = this.#cache.get(allowed);
    if (!d) {
      const set = new Set(allowed);
      d = {
        candidates: this.names.filter((n) => set.has(n)).map((n) => this.#compiled.get(n)!),
        otherPolicies: this.#all.filter((n) => !set.has(n)).map((n) => this.#compiled.get(n)!),
      };
      // Access checks return one array per distinct answer: few keys.
      if (this.#cache.size < 1024) this.#cache.set(allowed, d);
    }
    return d;
  }
}

function sortedNames(policies: readonly PodSecurityPolicy[]): string[] {
  return policies.map((p) => p.metadata.name!).sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
}

/** The PSP names admission tries, in its order (sorted by name), after `only`. */
export function candidateNames(
  policies: readonly PodSecurityPolicy[],
  only?: ReadonlySet<string>,
): string[] {
  const all = sortedNames(policies);
  return only ? all.filter((n) => only.has(n)) : all;
}

/**
 * The RBAC access check: the PSPs a pod may use are those its service account,
 * or the requester (the audit event's user, else `requester`), may `use` in the
 * pod's namespace. Answers are cached per (namespace, service account, requester).
 */
function rbacAccessCheck(
  index: ReturnType<typeof buildRbacIndex>,
  requester: Requester | undefined,
): SyncAccessCheck {
  const cache = new Map<string, string[]>();
  return (subject, names) => {
    const who = subject.requester ?? requester;
    const sa = podServiceAccount(subject.pod);
    const key = JSON.stringify([subject.namespace, sa, who?.user ?? null, who?.groups ?? null]);
    let usable = cache.get(key);
    if (!usable) {
      usable = usablePolicies(
        index,
        { namespace: subject.namespace, serviceAccountName: sa },
        who ? { user: who.user, groups: who.groups } : undefined,
        names,
      );
      cache.set(key, usable);
    }
    return usable;
  };
}

/** The access check of an RbacAccessSpec, with the warnings its objects give. */
export function rbacAccessFromSpec(
  spec: RbacAccessSpec,
): { check: SyncAccessCheck; warnings: string[] } {
  const { objects: rbac, warnings } = loadRbac(spec.objects as LoadedObject[]);
  const index = buildRbacIndex(spec.bootstrapPolicy ? withBootstrapPolicy(rbac) : rbac);
  return {
    check: rbacAccessCheck(index, spec.requester),
    warnings: [...warnings, ...index.warnings],
  };
}

/** What one object of a document gave. */
export interface ObjectOutcome {
  /** Unknown-field warnings. */
  warnings?: string[];
  edge?: OwnerEdge;
  /** The kind of an object that holds no pod. */
  skipped?: string;
  /** A Namespace object's name and labels (for the `--pss` namespace advice). */
  namespace?: NamespaceLabels;
  /** A pod: what the report keeps of it, its decision's id, and its own message prefix. */
  pod?: {
    subject: ReportSubject;
    decision: number;
    messagePrefix?: string;
    /** With AuditSetup.positions: finds the input positions of the decision's fields. */
    fields?: () => Record<string, FieldPosition>;
  };
  /**
   * First of the outcomes of a List's item (see pool.ts): `unsure` when the item must be read
   * with its whole document, `error` the item's error.
   */
  listItem?: { unsure?: true; error?: TransferredError };
  /** An audit event's pod creation (see AuditLine); `pod` is its pod when it has one. */
  podCreation?: { id?: string; hasObject: boolean; error?: TransferredError };
  /** A cluster object's restartKey (for a listing restarted after 410 Gone). */
  key?: string;
}

/** What a batch of documents gave, in order; `error` stops the batch at `done` documents. */
export interface BatchOutcome {
  /** Outcomes of each document's objects (one array per document audited). */
  documents: ObjectOutcome[][];
  /** Decisions first seen in this batch (ids from `firstDecision` on, in order). */
  decisions: SharedDecision[];
  firstDecision: number;
  error?: TransferredError;
  /** The auditor's decision cache figures so far (absent: no cache). */
  cache?: CacheStats;
}

/** An error as plain data (InputError keeps its source and field). */
export type TransferredError =
  | { kind: "input"; source: SourceRef; field?: string; detail: string }
  | { kind: "cli"; message: string; exitCode: number }
  | { kind: "other"; message: string; stack?: string };

/** Error -> plain data. */
export function transferError(e: unknown): TransferredError {
  if (e instanceof InputError) {
    return {
      kind: "input",
      source: e.source,
      ...(e.field !== undefined ? { field: e.field } : {}),
      detail: e.detail,
    };
  }
  if (e instanceof CliError) return { kind: "cli", message: e.message, exitCode: e.exitCode };
  const err = e instanceof Error ? e : new Error(String(e));
  return { kind: "other", message: err.message, stack: err.stack };
}

/** Plain data -> the error it was. */
export function restoreError(t: TransferredError): Error {
  if (t.kind === "input") return new InputError(t.source, t.field, t.detail);
  if (t.kind === "cli") {
    return t.exitCode === EXIT_IO
      ? new IoError(t.message)
      : t.exitCode === EXIT_USAGE
      ? new UsageError(t.message)
      : new CliError(t.message, t.exitCode);
  }
  const e = new Error(t.message);
  if (t.stack) e.stack = t.stack;
  return e;
}

/** auditIDs a DocumentAuditor remembers at most (a bound on memory, not on correctness). */
const MAX_AUDIT_IDS = 65_536;

/** How a cached decision's message names its pod. */
type MessageForm = "none" | "forbidden" | { name: string };

/**
 * A decision cache entry: the decision (an id in a DecisionTable, or the report's shared
 * copy), admission's own verdict (the report's may differ), how its message names the pod.
 */
export interface CachedDecision<D> {
  decision: D;
  verdict: AuditDecision["verdict"];
  message: MessageForm;
}

/** The cache entry of `decision`, made for `pod`. */
export function cachedDecision<D>(
  shared: D,
  decision: AuditDecision,
  pod: PodSubject["pod"],
): CachedDecision<D> {
  const m = decision.message;
  return {
    decision: shared,
    verdict: decision.verdict,
    // A 403 names the pod before its shared part (messageKey); a 422 in the whole message.
    message: m === undefined ? "none" : messageKey(decision) !== m ? "forbidden" : {
      name: podDisplayName(pod),
    },
  };
}

/** Whether a cache entry stands for `pod`'s decision (a 422 only for a pod of its name). */
export function reusableFor(entry: CachedDecision<unknown>, pod: PodSubject["pod"]): boolean {
  return typeof entry.message === "string" || entry.message.name === podDisplayName(pod);
}

/** What `pod`'s message has before the shared decision's message (undefined: no message). */
export function messagePrefixFor(
  entry: CachedDecision<unknown>,
  pod: PodSubject["pod"],
): string | undefined {
  return entry.message === "none"
    ? undefined
    : entry.message === "forbidden"
    ? forbiddenPrefix(pod)
    : "";
}

/** Audits batches of documents; keeps its own table of distinct decisions. */
export class DocumentAuditor {
  readonly #policies: PolicySet;
  readonly #access: SyncAccessCheck | undefined;
  readonly #tokenVolume: TokenVolumeMode;
  readonly #selection: CompiledSelection;
  readonly #listing: AuditSetup["listing"];
  /** Each distinct `allowed` list of cluster objects, once (PolicySet caches by identity). */
  readonly #allowedLists = new Map<string, readonly string[]>();
  readonly #decisions = new DecisionTable();
  /** auditIDs whose pod this auditor read (see #auditEvent). */
  readonly #auditIds = new Set<string>();
  /** Decisions of pods decided before (this auditor's shared copies), by decision key. */
  readonly #cache: DecisionCache<CachedDecision<SharedDecision>> | undefined;
  /** AuditSetup.positions: outcomes carry `fields`. */
  readonly #positions: boolean;

  constructor(setup: AuditSetup) {
    this.#policies = new PolicySet(setup.policies, setup.only && new Set(setup.only), setup.pss);
    this.#access = setup.rbac && rbacAccessFromSpec(setup.rbac).check;
    this.#tokenVolume = setup.tokenVolume;
    this.#selection = compileSelection(setup.selection);
    this.#listing = setup.listing;
    const budget = setup.decisionCache === undefined ? DEFAULT_CACHE_BUDGET : setup.decisionCache;
    this.#cache = budget ? new DecisionCache(budget) : undefined;
    this.#positions = setup.positions === true;
  }

  /** The decision cache's figures (undefined: no cache). */
  cacheStats(): CacheStats | undefined {
    return this.#cache?.stats();
  }

  /** Audits `docs` in order; stops at the first error, which the outcome carries. */
  audit(docs: readonly AuditUnit[]): BatchOutcome {
    const firstDecision = this.#decisions.size;
    const decisions: SharedDecision[] = [];
    const out: BatchOutcome = { documents: [], decisions, firstDecision };
    try {
      for (const doc of docs) {
        if (doc.format === "audit-event") {
          out.documents.push([this.#auditEvent(doc, decisions)]);
          continue;
        }
        if (doc.format === "json-list-item" || doc.format === "yaml-list-item") {
          // An item counts only once its List is known whole (pool.ts): its error too.
          try {
            out.documents.push([{ listItem: {} }, ...this.#document(doc, decisions)]);
          } catch (e) {
            out.documents.push([{
              listItem: e instanceof ListItemUnsure
                ? { unsure: true }
                : { error: transferError(e) },
            }]);
          }
          continue;
        }
        if (doc.format === "cluster-object") {
          out.documents.push([this.#clusterObject(doc, decisions)]);
          continue;
        }
        out.documents.push(this.#document(doc, decisions));
      }
    } catch (e) {
      out.error = transferError(e);
    }
    if (this.#cache) out.cache = this.#cache.stats();
    return out;
  }

  /** The outcomes of one document's objects. */
  #document(doc: DocumentText, decisions: SharedDecision[]): ObjectOutcome[] {
    const objects: ObjectOutcome[] = [];
    const read = extractDocument(doc, this.#selection);
    // what was skipped warns where it was, in order (a document is skipped whole or
    // object by object)
    if (read.skipped.length) objects.push({ warnings: read.skipped });
    for (let i = 0; i < read.unselected; i++) objects.push({});
    for (const { loaded, extracted } of read.objects) {
      objects.push(this.#object(loaded, extracted, decisions));
    }
    return objects;
  }

  #auditEvent(doc: DocumentText, fresh: SharedDecision[]): ObjectOutcome {
    // A later stage of a request this auditor read the pod of (logs at level Request or
    // RequestResponse carry the pod twice) is a duplicate: not read or admitted again.
    const line = readAuditLine(doc.text, doc.file, doc.lines + 1, (id) => this.#auditIds.has(id));
    const id = line.podCreation?.hasObject ? line.podCreation.id : undefined;
    if (id !== undefined) {
      if (this.#auditIds.size >= MAX_AUDIT_IDS) this.#auditIds.clear(); // only a saving
      this.#auditIds.add(id);
    }
    const o: ObjectOutcome = {};
    if (line.edge) o.edge = line.edge;
    const c = line.podCreation;
    if (c) {
      o.podCreation = {
        ...(c.id !== undefined ? { id: c.id } : {}),
        hasObject: c.hasObject,
        ...(c.error ? { error: transferError(c.error) } : {}),
      };
      if (c.subject) o.pod = this.#admit(c.subject, fresh);
    }
    return o;
  }

  /** A pod or workload listed from a cluster, as clusterSubjects reads it. */
  #clusterObject(unit: ClusterObjectText, fresh: SharedDecision[]): ObjectOutcome {
    let item: unknown;
    try {
      item = JSON.parse(unit.text);
    } catch {
      throw new IoError(this.#listing?.notJson ?? "the server's answer is not JSON");
    }
    const object = listItem(unit, item);
    const { subject, edge } = extractFromObject(clusterObject(object), unit.namespace);
    const o: ObjectOutcome = { key: restartKey(object) };
    if (edge) o.edge = edge;
    if (subject) o.pod = this.#admit(subject, fresh, unit.allowed && this.#interned(unit.allowed));
    return o;
  }

  #interned(allowed: readonly string[]): readonly string[] {
    const key = allowed.join("\n");
    let list = this.#allowedLists.get(key);
    if (!list) {
      list = allowed;
      if (this.#allowedLists.size < 1024) this.#allowedLists.set(key, list);
    }
    return list;
  }

  #object(lo: LoadedObject, extracted: Extracted, fresh: SharedDecision[]): ObjectOutcome {
    const { subject, edge, warnings } = extracted;
    const o: ObjectOutcome = {};
    if (warnings?.length) o.warnings = warnings;
    if (edge) o.edge = edge;
    if (!subject) {
      o.skipped = typeof lo.object.kind === "string" ? lo.object.kind : "(no kind)";
      const ns = namespaceLabelsOf(lo.object);
      if (ns) o.namespace = ns;
      return o;
    }
    o.pod = this.#admit(subject, fresh);
    return o;
  }

  /**
   * Admits a pod (from a file or an audit log: the token volume added first). `allowed`:
   * the PSPs it may use, when decided already.
   */
  #admit(
    subject: PodSubject,
    fresh: SharedDecision[],
    decided?: readonly string[],
  ): NonNullable<ObjectOutcome["pod"]> {
    const names = this.#policies.names;
    const allowed = decided ?? (this.#access ? this.#access(subject, names) : names);
    const key = this.#cache && this.#policies.decisionKey(subject, allowed, this.#tokenVolume);
    if (key) {
      const hit = this.#cache!.get(key, (e) => reusableFor(e, subject.pod));
      if (hit) {
        const prefix = messagePrefixFor(hit, subject.pod);
        return {
          subject: reportSubject(subject),
          decision: hit.decision.id,
          ...(prefix !== undefined ? { messagePrefix: prefix } : {}),
          // as ReportBuilder.addRepeat finds them
          ...(this.#positions
            ? {
              fields: () =>
                positionsOf(subject, {
                  verdict: hit.verdict,
                  policy: hit.decision.policy,
                  results: hit.decision.results,
                }),
            }
            : {}),
        };
      }
    } else this.#cache?.skip();
    const decision = this.#policies.admit(subject, allowed, this.#tokenVolume);
    const before = this.#decisions.size;
    const shared = this.#decisions.shared(decision, admittedView(decision.admitted));
    if (shared.id >= before) fresh.push(shared);
    if (key) this.#cache!.set(key, cachedDecision(shared, decision, subject.pod));
    const messageEnd = messageKey(decision);
    return {
      subject: reportSubject(subject),
      decision: shared.id,
      ...(decision.message !== undefined
        ? { messagePrefix: decision.message.slice(0, decision.message.length - messageEnd!.length) }
        : {}),
      // as ReportBuilder.add finds them
      ...(this.#positions ? { fields: () => positionsOf(subject, decision) } : {}),
    };
  }
}
