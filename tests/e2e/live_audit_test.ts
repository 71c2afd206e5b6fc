/**
 * Live listings through the worker threads (issue 10.4), against a real kube-apiserver
 * v1.20.2: several hundred pods listed over many pages (`--chunk-size`) give byte-identical
 * reports with `--jobs 1` and `--jobs 3` in every format, equal to the one-thread audit
 * (clusterSubjects + auditPods, run in this process), with the cluster's RBAC, with
 * `--check-access`, with `--workloads` and `--pss`; and a page that fails in the middle of
 * the listing (the reader's permission revoked between two pages) gives the one-thread
 * audit's error.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import {
  type Apiserver,
  collectionPath,
  E2E_TEST,
  ROOT,
  runCli,
  sharedApiserver,
  skipE2e,
} from "./apiserver.ts";
import { clusterAuditInputs, type ClusterAuditOptions } from "../../src/cluster/audit_source.ts";
import type { ClusterFlags } from "../../src/cluster/kubeconfig.ts";
import { fileInputs, rbacAccessFromObjects } from "../../src/audit/inputs.ts";
import { auditPods, noUsablePolicyWarning } from "../../src/audit/run.ts";
import { auditDocuments } from "../../src/audit/pool.ts";
import { candidateNames } from "../../src/audit/document_audit.ts";
import { noUsableHint } from "../../src/cli/audit_pods.ts";
import { NO_USABLE_HINT, ReportBuilder } from "../../src/report/build.ts";
import { type OutputFormat, renderReport } from "../../src/report/render.ts";
import { migrationView } from "../../src/report/migration.ts";
import { parseLevelVersion } from "../../src/pss/api.ts";

const ignore = skipE2e(import.meta.url);
const server = sharedApiserver({ psp: true });

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

/** Pods created (some corpus pods no PSP admits are refused by the server: not counted). */
const PODS = 640;
/** Page size of every listing here: the pods span 16 pages or more. */
const CHUNK = "40";
const HASH = "5d8f7c9b4";

const fixture = (name: string) => `${ROOT}/fixtures/e2e/${name}`;

async function post(s: Apiserver, path: string, body: Obj): Promise<Obj> {
  try {
    return await s.admin.post<Obj>(path, body);
  } catch (e) {
    throw new Error(`creating ${body.kind} ${body.metadata?.name}: ${(e as Error).message}`);
  }
}

/** Where the reader of the page-error test may list everything but pods (those: its own binding). */
const READER = "user-3";
const RBAC_GROUP = "rbac.authorization.k8s.io";
const readerRbac: Obj[] = [
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRole",
    metadata: { name: "e2e-live-reader" },
    rules: [
      { apiGroups: ["policy"], resources: ["podsecuritypolicies"], verbs: ["list"] },
      {
        apiGroups: [RBAC_GROUP],
        resources: ["clusterroles", "clusterrolebindings", "roles", "rolebindings"],
        verbs: ["list"],
      },
      { apiGroups: ["apps", "batch"], resources: ["replicasets", "jobs"], verbs: ["list"] },
    ],
  },
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRoleBinding",
    metadata: { name: "e2e-live-reader" },
    roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: "e2e-live-reader" },
    subjects: [{ apiGroup: RBAC_GROUP, kind: "User", name: READER }],
  },
  {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRole",
    metadata: { name: "e2e-live-pods" },
    rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }],
  },
];
const podsBinding: Obj = {
  apiVersion: `${RBAC_GROUP}/v1`,
  kind: "ClusterRoleBinding",
  metadata: { name: "e2e-live-pods" },
  roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: "e2e-live-pods" },
  subjects: [{ apiGroup: RBAC_GROUP, kind: "User", name: READER }],
};

let seeded: Promise<{ s: Apiserver; created: number }> | undefined;
/**
 * The PSPs and RBAC of fixtures/e2e (setup.yaml: who may use which PSP), Deployments with a
 * ReplicaSet each in e2e-a and e2e-b, and PODS pods: the corpus pods (fixtures/e2e/pods.json)
 * in turn, under three service accounts, every fourth one owned by a ReplicaSet.
 */
