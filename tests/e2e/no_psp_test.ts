/**
 * Against a kube-apiserver without the PodSecurityPolicy API
 * (`--runtime-config=policy/v1beta1=false`, like Kubernetes >= 1.25): the 404
 * path says to pass PSP files, and audit-pods still audits the cluster's pods
 * against PSPs from --psp-file with the cluster's RBAC.
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
    "e2e (no PSP API): audit-pods audits the cluster's pods against --psp-file with cluster RBAC",
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
  name: "e2e: stop the API server (no_psp_test.ts)",
  ignore,
  fn: () => server.stop(),
});
