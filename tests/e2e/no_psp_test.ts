/**
 * Against a kube-apiserver without the PodSecurityPolicy API
 * (`--runtime-config=policy/v1beta1=false`, like Kubernetes >= 1.25): the 404
 * path says to pass PSP files, and audit-pods audits the cluster's pods against
 * PSPs from --psp-file: every given PSP usable (the cluster's RBAC grants none, as
 * nothing can), or with --rbac=cluster by the cluster's RBAC, saying plainly which
 * pods it leaves without a PSP.
 */
import assert from "node:assert/strict";
import { E2E_TEST, ROOT, runCli, sharedApiserver, skipE2e } from "./apiserver.ts";
import { connect } from "../../src/cluster/client.ts";
import { loadConnection } from "../../src/cluster/kubeconfig.ts";
import { NoPspApiError } from "../../src/cluster/errors.ts";
import { hasPodSecurityPolicyApi, listPodSecurityPolicies } from "../../src/cluster/resources.ts";

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

Deno.test({
  ...E2E_TEST,
  name: "e2e: stop the API server (no_psp_test.ts)",
  ignore,
  fn: () => server.stop(),
});
