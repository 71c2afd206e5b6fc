/**
 * `convert` and `audit-pods` reading a real kube-apiserver v1.20.2 with
 * PodSecurityPolicy admission. The key test: audit-pods' prediction for each
 * workload equals what the API server does when the workload's pod is then
 * submitted (server-side dry run) by the workload's service account.
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
import {
  canonical,
  dryRunCreate,
  projection,
  seccompConversionOnly,
  type ServerAnswer,
} from "./dry_run.ts";
import { evaluatePod } from "../../src/pss/evaluate.ts";
import { kubectlFalcoPsp } from "../support/kubectl_plugin.ts";

const ignore = skipE2e(import.meta.url);
const server = sharedApiserver({ psp: true });

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

async function create(s: Apiserver, objects: Obj[]): Promise<void> {
  for (const o of objects) {
    try {
      await s.admin.post(collectionPath(o), o);
    } catch (e) {
      throw new Error(`creating ${o.kind} ${o.metadata?.name}: ${(e as Error).message}`);
    }
  }
}

const fixture = (name: string) => `${ROOT}/fixtures/e2e/${name}`;
const readJson = async (name: string) => JSON.parse(await Deno.readTextFile(fixture(name)));

/** Service accounts the workloads run as, and what they may use (fixtures/e2e/setup.yaml). */
const COMBOS = [
  { ns: "e2e-a", sa: "sa-all" },
  { ns: "e2e-a", sa: "sa-mix" },
  { ns: "e2e-a", sa: "default" },
  { ns: "e2e-b", sa: "default" },
];

let seeded: Promise<Apiserver> | undefined;
function seed(): Promise<Apiserver> {
  seeded ??= (async () => {
    const s = await server.get();
    await create(s, (await readJson("psps.json")).items);
    const setup = parseAllDocuments(await Deno.readTextFile(fixture("setup.yaml")))
      .map((d) => d.toJS() as Obj);
    await create(s, setup);
    const pods: Obj[] = (await readJson("pods.json")).items;
    const deployments: Obj[] = [];
    COMBOS.forEach(({ ns, sa }, j) => {
      for (const pod of pods) {
        const name = `${pod.metadata.name}-${j}`;
        deployments.push({
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name, namespace: ns, labels: { e2e: "dryrun" } },
          spec: {
            replicas: 0,
            selector: { matchLabels: { "e2e-pod": name } },
            template: {
              metadata: {
                labels: { ...(pod.metadata.labels ?? {}), "e2e-pod": name },
                ...(pod.metadata.annotations ? { annotations: pod.metadata.annotations } : {}),
              },
              spec: { ...pod.spec, serviceAccountName: sa },
            },
          },
        });
      }
    });
    await create(s, deployments);
    return s;
  })();
  return seeded;
}

function kubeArgs(s: Apiserver, context = "admin"): string[] {
  return ["--kubeconfig", s.kubeconfig, "--context", context];
}

