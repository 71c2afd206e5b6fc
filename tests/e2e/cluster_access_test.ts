/**
 * src/cluster against a real kube-apiserver v1.20.2 (with the PSP API): every
 * way of authenticating, paging, partial failures, and each error path with
 * the message the user sees. Also checks kubectl itself talks to the server.
 */
import assert from "node:assert/strict";
import { E2E_TEST, ROOT, runCli, sharedApiserver, skipE2e } from "./apiserver.ts";
import { loadConnection } from "../../src/cluster/kubeconfig.ts";
import { ClusterClient, httpsTransport, type Transport } from "../../src/cluster/client.ts";
import {
  listPods,
  listPodSecurityPolicies,
  listRbac,
  listWorkloads,
  serviceAccountRequester,
  usablePspsByReview,
} from "../../src/cluster/resources.ts";
import { IoError } from "../../src/io/errors.ts";
import {
  LabelSelectorError,
  labelsMatch,
  parseLabelSelector,
} from "../../src/workloads/label_selector.ts";

const ignore = skipE2e(import.meta.url);
const server = sharedApiserver({ psp: true });

/** A client for a kubeconfig context, counting requests, with a small page size. */
async function clientFor(
  flags: Parameters<typeof loadConnection>[0],
  pageSize = 500,
): Promise<{ client: ClusterClient; requests: string[] }> {
  const s = await server.get();
  const conn = await loadConnection({ kubeconfig: s.kubeconfig, ...flags });
  const requests: string[] = [];
  const inner = httpsTransport(conn, "e2e");
  const transport: Transport = (req) => {
    requests.push(`${req.method} ${req.path}${req.query?.continue ? " (continue)" : ""}`);
    return inner(req);
  };
  const client = new ClusterClient(transport, {
    server: conn.server,
    contextName: conn.contextName,
    secrets: conn.secrets,
  }, { pageSize, retries: 1, backoffMs: 100 });
  return { client, requests };
}

const PERMISSIVE_PSP = {
  apiVersion: "policy/v1beta1",
  kind: "PodSecurityPolicy",
  metadata: { name: "e2e-permissive" },
  spec: {
    privileged: true,
    seLinux: { rule: "RunAsAny" },
    runAsUser: { rule: "RunAsAny" },
    supplementalGroups: { rule: "RunAsAny" },
    fsGroup: { rule: "RunAsAny" },
    volumes: ["*"],
  },
};

function pod(name: string, namespace: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: name.startsWith("web") ? "web" : "other" } },
    spec: { containers: [{ name: "c", image: "nginx" }] },
  };
}

let seeded = false;
/** Namespaces, pods, PSPs and RBAC the tests below read. */
async function seed() {
  const s = await server.get();
  if (seeded) return s;
  const a = s.admin;
  for (const ns of ["team-a", "team-b", "paging"]) {
    await a.post("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns },
    });
  }
  await a.post("/apis/policy/v1beta1/podsecuritypolicies", PERMISSIVE_PSP);
  for (let i = 0; i < 5; i++) {
    await a.post("/apis/policy/v1beta1/podsecuritypolicies", {
      ...PERMISSIVE_PSP,
      metadata: { name: `e2e-extra-${i}` },
    });
  }
  for (let i = 0; i < 23; i++) {
    await a.post("/api/v1/namespaces/paging/pods", pod(`${i < 5 ? "web" : "pod"}-${i}`, "paging"));
  }
  await a.post("/api/v1/namespaces/team-a/pods", pod("a-1", "team-a"));
  await a.post("/api/v1/namespaces/team-b/pods", pod("b-1", "team-b"));
  // user-1: may list namespaces everywhere and pods only in team-a
  await a.post("/apis/rbac.authorization.k8s.io/v1/clusterroles", {
    metadata: { name: "e2e-ns-reader" },
    rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["list"] }],
  });
  await a.post("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
    metadata: { name: "e2e-ns-reader" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "e2e-ns-reader" },
    subjects: [{ kind: "User", name: "user-1", apiGroup: "rbac.authorization.k8s.io" }],
  });
  await a.post("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles", {
    metadata: { name: "pod-reader" },
    rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list", "get"] }],
  });
  await a.post("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings", {
    metadata: { name: "pod-reader" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
    subjects: [
      { kind: "User", name: "user-1", apiGroup: "rbac.authorization.k8s.io" },
      { kind: "Group", name: "e2e-pod-readers", apiGroup: "rbac.authorization.k8s.io" },
    ],
  });
  // the service account "builder" in team-a may use e2e-extra-1
  await a.post("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles", {
    metadata: { name: "use-extra-1" },
    rules: [{
      apiGroups: ["policy"],
      resources: ["podsecuritypolicies"],
      verbs: ["use"],
      resourceNames: ["e2e-extra-1"],
    }],
  });
  await a.post("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings", {
    metadata: { name: "use-extra-1" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "use-extra-1" },
    subjects: [{ kind: "ServiceAccount", name: "builder", namespace: "team-a" }],
  });
  // workloads: a Deployment scaled to zero and a CronJob (batch/v1beta1 in 1.20)
  const template = { metadata: { labels: { app: "w" } }, spec: pod("x", "team-a").spec };
  await a.post("/apis/apps/v1/namespaces/team-a/deployments", {
    metadata: { name: "scaled-down" },
    spec: { replicas: 0, selector: { matchLabels: { app: "w" } }, template },
  });
  await a.post("/apis/batch/v1beta1/namespaces/team-a/cronjobs", {
    metadata: { name: "nightly" },
    spec: {
      schedule: "0 3 * * *",
      jobTemplate: {
        spec: { template: { ...template, spec: { ...template.spec, restartPolicy: "Never" } } },
      },
    },
  });
  seeded = true;
  return s;
}