function seed() {
  seeded ??= (async () => {
    const s = await server.get();
    for (const p of JSON.parse(await Deno.readTextFile(fixture("psps.json"))).items) {
      await post(s, collectionPath(p), p);
    }
    for (const d of parseAllDocuments(await Deno.readTextFile(fixture("setup.yaml")))) {
      const o = d.toJS() as Obj;
      await post(s, collectionPath(o), o);
    }
    for (const o of [...readerRbac, podsBinding]) await post(s, collectionPath(o), o);
    const rsUid = new Map<string, string>();
    for (const ns of ["e2e-a", "e2e-b"]) {
      for (let r = 0; r < 3; r++) {
        const template = {
          metadata: { labels: { app: `web-${r}` } },
          spec: { containers: [{ name: "c", image: "nginx" }] },
        };
        const spec = { replicas: 0, selector: { matchLabels: { app: `web-${r}` } }, template };
        const d = await post(s, `/apis/apps/v1/namespaces/${ns}/deployments`, {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: `web-${r}`, namespace: ns },
          spec,
        });
        const rs = await post(s, `/apis/apps/v1/namespaces/${ns}/replicasets`, {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          metadata: {
            name: `web-${r}-${HASH}`,
            namespace: ns,
            ownerReferences: [{
              apiVersion: "apps/v1",
              kind: "Deployment",
              name: `web-${r}`,
              uid: d.metadata.uid,
              controller: true,
            }],
          },
          spec,
        });
        rsUid.set(`${ns}/${r}`, rs.metadata.uid);
      }
    }
    const corpus: Obj[] = JSON.parse(await Deno.readTextFile(fixture("pods.json"))).items;
    let created = 0;
    let next = 0;
    const one = async (k: number) => {
      const base = corpus[k % corpus.length];
      const ns = k % 2 ? "e2e-b" : "e2e-a";
      const sa = ns === "e2e-b" ? "default" : ["sa-all", "sa-mix", "default"][k % 3];
      const metadata: Obj = { ...base.metadata, name: `${base.metadata.name}-${k}`, namespace: ns };
      if (k % 4 === 0) {
        const r = k % 3;
        metadata.labels = { ...metadata.labels, "pod-template-hash": HASH };
        metadata.ownerReferences = [{
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: `web-${r}-${HASH}`,
          uid: rsUid.get(`${ns}/${r}`),
          controller: true,
        }];
      }
      try {
        await s.admin.post(`/api/v1/namespaces/${ns}/pods`, {
          ...base,
          metadata,
          spec: { ...base.spec, serviceAccountName: sa },
        });
        created++;
      } catch (e) {
        // refused by every PSP (admin may use them all) or invalid: not in the cluster
        if (!/forbidden|invalid|422|403/i.test((e as Error).message)) throw e;
      }
    };
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (next < PODS) await one(next++);
      }),
    );
    return { s, created };
  })();
  return seeded;
}

const RENDER = {
  showAdmitted: false,
  showCosmetic: false,
  color: false,
  failOn: "refused",
} as const;

/** What `audit-pods` with these options gives from the one-thread audit, in this process. */
async function oneThread(
  kubeconfig: string,
  context: string,
  o: { workloads?: boolean; checkAccess?: boolean; pss?: string },
) {
  const warnings: string[] = [];
  const cluster: ClusterAuditOptions = {
    pspFile: [],
    podFilesGiven: false,
    rbacFile: [],
    workloads: o.workloads ?? false,
    checkAccess: o.checkAccess ?? false,
    rbac: "auto",
    pss: o.pss !== undefined,
  };
  const flags: ClusterFlags = { kubeconfig, context, allNamespaces: true, chunkSize: CHUNK };
  const files = fileInputs({
    pspFile: [],
    filename: [],
    recursive: false,
    auditLog: [],
    rbacFile: [],
    creatorGroups: [],
  }, (m) => warnings.push(m));
  const inputs = await clusterAuditInputs(cluster, flags, {
    files,
    accessFromObjects: (objects) => rbacAccessFromObjects(objects, undefined),
    warn: (m) => warnings.push(m),
  });
  const pss = o.pss ? parseLevelVersion(o.pss) : undefined;
  const policies = await inputs.policies();
  const access = await inputs.access();
  const hint = noUsableHint({ rbacFile: [], checkAccess: o.checkAccess });
  const report = await auditPods(policies, inputs, access, undefined, {
    noUsableHint: hint,
    ...(pss ? { pss } : {}),
  });
  if (pss) report.migration = migrationView(report, policies.map((p) => p.psp));
  const stranded = noUsablePolicyWarning(report, hint);
  if (stranded) warnings.push(stranded);
  return { report, warnings, policies, access, inputs };
}

