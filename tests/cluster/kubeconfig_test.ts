import assert from "node:assert/strict";
import { Command } from "@commander-js/extra-typings";
import {
  addClusterOptions,
  type ClusterFlags,
  kubeconfigPaths,
  loadConnection,
  mergeKubeconfigs,
  parseKubeconfig,
  parseRequestTimeout,
} from "../../src/cluster/kubeconfig.ts";
import { IoError, UsageError } from "../../src/io/errors.ts";

const A = `
apiVersion: v1
kind: Config
current-context: a-ctx
clusters:
- name: shared
  cluster: {server: "https://a.example:6443/", certificate-authority: certs/ca.crt}
- name: only-a
  cluster: {server: "https://only-a.example"}
users:
- name: alice
  user: {token: secret-token-a, client-certificate: alice.crt, client-key: /abs/alice.key}
contexts:
- name: a-ctx
  context: {cluster: shared, user: alice, namespace: team-a}
- name: no-ns
  context: {cluster: only-a, user: alice}
`;
const B = `
current-context: b-ctx
clusters:
- name: shared
  cluster: {server: "https://b.example"}
- name: only-b
  cluster: {server: "https://only-b.example", insecure-skip-tls-verify: false, certificate-authority-data: Zm9v}
users:
- name: bob
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/get-token, args: [x]}
- name: impersonator
  user: {token: tok-imp-123, as: boss, as-groups: [g1, g2]}
contexts:
- name: b-ctx
  context: {cluster: only-b, user: bob}
- name: a-ctx
  context: {cluster: only-b, user: bob, namespace: from-b}
- name: imp
  context: {cluster: only-b, user: impersonator}
`;

Deno.test("parseKubeconfig makes paths relative to the file's directory absolute", () => {
  const f = parseKubeconfig(A, "/home/u/.kube/config");
  const cluster = f.clusters[0].cluster as Record<string, unknown>;
  assert.equal(cluster["certificate-authority"], "/home/u/.kube/certs/ca.crt");
  const user = f.users[0].user as Record<string, unknown>;
  assert.equal(user["client-certificate"], "/home/u/.kube/alice.crt");
  assert.equal(user["client-key"], "/abs/alice.key");
  const b = parseKubeconfig(B, "/etc/kc/b.yaml");
  const exec = (b.users[0].user as Record<string, Record<string, unknown>>).exec;
  assert.equal(exec.command, "/etc/kc/./bin/get-token");
});

Deno.test("parseKubeconfig: a bare exec command stays a PATH lookup", () => {
  const f = parseKubeconfig(
    "users: [{name: u, user: {exec: {command: aws, args: [eks]}}}]",
    "/k/config",
  );
  assert.equal((f.users[0].user as Record<string, Record<string, unknown>>).exec.command, "aws");
});

Deno.test("parseKubeconfig: bad YAML and bad shapes are IoErrors naming the file", () => {
  assert.throws(() => parseKubeconfig("clusters: [", "/x/kc"), (e) => {
    assert.ok(e instanceof IoError);
    assert.match(e.message, /kubeconfig \/x\/kc is not valid YAML/);
    return true;
  });
  assert.throws(() => parseKubeconfig("clusters: {a: 1}", "/x/kc"), /"clusters" must be a list/);
  assert.throws(
    () => parseKubeconfig("users: [{user: {}}]", "/x/kc"),
    /users\[0\]\.name is missing/,
  );
});

Deno.test("mergeKubeconfigs: first file wins per name and for current-context", () => {
  const m = mergeKubeconfigs([parseKubeconfig(A, "/a"), parseKubeconfig(B, "/b")]);
  assert.equal(m.currentContext, "a-ctx");
  assert.deepEqual(m.clusters.map((c) => c.name), ["shared", "only-a", "only-b"]);
  const shared = m.clusters.find((c) => c.name === "shared")!.cluster as Record<string, unknown>;
  assert.equal(shared.server, "https://a.example:6443/");
  const ctx = m.contexts.find((c) => c.name === "a-ctx")!.context as Record<string, unknown>;
  assert.equal(ctx.namespace, "team-a");
  assert.deepEqual(m.users.map((u) => u.name), ["alice", "bob", "impersonator"]);
  // a file without current-context does not reset it; a later one does not override it
  const m2 = mergeKubeconfigs([
    parseKubeconfig("clusters: []", "/empty"),
    parseKubeconfig(B, "/b"),
    parseKubeconfig(A, "/a"),
  ]);
  assert.equal(m2.currentContext, "b-ctx");
});

