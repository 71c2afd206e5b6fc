/**
 * `kubectl falco-psp` through kubectl's own plugin discovery: `deno task install`
 * into a temp dir put first on PATH (tests/support/kubectl_plugin.ts), then the real kubectl runs the plugin
 * (help, version, real subcommands on fixtures/plugin/) and asks its completion
 * helper (`kubectl __complete falco-psp ...`, kubectl >= 1.26).
 */
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import denoJson from "../../deno.json" with { type: "json" };
import { exec, installedPlugin as installed, type Result } from "../support/kubectl_plugin.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURES = join(REPO, "fixtures", "plugin");

/** Runs main.ts directly, as the reference for what the plugin must print. */
function direct(args: string[]): Promise<Result> {
  return exec(Deno.execPath(), ["run", "-A", join(REPO, "main.ts"), ...args], {
    NO_COLOR: "1",
    HOME: Deno.env.get("HOME") ?? "/",
  });
}

Deno.test("kubectl discovers the installed plugin: plugin list, --help, --version", async () => {
  const { dir, env } = await installed();
  const list = await exec("kubectl", ["plugin", "list"], env);
  assert.match(list.stdout, new RegExp(`${dir}/bin/kubectl-falco_psp`));
  assert.doesNotMatch(list.stderr, /warning.*falco/i);

  const help = await exec("kubectl", ["falco-psp", "--help"], env);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: kubectl falco-psp \[options\] \[command\]/);
  for (const cmd of ["convert", "audit-pods", "completion"]) {
    assert.match(help.stdout, new RegExp(`\\n  ${cmd}\\b`));
  }
  const sub = await exec("kubectl", ["falco-psp", "audit-pods", "--help"], env);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stdout, /^Usage: kubectl falco-psp audit-pods /);

  const version = await exec("kubectl", ["falco-psp", "--version"], env);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), denoJson.version);
});

Deno.test("kubectl falco-psp convert on a fixture PSP prints the same rules as main.ts", async () => {
  const { env } = await installed();
  const psp = join(FIXTURES, "psp.yaml");
  const viaKubectl = await exec("kubectl", ["falco-psp", "convert", psp], env);
  assert.equal(viaKubectl.code, 0, viaKubectl.stderr);
  const rules = parse(viaKubectl.stdout) as Record<string, unknown>[];
  assert.ok(Array.isArray(rules), "a Falco rules file is a YAML list");
  const names = rules.map((r) => String(r.rule ?? "")).filter(Boolean);
  assert.ok(names.some((n) => n.includes("privileged")), names.join("\n"));
  const reference = await direct(["convert", psp]);
  assert.equal(viaKubectl.stdout, reference.stdout);
});

Deno.test("kubectl falco-psp audit-pods on fixture pods: verdicts and exit code", async () => {
  const { env } = await installed();
  const args = [
    "audit-pods",
    "--psp-file",
    join(FIXTURES, "psp.yaml"),
    "-f",
    join(FIXTURES, "pods.yaml"),
    "-o",
    "json",
  ];
  const viaKubectl = await exec("kubectl", ["falco-psp", ...args], env);
  assert.equal(viaKubectl.code, 1, `a refused pod exits 1: ${viaKubectl.stderr}`);
  const report = JSON.parse(viaKubectl.stdout);
  const verdicts = Object.fromEntries(
    report.items.map((i: { name: string; verdict: string }) => [i.name, i.verdict]),
  );
  assert.deepEqual(verdicts, { web: "changed", "root-shell": "refused" });
  assert.equal(viaKubectl.stdout, (await direct(args)).stdout);
});

Deno.test("kubectl completes the plugin through kubectl_complete-falco_psp", async () => {
  const { env } = await installed();
  const complete = async (...words: string[]) => {
    const r = await exec("kubectl", ["__complete", "falco-psp", ...words], env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    return { lines: lines.slice(0, -1), directive: lines[lines.length - 1] };
  };
  const top = await complete("");
  const topNames = top.lines.map((l) => l.split("\t")[0]);
  for (const name of ["audit-pods", "completion", "convert", "help"]) {
    assert.ok(topNames.includes(name), topNames.join());
  }
  assert.ok(top.lines.every((l) => l.includes("\t")), "with descriptions");
  assert.equal(top.directive, ":4");
  const output = await complete("audit-pods", "-o", "");
  assert.ok(output.lines.includes("json") && output.lines.includes("yaml"), output.lines.join());
  const flags = await complete("audit-pods", "--psp");
  const flagNames = flags.lines.map((l) => l.split("\t")[0]);
  assert.ok(flagNames.includes("--psp-file") && flagNames.every((f) => f.startsWith("--psp")));

  const shell = await complete("completion", "");
  assert.deepEqual(shell.lines, ["bash", "zsh", "fish"]);
});

Deno.test("kubectl completes contexts from KUBECONFIG and namespaces from the cluster", async () => {
  const { dir, env } = await installed();
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    requests.push(new URL(req.url).pathname);
    return Response.json({
      kind: "NamespaceList",
      apiVersion: "v1",
      metadata: {},
      items: ["default", "payments", "platform"].map((name) => ({ metadata: { name } })),
    });
  });
  try {
    const kubeconfig = join(dir, "kubeconfig");
    await Deno.writeTextFile(
      kubeconfig,
      `apiVersion: v1
kind: Config
current-context: local
contexts:
- {name: local, context: {cluster: local, user: me}}
- {name: staging, context: {cluster: local, user: me, namespace: web}}
clusters:
- {name: local, cluster: {server: "http://127.0.0.1:${server.addr.port}", insecure-skip-tls-verify: true}}
users:
- {name: me, user: {token: not-printed}}
`,
    );
    const withKubeconfig = { ...env, KUBECONFIG: kubeconfig };
    const ask = async (...words: string[]) => {
      const r = await exec("kubectl", ["__complete", "falco-psp", ...words], withKubeconfig);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes("not-printed"));
      return r.stdout.trimEnd().split("\n");
    };
    assert.deepEqual(await ask("audit-pods", "--context", ""), [
      "local\tcluster local",
      "staging\tcluster local, namespace web",
      ":4",
    ]);
    assert.deepEqual(await ask("audit-pods", "-n", "p"), ["payments", "platform", ":4"]);
    // (kubectl itself may ask for /version; the plugin lists namespaces once.)
    assert.equal(requests.filter((p) => p === "/api/v1/namespaces").length, 1, requests.join());
  } finally {
    await server.shutdown();
  }
});
