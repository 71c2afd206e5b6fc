import assert from "node:assert/strict";
import { ClusterClient, type HttpRequest, type HttpResponse } from "../../src/cluster/client.ts";
import {
  clusterListing,
  clusterSubjects,
  needsCluster,
  reviewAccess,
} from "../../src/cluster/audit_source.ts";
import { clusterObject } from "../../src/cluster/list_text.ts";
import { auditPods, auditPodsInParallel } from "../../src/audit/run.ts";
import { auditDocuments } from "../../src/audit/pool.ts";
import { type AccessCheck, rbacAccessFromObjects } from "../../src/audit/inputs.ts";
import { loadPsps } from "../../src/psp/load.ts";
import { ReportBuilder } from "../../src/report/build.ts";
import { InputError, IoError } from "../../src/io/errors.ts";
import { ORACLE_DIR } from "../support/shared.ts";
import type { OwnerEdge } from "../../src/workloads/extract.ts";
import type { PodSubject } from "../../src/workloads/subject.ts";

const json = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: {},
  body: JSON.stringify(body),
});

function fakeClient(
  route: (req: HttpRequest) => HttpResponse | undefined,
  options: { pageSize?: number } = {},
) {
  const calls: HttpRequest[] = [];
  const client = new ClusterClient(
    (req) => {
      calls.push(req);
      return Promise.resolve(route(req) ?? json(404, { kind: "Status", message: "no route" }));
    },
    { server: "https://k", contextName: "t" },
    { retries: 0, ...options },
  );
  return { client, calls };
}

Deno.test("needsCluster: files for everything means no cluster; --check-access always needs one", () => {
  const base = {
    pspFile: ["p.yaml"],
    podFilesGiven: true,
    rbacFile: [],
    workloads: false,
    checkAccess: false,
  };
  assert.equal(needsCluster(base), false);
  assert.equal(needsCluster({ ...base, pspFile: [] }), true, "PSPs from the cluster");
  assert.equal(needsCluster({ ...base, podFilesGiven: false }), true, "pods from the cluster");
  assert.equal(needsCluster({ ...base, checkAccess: true }), true);
});

Deno.test("clusterSubjects: pods become subjects; ReplicaSet owners group them under the Deployment", async () => {
  const { client } = fakeClient((req) => {
    if (req.path === "/api/v1/namespaces/shop/pods") {
      return json(200, {
        kind: "PodList",
        apiVersion: "v1",
        metadata: {},
        items: [{
          metadata: {
            name: "web-7d9f-abcde",
            namespace: "shop",
            ownerReferences: [{ kind: "ReplicaSet", name: "web-7d9f", controller: true }],
          },
          spec: { serviceAccountName: "web", containers: [{ name: "c", image: "nginx" }] },
        }],
      });
    }
    if (req.path === "/apis/apps/v1/namespaces/shop/replicasets") {
      return json(200, {
        kind: "ReplicaSetList",
        apiVersion: "apps/v1",
        metadata: {},
        items: [{
          metadata: {
            name: "web-7d9f",
            namespace: "shop",
            ownerReferences: [{ kind: "Deployment", name: "web", controller: true }],
          },
          spec: { template: { spec: { containers: [] } } },
        }],
      });
    }
    if (req.path === "/apis/batch/v1/namespaces/shop/jobs") {
      return json(403, {
        kind: "Status",
        code: 403,
        message: 'jobs.batch is forbidden: User "u" cannot list',
      });
    }
  });
  const edges: OwnerEdge[] = [];
  const warnings: string[] = [];
  const subjects: PodSubject[] = [];
  for await (
    const s of clusterSubjects(
      client,
      { namespace: "shop" },
      false,
      (e) => edges.push(e),
      (m) => warnings.push(m),
    )
  ) {
    subjects.push(s);
  }
  assert.equal(subjects.length, 1);
  assert.equal(subjects[0].source.file, "cluster");
  assert.deepEqual(subjects[0].owner, { kind: "ReplicaSet", namespace: "shop", name: "web-7d9f" });
  assert.equal(subjects[0].pod.spec.serviceAccountName, "web");
  assert.deepEqual(edges, [{
    child: { kind: "ReplicaSet", namespace: "shop", name: "web-7d9f" },
    owner: { kind: "Deployment", namespace: "shop", name: "web" },
  }]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /grouped by their jobs.*verb "list" on resource "jobs"/);
});

