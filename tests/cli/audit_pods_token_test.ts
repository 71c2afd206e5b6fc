import assert from "node:assert/strict";
import { runDeno } from "../support/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function auditPods(args: string[], files: Record<string, string>) {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    return await runDeno(["run", "-A", "--quiet", `${ROOT}main.ts`, "audit-pods", ...args], {
      cwd: dir,
      env: { KUBECONFIG: `${dir}/missing-kubeconfig` },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const PSP = `apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: no-secrets}
spec:
  volumes: [configMap, emptyDir]
  seLinux: {rule: RunAsAny}
  runAsUser: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
`;
const POD = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers: [{name: web, image: nginx}]
`;

Deno.test("audit-pods adds the ServiceAccount token volume before admission, as a cluster does", async () => {
  const files = { "psp.yaml": PSP, "pod.yaml": POD };
  const args = ["--psp-file", "psp.yaml", "-f", "pod.yaml", "-o", "json"];
  const projected = await auditPods(args, files);
  assert.equal(projected.code, 1, projected.stderr);
  const item = JSON.parse(projected.stdout).items[0];
  assert.equal(item.verdict, "refused");
  assert.deepEqual(item.results[0].violations.map((v: { text: string }) => v.text), [
    'spec.volumes[0]: Invalid value: "projected": projected volumes are not allowed to be used',
  ]);

  const secret = await auditPods([...args, "--service-account-token", "secret"], files);
  assert.equal(
    JSON.parse(secret.stdout).items[0].results[0].violations[0].text,
    'spec.volumes[0]: Invalid value: "secret": secret volumes are not allowed to be used',
  );

  const none = await auditPods([...args, "--service-account-token", "none"], files);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(JSON.parse(none.stdout).items[0].verdict, "admitted");

  const optedOut = await auditPods(args, {
    ...files,
    "pod.yaml": POD.replace("spec:\n", "spec:\n  automountServiceAccountToken: false\n"),
  });
  assert.equal(optedOut.code, 0, optedOut.stderr);
});
