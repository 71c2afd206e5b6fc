/**
 * The cluster source of `audit-pods`: pods (and with `--workloads` the pod
 * templates of workloads) listed from the cluster, PSPs from the cluster when
 * no `--psp-file` is given, and which PSPs each pod may use from the cluster's
 * RBAC objects or, with `--check-access`, from SubjectAccessReviews.
 * It implements the steps of `AuditInputs` that the cluster replaces; the file
 * steps (given by the command) are kept for everything read from files.
 */
import { type NamespaceLabels, namespaceLabelsOf } from "../pss/namespace_advice.ts";
import type { LoadedObject } from "../io/documents.ts";
import { IoError } from "../io/errors.ts";
import { loadPsps } from "../psp/load.ts";
import { extractFromObject, type OwnerEdge } from "../workloads/extract.ts";
import { podServiceAccount } from "../workloads/service_account_token.ts";
import type { PodSubject, Requester } from "../workloads/subject.ts";
import type { AccessCheck, AuditInputs, AuditPolicy, RbacMode } from "../audit/inputs.ts";
import type { ClusterObjectText } from "../audit/document_audit.ts";
import type { ClusterListing, ListingIo } from "../audit/pool.ts";
import { grantsPspUse } from "../rbac/psp_grants.ts";
import { loadRbac } from "../rbac/load.ts";
import { clearProgress, type ClusterClient, connect, notJson, type RawPage } from "./client.ts";
import { clusterObject, listItem, restartKey } from "./list_text.ts";
import { NoPspApiError } from "./errors.ts";
import { type ClusterFlags, loadConnection } from "./kubeconfig.ts";
import {
  hasPodSecurityPolicyApi,
  listNamespaced,
  listPodSecurityPolicies,
  listRbac,
  listWorkloadPages,
  listWorkloads,
  type Problem,
  type Scope,
  serviceAccountRequester,
  streamPodPages,
  streamPods,
  usablePspsByReview,
} from "./resources.ts";

/** What the cluster source needs to know from the command's flags. */
export interface ClusterAuditOptions {
  /** PSP files given: the cluster's PSPs are not read. */
  pspFile: string[];
  /** Pod inputs given (-f, --audit-log): pods are not read from the cluster. */
  podFilesGiven: boolean;
  /** RBAC files given: the cluster's RBAC is not read. */
  rbacFile: string[];
  workloads: boolean;
  checkAccess: boolean;
  /** Where RBAC comes from (`--rbac`; default auto). */
  rbac?: RbacMode;
  /** The requester of `--creator`/`--creator-group` (for RBAC and access reviews). */
  requester?: Requester;
  /** `--pss`: a cluster without the PodSecurityPolicy API is audited against PSS only. */
  pss?: boolean;
}

/** The command's own steps and helpers the cluster source falls back to. */
export interface FileSteps {
  files: AuditInputs;
  /** Builds the RBAC access check from RBAC objects (as `--rbac-file` does). */
  accessFromObjects(objects: readonly LoadedObject[]): AccessCheck | Promise<AccessCheck>;
  warn(message: string): void;
}

/** Whether the command needs a cluster at all with these options. */
export function needsCluster(o: ClusterAuditOptions): boolean {
  return !o.podFilesGiven || o.pspFile.length === 0 || o.checkAccess || o.rbac === "cluster";
}

const RBAC_CHOICES =
  "pass --rbac=cluster to decide by the cluster's RBAC anyway, --rbac-file, or --check-access";

/** The note when the cluster has no PSP API and `--rbac` is auto. */
const NO_PSP_API_NOTE =
  "the cluster has no PodSecurityPolicy API (Kubernetes 1.25+), so its RBAC grants no PSP: " +
  `every given PSP is taken as usable by every pod (${RBAC_CHOICES})`;

/** The note when the cluster's RBAC names none of the given PSPs and `--rbac` is auto. */
function noPspGrantsNote(names: readonly string[]): string {
  const shown = names.length > 8
    ? `${names.slice(0, 8).join(", ")} and ${names.length - 8} more`
    : names.join(", ");
  return `the cluster's RBAC grants "use" of none of the given PSPs (${shown}) ` +
    `to anyone: every given PSP is taken as usable by every pod (${RBAC_CHOICES})`;
}

const NO_PSP_API_HINT = "pass --psp-file with the PodSecurityPolicies to audit against";