Deno.test("reviewAccess: a pod may use what its service account or the requester may use; asked once each", async () => {
  const { client, calls } = fakeClient((req) => {
    const spec =
      (req.body as { spec: { user: string; resourceAttributes: { name: string } } }).spec;
    const allowed =
      (spec.user === "system:serviceaccount:ns:builder" && spec.resourceAttributes.name === "b") ||
      (spec.user === "jane" && spec.resourceAttributes.name === "c");
    return json(201, { status: { allowed } });
  });
  const check = reviewAccess(client, { user: "jane", groups: ["devs"] }, () => ["a", "b", "c"]);
  const subject = {
    namespace: "ns",
    pod: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { serviceAccountName: "builder", containers: [] },
    },
  } as unknown as PodSubject;
  assert.deepEqual(await check(subject, ["a", "b", "c"]), ["b", "c"]);
  assert.deepEqual(await check(subject, ["a", "b", "c"]), ["b", "c"]);
  assert.equal(calls.length, 6, "3 PSPs x (service account, requester), cached for the second pod");
  const janeReview = calls.find((c) => (c.body as { spec: { user: string } }).spec.user === "jane");
  assert.deepEqual((janeReview!.body as { spec: { groups: string[] } }).spec.groups, [
    "devs",
    "system:authenticated",
  ]);
});

Deno.test("reviewAccess: a mirror pod (no service account) is reviewed for the requester, else for any authenticated user", async () => {
  const { client, calls } = fakeClient((req) => {
    const spec = (req.body as { spec: { user: string; groups: string[] } }).spec;
    const allowed = spec.user === "" && spec.groups.includes("system:authenticated");
    return json(201, { status: { allowed } });
  });
  const mirror = {
    namespace: "kube-system",
    pod: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "etcd-node1", annotations: { "kubernetes.io/config.mirror": "abc" } },
      spec: { containers: [] },
    },
  } as unknown as PodSubject;
  assert.deepEqual(await reviewAccess(client, undefined, () => ["a"])(mirror, ["a"]), ["a"]);
  assert.equal(calls.length, 1);
  const users = calls.map((c) => (c.body as { spec: { user: string } }).spec.user);
  assert.deepEqual(users, [""], "no service account is reviewed");
  const named = reviewAccess(client, { user: "jane", groups: [] }, () => ["a"]);
  assert.deepEqual(await named(mirror, ["a"]), []);
  assert.equal((calls[1].body as { spec: { user: string } }).spec.user, "jane");
});

Deno.test("clusterSubjects streams pods: the next page is requested only when the audit needs it", async () => {
  const { client, calls } = fakeClient((req) => {
    if (req.path !== "/api/v1/namespaces/big/pods") return undefined;
    const n = req.query?.continue ? 2 : 1;
    return json(200, {
      kind: "PodList",
      apiVersion: "v1",
      metadata: { continue: n === 1 ? "page2" : undefined },
      items: [{
        metadata: { name: `p${n}`, namespace: "big", uid: `u${n}` },
        spec: { containers: [{ name: "c", image: "nginx" }] },
      }],
    });
  });
  const podCalls = () => calls.filter((c) => c.path.endsWith("/pods")).length;
  const it = clusterSubjects(client, { namespace: "big" }, false, () => {}, () => {});
  const first = await it.next();
  assert.equal((first.value as PodSubject).workload.name, "p1");
  assert.equal(podCalls(), 1);
  const second = await it.next();
  assert.equal((second.value as PodSubject).workload.name, "p2");
  assert.equal(podCalls(), 2);
  await it.return(undefined);
});

// --- the parallel audit of a cluster listing (clusterListing) against clusterSubjects ---

type Obj = Record<string, unknown>;
const corpus = JSON.parse(
  await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR)),
) as { psps: Obj[]; pods: (Obj & { metadata: Obj; spec: Obj })[] };
const POLICIES = loadPsps(
  corpus.psps.slice(0, 12).map((p) => clusterObject(p)),
  { allowInvalidNames: true },
).psps.map((p) => ({ psp: p.psp, source: "cluster" }));

/** The i-th pod as the API server lists it: a corpus pod in one of 5 namespaces, 3 service accounts. */
function listedPod(i: number): Obj {
  const base = corpus.pods[i % corpus.pods.length];
  const namespace = `ns-${i % 5}`;
  const meta: Obj = {
    ...base.metadata,
    name: `${base.metadata.name}-${i}`,
    namespace,
    uid: `u${i}`,
  };
  if (i % 3 === 0) {
    meta.labels = { "pod-template-hash": "abc" };
    meta.ownerReferences = [{
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      name: `rs-${i % 4}-abc`,
      uid: `rs${i % 4}`,
      controller: true,
    }];
  }
  const sa = ["default", "builder", "runner"][i % 3];
  return { metadata: meta, spec: { ...base.spec, serviceAccountName: sa } };
}

