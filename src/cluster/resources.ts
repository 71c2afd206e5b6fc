/**
 * What the commands read from a cluster: PodSecurityPolicies, pods, workload
 * templates, RBAC objects, and SubjectAccessReviews for `use` of a PSP.
 * Listings across namespaces fall back to one namespace at a time when the
 * cluster-wide list is forbidden; namespaces that stay forbidden are reported
 * as problems, never dropped silently.
 */
import { ApiError, isMissingApi } from "./errors.ts";
import { type ClusterClient, parsePages, type RawPage } from "./client.ts";
import { mergeConcurrent } from "./merge.ts";

type Obj = Record<string, unknown>;

/** Which namespaces and objects to read. */
export interface Scope {
  /** One namespace; undefined for all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A part of the cluster that could not be read. */
export interface Problem {
  /** e.g. "pods", "cronjobs.batch". */
  resource: string;
  namespace?: string;
  message: string;
}

/** Objects read plus what could not be read. */
export interface Listing {
  items: Obj[];
  problems: Problem[];
}

/** A namespaced collection: `/api/v1` or `/apis/<group>/<version>` plus the plural. */
export interface CollectionRef {
  /** "" for core. */
  group: string;
  version: string;
  resource: string;
}

function prefix(ref: CollectionRef): string {
  return ref.group === "" ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
}

function label(ref: CollectionRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

const PSP_PATH = "/apis/policy/v1beta1/podsecuritypolicies";

/** Whether the cluster serves policy/v1beta1 podsecuritypolicies (discovery). */
export async function hasPodSecurityPolicyApi(client: ClusterClient): Promise<boolean> {
  try {
    const res = await client.get<{ resources?: { name?: string }[] }>("/apis/policy/v1beta1");
    return (res.resources ?? []).some((r) => r.name === "podsecuritypolicies");
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw client.fail(e);
  }
}

/**
 * Reads PodSecurityPolicies: every one (paged on metadata.continue), or the
 * named ones. A missing API raises NoPspApiError with `hint`; a missing name
 * is an error naming it.
 */
export async function listPodSecurityPolicies(
  client: ClusterClient,
  names: readonly string[] = [],
  hint = "pass --psp-file",
): Promise<Obj[]> {
  try {
    if (names.length === 0) return await client.list(PSP_PATH, { what: "podsecuritypolicies" });
    const out: Obj[] = [];
    for (const name of names) {
      try {
        const psp = await client.get<Obj>(`${PSP_PATH}/${encodeURIComponent(name)}`);
        out.push({ apiVersion: "policy/v1beta1", kind: "PodSecurityPolicy", ...psp });
      } catch (e) {
        if (e instanceof ApiError && e.status === 404 && !isMissingApi(e)) {
          throw client.fail(e);
        }
        // a 404 without details may be a missing API: let discovery decide
        if (e instanceof ApiError && e.status === 404 && !(await hasPodSecurityPolicyApi(client))) {
          throw client.fail(new ApiError(404, "GET", PSP_PATH, undefined), { noPspApiHint: hint });
        }
        throw e;
      }
    }
    return out;
  } catch (e) {
    throw client.fail(e, { noPspApiHint: hint });
  }
}

/**
 * Streams a namespaced collection in `scope`, page by page, the items unparsed
 * (ClusterClient.rawPages). In one namespace a
 * failure is an error. Across all namespaces a forbidden cluster-wide list
 * falls back to listing the namespaces one by one; those still forbidden are
 * pushed to `problems` (an error only when every namespace is forbidden).
 * With `concurrency` > 1 (and the right to list namespaces), all namespaces
 * are listed that many at a time instead of one cluster-wide listing.
 */
async function* streamNamespaced(
  client: ClusterClient,
  ref: CollectionRef,
  scope: Scope,
  problems: Problem[],
  concurrency = 1,
): AsyncGenerator<RawPage> {
  const opts = {
    labelSelector: scope.labelSelector,
    fieldSelector: scope.fieldSelector,
    what: label(ref),
  };
  const inNamespace = (ns: string) =>
    `${prefix(ref)}/namespaces/${encodeURIComponent(ns)}/${ref.resource}`;
  if (scope.namespace !== undefined) {
    yield* client.rawPages(inNamespace(scope.namespace), opts);
    return;
  }
  if (concurrency > 1) {
    let namespaces: string[] | undefined;
    try {
      namespaces = await listNamespaceNames(client);
    } catch (e) {
      // without the namespace list, one cluster-wide listing
      if (!(e instanceof ApiError && e.status === 403)) throw e;
    }
    if (namespaces) {
      const found: Problem[] = [];
      yield* mergeConcurrent(
        namespaces.map((ns) =>
          async function* () {
            try {
              yield* client.rawPages(inNamespace(ns), opts);
            } catch (inner) {
              if (!(inner instanceof ApiError && inner.status === 403)) throw inner;
              found.push({
                resource: label(ref),
                namespace: ns,
                message: client.fail(inner).message,
              });
            }
          }
        ),
        concurrency,
      );
      // Every namespace forbidden: the cluster-wide listing's error says what is missing.
      if (namespaces.length > 0 && found.length === namespaces.length) {
        yield* client.rawPages(`${prefix(ref)}/${ref.resource}`, opts);
        return;
      }
      problems.push(...found.sort((a, b) => (a.namespace! < b.namespace! ? -1 : 1)));
      return;
    }
  }
  const all = client.rawPages(`${prefix(ref)}/${ref.resource}`, opts);
  let first: IteratorResult<RawPage>;
  try {
    first = await all.next();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 403)) throw e;
    yield* perNamespace(client, ref, inNamespace, opts, problems, e);
    return;
  }
  if (first.done) return;
  yield first.value;
  yield* all;
}