const names = (items: Record<string, unknown>[]) =>
  items.map((i) => (i.metadata as { name: string }).name).sort();

Deno.test({
  ...E2E_TEST,
  name: "e2e: kubectl talks to the test API server (token, client certificate, restricted)",
  ignore,
  async fn() {
    const s = await seed();
    const kubectl = async (...args: string[]) => {
      const out = await new Deno.Command("kubectl", {
        args: ["--kubeconfig", s.kubeconfig, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const d = new TextDecoder();
      return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
    };
    const ns = await kubectl("get", "namespaces", "-o", "name");
    assert.equal(ns.code, 0, ns.stderr);
    assert.match(ns.stdout, /namespace\/team-a/);
    const cert = await kubectl(
      "--context",
      "cert-admin",
      "get",
      "pods",
      "-n",
      "team-a",
      "-o",
      "name",
    );
    assert.equal(cert.code, 0, cert.stderr);
    assert.equal(cert.stdout.trim(), "pod/a-1");
    const denied = await kubectl("--context", "restricted", "auth", "can-i", "list", "pods");
    assert.equal(denied.stdout.trim(), "no");
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: pods are listed over several pages (limit/continue), with label selectors",
  ignore,
  async fn() {
    await seed();
    const { client, requests } = await clientFor({ context: "admin" }, 10);
    const res = await listPods(client, { namespace: "paging" });
    assert.equal(res.items.length, 23);
    assert.equal(new Set(names(res.items)).size, 23);
    assert.ok(res.items.every((p) => p.kind === "Pod" && p.apiVersion === "v1"));
    assert.deepEqual(requests, [
      "GET /api/v1/namespaces/paging/pods",
      "GET /api/v1/namespaces/paging/pods (continue)",
      "GET /api/v1/namespaces/paging/pods (continue)",
    ]);
    const web = await listPods(client, { namespace: "paging", labelSelector: "app=web" });
    assert.deepEqual(names(web.items), ["web-0", "web-1", "web-2", "web-3", "web-4"]);
    const field = await listPods(client, { fieldSelector: "metadata.name=a-1" });
    assert.deepEqual(names(field.items), ["a-1"]);
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: PodSecurityPolicies are paged on metadata.continue; names are fetched",
  ignore,
  async fn() {
    await seed();
    const { client, requests } = await clientFor({ context: "admin" }, 2);
    const psps = await listPodSecurityPolicies(client);
    assert.deepEqual(names(psps), [
      "e2e-extra-0",
      "e2e-extra-1",
      "e2e-extra-2",
      "e2e-extra-3",
      "e2e-extra-4",
      "e2e-permissive",
    ]);
    assert.ok(
      psps.every((p) => p.kind === "PodSecurityPolicy" && p.apiVersion === "policy/v1beta1"),
    );
    assert.equal(requests.length, 3);
    const two = await listPodSecurityPolicies(client, ["e2e-extra-3", "e2e-permissive"]);
    assert.deepEqual(names(two), ["e2e-extra-3", "e2e-permissive"]);
    await assert.rejects(
      listPodSecurityPolicies(client, ["nope"]),
      /podsecuritypolicies "nope" not found/,
    );
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: client certificates, exec credential plugins and token files authenticate",
  ignore,
  async fn() {
    const s = await seed();
    const viaCert = await clientFor({ context: "cert-admin" });
    assert.equal((await listPods(viaCert.client, { namespace: "team-b" })).items.length, 1);
    const dir = await Deno.makeTempDir();
    try {
      const plugin = `${dir}/token-plugin.sh`;
      await Deno.writeTextFile(
        plugin,
        `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"${s.env.ADMIN_TOKEN}"}}'\n`,
      );
      await Deno.chmod(plugin, 0o700);
      await Deno.writeTextFile(`${dir}/token`, s.env.USER_TOKEN_1);
      await Deno.writeTextFile(
        `${dir}/kubeconfig`,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          "current-context": "exec",
          clusters: [{
            name: "e2e",
            cluster: { server: s.url, "certificate-authority": s.env.CA_FILE },
          }],
          users: [
            {
              name: "exec",
              user: {
                exec: {
                  apiVersion: "client.authentication.k8s.io/v1beta1",
                  command: "./token-plugin.sh",
                },
              },
            },
            { name: "file", user: { "token-file": "token" } },
          ],
          contexts: [
            { name: "exec", context: { cluster: "e2e", user: "exec" } },
            { name: "file", context: { cluster: "e2e", user: "file", namespace: "team-a" } },
          ],
        }),
      );
      const conn = await loadConnection({ kubeconfig: `${dir}/kubeconfig` });
      const exec = new ClusterClient(httpsTransport(conn, "e2e"), {
        server: conn.server,
        contextName: "exec",
      });
      assert.equal((await listPods(exec, { namespace: "team-b" })).items.length, 1);
      const fileConn = await loadConnection({ kubeconfig: `${dir}/kubeconfig`, context: "file" });
      assert.equal(fileConn.namespace, "team-a");
      const file = new ClusterClient(httpsTransport(fileConn, "e2e"), {
        server: fileConn.server,
        contextName: "file",
      });
      assert.deepEqual(names((await listPods(file, { namespace: "team-a" })).items), ["a-1"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: --as with several --as-group impersonates every group",
  ignore,
  async fn() {
    await seed();
    // e2e-pod-readers is the second group: a server that saw one joined header would refuse
    const { client } = await clientFor({
      context: "admin",
      as: "someone",
      asGroup: ["other", "e2e-pod-readers"],
    });
    assert.deepEqual(names((await listPods(client, { namespace: "team-a" })).items), ["a-1"]);
    const one = await clientFor({ context: "admin", as: "someone", asGroup: ["other"] });
    await assert.rejects(
      listPods(one.client, { namespace: "team-a" }),
      /User "someone" cannot list/,
    );
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: partial failure across namespaces is reported and the rest is listed",
  ignore,
  async fn() {
    const s = await seed();
    const { client } = await clientFor({ context: "restricted", as: undefined });
    // user-1 through impersonation by admin (same RBAC as its token)
    const user1 = await s.clientFor("admin", { user: "user-1" });
    const res = await listPods(user1, {});
    assert.deepEqual(names(res.items), ["a-1"]);
    const forbiddenNs = res.problems.map((p) => p.namespace).sort();
    assert.ok(
      forbiddenNs.includes("team-b") && forbiddenNs.includes("paging"),
      String(forbiddenNs),
    );
    assert.ok(res.problems.every((p) => /verb "list" on resource "pods"/.test(p.message)));
    // restricted can do nothing: one clear error, exit code 3, naming the permission
    await assert.rejects(listPods(client, { namespace: "team-a" }), (e) => {
      assert.ok(e instanceof IoError);
      assert.equal(e.exitCode, 3);
      assert.match(e.message, /User "restricted" cannot list resource "pods"/);
      assert.match(
        e.message,
        /Missing permission: verb "list" on resource "pods" in API group "" \(core\) in namespace "team-a"/,
      );
      assert.ok(!e.message.includes(s.env.RESTRICTED_TOKEN));
      return true;
    });
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: workloads include a Deployment scaled to zero and a batch/v1beta1 CronJob",
  ignore,
  async fn() {
    await seed();
    const { client } = await clientFor({ context: "admin" });
    const res = await listWorkloads(client, { namespace: "team-a" });
    assert.deepEqual(res.problems, []);
    const kinds = res.items.map((w) =>
      `${w.apiVersion} ${w.kind} ${(w.metadata as { name: string }).name}`
    );
    assert.ok(kinds.includes("apps/v1 Deployment scaled-down"), String(kinds));
    assert.ok(kinds.includes("batch/v1beta1 CronJob nightly"), String(kinds));
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: RBAC objects and SubjectAccessReview agree on who may use a PSP",
  ignore,
  async fn() {
    await seed();
    const { client } = await clientFor({ context: "admin" });
    const rbac = await listRbac(client, { namespace: "team-a" });
    assert.ok(names(rbac.roles).includes("use-extra-1"));
    assert.ok(names(rbac.clusterRoles).includes("e2e-ns-reader"));
    const review = await usablePspsByReview(client, [
      { namespace: "team-a", who: serviceAccountRequester("team-a", "builder") },
      { namespace: "team-b", who: serviceAccountRequester("team-b", "builder") },
    ], ["e2e-extra-0", "e2e-extra-1", "e2e-permissive"]);
    assert.deepEqual(review.get("team-a/system:serviceaccount:team-a:builder"), ["e2e-extra-1"]);
    assert.deepEqual(review.get("team-b/system:serviceaccount:team-b:builder"), []);
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "e2e: PSP files the cluster's RBAC names none of are all usable (said once); one it names brings its RBAC back",
  ignore,
  async fn() {
    const s = await seed();
    const psps = `${ROOT}/fixtures/e2e/psps.json`;
    const base = ["audit-pods", "--kubeconfig", s.kubeconfig, "-n", "team-a", "-o", "json"];
    const note =
      /the cluster's RBAC grants "use" of none of the given PSPs \(privileged, seed-example, .* and 25 more\) to anyone: every given PSP is taken as usable/g;
    // Only use-extra-1 names a PSP here (e2e-extra-1); cluster-admin's wildcards do not count.
    const auto = await runCli([...base, "--psp-file", psps]);
    assert.equal(auto.code, 0, auto.stderr);
    assert.equal(auto.stderr.match(note)?.length, 1, auto.stderr);
    const a1 = JSON.parse(auto.stdout).items.find((i: { name: string }) => i.name === "a-1");
    assert.notEqual(a1.verdict, "refused");
    // --rbac=cluster: the cluster's RBAC anyway; a-1's service account may use none of them.
    const strict = await runCli([...base, "--psp-file", psps, "--rbac=cluster"]);
    assert.equal(strict.code, 1, strict.stderr);
    assert.doesNotMatch(strict.stderr, note);
    const refused = JSON.parse(strict.stdout).items.find((i: { name: string }) => i.name === "a-1");
    assert.equal(refused.noUsablePolicy.serviceAccount, "team-a/default");
    // A file that also holds e2e-extra-1, which use-extra-1 names: the cluster's RBAC decides.
    const dir = await Deno.makeTempDir();
    try {
      const extra = `${dir}/extra.json`;
      await Deno.writeTextFile(
        extra,
        JSON.stringify({ ...PERMISSIVE_PSP, metadata: { name: "e2e-extra-1" } }),
      );
      const named = await runCli([...base, "--psp-file", psps, "--psp-file", extra]);
      assert.equal(named.code, 1, named.stderr);
      assert.doesNotMatch(named.stderr, /grants "use" of none/);
      const row = JSON.parse(named.stdout).items.find((i: { name: string }) => i.name === "a-1");
      assert.equal(row.verdict, "refused");
      assert.match(row.noUsablePolicy.text, /^no PSP usable by service account "team-a\/default"/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: -l on file objects selects what the API server's labelSelector selects",
  ignore,
  async fn() {
    const s = await seed();
    const a = s.admin;
    const ns = "selectors";
    await a.post("/api/v1/namespaces", { metadata: { name: ns } });
    const labelSets: Record<string, string>[] = [
      {},
      { app: "web" },
      { app: "web", tier: "front" },
      { app: "api", tier: "back", "app.kubernetes.io/name": "shop" },
      { app: "db", replicas: "3" },
      { app: "", replicas: "10" },
      { tier: "front", "example.com/team": "a-b_c.d" },
    ];
    for (const [i, labels] of labelSets.entries()) {
      await a.post(`/api/v1/namespaces/${ns}/pods`, {
        metadata: { name: `p${i}`, labels },
        spec: { containers: [{ name: "c", image: "nginx" }] },
      });
    }
    const selectors = [
      "app=web",
      "app==web",
      "app!=web",
      "app",
      "!app",
      "app=",
      "app in (web,api)",
      "app notin (web,api)",
      "app notin (web),tier",
      "tier=front,app=web",
      "!tier,app",
      "app.kubernetes.io/name=shop",
      "example.com/team in (a-b_c.d)",
      "replicas>3",
      "replicas<5",
      "replicas>2,app=db",
      "missing!=x",
      " app = web ",
      "app in (web, api )",
    ];
    const invalid = ["app in (", "app in ()", "-app=web", "app=we b", "replicas>x", "a/b/c=d"];
    let agreed = 0;
    for (const selector of [...selectors, ...invalid]) {
      let server: string[] | "refused";
      try {
        const list = await a.get<{ items: { metadata: { name: string } }[] }>(
          `/api/v1/namespaces/${ns}/pods`,
          { labelSelector: selector },
        );
        server = list.items.map((p) => p.metadata.name).sort();
      } catch {
        server = "refused";
      }
      let ours: string[] | "refused";
      try {
        const reqs = parseLabelSelector(selector);
        ours = labelSets.flatMap((l, i) => labelsMatch(reqs, l) ? [`p${i}`] : []);
      } catch (e) {
        assert.ok(e instanceof LabelSelectorError, String(e));
        ours = "refused";
      }
      assert.deepEqual(ours, server, selector);
      agreed++;
    }
    assert.equal(agreed, selectors.length + invalid.length);
    console.log(`label selectors: ${agreed}/${agreed} agree with the API server`);
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: 401, TLS, unreachable and timeout failures give actionable messages",
  ignore,
  async fn() {
    const s = await seed();
    const dir = await Deno.makeTempDir();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const silent: Deno.Conn[] = [];
    (async () => {
      for await (const c of listener) silent.push(c); // accepts, never answers
    })().catch(() => {});
    try {
      const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const closedPort = (closed.addr as Deno.NetAddr).port;
      closed.close();
      const kc = (server: string, user: Record<string, unknown>, ca = s.env.CA_FILE) =>
        JSON.stringify({
          "current-context": "c",
          clusters: [{ name: "k", cluster: { server, "certificate-authority": ca } }],
          users: [{ name: "u", user }],
          contexts: [{ name: "c", context: { cluster: "k", user: "u" } }],
        });
      const files: Record<string, string> = {
        bad: kc(s.url, { token: "not-a-valid-token-0000" }),
        wrongca: kc(s.url, { token: s.env.ADMIN_TOKEN }, s.env.CLIENT_CERT_FILE),
        down: kc(`https://127.0.0.1:${closedPort}`, { token: s.env.ADMIN_TOKEN }),
        slow: kc(`https://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`, {
          token: s.env.ADMIN_TOKEN,
        }),
      };
      for (const [name, text] of Object.entries(files)) {
        await Deno.writeTextFile(`${dir}/${name}`, text);
      }
      const attempt = async (file: string, extra: Record<string, unknown> = {}) => {
        const conn = await loadConnection({ kubeconfig: `${dir}/${file}`, ...extra });
        const c = new ClusterClient(httpsTransport(conn, "e2e"), {
          server: conn.server,
          contextName: conn.contextName,
          secrets: conn.secrets,
        }, { retries: 0 });
        try {
          await listPods(c, { namespace: "team-a" });
          return "ok";
        } catch (e) {
          assert.ok(e instanceof IoError, String(e));
          assert.equal(e.exitCode, 3);
          assert.ok(
            !e.message.includes(s.env.ADMIN_TOKEN) && !e.message.includes("not-a-valid-token-0000"),
          );
          return e.message;
        }
      };
      assert.match(await attempt("bad"), /rejected the credentials \(401 Unauthorized\)/);
      assert.match(await attempt("wrongca"), /TLS failure.*certificate-authority/);
      assert.equal(await attempt("wrongca", { insecureSkipTlsVerify: true }), "ok");
      assert.match(await attempt("down"), /cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+/);
      assert.match(
        await attempt("slow", { requestTimeout: "700ms" }),
        /timed out.*--request-timeout/,
      );
    } finally {
      listener.close();
      silent.forEach((c) => c.close());
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: stop the API server (cluster_access_test.ts)",
  ignore,
  fn: () => server.stop(),
});
