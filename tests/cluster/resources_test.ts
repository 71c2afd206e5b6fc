import assert from "node:assert/strict";
import {
  type ClientOptions,
  ClusterClient,
  type HttpRequest,
  type HttpResponse,
} from "../../src/cluster/client.ts";
import { NoPspApiError } from "../../src/cluster/errors.ts";
import {
  listPods,
  listPodSecurityPolicies,
  listWorkloads,
  serviceAccountRequester,
  usablePspsByReview,
} from "../../src/cluster/resources.ts";
import { IoError } from "../../src/io/errors.ts";

const json = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: {},
  body: JSON.stringify(body),
});
const list = (kind: string, apiVersion: string, names: string[], ns?: string) =>
  json(200, {
    kind,
    apiVersion,
    metadata: {},
    items: names.map((name) => ({ metadata: { name, namespace: ns } })),
  });
const forbidden = (msg = "forbidden") =>
  json(403, { kind: "Status", code: 403, reason: "Forbidden", message: msg });
const notFound = (name?: string) =>
  json(404, {
    kind: "Status",
    code: 404,
    reason: "NotFound",
    message: "not found",
    details: name ? { name } : {},
  });

function client(
  routes: (req: HttpRequest) => HttpResponse | undefined,
  options: ClientOptions = {},
) {
  const seen: string[] = [];
  const c = new ClusterClient(
    (req) => {
      seen.push(`${req.method} ${req.path}`);
      const res = routes(req);
      return Promise.resolve(res ?? json(500, { kind: "Status", message: `no route ${req.path}` }));
    },
    { server: "https://k", contextName: "t" },
    { retries: 0, sleep: () => Promise.resolve(), ...options },
  );
  return { c, seen };
}

Deno.test("listPods across namespaces falls back per namespace and reports forbidden ones", async () => {
  const { c } = client((req) => {
    switch (req.path) {
      case "/api/v1/pods":
        return forbidden();
      case "/api/v1/namespaces":
        return list("NamespaceList", "v1", ["a", "b", "c"]);
      case "/api/v1/namespaces/a/pods":
        return list("PodList", "v1", ["p1", "p2"], "a");
      case "/api/v1/namespaces/b/pods":
        return forbidden(
          'pods is forbidden: User "u" cannot list resource "pods" in the namespace "b"',
        );
      case "/api/v1/namespaces/c/pods":
        return list("PodList", "v1", ["p3"], "c");
    }
  });
  const res = await listPods(c, {});
  assert.deepEqual(res.items.map((p) => (p.metadata as { name: string }).name), ["p1", "p2", "p3"]);
  assert.equal(res.problems.length, 1);
  assert.equal(res.problems[0].namespace, "b");
  assert.match(res.problems[0].message, /verb "list" on resource "pods".*namespace "b"/);
});

Deno.test("listPods: everything forbidden is an error naming the permission", async () => {
  const { c } = client((req) =>
    req.path === "/api/v1/namespaces" ? list("NamespaceList", "v1", ["a"]) : forbidden()
  );
  await assert.rejects(listPods(c, {}), (e) => {
    assert.ok(e instanceof IoError);
    assert.match(
      e.message,
      /verb "list" on resource "pods" in API group "" \(core\) at cluster scope/,
    );
    return true;
  });
});

Deno.test("listWorkloads falls back to batch/v1beta1 CronJobs and reports forbidden kinds", async () => {
  const { c, seen } = client((req) => {
    const p = req.path;
    if (p === "/apis/batch/v1/namespaces/ns/cronjobs") return notFound();
    if (p === "/apis/batch/v1beta1/namespaces/ns/cronjobs") {
      return list("CronJobList", "batch/v1beta1", ["nightly"]);
    }
    if (p === "/apis/apps/v1/namespaces/ns/daemonsets") return forbidden();
    const m = /^\/apis?\/(?:[a-z.]+\/)?v1\/namespaces\/ns\/([a-z]+)$/.exec(p);
    if (m) return list(`${m[1]}List`, "v1", []);
  });
  const res = await listWorkloads(c, { namespace: "ns" });
  assert.deepEqual(res.items, [{
    apiVersion: "batch/v1beta1",
    kind: "CronJob",
    metadata: { name: "nightly" },
  }]);
  assert.deepEqual(res.problems.map((p) => p.resource), ["daemonsets.apps"]);
  assert.ok(seen.includes("GET /api/v1/namespaces/ns/replicationcontrollers"));
});