function reportProblems(problems: readonly Problem[], warn: (m: string) => void): void {
  for (const p of problems) {
    warn(
      `not audited: ${p.resource}${
        p.namespace ? ` in namespace "${p.namespace}"` : ""
      }: ${p.message}`,
    );
  }
}

/**
 * Builds the audit inputs: the cluster for what files do not give. The
 * kubeconfig is resolved here (a bad one is an error before anything is read);
 * requests are made when each step runs.
 */
export async function clusterAuditInputs(
  o: ClusterAuditOptions,
  flags: ClusterFlags,
  steps: FileSteps,
): Promise<AuditInputs> {
  const conn = await loadConnection(flags);
  const client = connect(conn, { noPspApiHint: NO_PSP_API_HINT });
  const scope: Scope = {
    namespace: conn.namespace,
    labelSelector: conn.labelSelector,
    fieldSelector: conn.fieldSelector,
  };
  let policyNames: string[] = [];
  return {
    async policies(): Promise<AuditPolicy[]> {
      let policies: AuditPolicy[];
      if (o.pspFile.length) {
        policies = await steps.files.policies();
      } else {
        let objects;
        try {
          objects = await listPodSecurityPolicies(client, [], NO_PSP_API_HINT);
        } catch (e) {
          if (e instanceof NoPspApiError && o.pss) {
            clearProgress();
            return [];
          }
          // Authorization answers before routing: without the right to list PSPs, a cluster
          // without the API answers 403, not 404. Discovery (open to every user) tells.
          if (
            o.pss && /^forbidden/.test((e as Error).message) &&
            !(await hasPodSecurityPolicyApi(client))
          ) {
            clearProgress();
            return [];
          }
          if (e instanceof NoPspApiError || !/^forbidden/.test((e as Error).message)) throw e;
          throw new IoError(`${(e as Error).message} (or ${NO_PSP_API_HINT})`);
        }
        clearProgress();
        const { psps, warnings } = loadPsps(objects.map(clusterObject), {
          allowInvalidNames: true,
        });
        warnings.forEach(steps.warn);
        policies = psps.map((p) => ({ psp: p.psp, source: "cluster" }));
      }
      policyNames = policies.map((p) => p.psp.metadata.name!);
      return policies;
    },
    subjects(
      edge: (e: OwnerEdge) => void,
      namespace?: (ns: NamespaceLabels) => void,
    ): AsyncIterable<PodSubject> {
      if (o.podFilesGiven) return steps.files.subjects(edge, namespace);
      const pods = clusterSubjects(client, scope, o.workloads, edge, steps.warn);
      if (!namespace) return pods;
      return (async function* () {
        await readNamespaceLabels(client, scope, namespace, steps.warn);
        yield* pods;
      })();
    },
    // Pods from files (PSPs or RBAC from the cluster): audited as documents, as without one.
    ...(o.podFilesGiven && steps.files.documents ? { documents: steps.files.documents } : {}),
    // Pods from the cluster: the same, listed page by page for the parallel audit.
    ...(o.podFilesGiven
      ? {}
      : { listing: clusterListing(client, scope, o.workloads, steps.warn, o.pss ?? false) }),
    async access(): Promise<AccessCheck | undefined> {
      if (o.rbacFile.length) return await steps.files.access();
      if (o.checkAccess) return reviewAccess(client, o.requester, () => policyNames);
      if (o.rbac === "none") return undefined;
      const auto = (o.rbac ?? "auto") === "auto";
      // PSPs given in files, a cluster without the PSP API: nothing there grants them.
      if (auto && o.pspFile.length && !(await hasPodSecurityPolicyApi(client))) {
        steps.warn(NO_PSP_API_NOTE);
        return undefined;
      }
      let rbac;
      try {
        rbac = await listRbac(client, o.podFilesGiven ? {} : { namespace: scope.namespace });
      } catch (e) {
        if (!/^forbidden/.test((e as Error).message)) throw e;
        throw new IoError(
          `${
            (e as Error).message
          } (audit-pods reads the cluster's RBAC to know which PSPs each pod may use; instead, pass --check-access to ask the API server, or --rbac-file)`,
        );
      }
      clearProgress();
      reportProblems(rbac.problems, steps.warn);
      const objects = [
        ...rbac.clusterRoles,
        ...rbac.clusterRoleBindings,
        ...rbac.roles,
        ...rbac.roleBindings,
      ].map(clusterObject);
      if (auto && o.pspFile.length && !grantsPspUse(loadRbac(objects).objects, policyNames)) {
        steps.warn(noPspGrantsNote(policyNames));
        return undefined;
      }
      return await steps.accessFromObjects(objects);
    },
  };
}