async function* perNamespace(
  client: ClusterClient,
  ref: CollectionRef,
  inNamespace: (ns: string) => string,
  opts: { labelSelector?: string; fieldSelector?: string; what: string },
  problems: Problem[],
  clusterWide: ApiError,
): AsyncGenerator<RawPage> {
  let namespaces: string[];
  try {
    namespaces = await listNamespaceNames(client);
  } catch (nsErr) {
    // Neither the cluster-wide list nor the namespace list is allowed: report the first.
    if (nsErr instanceof ApiError && nsErr.status === 403) throw clusterWide;
    throw nsErr;
  }
  let forbidden = 0;
  for (const ns of namespaces) {
    try {
      yield* client.rawPages(inNamespace(ns), opts);
    } catch (inner) {
      if (!(inner instanceof ApiError && inner.status === 403)) throw inner;
      forbidden++;
      problems.push({ resource: label(ref), namespace: ns, message: client.fail(inner).message });
    }
  }
  if (forbidden === namespaces.length) throw clusterWide;
}

/** Lists a namespaced collection in `scope` (see streamNamespaced). */
export async function listNamespaced(
  client: ClusterClient,
  ref: CollectionRef,
  scope: Scope,
): Promise<Listing> {
  const items: Obj[] = [];
  const problems: Problem[] = [];
  for await (const page of parsePages(streamNamespaced(client, ref, scope, problems))) {
    items.push(...page);
  }
  return { items, problems };
}

/** Names of all namespaces. */
export async function listNamespaceNames(client: ClusterClient): Promise<string[]> {
  const items = await client.list("/api/v1/namespaces", { what: "namespaces" });
  return items.map((n) => String((n.metadata as Obj | undefined)?.name ?? "")).filter((n) => n);
}

/**
 * Pods in scope, page by page, the items unparsed; namespaces that could not be
 * read are pushed to `problems`. Across all namespaces, the client's
 * `listConcurrency` namespaces are listed at a time. Errors are described (client.fail).
 */
export async function* streamPodPages(
  client: ClusterClient,
  scope: Scope,
  problems: Problem[],
): AsyncGenerator<RawPage> {
  try {
    yield* streamNamespaced(
      client,
      { group: "", version: "v1", resource: "pods" },
      scope,
      problems,
      client.listConcurrency,
    );
  } catch (e) {
    throw client.fail(e);
  }
}

/** Pods in scope, page by page, each with apiVersion v1 and kind Pod (see streamPodPages). */
export async function* streamPods(
  client: ClusterClient,
  scope: Scope,
  problems: Problem[],
): AsyncGenerator<Obj[]> {
  try {
    yield* parsePages(streamPodPages(client, scope, problems));
  } catch (e) {
    throw client.fail(e);
  }
}

/** Pods in scope, each with apiVersion v1 and kind Pod. */
export async function listPods(client: ClusterClient, scope: Scope): Promise<Listing> {
  const items: Obj[] = [];
  const problems: Problem[] = [];
  for await (const page of streamPods(client, scope, problems)) items.push(...page);
  return { items, problems };
}

/** The workload kinds whose pod templates audit-pods checks, in report order. */
const WORKLOAD_COLLECTIONS: readonly (CollectionRef & { fallbackVersion?: string })[] = [
  { group: "apps", version: "v1", resource: "deployments" },
  { group: "apps", version: "v1", resource: "statefulsets" },
  { group: "apps", version: "v1", resource: "daemonsets" },
  { group: "batch", version: "v1", resource: "jobs" },
  // CronJob is batch/v1 from Kubernetes 1.21; 1.20 and older serve batch/v1beta1.
  { group: "batch", version: "v1", resource: "cronjobs", fallbackVersion: "v1beta1" },
  { group: "apps", version: "v1", resource: "replicasets" },
  { group: "", version: "v1", resource: "replicationcontrollers" },
];

/** Pages read (unparsed) plus what could not be read. */
export interface PageListing {
  pages: RawPage[];
  problems: Problem[];
}

/**
 * Workload objects (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs,
 * ReplicaSets, ReplicationControllers) in scope, as pages of unparsed items. A
 * kind that is forbidden is a problem, not an error, so the rest is still
 * audited; a kind counts only when its listing is complete.
 */
