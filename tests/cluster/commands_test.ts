/**
 * The cluster sources of `convert` and `audit-pods` through the CLI, where no
 * API server is needed: flag combinations, no kubeconfig, an unreachable server.
 * (tests/e2e/ runs the same commands against a real kube-apiserver.)
 */
import assert from "node:assert/strict";
import { ROOT, runCli } from "../e2e/apiserver.ts";

const PSPS = `${ROOT}/fixtures/e2e/psps.json`;
const NO_CLUSTER = { KUBECONFIG: "/nonexistent/kubeconfig", HOME: "/nonexistent" };

async function withKubeconfig<T>(server: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kubeconfig`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        "current-context": "c",
        clusters: [{ name: "k", cluster: { server, "insecure-skip-tls-verify": true } }],
        users: [{ name: "u", user: { token: "do-not-print-me-0123" } }],
        contexts: [{ name: "c", context: { cluster: "k", user: "u", namespace: "team" } }],
      }),
    );
    return await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("without a kubeconfig, missing inputs stay usage errors (exit 2)", async () => {
  const conv = await runCli(["convert"], NO_CLUSTER);
  assert.equal(conv.code, 2, conv.stderr);
  assert.match(conv.stderr, /no input: .*or a kubeconfig/);
  const audit = await runCli(["audit-pods"], NO_CLUSTER);
  assert.equal(audit.code, 2, audit.stderr);
  assert.match(audit.stderr, /no PodSecurityPolicies: pass --psp-file \(or a kubeconfig/);
  const check = await runCli(["audit-pods", "--psp-file", PSPS, "--check-access"], NO_CLUSTER);
  assert.equal(check.code, 2, check.stderr);
  assert.match(check.stderr, /--check-access needs a cluster/);
});

Deno.test("cluster flags that contradict file inputs are usage errors (exit 2)", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["convert", PSPS, "--policy", "restricted"],
      /--policy names PodSecurityPolicies to read from a cluster/,
    ],
    [
      ["audit-pods", "--psp-file", PSPS, "-f", PSPS, "--workloads"],
      /--workloads reads workloads from the cluster/,
    ],
    [
      ["audit-pods", "--psp-file", PSPS, "--rbac-file", PSPS, "--check-access"],
      /--check-access and --rbac-file cannot be used together/,
    ],
    [["audit-pods", "--psp-file", PSPS, "-n", "a", "-A"], /--namespace and --all-namespaces/],
    [["convert", "--request-timeout", "soon"], /--request-timeout.*invalid duration "soon"/],
  ];
  await withKubeconfig(`https://127.0.0.1:${closedPort()}`, async (kc) => {
    for (const [args, pattern] of cases) {
      const r = await runCli(args, { KUBECONFIG: kc });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });
});

Deno.test("an unreachable cluster is exit 3 with what to do, and the token is never printed", async () => {
  await withKubeconfig(`https://127.0.0.1:${closedPort()}`, async (kc) => {
    for (
      const args of [
        ["convert"],
        ["audit-pods", "-A"],
        ["audit-pods", "--psp-file", PSPS],
        [
          "audit-pods",
          "--psp-file",
          PSPS,
          "-f",
          `${ROOT}/fixtures/e2e/pods.json`,
          "--check-access",
        ],
      ]
    ) {
      const r = await runCli(args, { KUBECONFIG: kc });
      assert.equal(r.code, 3, `${args.join(" ")}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+ \(context "c"\)/,
      );
      assert.ok(
        !r.stderr.includes("do-not-print-me-0123") && !r.stdout.includes("do-not-print-me-0123"),
      );
      assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
    }
  });
});
