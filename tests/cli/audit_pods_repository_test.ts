/**
 * audit-pods on a repository as it is (issue 9.10): a directory with kustomize files and
 * patches, a Helm chart, CRDs and an empty file is audited, each document that is not a
 * Kubernetes object (or only part of one) skipped with one warning naming file, document and
 * why; --strict makes them errors; a file named on the command line is read strictly.
 */
import assert from "node:assert/strict";
import { runDeno } from "../support/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        securityContext: {privileged: true}
`;

const REPOSITORY: Record<string, string> = {
  "base/deploy.yaml": DEPLOYMENT,
  "base/kustomization.yaml":
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deploy.yaml]\n",
  "base/empty.yaml": "",
  "overlays/prod/patch.yaml":
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        resources: {limits: {cpu: '1'}}\n",
  "overlays/prod/json6902.yaml": "- op: replace\n  path: /spec/replicas\n  value: 3\n",
  "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
  "chart/values.yaml": "image: {repository: nginx}\nprivileged: false\n",
  "chart/templates/pod.yaml":
    "{{- if .Values.enabled }}\napiVersion: v1\nkind: Pod\nmetadata: {name: x}\n{{- end }}\n",
  "crds/widget.yaml":
    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com}\n",
};

async function repository(extra: Record<string, string> = {}): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [path, text] of Object.entries({ ...REPOSITORY, ...extra })) {
    await Deno.mkdir(`${dir}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/${path}`, text);
  }
  return dir;
}

function audit(args: string[]) {
  return runDeno([
    "run",
    "-A",
    "main.ts",
    "audit-pods",
    "--psp-file",
    "fixtures/audit/psps.yaml",
    "--policy",
    "restricted",
    ...args,
  ], { cwd: ROOT, env: { KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" } });
}

Deno.test("a repository directory: what is not a Kubernetes object is skipped, one warning each, the rest audited", async () => {
  const dir = await repository();
  try {
    const r = await audit(["-f", dir, "-R", "-o", "json"]);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as {
      items: { kind: string; name: string; verdict: string }[];
    };
    assert.deepEqual(report.items.map((i) => [i.kind, i.name, i.verdict]), [
      ["Deployment", "web", "refused"],
    ]);
    const warnings = r.stderr.trimEnd().split("\n");
    const skip = (file: string, why: RegExp) => {
      const found = warnings.filter((w) => w.startsWith(`warning: ${dir}/${file}`));
      assert.equal(found.length, 1, `one warning for ${file}:\n${r.stderr}`);
      assert.match(found[0], why);
      assert.match(found[0], /--strict makes this an error/);
    };
    skip("base/empty.yaml", /empty input/);
    skip("chart/Chart.yaml", /\(document 1, line 1:1\): not a Kubernetes object/);
    skip("chart/values.yaml", /not a Kubernetes object \(no apiVersion or kind\)/);
    skip(
      "chart/templates/pod.yaml",
      /\(document 1, line 1:1\): an unrendered template.*render it first/,
    );
    skip("overlays/prod/json6902.yaml", /expected a Kubernetes object/);
    skip("overlays/prod/patch.yaml", /spec\.selector: Required value: a partial Deployment/);
    assert.match(
      r.stderr,
      /skipped objects that hold no pod \(Kustomization x1, CustomResourceDefinition x1\)/,
    );
    assert.equal(warnings.length, 7, r.stderr);

    // the same report and warnings from worker threads (more than 512 documents)
    const pods = Array.from(
      { length: 600 },
      (_, i) =>
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec:\n  containers: [{name: c, image: x}]\n`,
    ).join("---\n");
    await Deno.writeTextFile(`${dir}/base/pods.yaml`, pods);
    const one = await audit(["-f", dir, "-R", "-o", "json", "-j", "1"]);
    const two = await audit(["-f", dir, "-R", "-o", "json", "-j", "2"]);
    assert.equal(one.code, 1, one.stderr);
    assert.equal(two.stdout, one.stdout);
    assert.equal(two.stderr, one.stderr);
    assert.equal(JSON.parse(one.stdout).items.length, 601);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--strict: the first such document is an error (exit 2); a file named on the command line is read strictly", async () => {
  const dir = await repository();
  try {
    const strict = await audit(["-f", dir, "-R", "--strict"]);
    assert.equal(strict.code, 2, strict.stderr);
    assert.match(strict.stderr, new RegExp(`^error: ${dir}/base/empty\\.yaml: empty input`, "m"));
    const named = await audit(["-f", `${dir}/chart/templates/pod.yaml`]);
    assert.equal(named.code, 2, named.stderr);
    assert.match(
      named.stderr,
      /^error: .*pod\.yaml \(document 1, line 1:1\): an unrendered template/m,
    );
    const values = await audit([
      "-f",
      `${dir}/base/deploy.yaml`,
      "-f",
      `${dir}/overlays/prod/json6902.yaml`,
    ]);
    assert.equal(values.code, 2, values.stderr);
    assert.match(
      values.stderr,
      /json6902\.yaml \(document 1, line 1:1\): expected a Kubernetes object/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PSP and RBAC directories of a repository: what is not a Kubernetes object is skipped, in audit-pods and convert", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const psps = await Deno.readTextFile(`${ROOT}fixtures/audit/psps.yaml`);
    const files: Record<string, string> = {
      "psp/psps.yaml": psps,
      "psp/kustomization.yaml":
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [psps.yaml]\n",
      "psp/template.yaml":
        "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: {{ .Values.name }}\n",
      "psp/empty.yaml": "",
      "rbac/role.yaml":
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: use-restricted}\nrules:\n- {apiGroups: [policy], resources: [podsecuritypolicies], verbs: [use], resourceNames: [restricted]}\n",
      "rbac/patch.yaml": "- op: add\n  path: /rules/-\n",
      "pods/deploy.yaml": DEPLOYMENT,
    };
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(`${dir}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, text);
    }
    const run = (args: string[]) =>
      runDeno(["run", "-A", "main.ts", ...args], {
        cwd: ROOT,
        env: { KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" },
      });
    const audited = await run([
      "audit-pods",
      "--psp-file",
      `${dir}/psp`,
      "--rbac-file",
      `${dir}/rbac`,
      "-f",
      `${dir}/pods`,
      "-o",
      "json",
    ]);
    assert.equal(audited.code, 1, audited.stderr);
    assert.equal(JSON.parse(audited.stdout).items.length, 1);
    for (const file of ["psp/template.yaml", "psp/empty.yaml", "rbac/patch.yaml"]) {
      const found = audited.stderr.split("\n").filter((l) =>
        l.startsWith(`warning: ${dir}/${file}`)
      );
      assert.equal(found.length, 1, `${file}:\n${audited.stderr}`);
      assert.match(found[0], /--strict makes this an error/);
    }
    assert.match(audited.stderr, /template\.yaml \(document 1, line 4:9\): an unrendered template/);

    const converted = await run(["convert", `${dir}/psp`]);
    assert.equal(converted.code, 0, converted.stderr);
    assert.match(converted.stdout, /PodSecurityPolicy object\(s\): privileged, restricted/);
    assert.match(converted.stderr, /template\.yaml .*render it first/);

    for (
      const args of [["convert", `${dir}/psp`, "--strict"], [
        "audit-pods",
        "--psp-file",
        `${dir}/psp`,
        "-f",
        `${dir}/pods`,
        "--strict",
      ]]
    ) {
      const strict = await run(args);
      assert.equal(strict.code, 2, strict.stderr);
      assert.match(strict.stderr, /^error: .*(empty\.yaml|template\.yaml)/m);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