async function dryRun(s: Apiserver, ns: string, sa: string, pod: Obj): Promise<ServerAnswer> {
  const asSa = await s.clientFor("admin", {
    user: `system:serviceaccount:${ns}:${sa}`,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`],
  });
  return await dryRunCreate(asSa, ns, pod);
}

/** The pod a Deployment's controller would submit, from the Deployment as the server stored it. */
function podOf(d: Obj): Obj {
  const t = d.spec.template;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: d.metadata.name,
      namespace: d.metadata.namespace,
      labels: t.metadata?.labels,
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
    },
    spec: t.spec,
  };
}

async function auditDryrunWorkloads(s: Apiserver, extra: string[] = []) {
  const res = await runCli([
    "audit-pods",
    ...kubeArgs(s),
    "--workloads",
    "-A",
    "-l",
    "e2e=dryrun",
    "-o",
    "json",
    // The test server runs without the ServiceAccount admission plugin (it has no token
    // controller), so no token volume is added before PSP admission there.
    "--service-account-token",
    "none",
    ...extra,
  ]);
  assert.ok(res.code === 0 || res.code === 1, `exit ${res.code}: ${res.stderr}`);
  const report = JSON.parse(res.stdout);
  const byKey = new Map<string, Obj>();
  for (const it of report.items) byKey.set(`${it.kind}/${it.namespace}/${it.name}`, it);
  return { res, report, byKey };
}

Deno.test({
  ...E2E_TEST,
  name: "e2e: audit-pods predictions equal the API server's dry runs by each service account",
  ignore,
  async fn() {
    const s = await seed();
    const { byKey, res } = await auditDryrunWorkloads(s);
    assert.equal(res.code, 1, "some pods are refused, so the exit code is 1");
    const stored: Obj[] = await s.admin.list("/apis/apps/v1/deployments", {
      labelSelector: "e2e=dryrun",
    });
    assert.equal(stored.length, 76 * COMBOS.length);
    const mismatches: string[] = [];
    const tally = { admitted: 0, changed: 0, refused: 0 };
    let seccompConversions = 0;
    for (const d of stored) {
      const key = `Deployment/${d.metadata.namespace}/${d.metadata.name}`;
      const item = byKey.get(key);
      if (!item) {
        mismatches.push(`${key}: not in the report`);
        continue;
      }
      const pod = podOf(d);
      const server = await dryRun(
        s,
        d.metadata.namespace,
        d.spec.template.spec.serviceAccountName,
        pod,
      );
      tally[server.verdict]++;
      const where = `${key} (sa ${d.spec.template.spec.serviceAccountName})`;
      const differs = item.verdict !== server.verdict || item.policy !== server.policy;
      if (differs && seccompConversionOnly(item, server)) seccompConversions++;
      else if (differs) {
        mismatches.push(
          `${where}: audit-pods ${item.verdict}/${item.policy}, server ${server.verdict}/${server.policy} ${
            server.message ?? ""
          }`,
        );
        continue;
      }
      if (server.admitted && item.admitted) {
        const predicted = projection({
          metadata: item.admitted.metadata,
          spec: item.admitted.spec,
        });
        if (predicted !== projection(server.admitted)) {
          mismatches.push(
            `${where}: admitted pod differs:\n  audit  ${predicted}\n  server ${
              projection(server.admitted)
            }`,
          );
        }
      }
      if (server.verdict === "refused") {
        for (const r of item.results as Obj[]) {
          for (const v of r.violations as Obj[]) {
            if (!server.message?.includes(v.text)) {
              mismatches.push(`${where}: violation not in the server's message: ${v.text}`);
            }
          }
        }
      }
    }
    console.log(
      `audit-pods vs kube-apiserver dry runs: ${
        stored.length - mismatches.length
      }/${stored.length} agree ` +
        `(server: ${tally.admitted} admitted, ${tally.changed} changed, ${tally.refused} refused; ` +
        `${seccompConversions} "changed" by the PSP's seccomp field-to-annotation conversion only)`,
    );
    assert.deepEqual(mismatches, []);
    assert.ok(tally.admitted > 0 && tally.changed > 0 && tally.refused > 0, JSON.stringify(tally));
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: the PSP a pod gets depends on its service account's RBAC in the cluster",
  ignore,
  async fn() {
    const s = await seed();
    const { byKey } = await auditDryrunWorkloads(s);
    const get = (pod: string, combo: number) => {
      const { ns } = COMBOS[combo];
      const it = byKey.get(`Deployment/${ns}/${pod}-${combo}`);
      assert.ok(it, `${pod}-${combo} in report`);
      return `${it.verdict}/${it.policy}`;
    };
    // sa-all may use every PSP: the privileged pod is admitted by "privileged"
    assert.equal(get("privileged", 0), "admitted/privileged");
    // sa-mix may not use it: refused
    assert.equal(get("privileged", 1), "refused/null");
    // default in e2e-a may use nothing at all
    assert.equal(get("plain", 2), "refused/null");
    // e2e-b's service accounts use the host PSPs through their group
    assert.equal(get("hostport-80", 3).split("/")[0] !== "refused", true, get("hostport-80", 3));
    assert.notEqual(get("plain", 3), get("plain", 2));
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "e2e: PSP files are decided by the cluster's RBAC when it grants them (by name, or all PSPs); a pod left none says whose",
  ignore,
  async fn() {
    const s = await seed();
    const dir = await Deno.makeTempDir();
    try {
      const note = /grants "use" of none of the given PSPs/;
      const verdict = (
        r: Awaited<ReturnType<typeof auditDryrunWorkloads>>,
        pod: string,
        n: number,
      ) => {
        const it = r.byKey.get(`Deployment/${COMBOS[n].ns}/${pod}-${n}`);
        assert.ok(it, `${pod}-${n}`);
        return `${it.verdict}/${it.policy}`;
      };
      // The cluster's own PSP names: decided by its RBAC, as with the cluster's PSPs.
      const same = await auditDryrunWorkloads(s, ["--psp-file", fixture("psps.json")]);
      assert.doesNotMatch(same.res.stderr, note);
      assert.equal(verdict(same, "privileged", 0), "admitted/privileged");
      assert.equal(verdict(same, "privileged", 1), "refused/null");
      const plain = same.byKey.get("Deployment/e2e-a/plain-2")!;
      assert.equal(plain.noUsablePolicy.serviceAccount, "e2e-a/default");
      assert.match(plain.noUsablePolicy.text, /^no PSP usable by service account "e2e-a\/default"/);
      assert.equal(
        same.res.stderr.match(/RBAC leaves no PSP usable for \d+ workloads?[ ,]/g)?.length,
        1,
      );
      // Renamed PSPs: sa-all's role grants every PSP (no resourceNames), so RBAC still decides.
      const psps = await readJson("psps.json");
      for (const p of psps.items) p.metadata.name = `files-${p.metadata.name}`;
      await Deno.writeTextFile(`${dir}/psps.json`, JSON.stringify(psps));
      const renamed = await auditDryrunWorkloads(s, ["--psp-file", `${dir}/psps.json`]);
      assert.doesNotMatch(renamed.res.stderr, note);
      assert.equal(verdict(renamed, "privileged", 0), "admitted/files-privileged");
      assert.equal(verdict(renamed, "plain", 1), "refused/null", "sa-mix's names do not match");
      const mix = renamed.byKey.get("Deployment/e2e-a/plain-1")!;
      assert.equal(mix.noUsablePolicy.serviceAccount, "e2e-a/sa-mix");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: --check-access (SubjectAccessReview) gives the same decisions as the cluster's RBAC",
  ignore,
  async fn() {
    const s = await seed();
    const rbac = await auditDryrunWorkloads(s);
    const sar = await auditDryrunWorkloads(s, ["--check-access"]);
    const decisions = (m: Map<string, Obj>) =>
      [...m].map(([k, it]) => `${k} ${it.verdict} ${it.policy}`).sort();
    assert.deepEqual(decisions(sar.byKey), decisions(rbac.byKey));
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: audit-pods lists pods over several pages (--chunk-size) and audits them all",
  ignore,
  async fn() {
    const s = await seed();
    await create(s, [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "e2e-pages" } }]);
    const pods = Array.from({ length: 25 }, (_, i) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `p-${String(i).padStart(2, "0")}`, namespace: "e2e-pages" },
      spec: { containers: [{ name: "c", image: "nginx" }] },
    }));
    await create(s, pods);
    const res = await runCli([
      "audit-pods",
      ...kubeArgs(s),
      "-n",
      "e2e-pages",
      "--chunk-size",
      "10",
      "-o",
      "json",
    ]);
    assert.ok(res.code === 0 || res.code === 1, res.stderr);
    const report = JSON.parse(res.stdout);
    const names = report.items.map((i: Obj) => i.name).sort();
    assert.deepEqual(names, pods.map((p) => p.metadata.name));
    assert.ok(report.items.every((i: Obj) => i.source.file === "cluster" && i.kind === "Pod"));
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: convert reading the cluster equals convert reading the same PSPs from a file",
  ignore,
  async fn() {
    const s = await seed();
    const live = await runCli(["convert", ...kubeArgs(s)]);
    const file = await runCli(["convert", fixture("psps.json")]);
    assert.equal(file.code, 0, file.stderr);
    assert.equal(live.code, 0, live.stderr);
    // The cluster lists PSPs by name, the file in its own order: compare the rules
    // files' entries (required versions, lists, macros, rules) as sets.
    const entries = (t: string) =>
      parseAllDocuments(t).flatMap((d) => d.toJS() ?? []).map((e: unknown) => canonical(e)).sort();
    const liveEntries = entries(live.stdout);
    assert.ok(liveEntries.length > 100, `${liveEntries.length} entries`);
    assert.deepEqual(liveEntries, entries(file.stdout));
    // names given: only those PSPs, same rules as from a file holding just them
    const two = await runCli([
      "convert",
      ...kubeArgs(s),
      "--policy",
      "restricted",
      "--policy",
      "seccomp",
    ]);
    assert.equal(two.code, 0, two.stderr);
    const dir = await Deno.makeTempDir();
    try {
      const items = (await readJson("psps.json")).items
        .filter((p: Obj) => ["restricted", "seccomp"].includes(p.metadata.name));
      await Deno.writeTextFile(
        `${dir}/two.json`,
        JSON.stringify({ kind: "List", apiVersion: "v1", items }),
      );
      const twoFile = await runCli(["convert", `${dir}/two.json`]);
      assert.deepEqual(entries(two.stdout), entries(twoFile.stdout));
      // two PSPs: one policy set (rules `PSP set Violation (<psp>: <field>) ...`)
      assert.match(two.stdout, /PSP set Violation \(restricted: /);
      assert.doesNotMatch(two.stdout, /\(privileged: /);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    const missing = await runCli(["convert", ...kubeArgs(s), "--policy", "no-such-psp"]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /podsecuritypolicies "no-such-psp" not found/);
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: a restricted user gets exit 3 and the missing permission, never a token",
  ignore,
  async fn() {
    const s = await seed();
    const res = await runCli(["audit-pods", ...kubeArgs(s, "restricted"), "-n", "e2e-a"]);
    assert.equal(res.code, 3, res.stderr);
    assert.match(res.stderr, /verb "list" on resource "\w+"/);
    assert.ok(
      !res.stderr.includes(s.env.RESTRICTED_TOKEN) && !res.stdout.includes(s.env.RESTRICTED_TOKEN),
    );
    const conv = await runCli(["convert", ...kubeArgs(s, "restricted")]);
    assert.equal(conv.code, 3, conv.stderr);
    assert.match(
      conv.stderr,
      /verb "list" on resource "podsecuritypolicies" in API group "policy"/,
    );
    // --as impersonates for convert's API calls (admin may impersonate; "nobody" may not list PSPs)
    const as = await runCli([
      "convert",
      ...kubeArgs(s),
      "--as",
      "nobody",
      "--as-group",
      "nobodies",
    ]);
    assert.equal(as.code, 3, as.stderr);
    assert.match(as.stderr, /User "nobody" cannot list resource "podsecuritypolicies"/);
    assert.ok(!as.stderr.includes(s.env.ADMIN_TOKEN));
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "e2e: audit-pods -A with some namespaces forbidden audits the rest and says what it skipped",
  ignore,
  async fn() {
    const s = await seed();
    const rbac = "/apis/rbac.authorization.k8s.io/v1";
    const ref = (kind: string, name: string) => ({
      apiGroup: "rbac.authorization.k8s.io",
      kind,
      name,
    });
    const user2 = [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "user-2" }];
    await create(s, [
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "visible", namespace: "e2e-a" },
        spec: { serviceAccountName: "sa-all", containers: [{ name: "c", image: "nginx" }] },
      },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "hidden", namespace: "e2e-b" },
        spec: { containers: [{ name: "c", image: "nginx" }] },
      },
    ]);
    await s.admin.post(`${rbac}/clusterroles`, {
      metadata: { name: "e2e-user2-reader" },
      rules: [
        { apiGroups: [""], resources: ["namespaces"], verbs: ["list"] },
        {
          apiGroups: ["rbac.authorization.k8s.io"],
          resources: ["clusterroles", "clusterrolebindings", "roles", "rolebindings"],
          verbs: ["list"],
        },
      ],
    });
    await s.admin.post(`${rbac}/clusterrolebindings`, {
      metadata: { name: "e2e-user2-reader" },
      roleRef: ref("ClusterRole", "e2e-user2-reader"),
      subjects: user2,
    });
    await s.admin.post(`${rbac}/namespaces/e2e-a/roles`, {
      metadata: { name: "pod-lister" },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }],
    });
    await s.admin.post(`${rbac}/namespaces/e2e-a/rolebindings`, {
      metadata: { name: "user2-pod-lister" },
      roleRef: ref("Role", "pod-lister"),
      subjects: user2,
    });
    const res = await runCli([
      "audit-pods",
      ...kubeArgs(s, "user-2"),
      "-A",
      "--psp-file",
      fixture("psps.json"),
      "-o",
      "json",
    ]);
    assert.ok(res.code === 0 || res.code === 1, `exit ${res.code}: ${res.stderr}`);
    const report = JSON.parse(res.stdout);
    const names = report.items.map((i: Obj) => `${i.namespace}/${i.name}`);
    assert.ok(names.includes("e2e-a/visible"), String(names));
    assert.ok(!names.includes("e2e-b/hidden"), String(names));
    // every namespace whose pods could not be read is named on stderr, with the permission
    assert.match(
      res.stderr,
      /not audited: pods in namespace "e2e-b": .*verb "list" on resource "pods"/,
    );
    assert.match(res.stderr, /not audited: pods in namespace "kube-system"/);
    const visible = report.items.find((i: Obj) => i.name === "visible");
    assert.notEqual(
      visible.verdict,
      "refused",
      "sa-all may use every PSP (from the cluster's RBAC)",
    );
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: controller-owned pods are grouped under their Deployment or CronJob",
  ignore,
  async fn() {
    const s = await seed();
    const ns = "e2e-grouping";
    await create(s, [{ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }]);
    const spec = { containers: [{ name: "c", image: "nginx" }] };
    const labels = { app: "web", "pod-template-hash": "5d7f9" };
    // No controller-manager runs here: make the objects it would have made.
    const deploy = await s.admin.post<Obj>(`/apis/apps/v1/namespaces/${ns}/deployments`, {
      metadata: { name: "web" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels }, spec },
      },
    });
    const owner = (kind: string, o: Obj) => [{
      apiVersion: "apps/v1",
      kind,
      name: o.metadata.name,
      uid: o.metadata.uid,
      controller: true,
    }];
    const rs = await s.admin.post<Obj>(`/apis/apps/v1/namespaces/${ns}/replicasets`, {
      metadata: { name: "web-5d7f9", labels, ownerReferences: owner("Deployment", deploy) },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec },
      },
    });
    for (const suffix of ["abcde", "fghij"]) {
      await s.admin.post(`/api/v1/namespaces/${ns}/pods`, {
        metadata: { name: `web-5d7f9-${suffix}`, labels, ownerReferences: owner("ReplicaSet", rs) },
        spec,
      });
    }
    await s.admin.post(`/api/v1/namespaces/${ns}/pods`, { metadata: { name: "loner" }, spec });
    // a CronJob (batch/v1beta1 in 1.20), its Job and the Job's pod
    const cron = await s.admin.post<Obj>(`/apis/batch/v1beta1/namespaces/${ns}/cronjobs`, {
      metadata: { name: "nightly" },
      spec: {
        schedule: "0 3 * * *",
        jobTemplate: { spec: { template: { spec: { ...spec, restartPolicy: "Never" } } } },
      },
    });
    const job = await s.admin.post<Obj>(`/apis/batch/v1/namespaces/${ns}/jobs`, {
      metadata: {
        name: "nightly-27000000",
        ownerReferences: [{ ...owner("CronJob", cron)[0], apiVersion: "batch/v1beta1" }],
      },
      spec: { template: { spec: { ...spec, restartPolicy: "Never" } } },
    });
    await s.admin.post(`/api/v1/namespaces/${ns}/pods`, {
      metadata: {
        name: "nightly-27000000-xyz",
        ownerReferences: [{ ...owner("Job", job)[0], apiVersion: "batch/v1" }],
      },
      spec: { ...spec, restartPolicy: "Never" },
    });
    const rowsOf = async (extra: string[]) => {
      const res = await runCli(["audit-pods", ...kubeArgs(s), "-n", ns, "-o", "json", ...extra]);
      assert.ok(res.code === 0 || res.code === 1, res.stderr);
      return JSON.parse(res.stdout).items.map((i: Obj) => `${i.kind}/${i.name} pods=${i.pods}`)
        .sort();
    };
    assert.deepEqual(await rowsOf([]), [
      "CronJob/nightly pods=1",
      "Deployment/web pods=2",
      "Pod/loner pods=1",
    ]);
    // with --workloads the templates join the same rows (their pod counts are the report's rule)
    const withTemplates = (await rowsOf(["--workloads"])).map((r: string) => r.split(" ")[0]);
    assert.deepEqual(withTemplates, ["CronJob/nightly", "Deployment/web", "Pod/loner"]);
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "e2e: kubectl falco-psp audit-pods --pss baseline on a PSP cluster: PSP and PSS side by side, the migration view",
  ignore,
  async fn() {
    const s = await seed();
    const args = [
      "audit-pods",
      ...kubeArgs(s),
      "--workloads",
      "-A",
      "-l",
      "e2e=dryrun",
      "--service-account-token",
      "none",
      "--pss",
      "baseline",
    ];
    const j = await kubectlFalcoPsp([...args, "-o", "json"]);
    assert.equal(j.code, 1, j.stderr);
    const report = JSON.parse(j.stdout);
    const stored: Obj[] = await s.admin.list("/apis/apps/v1/deployments", {
      labelSelector: "e2e=dryrun",
    });
    const items = new Map<string, Obj>(
      report.items.map((i: Obj) => [`${i.namespace}/${i.name}`, i]),
    );
    assert.equal(items.size, stored.length);
    const expected: Obj[] = [];
    for (const d of stored) {
      const it = items.get(`${d.metadata.namespace}/${d.metadata.name}`)!;
      assert.ok(["admitted", "changed", "refused"].includes(it.verdict), "PSP verdict beside");
      const want = evaluatePod(podOf(d), { level: "baseline", version: "latest" });
      assert.deepEqual(
        it.pss,
        {
          level: "baseline",
          version: "latest",
          allowed: want.allowed,
          violations: want.violations,
        },
        `${d.metadata.namespace}/${d.metadata.name}`,
      );
      if ((it.verdict !== "refused") !== want.allowed) {
        expected.push({
          namespace: it.namespace,
          workload: `Deployment/${it.name}`,
          psp: it.verdict,
          pss: want.allowed ? "allowed" : "refused",
          level: "baseline",
        });
      }
    }
    const m = report.migration;
    const key = (d: Obj) => `${d.namespace}/${d.workload}`;
    assert.deepEqual(
      [...m.disagreements].sort((a: Obj, b: Obj) => key(a) < key(b) ? -1 : 1),
      expected.sort((a, b) => key(a) < key(b) ? -1 : 1),
    );
    const admitsRefuses = expected.filter((d) => d.pss === "refused").length;
    const refusesAllows = expected.filter((d) => d.pss === "allowed").length;
    assert.ok(admitsRefuses > 0 && refusesAllows > 0, `${admitsRefuses}/${refusesAllows}`);
    const psps: Obj[] = (await readJson("psps.json")).items;
    assert.deepEqual(
      m.policies.map((p: Obj) => p.policy).sort(),
      psps.map((p) => p.metadata.name).sort(),
    );
    assert.ok(m.mustSet.length > 0, "workloads admitted only with a PSP's changes");
    console.log(
      `--pss baseline beside the cluster's PSPs: ${stored.length} workloads; PSP admits, PSS refuses ${admitsRefuses}; PSP refuses, PSS allows ${refusesAllows}; relying on PSP defaults ${m.mustSet.length}`,
    );

    const t = await kubectlFalcoPsp(args, { COLUMNS: "200" });
    assert.equal(t.code, 1, t.stderr);
    assert.match(
      t.stdout.split("\n")[0],
      /^NAMESPACE\s+WORKLOAD\s+PODS\s+VERDICT\s+PSP\s+PSS baseline\s+REASONS$/,
    );
    assert.match(t.stdout, /\nMigration from PSP to Pod Security Admission:\n/);
    assert.match(t.stdout, new RegExp(`\\n {2}PSP admits, PSS refuses: ${admitsRefuses}: `));
    assert.match(t.stdout, new RegExp(`\\n {2}PSP refuses, PSS allows: ${refusesAllows}: `));
    assert.match(
      t.stdout,
      /\n {2}What each PSP guarantees \(every pod it admits meets the level\):\n/,
    );
    for (const p of psps) {
      assert.match(
        t.stdout,
        new RegExp(`\\n {4}${p.metadata.name}: (privileged|baseline|restricted)`),
      );
    }
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: stop the API server (commands_test.ts)",
  ignore,
  fn: () => server.stop(),
});