function cliArgs(s: Apiserver, format: OutputFormat, jobs: number, extra: string[]) {
  return [
    "audit-pods",
    "--kubeconfig",
    s.kubeconfig,
    "--context",
    "admin",
    "-A",
    "--chunk-size",
    CHUNK,
    "-o",
    format,
    "-j",
    String(jobs),
    ...extra,
  ];
}

/** Runs the CLI with -j 1 and -j 3 and checks both against the one-thread audit. */
async function sameEverywhere(
  s: Apiserver,
  formats: OutputFormat[],
  extra: string[],
  o: Parameters<typeof oneThread>[2],
) {
  const ref = await oneThread(s.kubeconfig, "admin", o);
  const expectedStderr = ref.warnings.map((w) => `warning: ${w}\n`).join("");
  for (const format of formats) {
    const expected = renderReport(ref.report, format, RENDER);
    for (const jobs of [1, 3]) {
      const r = await runCli(cliArgs(s, format, jobs, extra), { NO_COLOR: "1" });
      const what = `${extra.join(" ")} -o ${format} -j ${jobs}`;
      assert.ok(r.code === 0 || r.code === 1, `${what}: exit ${r.code}: ${r.stderr}`);
      assert.equal(r.stderr, expectedStderr, what);
      assert.ok(r.stdout === expected, `${what}: the report differs from the one-thread audit's`);
    }
  }
  return ref;
}

