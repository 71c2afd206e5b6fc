/**
 * How the CLI ends (issue 9.14): a closed pipe quietly with the status of other CLIs, bad flag
 * values with exit 2, errors that do not repeat their own text.
 */
import assert from "node:assert/strict";
import { EXIT_BROKEN_PIPE } from "../../src/io/errors.ts";
import { runDeno } from "../support/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const NO_CLUSTER = { KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" };
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: secret-token}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`;

Deno.test("a closed pipe (| head) ends the program quietly with 141, as SIGPIPE ends other CLIs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pods = Array.from(
      { length: 3000 },
      (_, i) =>
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec:\n  containers: [{name: c, image: x}]\n`,
    ).join("---\n");
    await Deno.writeTextFile(`${dir}/pods.yaml`, pods);
    for (const output of ["table", "json"]) {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "main.ts",
          "audit-pods",
          "--psp-file",
          "fixtures/audit/psps.yaml",
          "-f",
          `${dir}/pods.yaml`,
          "--show-admitted",
          "-o",
          output,
        ],
        cwd: ROOT,
        env: { NO_COLOR: "1", ...NO_CLUSTER },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // read the first chunk, then close the pipe as `head` does
      const reader = child.stdout.getReader();
      const first = await reader.read();
      assert.ok(first.value && first.value.length > 0);
      await reader.cancel();
      const stderr = new TextDecoder().decode(
        (await new Response(child.stderr).arrayBuffer()) as ArrayBuffer,
      );
      const status = await child.status;
      assert.equal(stderr, "", `-o ${output}: no error text`);
      assert.equal(status.code, EXIT_BROKEN_PIPE, `-o ${output}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad flag values exit 2: --context, --cluster, --user, --kubeconfig, --request-timeout, --chunk-size", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/kubeconfig`, KUBECONFIG);
    const env = { KUBECONFIG: `${dir}/kubeconfig`, KUBERNETES_SERVICE_HOST: "" };
    const cases: [string[], RegExp][] = [
      [["convert", "--context", "nope"], /context "nope" does not exist/],
      [["audit-pods", "-A", "--context", "nope"], /context "nope" does not exist/],
      [["audit-pods", "-A", "--cluster", "nope"], /cluster "nope" does not exist/],
      [["audit-pods", "-A", "--user", "nope"], /user "nope" does not exist/],
      [["audit-pods", "-A", "--kubeconfig", `${dir}/missing`], /missing not found/],
      // with file inputs too: the flag is checked when parsed, not only when a cluster is read
      [
        [
          "audit-pods",
          "--psp-file",
          "fixtures/audit/psps.yaml",
          "-f",
          "fixtures/audit/workloads.yaml",
          "--request-timeout",
          "soon",
        ],
        /--request-timeout.*invalid duration "soon"/,
      ],
      [["audit-pods", "-A", "--chunk-size", "-5"], /--chunk-size.*expected a number of objects/],
    ];
    for (const [args, message] of cases) {
      const r = await runDeno(["run", "-A", "main.ts", ...args], { cwd: ROOT, env });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /secret-token/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("errors do not repeat their own text (convert's refusals of a PSP's annotations)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const psp = `apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: p
  annotations:
    falco-rules-psp-images: "[a, [b]"
spec:
  seLinux: {rule: RunAsAny}
  runAsUser: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: [secret]
`;
    await Deno.writeTextFile(`${dir}/psp.yaml`, psp);
    const r = await runDeno(["run", "-A", "main.ts", "convert", `${dir}/psp.yaml`], {
      cwd: ROOT,
      env: NO_CLUSTER,
    });
    assert.equal(r.code, 2, r.stderr);
    const field = "metadata.annotations[falco-rules-psp-images]";
    assert.equal(r.stderr.split(field).length - 1, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: ${dir}/psp\\.yaml \\(document 1[^)]*\\): `));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
