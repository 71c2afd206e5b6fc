/**
 * Issue 9.3 and 9.4 through the CLI: the same workload in two files (one folder per
 * environment) gives a row, a SARIF result and a JUnit case per file, in every format, and
 * each row's source names its file, line and document.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { type DenoRun, runDeno } from "../support/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PSPS = `${ROOT}fixtures/audit/psps.yaml`;

function deployment(replicas: number, privileged: boolean): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: shop}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: app:1
          securityContext: {privileged: ${privileged}}
`;
}

/** prod/app.yaml: a long ConfigMap, then Deployment/app at line 36 (document 2). */
async function environments(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "falco-psp-envs-" });
  await Deno.mkdir(`${dir}/prod`);
  await Deno.mkdir(`${dir}/staging`);
  const data = Array.from({ length: 30 }, (_, i) => `  k${i}: v${i}`).join("\n");
  await Deno.writeTextFile(
    `${dir}/prod/app.yaml`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata:\n${data}\n---\n${
      deployment(3, true)
    }`,
  );
  await Deno.writeTextFile(`${dir}/staging/app.yaml`, deployment(1, true));
  return dir;
}

function audit(dir: string, ...args: string[]): Promise<DenoRun> {
  return auditEnv(dir, {}, ...args);
}

function auditEnv(dir: string, env: Record<string, string>, ...args: string[]): Promise<DenoRun> {
  return runDeno(
    [
      "run",
      "-A",
      `${ROOT}main.ts`,
      "audit-pods",
      "--psp-file",
      PSPS,
      "--policy",
      "restricted",
      ...args,
    ],
    {
      cwd: dir,
      env: {
        KUBECONFIG: "/nonexistent/kubeconfig",
        KUBERNETES_SERVICE_HOST: "",
        COLUMNS: "",
        ...env,
      },
    },
  );
}

const FILES = ["-f", "prod/app.yaml", "-f", "staging/app.yaml"];
const PROD = {
  file: "prod/app.yaml",
  line: 36,
  column: 1,
  document: 2,
  display: "prod/app.yaml:36",
};
const STAGING = {
  file: "staging/app.yaml",
  line: 1,
  column: 1,
  document: 1,
  display: "staging/app.yaml:1",
};

Deno.test("the same Deployment in two files: two rows in JSON and YAML, each with file, line, document", async () => {
  const dir = await environments();
  try {
    const json = await audit(dir, ...FILES, "-o", "json");
    assert.equal(json.code, 1, json.stderr);
    const doc = JSON.parse(json.stdout);
    assert.deepEqual(
      doc.items.map((
        i: { kind: string; name: string; pods: number; verdict: string; source: unknown },
      ) => [i.kind, i.name, i.pods, i.verdict, i.source]),
      [["Deployment", "app", 3, "refused", PROD], ["Deployment", "app", 1, "refused", STAGING]],
    );
    assert.deepEqual([doc.summary.items, doc.summary.refused, doc.summary.pods], [2, 2, 4]);
    const yaml = await audit(dir, ...FILES, "-o", "yaml");
    assert.deepEqual(parseYaml(yaml.stdout), doc);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the same Deployment in two files: SARIF results and JUnit cases for both", async () => {
  const dir = await environments();
  try {
    const sarif = JSON.parse((await audit(dir, ...FILES, "-o", "sarif")).stdout);
    const results = sarif.runs[0].results as {
      locations: {
        physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
      }[];
      properties: { source: unknown };
    }[];
    const at = results.map((r) => [
      r.locations[0].physicalLocation.artifactLocation.uri,
      r.locations[0].physicalLocation.region.startLine,
    ]);
    // The privileged field: line 13 of the Deployment, in either file.
    assert.deepEqual(at, [["prod/app.yaml", 35 + 13], ["staging/app.yaml", 13]]);
    assert.deepEqual(results.map((r) => r.properties.source), [PROD, STAGING]);

    const junit = (await audit(dir, ...FILES, "-o", "junit")).stdout;
    assert.match(junit, /<testsuites [^>]*tests="2" failures="2"/);
    for (const f of ["prod/app.yaml", "staging/app.yaml"]) {
      assert.match(
        junit,
        new RegExp(
          `<testsuite name="${f}" tests="1" failures="1"[^]*?name="Deployment/app" file="${f}"`,
        ),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the table: a row per file with a SOURCE column, fitting COLUMNS", async () => {
  const dir = await environments();
  try {
    const whole = await audit(dir, ...FILES);
    assert.equal(whole.code, 1, whole.stderr);
    const lines = whole.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^NAMESPACE\s+WORKLOAD\s+SOURCE\s+PODS\s+VERDICT\s+PSP\s+REASONS$/);
    assert.match(
      lines[1],
      /^shop\s+Deployment\/app\s+prod\/app\.yaml:36\s+3\s+refused\s+-\s+restricted: /,
    );
    assert.match(lines[2], /^shop\s+Deployment\/app\s+staging\/app\.yaml:1\s+1\s+refused/);
    assert.ok(lines[1].length > 100, "a pipe without COLUMNS: whole lines");
    for (const columns of [80, 100, 120]) {
      const narrow = await auditEnv(dir, { COLUMNS: String(columns) }, ...FILES);
      const cut = narrow.stdout.trimEnd().split("\n");
      assert.equal(cut.length, lines.length);
      for (const l of cut) assert.ok(l.length <= columns, l);
      // The rows keep their names whole; the reasons are cut to what is left.
      // Names stay readable; a cut source keeps its end (the line).
      assert.match(cut[1], /^shop\s+Deployment\/app\s+(prod|…)\S*app\.yaml:36\s+3\s+refused\s+-/);
      if (columns >= 100) assert.match(cut[1], /-\s+restricted: spec\.\S*…$/);
    }
    const one = await audit(dir, "-f", "prod/app.yaml");
    assert.ok(!one.stdout.includes("SOURCE"), "one file: no SOURCE column");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