Deno.test({
  ...E2E_TEST,
  name:
    "e2e: live pods over many pages through the workers: -j 1 and -j 3 byte-identical to the one-thread audit (json, yaml, table, sarif; cluster RBAC)",
  ignore,
  async fn() {
    const { s, created } = await seed();
    assert.ok(created > 520, `${created} pods created`);
    const ref = await sameEverywhere(s, ["json", "yaml", "table", "sarif"], [], {});
    const pods = ref.report.items.reduce((n, i) => n + (i.pods ?? 0), 0);
    assert.ok(pods >= created, `${pods} pods audited of ${created}`);
    // RBAC from the cluster decides: sa-all gets PSPs sa-mix does not, e2e-a/default none
    assert.ok(ref.access?.rbac, "the cluster's RBAC, rebuilt in each worker");
    assert.ok(ref.report.items.some((i) => i.noUsablePolicy), "e2e-a/default may use no PSP");
    assert.ok(ref.report.items.some((i) => i.verdict === "admitted"));
    // pods of a ReplicaSet are grouped under its Deployment
    const web = ref.report.items.filter((i) => i.kind === "Deployment" && /^web-/.test(i.name));
    assert.ok(web.length > 0 && web.every((i) => (i.pods ?? 0) > 1), JSON.stringify(web.length));
    // Pods read from a cluster have been through admission: no token volume is added. The
    // same pods from a file (`kubectl get pods -A -o json`) get one unless told not to.
    const dir = await Deno.makeTempDir();
    try {
      const list = { apiVersion: "v1", kind: "List", items: await s.admin.list("/api/v1/pods") };
      await Deno.writeTextFile(`${dir}/pods.json`, JSON.stringify(list));
      const rows = async (args: string[]) => {
        const r = await runCli([...args, "--rbac=none", "-o", "json", "-j", "3"]);
        assert.ok(r.code === 0 || r.code === 1, r.stderr);
        return JSON.parse(r.stdout).items.map((i: Obj) =>
          `${i.namespace}/${i.kind}/${i.name} ${i.verdict} ${i.policy} ${i.pods}`
        ).sort();
      };
      // a PSP that allows everything but projected and secret volumes (the token volume of
      // 1.21+ is admitted where secret volumes are)
      const volumes = [
        "configMap",
        "emptyDir",
        "downwardAPI",
        "persistentVolumeClaim",
        "hostPath",
        "csi",
        "flexVolume",
        "ephemeral",
      ];
      const privileged = JSON.parse(await Deno.readTextFile(fixture("psps.json"))).items
        .find((p: Obj) => p.metadata.name === "privileged");
      const psp = { ...privileged, spec: { ...privileged.spec, volumes } };
      await Deno.writeTextFile(`${dir}/psp.json`, JSON.stringify(psp));
      const pspFile = ["--psp-file", `${dir}/psp.json`];
      const files = ["audit-pods", "-f", `${dir}/pods.json`, ...pspFile];
      const live = await rows([...cliArgs(s, "json", 3, []).slice(0, -4), ...pspFile]);
      assert.deepEqual(live, await rows([...files, "--service-account-token", "none"]));
      assert.notDeepEqual(live, await rows([...files, "--service-account-token", "projected"]));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    // -j 3 really audits in worker threads: the same listing through auditDocuments
    const names = candidateNames(ref.policies.map((p) => p.psp));
    const builder = new ReportBuilder(names, { positions: false, noUsableHint: NO_USABLE_HINT });
    const listing = (await oneThread(s.kubeconfig, "admin", {})).inputs.listing!;
    const stats = await auditDocuments(
      [{ kind: "listing", listing }],
      {
        policies: ref.policies.map((p) => p.psp),
        rbac: ref.access!.rbac!,
        tokenVolume: "projected",
        listing: { notJson: listing.notJson },
      },
      builder,
      { jobs: 3, warn: () => {} },
    );
    assert.equal(stats.workers, 2);
    assert.ok(stats.workerBatches > 0, JSON.stringify(stats));
    assert.equal(stats.documents, created);
    console.log(
      `${created} pods in ${Math.ceil(created / Number(CHUNK))} pages: ${stats.workerBatches} ` +
        `batches audited in 2 workers, ${stats.localBatches} in the main thread`,
    );
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "e2e: live listings through the workers with --workloads --pss and with --check-access equal the one-thread audit",
  ignore,
  async fn() {
    const { s } = await seed();
    const w = await sameEverywhere(s, ["json", "table"], ["--workloads", "--pss", "restricted"], {
      workloads: true,
      pss: "restricted",
    });
    assert.ok(w.report.items.some((i) => i.kind === "Deployment" && i.pss));
    assert.ok((w.report.namespaces ?? []).length > 0, "namespaces read for the PSS advice");
    const c = await sameEverywhere(s, ["json"], ["--check-access"], { checkAccess: true });
    assert.ok(!c.access?.rbac, "--check-access: decided in the main thread");
    assert.ok(c.report.items.some((i) => i.noUsablePolicy));
  },
});

/**
 * A plain-HTTP proxy to the API server (the kubeconfig's `http://` server, as `kubectl proxy`
 * serves) on `port` (0: any). Before it forwards the first request for a second page of pods
 * it runs `onSecondPage`, which may answer instead (given `stop`, which stops the proxy:
 * later connections are refused).
 */
function proxyTo(
  s: Apiserver,
  onSecondPage: (stop: () => void) => Promise<Response | void>,
  port = 0,
) {
  const http = Deno.createHttpClient({ caCerts: [Deno.readTextFileSync(s.env.CA_FILE)] });
  let armed = true;
  const proxy = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (armed && url.pathname === "/api/v1/pods" && url.searchParams.has("continue")) {
      armed = false;
      const answer = await onSecondPage(() => void proxy.shutdown());
      if (answer) return answer;
    }
    const headers = new Headers();
    for (const h of ["authorization", "accept", "content-type", "user-agent"]) {
      const v = req.headers.get(h);
      if (v) headers.set(h, v);
    }
    const res = await fetch(`${s.url}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: req.body,
      client: http,
    });
    return new Response(await res.arrayBuffer(), {
      status: res.status,
      headers: { "content-type": res.headers.get("content-type") ?? "application/json" },
    });
  });
  proxy.finished.then(() => http.close());
  return {
    url: `http://127.0.0.1:${proxy.addr.port}`,
    port: proxy.addr.port,
    rearm: () => armed = true,
    finished: proxy.finished,
    async close() {
      await proxy.shutdown();
    },
  };
}

/** A kubeconfig whose server is `server`, with `token`, in `dir`. */
async function proxyKubeconfig(dir: string, server: string, token: string): Promise<string> {
  const kubeconfig = `${dir}/kubeconfig`;
  await Deno.writeTextFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "proxy", cluster: { server } }],
      users: [{ name: "reader", user: { token } }],
      contexts: [{ name: "reader", context: { cluster: "proxy", user: "reader" } }],
      "current-context": "reader",
    }),
  );
  return kubeconfig;
}

/** `audit-pods -A` through the kubeconfig, paged, -j `jobs`. */
function auditThrough(kubeconfig: string, jobs: string) {
  return runCli([
    "audit-pods",
    "--kubeconfig",
    kubeconfig,
    "-A",
    "--chunk-size",
    CHUNK,
    "-o",
    "json",
    "-j",
    jobs,
  ]);
}