/**
 * `--pss`: the namespaces' PSA labels, for the advice. In one namespace (-n) only that one
 * is read (`get` on it is enough, which a Role in it can grant); unreadable: no labels known.
 */
async function readNamespaceLabels(
  client: ClusterClient,
  scope: Scope,
  namespace: (ns: NamespaceLabels) => void,
  warn: (m: string) => void,
): Promise<void> {
  const one = scope.namespace;
  try {
    const items = one !== undefined
      ? [await client.get<Record<string, unknown>>(`/api/v1/namespaces/${encodeURIComponent(one)}`)]
      : await client.list("/api/v1/namespaces", { what: "namespaces" });
    for (const n of items) {
      const ns = namespaceLabelsOf(n);
      if (ns) namespace(ns);
    }
  } catch (e) {
    warn(
      `namespace labels not read (${
        client.fail(e).message
      }): the namespace advice does not check current PSA labels`,
    );
  }
  clearProgress();
}

/**
 * Pods of the scope, then (with `workloads`) the workload templates. Without
 * `workloads`, ReplicaSets and Jobs are still read for their owners so that a
 * Deployment's or CronJob's pods group under it; if that is not allowed, pods
 * group under their ReplicaSet or Job and a warning says so.
 */
export async function* clusterSubjects(
  client: ClusterClient,
  scope: Scope,
  workloads: boolean,
  edge: (e: OwnerEdge) => void,
  warn: (m: string) => void,
): AsyncGenerator<PodSubject> {
  // Pods are streamed page by page: the audit keeps only its report rows.
  const problems: Problem[] = [];
  const fallbackNs = scope.namespace ?? "default";
  for await (const page of streamPods(client, scope, problems)) {
    for (const pod of page) {
      const { subject } = extractFromObject(clusterObject(pod), fallbackNs);
      if (subject) yield subject;
    }
  }
  clearProgress();
  reportProblems(problems, warn);
  if (workloads) {
    const res = await listWorkloads(client, scope);
    clearProgress();
    reportProblems(res.problems, warn);
    for (const w of res.items) {
      const { subject, edge: e } = extractFromObject(clusterObject(w), fallbackNs);
      if (e) edge(e);
      if (subject) yield subject;
    }
    return;
  }
  await ownerEdges(client, scope, edge, warn);
}

/**
 * The cluster's pods (and with `workloads` the workload templates) as a ClusterListing
 * for the parallel audit (auditDocuments): the objects clusterSubjects reads, in its
 * order and with its warnings, each page's items handed on unparsed as it arrives.
 * `namespaces` (`--pss`): the namespaces' labels are read first.
 */
export function clusterListing(
  client: ClusterClient,
  scope: Scope,
  workloads: boolean,
  warn: (m: string) => void,
  namespaces: boolean,
): ClusterListing & { notJson: string } {
  const fallbackNs = scope.namespace ?? "default";
  return {
    notJson: client.fail(notJson({ method: "GET", path: "" })).message,
    async *objects(io) {
      if (namespaces) await readNamespaceLabels(client, scope, io.namespace, warn);
      const problems: Problem[] = [];
      yield* listingUnits(client, streamPodPages(client, scope, problems), fallbackNs, io);
      clearProgress();
      await io.inOrder(() => reportProblems(problems, warn));
      if (workloads) {
        const res = await listWorkloadPages(client, scope);
        clearProgress();
        await io.inOrder(() => reportProblems(res.problems, warn));
        yield* listingUnits(client, res.pages, fallbackNs, io);
        return;
      }
      await ownerEdges(client, scope, io.edge, (m) => io.inOrder(() => warn(m)));
    },
  };
}

/**
 * The items of listing pages as ClusterObjectTexts. A page of a listing restarted after
 * 410 Gone skips the objects already taken, as parsePages does. With `io.access`, this
 * thread decides which PSPs each pod may use (an object it cannot read is handed on
 * undecided: its auditor gives the error, in order).
 */