Deno.test("listPodSecurityPolicies: names are fetched; a missing name vs a missing API", async () => {
  const { c } = client((req) => {
    if (req.path === "/apis/policy/v1beta1/podsecuritypolicies/a") {
      return json(200, { metadata: { name: "a" } });
    }
    if (req.path === "/apis/policy/v1beta1/podsecuritypolicies/zz") return notFound("zz");
  });
  const got = await listPodSecurityPolicies(c, ["a"]);
  assert.deepEqual(got, [{
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata: { name: "a" },
  }]);
  await assert.rejects(listPodSecurityPolicies(c, ["zz"]), /podsecuritypolicies "zz" not found/);
  const { c: noApi } = client((req) =>
    req.path.startsWith("/apis/policy") ? notFound() : undefined
  );
  await assert.rejects(
    listPodSecurityPolicies(noApi, [], "pass PSP files"),
    (e) => e instanceof NoPspApiError && /pass PSP files/.test(e.message),
  );
  await assert.rejects(listPodSecurityPolicies(noApi, ["a"]), NoPspApiError);
});

Deno.test("usablePspsByReview asks one SubjectAccessReview per (service account, PSP)", async () => {
  const bodies: Record<string, unknown>[] = [];
  const { c } = client((req) => {
    const spec = (req.body as { spec: Record<string, unknown> }).spec;
    bodies.push(spec);
    const attrs = spec.resourceAttributes as { name: string; namespace: string };
    const allowed = spec.user === "system:serviceaccount:ns1:builder" && attrs.name === "priv";
    return json(201, { status: { allowed } });
  });
  const builder = serviceAccountRequester("ns1", "builder");
  const res = await usablePspsByReview(c, [
    { namespace: "ns1", who: builder },
    { namespace: "ns1", who: builder },
    { namespace: "ns1", who: serviceAccountRequester("ns1", "default") },
  ], ["priv", "restricted"]);
  assert.deepEqual(Object.fromEntries(res), {
    "ns1/system:serviceaccount:ns1:builder": ["priv"],
    "ns1/system:serviceaccount:ns1:default": [],
  });
  assert.equal(bodies.length, 4, "duplicates are asked once");
  assert.deepEqual(bodies[0].groups, [
    "system:serviceaccounts",
    "system:serviceaccounts:ns1",
    "system:authenticated",
  ]);
  assert.deepEqual(bodies[0].resourceAttributes, {
    verb: "use",
    group: "policy",
    resource: "podsecuritypolicies",
    name: "priv",
    namespace: "ns1",
  });
});

Deno.test("listPods -A with listConcurrency lists namespaces in parallel; forbidden ones are problems", async () => {
  const seen: string[] = [];
  let active = 0;
  let maxActive = 0;
  const c = new ClusterClient(
    async (req) => {
      seen.push(req.path);
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 2));
      active--;
      if (req.path === "/api/v1/namespaces") {
        return list("NamespaceList", "v1", ["a", "b", "c", "d", "e"]);
      }
      const m = /^\/api\/v1\/namespaces\/([a-e])\/pods$/.exec(req.path);
      if (m && m[1] === "c") return forbidden(`pods is forbidden: cannot list in "c"`);
      if (m) return list("PodList", "v1", [`${m[1]}1`, `${m[1]}2`], m[1]);
      return json(500, { kind: "Status", message: `no route ${req.path}` });
    },
    { server: "https://k", contextName: "t" },
    { retries: 0, listConcurrency: 3 },
  );
  const res = await listPods(c, {});
  const names = res.items.map((p) => (p.metadata as { name: string }).name).sort();
  assert.deepEqual(names, ["a1", "a2", "b1", "b2", "d1", "d2", "e1", "e2"]);
  assert.deepEqual(res.problems.map((p) => p.namespace), ["c"]);
  assert.ok(!seen.includes("/api/v1/pods"), "no cluster-wide listing");
  assert.equal(maxActive, 3);
});

Deno.test("listPods -A with listConcurrency: without the namespace list, one cluster-wide listing", async () => {
  const { c, seen } = client(
    (req) =>
      req.path === "/api/v1/namespaces"
        ? forbidden()
        : req.path === "/api/v1/pods"
        ? list("PodList", "v1", ["p"], "x")
        : undefined,
    { listConcurrency: 4 },
  );
  const res = await listPods(c, {});
  assert.deepEqual(res.items.map((p) => (p.metadata as { name: string }).name), ["p"]);
  assert.deepEqual(seen, ["GET /api/v1/namespaces", "GET /api/v1/pods"]);
});

Deno.test("listPods -A with listConcurrency: every namespace forbidden names the cluster-wide permission", async () => {
  const { c, seen } = client(
    (req) =>
      req.path === "/api/v1/namespaces" ? list("NamespaceList", "v1", ["a", "b"]) : forbidden(),
    { listConcurrency: 2 },
  );
  await assert.rejects(listPods(c, {}), (e) => {
    assert.ok(e instanceof IoError);
    assert.match(
      e.message,
      /verb "list" on resource "pods" in API group "" \(core\) at cluster scope/,
    );
    return true;
  });
  assert.equal(seen.at(-1), "GET /api/v1/pods");
});