/** Whether the reader may list pods now (a SubjectAccessReview). */
async function readerMayListPods(s: Apiserver): Promise<boolean> {
  const res = await s.admin.post<Obj>("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    spec: { user: READER, groups: [], resourceAttributes: { verb: "list", resource: "pods" } },
  });
  return res.status?.allowed === true;
}

/** Waits until the RBAC authorizer has seen a change (a guard against a hang, not a timing). */
async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting: ${what}`);
}

Deno.test({
  ...E2E_TEST,
  name:
    "e2e: a page that fails mid-listing (permission revoked between pages) gives the one-thread audit's error with -j 1 and -j 3",
  ignore,
  async fn() {
    const { s } = await seed();
    const bindingPath = `/apis/${RBAC_GROUP}/v1/clusterrolebindings/e2e-live-pods`;
    const revoke = async () => {
      const res = await fetch(`${s.url}${bindingPath}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${s.env.ADMIN_TOKEN}` },
        client: Deno.createHttpClient({ caCerts: [await Deno.readTextFile(s.env.CA_FILE)] }),
      });
      await res.body?.cancel();
      assert.equal(res.status, 200, "binding deleted");
      await until(async () => !(await readerMayListPods(s)), "the revocation");
    };
    const grant = async () => {
      await post(s, collectionPath(podsBinding), podsBinding);
      await until(() => readerMayListPods(s), "the grant");
    };
    const proxy = proxyTo(s, revoke);
    const dir = await Deno.makeTempDir();
    try {
      const kubeconfig = await proxyKubeconfig(dir, proxy.url, s.env.USER_TOKEN_3);
      // the one-thread audit, in this process
      let expected: Error | undefined;
      await oneThread(kubeconfig, "reader", {}).catch((e) => expected = e);
      assert.ok(expected, "the one-thread audit fails");
      assert.match(
        expected.message,
        /^forbidden: User "user-3" cannot list resource "pods" in API group "" at the cluster scope\. Missing permission: verb "list" on resource "pods"/,
      );
      for (const jobs of ["1", "3"]) {
        await grant();
        proxy.rearm();
        const r = await auditThrough(kubeconfig, jobs);
        assert.equal(r.code, 3, `-j ${jobs}: ${r.stderr}`);
        assert.equal(r.stdout, "", "no half-written report");
        assert.equal(r.stderr, `error: ${expected.message}\n`, `-j ${jobs}`);
        assert.doesNotMatch(r.stderr, new RegExp(s.env.USER_TOKEN_3));
      }
    } finally {
      await proxy.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "e2e: the server going away mid-listing (connections refused from the second page on) gives the one-thread audit's error with -j 1 and -j 3",
  ignore,
  async fn() {
    const { s } = await seed();
    // Each run gets a proxy on the same port, which stops at the second page: it answers
    // 503 (retried) and then refuses connections.
    let port = 0;
    const start = () => {
      const p = proxyTo(s, (stop) => {
        stop();
        return Promise.resolve(new Response("shutting down", { status: 503 }));
      }, port);
      port = p.port;
      return p;
    };
    const dir = await Deno.makeTempDir();
    let proxy = start();
    try {
      const kubeconfig = await proxyKubeconfig(dir, proxy.url, s.env.ADMIN_TOKEN);
      let expected: Error | undefined;
      await oneThread(kubeconfig, "reader", {}).catch((e) => expected = e);
      await proxy.finished;
      assert.ok(expected, "the one-thread audit fails");
      assert.match(
        expected.message,
        new RegExp(
          `^cannot reach the cluster at http://127\\.0\\.0\\.1:${port} \\(context "reader"\\): .*ECONNREFUSED`,
        ),
      );
      for (const jobs of ["1", "3"]) {
        proxy = start();
        const r = await auditThrough(kubeconfig, jobs);
        await proxy.finished;
        assert.equal(r.code, 3, `-j ${jobs}: ${r.stderr}`);
        assert.equal(r.stdout, "", "no half-written report");
        assert.equal(r.stderr, `error: ${expected.message}\n`, `-j ${jobs}`);
        assert.doesNotMatch(r.stderr, new RegExp(s.env.ADMIN_TOKEN));
      }
    } finally {
      await proxy.close().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: stop the API server (live_audit_test.ts)",
  ignore,
  async fn() {
    await server.stop();
  },
});
