/**
 * Against a kube-apiserver without the PodSecurityPolicy API
 * (`--runtime-config=policy/v1beta1=false`, like Kubernetes >= 1.25): the 404
 * path says to pass PSP files, and audit-pods audits the cluster's pods against
 * PSPs from --psp-file: every given PSP usable (the cluster's RBAC grants none, as
 * nothing can), or with --rbac=cluster by the cluster's RBAC, saying plainly which
 * pods it leaves without a PSP. With `--pss` (run as users run it, `kubectl falco-psp`): the
 * PSS-only audit of the cluster's pods, the namespaces' PSA labels read from the cluster and
 * checked at their own level and version, and a user who may not read namespaces.
 */
import assert from "node:assert/strict";
import {
  type Apiserver,
  collectionPath,
  E2E_TEST,
  ROOT,
  runCli,
  sharedApiserver,
  skipE2e,
} from "./apiserver.ts";
import { connect } from "../../src/cluster/client.ts";
import { loadConnection } from "../../src/cluster/kubeconfig.ts";
import { NoPspApiError } from "../../src/cluster/errors.ts";
import { hasPodSecurityPolicyApi, listPodSecurityPolicies } from "../../src/cluster/resources.ts";
import type { Level, Version } from "../../src/pss/api.ts";
import { evaluatePod } from "../../src/pss/evaluate.ts";
import { kubectlFalcoPsp } from "../support/kubectl_plugin.ts";

const ignore = skipE2e(import.meta.url);
const server = sharedApiserver({ psp: false });