export async function listWorkloadPages(client: ClusterClient, scope: Scope): Promise<PageListing> {
  const all: RawPage[] = [];
  const problems: Problem[] = [];
  const list = async (ref: CollectionRef) => {
    const pages: RawPage[] = [];
    const found: Problem[] = [];
    for await (const page of streamNamespaced(client, ref, scope, found)) pages.push(page);
    return { pages, problems: found };
  };
  for (const ref of WORKLOAD_COLLECTIONS) {
    try {
      let listing: PageListing;
      try {
        listing = await list(ref);
      } catch (e) {
        if (
          !(e instanceof ApiError && e.status === 404 && isMissingApi(e) && ref.fallbackVersion)
        ) {
          throw e;
        }
        listing = await list({ ...ref, version: ref.fallbackVersion });
      }
      all.push(...listing.pages);
      problems.push(...listing.problems);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 403 || (e.status === 404 && isMissingApi(e)))) {
        problems.push({
          resource: label(ref),
          namespace: scope.namespace,
          message: client.fail(e).message,
        });
        continue;
      }
      throw client.fail(e);
    }
  }
  return { pages: all, problems };
}

/** Workload objects in scope, parsed (see listWorkloadPages). */
export async function listWorkloads(client: ClusterClient, scope: Scope): Promise<Listing> {
  const { pages, problems } = await listWorkloadPages(client, scope);
  const items: Obj[] = [];
  try {
    for await (const page of parsePages(pages)) items.push(...page);
  } catch (e) {
    throw client.fail(e);
  }
  return { items, problems };
}

/** RBAC objects that decide who may `use` a PSP. */
export interface RbacObjects {
  clusterRoles: Obj[];
  clusterRoleBindings: Obj[];
  roles: Obj[];
  roleBindings: Obj[];
  problems: Problem[];
}

const RBAC = (resource: string): CollectionRef => ({
  group: "rbac.authorization.k8s.io",
  version: "v1",
  resource,
});

/**
 * ClusterRoles and ClusterRoleBindings, and the Roles and RoleBindings of the
 * scope's namespace (or all). Without them the PSP choice cannot be predicted,
 * so a forbidden cluster-scoped list is an error naming the permission.
 */
export async function listRbac(client: ClusterClient, scope: Scope): Promise<RbacObjects> {
  try {
    const clusterRoles = await client.list("/apis/rbac.authorization.k8s.io/v1/clusterroles", {
      what: "clusterroles",
    });
    const clusterRoleBindings = await client.list(
      "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
      { what: "clusterrolebindings" },
    );
    const nsScope = { namespace: scope.namespace };
    const roles = await listNamespaced(client, RBAC("roles"), nsScope);
    const roleBindings = await listNamespaced(client, RBAC("rolebindings"), nsScope);
    return {
      clusterRoles,
      clusterRoleBindings,
      roles: roles.items,
      roleBindings: roleBindings.items,
      problems: [...roles.problems, ...roleBindings.problems],
    };
  } catch (e) {
    throw client.fail(e);
  }
}

/** Who submits a pod, for an access check. */
export interface Requester {
  user: string;
  groups: string[];
}

/** The identity of a pod's service account, as the API server authenticates it. */
export function serviceAccountRequester(namespace: string, serviceAccount: string): Requester {
  return {
    user: `system:serviceaccount:${namespace}:${serviceAccount}`,
    groups: [
      "system:serviceaccounts",
      `system:serviceaccounts:${namespace}`,
      "system:authenticated",
    ],
  };
}

/** Asks the API server whether `who` may `use` the PSP `psp` in `namespace`. */
export async function canUsePsp(
  client: ClusterClient,
  who: Requester,
  psp: string,
  namespace: string,
): Promise<boolean> {
  const review = {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    spec: {
      user: who.user,
      groups: who.groups,
      resourceAttributes: {
        verb: "use",
        group: "policy",
        resource: "podsecuritypolicies",
        name: psp,
        namespace,
      },
    },
  };
  try {
    const res = await client.post<{ status?: { allowed?: boolean } }>(
      "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      review,
    );
    return res.status?.allowed === true;
  } catch (e) {
    throw client.fail(e);
  }
}

/**
 * For each (namespace, requester) pair, the names of the PSPs it may use, by
 * SubjectAccessReview (`--check-access`). Keys are `namespace/user`.
 * Runs a few reviews at a time.
 */
export async function usablePspsByReview(
  client: ClusterClient,
  subjects: readonly { namespace: string; who: Requester }[],
  psps: readonly string[],
  concurrency = 8,
): Promise<Map<string, string[]>> {
  const jobs: { key: string; namespace: string; who: Requester; psp: string }[] = [];
  const seen = new Set<string>();
  for (const s of subjects) {
    const key = `${s.namespace}/${s.who.user}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const psp of psps) jobs.push({ key, namespace: s.namespace, who: s.who, psp });
  }
  const allowed = new Map<string, Set<string>>([...seen].map((k) => [k, new Set<string>()]));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      if (await canUsePsp(client, job.who, job.psp, job.namespace)) {
        allowed.get(job.key)!.add(job.psp);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return new Map(
    [...allowed].map(([k, v]) => [k, psps.filter((p) => v.has(p))]),
  );
}