/**
 * A cluster of `n` pods listed `pageSize` at a time. The continue token of `expireAt` expires
 * once (410 Gone): the listing restarts on a new snapshot, without pod 7 and with one more pod.
 * `badPod`: that pod has a field of the wrong type. Jobs may not be listed (a warning).
 */
function fakeCluster(n: number, opts: { expireAt?: number; badPod?: number; pageError?: number }) {
  let snapshot = 0;
  const pods = (s: number) => {
    const all = Array.from({ length: n + s }, (_, i) => listedPod(i));
    if (opts.badPod !== undefined) {
      (all[opts.badPod].spec as Obj).hostNetwork = "yes";
    }
    return s ? all.filter((_, i) => i !== 7) : all;
  };
  const pageSize = 100;
  const sars: string[] = [];
  const { client, calls } = fakeClient((req) => {
    if (req.path === "/api/v1/pods") {
      const token = String(req.query?.continue ?? "");
      const [s, from] = token ? token.split(":").map(Number) : [snapshot, 0];
      if (opts.pageError !== undefined && from === opts.pageError) {
        return json(403, {
          kind: "Status",
          code: 403,
          reason: "Forbidden",
          message:
            'pods is forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope',
        });
      }
      if (from === opts.expireAt && s === 0) {
        snapshot = 1;
        return json(410, { kind: "Status", code: 410, reason: "Expired", message: "too old" });
      }
      const all = pods(s);
      const next = from + pageSize < all.length ? `${s}:${from + pageSize}` : undefined;
      return json(200, {
        kind: "PodList",
        apiVersion: "v1",
        metadata: { continue: next },
        items: all.slice(from, from + pageSize),
      });
    }
    if (req.path === "/apis/apps/v1/replicasets") {
      return json(200, {
        kind: "ReplicaSetList",
        apiVersion: "apps/v1",
        metadata: {},
        items: [0, 1, 2].map((r) => ({
          metadata: {
            name: `rs-${r}-abc`,
            namespace: `ns-${r}`,
            uid: `rs${r}`,
            ownerReferences: [{ kind: "Deployment", name: `web-${r}`, controller: true }],
          },
        })),
      });
    }
    if (req.path === "/apis/batch/v1/jobs" || req.path.endsWith("/jobs")) {
      return json(403, { kind: "Status", code: 403, reason: "Forbidden", message: "no jobs" });
    }
    if (req.path === "/api/v1/namespaces") return json(403, { kind: "Status", code: 403 });
    if (req.path === "/apis/authorization.k8s.io/v1/subjectaccessreviews") {
      const spec = (req.body as { spec: { user: string; resourceAttributes: Obj } }).spec;
      sars.push(
        `${spec.user} ${spec.resourceAttributes.namespace} ${spec.resourceAttributes.name}`,
      );
      // builder may use every PSP in ns-1; everyone the first three PSPs (by name)
      const names = POLICIES.map((p) => p.psp.metadata.name!).sort();
      const allowed = spec.user === "system:serviceaccount:ns-1:builder" ||
        names.indexOf(String(spec.resourceAttributes.name)) < 3;
      return json(201, { status: { allowed } });
    }
    return undefined;
  }, { pageSize });
  return { client, calls, sars };
}

/** The one-thread audit (clusterSubjects, auditPods) and the parallel one (clusterListing). */
async function bothAudits(
  cluster: () => ReturnType<typeof fakeCluster>,
  jobs: number,
  opts: { checkAccess?: boolean; rbac?: boolean } = {},
) {
  const scope = {};
  const access = (c: ClusterClient): AccessCheck | undefined =>
    opts.checkAccess
      ? reviewAccess(c, undefined, () => POLICIES.map((p) => p.psp.metadata.name!))
      : opts.rbac
      ? rbacAccessFromObjects(RBAC.map(clusterObject), undefined, () => {})
      : undefined;
  const one = cluster();
  const oneWarnings: string[] = [];
  let oneError: unknown;
  const sequential = await auditPods(
    POLICIES,
    {
      subjects: (edge) =>
        clusterSubjects(one.client, scope, false, edge, (m) => oneWarnings.push(m)),
    },
    access(one.client),
  ).catch((e) => (oneError = e, undefined));
  const par = cluster();
  const parWarnings: string[] = [];
  let parError: unknown;
  const listing = clusterListing(par.client, scope, false, (m) => parWarnings.push(m), false);
  const parallel = await auditPodsInParallel(POLICIES, { listing }, access(par.client), undefined, {
    jobs,
    warn: (m) => parWarnings.push(m),
  }).catch((e) => (parError = e, undefined));
  return { sequential, parallel, oneWarnings, parWarnings, oneError, parError, one, par };
}