Deno.test({
  ...E2E_TEST,
  name: "e2e (no PSP API): discovery says so and listing raises NoPspApiError",
  ignore,
  async fn() {
    const s = await server.get();
    const conn = await loadConnection({ kubeconfig: s.kubeconfig });
    const client = connect(conn);
    assert.equal(await hasPodSecurityPolicyApi(client), false);
    await assert.rejects(listPodSecurityPolicies(client, [], "pass --psp-file"), (e) => {
      assert.ok(e instanceof NoPspApiError);
      assert.equal(e.exitCode, 3);
      assert.match(e.message, /this cluster has no PodSecurityPolicy API.*pass --psp-file/);
      return true;
    });
    await assert.rejects(listPodSecurityPolicies(client, ["restricted"]), NoPspApiError);
    const kubectl = await new Deno.Command("kubectl", {
      args: ["--kubeconfig", s.kubeconfig, "api-versions"],
      stdout: "piped",
    }).output();
    const versions = new TextDecoder().decode(kubectl.stdout);
    assert.match(versions, /^v1$/m);
    assert.doesNotMatch(versions, /^policy\/v1beta1$/m);
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e (no PSP API): convert and audit-pods exit 3 telling to pass PSP files",
  ignore,
  async fn() {
    const s = await server.get();
    const conv = await runCli(["convert", "--kubeconfig", s.kubeconfig]);
    assert.equal(conv.code, 3, conv.stderr);
    assert.match(conv.stderr, /this cluster has no PodSecurityPolicy API/);
    assert.match(conv.stderr, /PodSecurityPolicy files/);
    const audit = await runCli(["audit-pods", "--kubeconfig", s.kubeconfig, "-A"]);
    assert.equal(audit.code, 3, audit.stderr);
    assert.match(audit.stderr, /this cluster has no PodSecurityPolicy API.*pass --psp-file/);
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "e2e (no PSP API): audit-pods --rbac=cluster audits the cluster's pods against --psp-file with cluster RBAC",
  ignore,
  async fn() {
    const s = await server.get();
    const a = s.admin;
    await a.post("/api/v1/namespaces", { metadata: { name: "apps" } });
    await a.post("/api/v1/namespaces/apps/serviceaccounts", { metadata: { name: "runner" } });
    for (const [name, privileged] of [["web", false], ["agent", true]] as const) {
      await a.post("/api/v1/namespaces/apps/pods", {
        metadata: { name },
        spec: {
          serviceAccountName: "runner",
          containers: [{ name: "c", image: "nginx", securityContext: { privileged } }],
        },
      });
    }
    // runner may use "restricted" only (the PSP exists only in the file)
    await a.post("/apis/rbac.authorization.k8s.io/v1/namespaces/apps/roles", {
      metadata: { name: "use-restricted" },
      rules: [{
        apiGroups: ["policy"],
        resources: ["podsecuritypolicies"],
        verbs: ["use"],
        resourceNames: ["restricted"],
      }],
    });
    await a.post("/apis/rbac.authorization.k8s.io/v1/namespaces/apps/rolebindings", {
      metadata: { name: "runner-restricted" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "use-restricted" },
      subjects: [{ kind: "ServiceAccount", name: "runner", namespace: "apps" }],
    });
    const res = await runCli([
      "audit-pods",
      "--kubeconfig",
      s.kubeconfig,
      "-n",
      "apps",
      "--psp-file",
      `${ROOT}/fixtures/e2e/psps.json`,
      "--rbac=cluster",
      "-o",
      "json",
    ]);
    assert.equal(res.code, 1, res.stderr);
    const report = JSON.parse(res.stdout);
    const byName = Object.fromEntries(
      report.items.map((i: { name: string; verdict: string; policy: string | null }) => [
        i.name,
        `${i.verdict}/${i.policy}`,
      ]),
    );
    assert.equal(byName.agent, "refused/null");
    assert.match(byName.web, /^(admitted|changed)\/restricted$/);
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "e2e (no PSP API): --psp-file takes every given PSP as usable (said once); --rbac=cluster says which pods RBAC leaves no PSP",
  ignore,
  async fn() {
    const s = await server.get();
    const a = s.admin;
    await a.post("/api/v1/namespaces", { metadata: { name: "legacy" } });
    await a.post("/api/v1/namespaces/legacy/serviceaccounts", { metadata: { name: "builder" } });
    for (const [name, privileged] of [["site", false], ["node-agent", true]] as const) {
      await a.post("/api/v1/namespaces/legacy/pods", {
        metadata: { name },
        spec: {
          serviceAccountName: "builder",
          containers: [{ name: "c", image: "nginx", securityContext: { privileged } }],
        },
      });
    }
    const base = [
      "audit-pods",
      "--kubeconfig",
      s.kubeconfig,
      "-n",
      "legacy",
      "--psp-file",
      `${ROOT}/fixtures/e2e/psps.json`,
    ];
    // auto: the cluster cannot grant PSPs; every given one is usable, and stderr says so once.
    const auto = await runCli([...base, "-o", "json"]);
    assert.equal(auto.code, 0, auto.stderr);
    const notes = auto.stderr.match(/no PodSecurityPolicy API \(Kubernetes 1\.25\+\)/g) ?? [];
    assert.equal(notes.length, 1, auto.stderr);
    assert.match(
      auto.stderr,
      /every given PSP is taken as usable by every pod \(pass --rbac=cluster/,
    );
    const items = JSON.parse(auto.stdout).items as {
      name: string;
      verdict: string;
      policy: string | null;
    }[];
    assert.deepEqual(
      items.map((i) => [i.name, i.verdict !== "refused", i.policy !== null]),
      [["node-agent", true, true], ["site", true, true]],
    );
    assert.equal(items.find((i) => i.name === "node-agent")!.policy, "privileged");
    assert.doesNotMatch(auto.stdout + auto.stderr, /unable to admit pod: \[\]/);
    // --rbac=cluster: nothing grants "use" here, so no pod has a PSP to try; each row says whose.
    const strict = await runCli([...base, "--rbac=cluster", "-o", "json"]);
    assert.equal(strict.code, 1, strict.stderr);
    assert.doesNotMatch(strict.stderr, /no PodSecurityPolicy API \(Kubernetes/);
    const refused = JSON.parse(strict.stdout).items as {
      name: string;
      verdict: string;
      noUsablePolicy?: { serviceAccount: string | null; user: string | null; text: string };
    }[];
    assert.deepEqual(refused.map((i) => [i.name, i.verdict]), [
      ["node-agent", "refused"],
      ["site", "refused"],
    ]);
    for (const i of refused) {
      assert.equal(i.noUsablePolicy?.serviceAccount, "legacy/builder");
      assert.equal(i.noUsablePolicy?.user, null);
      assert.match(i.noUsablePolicy!.text, /^no PSP usable by service account "legacy\/builder" /);
      assert.match(i.noUsablePolicy!.text, /--rbac=none/);
    }
    const counted = strict.stderr.match(/RBAC leaves no PSP usable for 2 workloads \(2 pods\)/g);
    assert.equal(counted?.length, 1, strict.stderr);
    const table = await runCli([...base, "--rbac=cluster"]);
    assert.equal(table.code, 1, table.stderr);
    assert.match(
      table.stdout,
      /^legacy\s+Pod\/site\s+1\s+refused\s+-\s+no PSP usable by service account "legacy\/builder"/m,
    );
    assert.doesNotMatch(table.stdout, /unable to admit pod: \[\]/);
  },
});

// --- --pss on a cluster without the PSP API, through `kubectl falco-psp` -------------------

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

const container = (name: string, extra: Obj = {}) => ({ name, image: "nginx", ...extra });
const restrictedSpec = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  containers: [container("app", {
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  })],
};

/**
 * Namespaces and pods for the --pss tests: `pss-open` without labels (a restricted, a baseline
 * and a privileged pod); `pss-pinned` labelled enforce=baseline pinned to v1.22 and
 * warn=restricted, with pods whose baseline result differs between v1.22 and latest (a sysctl
 * v1.27 made safe, an SELinux type v1.31 allowed, a probe host checked from v1.34); `pss-invalid`
 * with an enforce label PSA cannot read (`Baseline`: a v1.20 server takes any label value).
 */
const PSS_OBJECTS: Obj[] = [
  { kind: "Namespace", metadata: { name: "pss-open" } },
  {
    kind: "Namespace",
    metadata: {
      name: "pss-pinned",
      labels: {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/enforce-version": "v1.22",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    },
  },
  {
    kind: "Namespace",
    metadata: { name: "pss-invalid", labels: { "pod-security.kubernetes.io/enforce": "Baseline" } },
  },
  { kind: "Pod", metadata: { name: "tight", namespace: "pss-open" }, spec: restrictedSpec },
  {
    kind: "Pod",
    metadata: { name: "plain", namespace: "pss-open" },
    spec: { containers: [container("app")] },
  },
  {
    kind: "Pod",
    metadata: { name: "hostpid", namespace: "pss-open" },
    spec: { hostPID: true, containers: [container("app")] },
  },
  {
    kind: "Pod",
    metadata: { name: "sysctl", namespace: "pss-pinned" },
    spec: {
      securityContext: { sysctls: [{ name: "net.ipv4.ip_local_reserved_ports", value: "8080" }] },
      containers: [container("app")],
    },
  },
  {
    kind: "Pod",
    metadata: { name: "engine", namespace: "pss-pinned" },
    spec: {
      containers: [container("builder", {
        securityContext: { seLinuxOptions: { type: "container_engine_t" } },
      })],
    },
  },
  {
    kind: "Pod",
    metadata: { name: "probe", namespace: "pss-pinned" },
    spec: {
      containers: [container("app", {
        livenessProbe: { httpGet: { host: "10.0.0.1", port: 80 } },
      })],
    },
  },
  { kind: "Pod", metadata: { name: "plain", namespace: "pss-pinned" }, spec: restrictedSpec },
  {
    kind: "Pod",
    metadata: { name: "plain", namespace: "pss-invalid" },
    spec: { containers: [container("app")] },
  },
  // user-1 may list pods and their owners everywhere, but not namespaces.
  {
    kind: "ClusterRole",
    metadata: { name: "pss-pod-reader" },
    rules: [
      { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
      { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["list"] },
      { apiGroups: ["batch"], resources: ["jobs"], verbs: ["list"] },
    ],
  },
  {
    kind: "ClusterRoleBinding",
    metadata: { name: "pss-pod-reader" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "pss-pod-reader" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "user-1" }],
  },
];

let pssSeeded: Promise<Apiserver> | undefined;
function pssCluster(): Promise<Apiserver> {
  pssSeeded ??= (async () => {
    const s = await server.get();
    for (const o of PSS_OBJECTS) await s.admin.post(collectionPath(o), o);
    return s;
  })();
  return pssSeeded;
}

/** The pods as the server stored them (defaults applied), by `namespace/name`. */
async function podsReadBack(s: Apiserver): Promise<Map<string, Obj>> {
  const pods = await s.admin.list("/api/v1/pods");
  return new Map(pods.map((p: Obj) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
}

interface PssItem {
  kind: string;
  namespace: string;
  name: string;
  pss: { level: string; version: string; allowed: boolean; violations: unknown[] };
}

Deno.test({
  ...E2E_TEST,
  name:
    "e2e (no PSP API): kubectl falco-psp audit-pods --pss restricted -A: PSS only, no PSP columns, each pod's verdict as evaluatePod gives it, namespace advice",
  ignore,
  async fn() {
    const s = await pssCluster();
    const base = ["audit-pods", "--kubeconfig", s.kubeconfig, "-A", "--pss", "restricted"];
    const j = await kubectlFalcoPsp([...base, "-o", "json"]);
    assert.equal(j.code, 1, `restricted refuses some pods: exit 1\n${j.stderr}`);
    assert.doesNotMatch(j.stderr, /PodSecurityPolicy API/);
    const report = JSON.parse(j.stdout);
    const pods = await podsReadBack(s);
    assert.equal(report.items.length, pods.size, "one row per pod (bare pods)");
    for (const it of report.items as PssItem[]) {
      assert.equal(it.kind, "Pod");
      for (const k of ["verdict", "policy", "results", "admitted"]) {
        assert.ok(!(k in it), `PSP field ${k} absent without PSPs`);
      }
      const pod = pods.get(`${it.namespace}/${it.name}`);
      assert.ok(pod, `${it.namespace}/${it.name} is a pod of the cluster`);
      const want = evaluatePod(pod, { level: "restricted", version: "latest" });
      assert.deepEqual(it.pss, {
        level: want.level,
        version: want.version,
        allowed: want.allowed,
        violations: want.violations,
      }, `${it.namespace}/${it.name}`);
    }
    const tight = report.items.find((i: PssItem) =>
      i.namespace === "pss-open" && i.name === "tight"
    );
    assert.equal(tight.pss.allowed, true);
    for (const k of ["admitted", "changed", "refused", "policies"]) {
      assert.ok(!(k in report.summary), `summary without ${k}`);
    }
    assert.deepEqual(
      [report.summary.pss.allowed + report.summary.pss.refused, report.summary.pss.level],
      [pods.size, "restricted"],
    );
    const open = report.namespaces.find((n: Obj) => n.namespace === "pss-open");
    assert.equal(open.level, "privileged");
    assert.deepEqual(open.next.breaks.map((b: Obj) => b.workload), ["Pod/hostpid"]);
    assert.equal(open.current, undefined, "no PSA labels");

    const t = await kubectlFalcoPsp([...base], { COLUMNS: "250" });
    assert.equal(t.code, 1, t.stderr);
    const header = t.stdout.split("\n")[0];
    assert.match(header, /^NAMESPACE\s+WORKLOAD\s+PODS\s+PSS restricted\s+REASONS$/);
    assert.match(
      t.stdout,
      /^pss-open\s+Pod\/hostpid\s+1\s+refused\s+PSS restricted: host namespaces \(hostPID=true\)/m,
    );
    assert.match(t.stdout, /\nPod Security Admission per namespace \(policy v1\.\d+\)/);
    assert.match(
      t.stdout,
      /\n {2}pss-open +enforce=privileged; baseline would refuse 1 of 3 workloads: Pod\/hostpid: host namespaces \(hostPID=true\)\n/,
    );
    assert.match(
      t.stdout,
      /\n {2}kubectl label --overwrite ns pss-open pod-security\.kubernetes\.io\/enforce=privileged /,
    );
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "e2e (no PSP API): kubectl falco-psp audit-pods --pss reads the namespaces' PSA labels and checks each at its own level and version",
  ignore,
  async fn() {
    const s = await pssCluster();
    const pods = await podsReadBack(s);
    /** What `level:version` refuses among the namespace's pods, evaluated afresh. */
    const refusedAt = (ns: string, level: Level, version: Version) =>
      [...pods.values()]
        .filter((p) => p.metadata.namespace === ns)
        .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
        .flatMap((p) => {
          const r = evaluatePod(p, { level, version });
          return r.allowed
            ? []
            : [{ workload: `Pod/${p.metadata.name}`, pods: 1, violations: r.violations }];
        });
    // --pss alone at v1.30: neither the labels' v1.22 nor latest.
    const j = await kubectlFalcoPsp([
      "audit-pods",
      "--kubeconfig",
      s.kubeconfig,
      "-A",
      "--pss",
      "v1.30",
      "-o",
      "json",
    ]);
    assert.equal(j.code, 0, j.stderr);
    assert.doesNotMatch(j.stderr, /namespace labels not read/);
    const advice = new Map<string, Obj>(
      JSON.parse(j.stdout).namespaces.map((n: Obj) => [n.namespace, n]),
    );
    const pinned = advice.get("pss-pinned")!.current;
    assert.deepEqual(pinned.enforce, { level: "baseline", version: "v1.22" });
    const rejected = refusedAt("pss-pinned", "baseline", { minor: 22 });
    assert.deepEqual(rejected.map((r) => r.workload), ["Pod/engine", "Pod/sysctl"]);
    assert.deepEqual(pinned.rejected, rejected);
    assert.deepEqual(pinned.warn, {
      level: "restricted",
      version: "latest",
      workloads: refusedAt("pss-pinned", "restricted", "latest"),
    });
    assert.deepEqual(
      pinned.warn.workloads.map((w: Obj) => w.workload),
      ["Pod/engine", "Pod/probe", "Pod/sysctl"],
    );
    assert.equal(pinned.note, undefined);
    // An enforce label PSA cannot read: enforced as restricted, and said.
    const invalid = advice.get("pss-invalid")!.current;
    assert.deepEqual(invalid.enforce, { level: "restricted", version: "latest" });
    assert.deepEqual(invalid.rejected, refusedAt("pss-invalid", "restricted", "latest"));
    assert.equal(invalid.rejected.length, 1);
    assert.match(
      invalid.note,
      /^pod-security\.kubernetes\.io\/enforce: must be one of privileged, baseline, restricted \(got "Baseline"\); PSA reads it as restricted$/,
    );
    // One namespace (-n): only it is read, with `get`; the table says it.
    const t = await kubectlFalcoPsp([
      "audit-pods",
      "--kubeconfig",
      s.kubeconfig,
      "-n",
      "pss-pinned",
      "--pss",
      "restricted",
    ], { COLUMNS: "400" });
    assert.equal(t.code, 1, t.stderr);
    assert.ok(
      t.stdout.includes(
        "current labels enforce=baseline:v1.22: would reject 2: Pod/engine: seLinuxOptions " +
          '(container "builder" set forbidden securityContext.seLinuxOptions: type "container_engine_t"); ' +
          "Pod/sysctl: forbidden sysctls (net.ipv4.ip_local_reserved_ports)\n",
      ),
      t.stdout,
    );
    assert.match(
      t.stdout,
      /current labels warn=restricted:latest: would warn about 3: Pod\/engine: /,
    );
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "e2e (no PSP API): kubectl falco-psp audit-pods --pss as a user who may not read namespaces: advice without label checks, saying why",
  ignore,
  async fn() {
    const s = await pssCluster();
    const asUser = ["audit-pods", "--kubeconfig", s.kubeconfig, "--context", "user-1", "--pss"];
    const all = await kubectlFalcoPsp([...asUser, "-A", "-o", "json"]);
    assert.equal(all.code, 0, all.stderr);
    const why = all.stderr.match(
      /namespace labels not read \(.*\): the namespace advice does not check current PSA labels/g,
    );
    assert.equal(why?.length, 1, all.stderr);
    assert.match(all.stderr, /namespace labels not read \(forbidden: .*namespaces/);
    const report = JSON.parse(all.stdout);
    const pinned = report.namespaces.find((n: Obj) => n.namespace === "pss-pinned");
    assert.ok(pinned, "advice for the namespaces of the pods read");
    assert.equal(pinned.current, undefined, "labels unknown: not checked");
    assert.equal(report.items.length, (await podsReadBack(s)).size, "every pod audited");
    // In one namespace `get` on it is enough: a Role there grants it.
    await s.admin.post("/apis/rbac.authorization.k8s.io/v1/namespaces/pss-pinned/roles", {
      metadata: { name: "get-namespace" },
      rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get"] }],
    });
    await s.admin.post("/apis/rbac.authorization.k8s.io/v1/namespaces/pss-pinned/rolebindings", {
      metadata: { name: "user-1-get-namespace" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "get-namespace" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "user-1" }],
    });
    const one = await kubectlFalcoPsp([...asUser, "-n", "pss-pinned", "-o", "json"]);
    assert.equal(one.code, 0, one.stderr);
    assert.doesNotMatch(one.stderr, /namespace labels not read/);
    const [advice] = JSON.parse(one.stdout).namespaces;
    assert.deepEqual(advice.current.enforce, { level: "baseline", version: "v1.22" });
  },
});

Deno.test({
  ...E2E_TEST,
  name: "e2e: stop the API server (no_psp_test.ts)",
  ignore,
  fn: () => server.stop(),
});