Deno.test("kubeconfigPaths: --kubeconfig, then KUBECONFIG (deduplicated), then ~/.kube/config", () => {
  assert.deepEqual(kubeconfigPaths("/f", { kubeconfigVar: "/a:/b", home: "/h" }), {
    paths: ["/f"],
    explicit: true,
  });
  assert.deepEqual(kubeconfigPaths(undefined, { kubeconfigVar: "/a::/b:/a", home: "/h" }), {
    paths: ["/a", "/b"],
    explicit: false,
  });
  assert.deepEqual(
    kubeconfigPaths(undefined, { kubeconfigVar: "C:\\a;D:\\b", delimiter: ";" }).paths,
    ["C:\\a", "D:\\b"],
  );
  assert.deepEqual(kubeconfigPaths(undefined, { home: "/h" }).paths, ["/h/.kube/config"]);
});

async function withFiles<T>(files: Record<string, string>, fn: (dir: string) => Promise<T>) {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.mkdir(`${dir}/${name}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadConnection merges KUBECONFIG files, skips missing ones, applies overrides", async () => {
  await withFiles({ "a.yaml": A, "b.yaml": B, "alice.crt": "x" }, async (dir) => {
    const env = { kubeconfigVar: `${dir}/missing.yaml:${dir}/a.yaml:${dir}/b.yaml`, home: "/none" };
    const base = await loadConnection({}, env);
    assert.equal(base.contextName, "a-ctx");
    assert.equal(base.server, "https://a.example:6443");
    assert.equal(base.namespace, "team-a");
    assert.deepEqual(base.secrets, ["secret-token-a"]);
    assert.equal(base.kubeConfig.getCurrentUser()?.certFile, `${dir}/alice.crt`);
    assert.equal(base.kubeConfig.getCurrentCluster()?.caFile, `${dir}/certs/ca.crt`);

    const b = await loadConnection({ context: "b-ctx" }, env);
    assert.equal(b.server, "https://only-b.example");
    assert.equal(b.namespace, "default", "a context without namespace means default");
    assert.equal(b.kubeConfig.getCurrentUser()?.exec?.command, `${dir}/./bin/get-token`);

    const o = await loadConnection({
      context: "no-ns",
      cluster: "shared",
      user: "bob",
      namespace: "ns1",
      insecureSkipTlsVerify: true,
      as: "jane",
      asGroup: ["devs", "ops"],
      requestTimeout: "1m30s",
      selector: "app=web",
      fieldSelector: "status.phase=Running",
    }, env);
    assert.equal(o.server, "https://a.example:6443");
    assert.equal(o.namespace, "ns1");
    const cluster = o.kubeConfig.getCurrentCluster()!;
    assert.equal(cluster.skipTLSVerify, true);
    assert.equal(
      cluster.caFile,
      undefined,
      "--insecure-skip-tls-verify drops the CA, as kubectl does",
    );
    assert.equal(o.impersonateUser, "jane");
    assert.deepEqual(o.impersonateGroups, ["devs", "ops"]);
    assert.equal(o.timeoutMs, 90_000);
    assert.equal(o.labelSelector, "app=web");
    assert.equal(o.fieldSelector, "status.phase=Running");

    const all = await loadConnection({ allNamespaces: true }, env);
    assert.equal(all.namespace, undefined);

    const imp = await loadConnection({ context: "imp" }, env);
    assert.equal(imp.impersonateUser, "boss", "the kubeconfig user's `as` applies");
    assert.deepEqual(imp.impersonateGroups, ["g1", "g2"]);
  });
});

Deno.test("loadConnection: clear errors for unknown names, missing files and bad flags", async () => {
  await withFiles({ "a.yaml": A }, async (dir) => {
    const env = { kubeconfigVar: `${dir}/a.yaml` };
    const expectIo = async (flags: ClusterFlags, re: RegExp, e2 = env) => {
      await assert.rejects(loadConnection(flags, e2), (e) => {
        assert.ok(e instanceof IoError, String(e));
        assert.match(e.message, re);
        assert.doesNotMatch(e.message, /secret-token-a/);
        return true;
      });
    };
    // a flag naming what the kubeconfig does not have is bad usage (exit 2)
    const expectUsage = async (flags: ClusterFlags, re: RegExp) => {
      await assert.rejects(loadConnection(flags, env), (e) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, re);
        return true;
      });
    };
    await expectUsage({ context: "nope" }, /context "nope" does not exist/);
    await expectUsage({ cluster: "nope" }, /cluster "nope" does not exist/);
    await expectUsage({ user: "nope" }, /user "nope" does not exist/);
    await expectUsage({ kubeconfig: `${dir}/missing` }, /kubeconfig .*missing not found/);
    await expectIo({}, /no kubeconfig found .*--kubeconfig/, { kubeconfigVar: `${dir}/none` });
    await assert.rejects(loadConnection({ asGroup: ["g"] }, env), UsageError);
    await assert.rejects(loadConnection({ namespace: "x", allNamespaces: true }, env), UsageError);
    await assert.rejects(loadConnection({ requestTimeout: "soon" }, env), UsageError);
  });
});

Deno.test("loadConnection reads token-file users relative to the kubeconfig", async () => {
  const kc = `
current-context: c
clusters: [{name: k, cluster: {server: "https://k"}}]
users: [{name: u, user: {token-file: tok}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`;
  await withFiles({ "kc": kc, "tok": "file-token-xyz\n" }, async (dir) => {
    const conn = await loadConnection({ kubeconfig: `${dir}/kc` }, {});
    assert.equal(conn.kubeConfig.getCurrentUser()?.token?.trim(), "file-token-xyz");
    assert.deepEqual(conn.secrets, ["file-token-xyz"]);
  });
});

Deno.test("parseRequestTimeout follows kubectl: bare seconds, Go durations, 0 = none", () => {
  assert.equal(parseRequestTimeout("0"), undefined);
  assert.equal(parseRequestTimeout("30"), 30_000);
  assert.equal(parseRequestTimeout("1h2m3s"), 3_723_000);
  assert.equal(parseRequestTimeout("500ms"), 500);
  assert.equal(parseRequestTimeout("1.5s"), 1500);
  assert.throws(() => parseRequestTimeout("5 minutes"), UsageError);
  assert.throws(() => parseRequestTimeout(""), UsageError);
  assert.throws(() => parseRequestTimeout("-1s"), UsageError);
});

Deno.test("addClusterOptions adds kubectl's flags, repeatable --as-group, and can skip some", () => {
  const cmd = addClusterOptions(new Command("x").exitOverride());
  cmd.parse([
    "-n",
    "ns",
    "-l",
    "a=b",
    "--as",
    "u",
    "--as-group",
    "g1",
    "--as-group",
    "g2",
    "--context",
    "c",
    "--insecure-skip-tls-verify",
    "--request-timeout",
    "5s",
  ], { from: "user" });
  const o = cmd.opts() as ClusterFlags;
  assert.equal(o.namespace, "ns");
  assert.equal(o.selector, "a=b");
  assert.equal(o.as, "u");
  assert.deepEqual(o.asGroup, ["g1", "g2"]);
  assert.equal(o.context, "c");
  assert.equal(o.insecureSkipTlsVerify, true);
  assert.equal(o.requestTimeout, "5s");
  const skipped = addClusterOptions(new Command("y"), ["as", "asGroup"]);
  const names = skipped.options.map((op) => op.long);
  assert.ok(!names.includes("--as") && !names.includes("--as-group"));
  assert.ok(names.includes("--kubeconfig") && names.includes("--all-namespaces"));
});