/** RBAC: builder may use every PSP in ns-2; every service account the first three PSPs. */
const RBAC: Obj[] = [
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "all" },
    rules: [{ apiGroups: ["policy"], resources: ["podsecuritypolicies"], verbs: ["use"] }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "builder", namespace: "ns-2" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "all" },
    subjects: [{ kind: "ServiceAccount", name: "builder", namespace: "ns-2" }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "some" },
    rules: [{
      apiGroups: ["policy"],
      resources: ["podsecuritypolicies"],
      verbs: ["use"],
      resourceNames: POLICIES.map((p) => p.psp.metadata.name!).sort().slice(0, 3),
    }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "some" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "some" },
    subjects: [{ kind: "Group", name: "system:serviceaccounts" }],
  },
];

Deno.test("clusterListing: the parallel audit equals the one-thread audit (1-3 threads), RBAC in the workers, through a 410 restart", async () => {
  for (const jobs of [1, 2, 3]) {
    const r = await bothAudits(() => fakeCluster(750, { expireAt: 300 }), jobs, { rbac: true });
    assert.equal(r.oneError, undefined);
    assert.ok(r.sequential!.items.length > 50);
    assert.deepEqual(r.parallel, r.sequential, `jobs ${jobs}`);
    assert.deepEqual(r.parWarnings, r.oneWarnings);
    // the jobs warning (owners cannot be read) and nothing else
    assert.equal(r.oneWarnings.length, 1);
    assert.match(r.oneWarnings[0], /grouped by their jobs/);
    // every pod once: the restart's repeats skipped, the new pod counted (pod 7 was audited before)
    const pods = r.parallel!.items.reduce((n, i) => n + (i.pods ?? 0), 0);
    assert.equal(pods, 751);
    // pods of a ReplicaSet group under its Deployment
    assert.ok(r.parallel!.items.some((i) => i.kind === "Deployment" && i.name === "web-1"));
  }
});

Deno.test("clusterListing: --check-access is decided in this thread, once per service account and namespace", async () => {
  for (const jobs of [1, 3]) {
    const r = await bothAudits(() => fakeCluster(700, {}), jobs, { checkAccess: true });
    assert.deepEqual(r.parallel, r.sequential, `jobs ${jobs}`);
    assert.deepEqual(r.parWarnings, r.oneWarnings);
    // 5 namespaces x 3 service accounts, each asked about each PSP once
    assert.equal(r.par.sars.length, 15 * POLICIES.length);
    assert.deepEqual([...r.par.sars].sort(), [...r.one.sars].sort());
    const verdicts = new Set(r.parallel!.items.map((i) => i.verdict));
    assert.ok(verdicts.has("refused") && verdicts.size > 1, [...verdicts].join());
  }
});

Deno.test("clusterListing: the first error is the one-thread audit's (a bad pod before a page error)", async () => {
  for (const jobs of [1, 3]) {
    const bad = await bothAudits(() => fakeCluster(900, { badPod: 620, pageError: 700 }), jobs);
    assert.ok(bad.oneError instanceof InputError, String(bad.oneError));
    assert.ok(bad.parError instanceof InputError, String(bad.parError));
    assert.equal((bad.parError as Error).message, (bad.oneError as Error).message);
    assert.match((bad.parError as Error).message, /^cluster: spec.hostNetwork: /);
    const page = await bothAudits(() => fakeCluster(900, { pageError: 700 }), jobs);
    assert.ok(page.parError instanceof IoError, String(page.parError));
    assert.equal((page.parError as Error).message, (page.oneError as Error).message);
    assert.match((page.parError as Error).message, /^forbidden: User "u" cannot list/);
  }
});

Deno.test("clusterListing: a big listing is audited in worker threads", async () => {
  const { client } = fakeCluster(1200, {});
  const builder = new ReportBuilder(POLICIES.map((p) => p.psp.metadata.name!).sort());
  const listing = clusterListing(client, {}, false, () => {}, false);
  const stats = await auditDocuments(
    [{ kind: "listing", listing }],
    { policies: POLICIES.map((p) => p.psp), tokenVolume: "projected" },
    builder,
    { jobs: 3, warn: () => {} },
  );
  assert.equal(stats.documents, 1200);
  assert.equal(stats.workers, 2);
  assert.ok(stats.workerBatches > 0, JSON.stringify(stats));
});
