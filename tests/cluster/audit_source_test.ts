import assert from "node:assert/strict";
import { ClusterClient, type HttpRequest, type HttpResponse } from "../../src/cluster/client.ts";
import { clusterSubjects, needsCluster, reviewAccess } from "../../src/cluster/audit_source.ts";
import type { OwnerEdge } from "../../src/workloads/extract.ts";
import type { PodSubject } from "../../src/workloads/subject.ts";

const json = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: {},
  body: JSON.stringify(body),
});

function fakeClient(route: (req: HttpRequest) => HttpResponse | undefined) {
  const calls: HttpRequest[] = [];
  const client = new ClusterClient(
    (req) => {
      calls.push(req);
      return Promise.resolve(route(req) ?? json(404, { kind: "Status", message: "no route" }));
    },
    { server: "https://k", contextName: "t" },
    { retries: 0 },
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