async function* listingUnits(
  client: ClusterClient,
  pages: AsyncIterable<RawPage> | Iterable<RawPage>,
  namespace: string,
  io: ListingIo,
): AsyncGenerator<ClusterObjectText> {
  for await (const page of pages) {
    if (page.restart > 0) await io.drain(); // every key of what came before is known
    for (const text of page.items) {
      const unit: ClusterObjectText = {
        format: "cluster-object",
        text,
        ...(page.apiVersion !== undefined ? { apiVersion: page.apiVersion } : {}),
        ...(page.kind !== undefined ? { kind: page.kind } : {}),
        namespace,
      };
      if (page.restart === 0 && !io.access) {
        yield unit;
        continue;
      }
      let object;
      try {
        object = listItem(page, JSON.parse(text));
      } catch {
        throw client.fail(notJson({ method: "GET", path: page.path }));
      }
      if (page.restart > 0 && io.seen.has(restartKey(object))) continue;
      if (io.access) {
        let subject;
        try {
          subject = extractFromObject(clusterObject(object), namespace).subject;
        } catch (e) {
          // The object's own auditor gives this error, after everything before it.
          yield unit;
          await io.drain();
          throw e;
        }
        if (subject) unit.allowed = await io.access(subject);
      }
      yield unit;
    }
  }
}

/**
 * Owners only: which Deployment a ReplicaSet belongs to, which CronJob a Job (pods group
 * under them); `warn` when they cannot be read.
 */
async function ownerEdges(
  client: ClusterClient,
  scope: Scope,
  edge: (e: OwnerEdge) => void,
  warn: (m: string) => void | Promise<void>,
): Promise<void> {
  const ownerScope = { namespace: scope.namespace };
  for (
    const ref of [
      { group: "apps", version: "v1", resource: "replicasets" },
      { group: "batch", version: "v1", resource: "jobs" },
    ]
  ) {
    try {
      const res = await listNamespaced(client, ref, ownerScope);
      clearProgress();
      for (const o of res.items) {
        const { edge: e } = ownerEdgeOf(o);
        if (e) edge(e);
      }
    } catch (e) {
      await warn(
        `pods are grouped by their ${ref.resource} rather than the owning workload: ${
          client.fail(e).message
        }`,
      );
    }
  }
}

function ownerEdgeOf(o: Record<string, unknown>): { edge?: OwnerEdge } {
  const meta = (o.metadata ?? {}) as Record<string, unknown>;
  const refs = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  const ref = refs.find((r) => r && (r as Record<string, unknown>).controller === true) as
    | Record<string, unknown>
    | undefined;
  if (!ref || typeof meta.name !== "string" || typeof meta.namespace !== "string") return {};
  return {
    edge: {
      child: { kind: String(o.kind), namespace: meta.namespace, name: meta.name },
      owner: { kind: String(ref.kind), namespace: meta.namespace, name: String(ref.name) },
    },
  };
}

/**
 * `--check-access`: asks the API server, per service account (and the
 * requester, if given), which PSPs it may `use` in the pod's namespace; a pod
 * may use a PSP either of them may use, as the admission decides.
 */
export function reviewAccess(
  client: ClusterClient,
  requester: Requester | undefined,
  names: () => readonly string[],
): AccessCheck {
  const cache = new Map<string, Promise<Map<string, string[]>>>();
  return async (subject) => {
    const ns = subject.namespace;
    const sa = podServiceAccount(subject.pod);
    const who = sa ? [serviceAccountRequester(ns, sa)] : [];
    const req = subject.requester ?? requester;
    if (req) who.push({ user: req.user, groups: [...req.groups, "system:authenticated"] });
    // No service account (a mirror pod) and no requester named: an unknown authenticated
    // user, as with RBAC read from objects (the service account's review counts its grants).
    else if (!sa) who.push({ user: "", groups: ["system:authenticated"] });
    const allowed = new Set<string>();
    for (const w of who) {
      const key = `${ns}/${w.user}/${w.groups.join(",")}`;
      let p = cache.get(key);
      if (!p) {
        p = usablePspsByReview(client, [{ namespace: ns, who: w }], names());
        cache.set(key, p);
      }
      for (const list of (await p).values()) list.forEach((n) => allowed.add(n));
    }
    return names().filter((n) => allowed.has(n));
  };
}
