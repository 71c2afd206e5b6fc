/**
 * `audit-pods` on streamed inputs, through the real CLI (main.ts as a subprocess):
 * JSON lines read like the same objects as a YAML stream, pods read in many
 * chunks still collapse into their workload's row, and input is read
 * incrementally (a bad document fails the command while stdin is still open).
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { CEILING_MS } from "../support/ceiling.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PSPS = `${ROOT}fixtures/audit/psps.yaml`;
const DIR = await Deno.makeTempDir({ prefix: "audit_stream_" });
const ENV = { NO_COLOR: "1", KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function spawn(args: string[], stdin: "null" | "piped" = "null") {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "audit-pods", "--psp-file", PSPS, ...args],
    cwd: ROOT,
    stdin,
    stdout: "piped",
    stderr: "piped",
    env: ENV,
  }).spawn();
}

async function run(args: string[]): Promise<Run> {
  const out = await spawn(args).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

type Obj = Record<string, unknown>;

/** A pod; `rs` makes it one of that ReplicaSet's pods. */
function pod(name: string, sc: Obj = {}, rs?: string): Obj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "apps",
      ...(rs
        ? {
          labels: { "pod-template-hash": "abc12" },
          ownerReferences: [{
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: rs,
            controller: true,
          }],
        }
        : {}),
    },
    spec: { containers: [{ name: "app", image: "nginx", securityContext: sc }] },
  };
}

const PODS = [
  pod("plain"),
  pod("priv", { privileged: true }),
  pod("escalates", { allowPrivilegeEscalation: true }),
  pod("web-abc12-x1", {}, "web-abc12"),
  pod("web-abc12-x2", {}, "web-abc12"),
];

Deno.test("JSON lines and a YAML stream of the same pods give the same report", async () => {
  const yamlFile = `${DIR}/pods.yaml`;
  const jsonFile = `${DIR}/pods.jsonl`;
  await Deno.writeTextFile(yamlFile, PODS.map((p) => stringify(p)).join("---\n"));
  await Deno.writeTextFile(jsonFile, PODS.map((p) => JSON.stringify(p)).join("\n") + "\n");
  const fromYaml = await run(["-f", yamlFile, "-o", "json", "--policy", "restricted"]);
  const fromJson = await run(["-f", jsonFile, "-o", "json", "--policy", "restricted"]);
  assert.equal(fromYaml.code, 1, fromYaml.stderr);
  assert.equal(fromJson.code, 1, fromJson.stderr);
  const y = JSON.parse(fromYaml.stdout);
  const j = JSON.parse(fromJson.stdout);
  // Sources name the file, the document and its line: same document numbers, other file;
  // a JSON line is the document of that number, a YAML document starts further down.
  type Src = { file: string; document: number; line: number; display: string };
  const src = (items: Obj[]) => items.map((i) => i.source as Src);
  assert.deepEqual(
    src(j.items).map((s) => [s.file, s.document]),
    src(y.items).map((s) => [jsonFile, s.document]),
  );
  for (const s of src(j.items)) assert.equal(s.display, `${jsonFile}:${s.document}`);
  const yamlLines = (await Deno.readTextFile(yamlFile)).split("\n");
  for (const s of src(y.items)) {
    assert.equal(s.display, `${yamlFile}:${s.line}`);
    assert.equal(yamlLines[s.line - 1], "apiVersion: v1", "the line is where the object starts");
  }
  assert.ok(src(y.items).some((s) => s.line > s.document), "lines, not document numbers");
  const strip = (items: Obj[]) => items.map(({ source: _, ...rest }) => rest);
  assert.deepEqual(strip(j.items), strip(y.items));
  assert.deepEqual(j.summary, y.summary);
  const web = j.items.find((i: Obj) => i.name === "web");
  assert.equal(web?.kind, "Deployment");
  assert.equal(web?.pods, 2);
  assert.ok(j.items.some((i: Obj) => i.name === "priv" && i.verdict === "refused"));
});

Deno.test("pods read over many chunks collapse into their workload's row", async () => {
  const file = `${DIR}/many.jsonl`;
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) lines.push(JSON.stringify(pod(`web-abc12-${i}`, {}, "web-abc12")));
  lines.push(JSON.stringify(pod("priv", { privileged: true })));
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  assert.ok((await Deno.stat(file)).size > 4 * 64 * 1024, "several read chunks");
  const r = await run(["-f", file, "-o", "json", "--policy", "restricted"]);
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(
    report.items.map((i: Obj) => [i.kind, i.name, i.pods, i.verdict]),
    [["Deployment", "web", 3000, "changed"], ["Pod", "priv", 1, "refused"]],
  );
  assert.equal(report.summary.pods, 3001);
});

Deno.test("a bad JSON line: exit 2 naming file, document and line; nothing on stdout", async () => {
  const file = `${DIR}/bad.jsonl`;
  await Deno.writeTextFile(
    file,
    [JSON.stringify(PODS[0]), "", JSON.stringify(PODS[1]), `{"apiVersion": "v1", "kind": `].join(
      "\n",
    ),
  );
  const r = await run(["-f", file]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    new RegExp(`^error: ${file} \\(document 3, line 4:\\d+\\): invalid YAML/JSON`),
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
});

Deno.test("input is read incrementally: a bad document fails the audit while stdin is open", async () => {
  const child = spawn(["-f", "-"], "piped");
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(
    stringify(PODS[0]) + "---\n" + "apiVersion: v1\nkind: Pod\nmetadata: [not, a, mapping\n---\n",
  ));
  // stdin stays open: the command must fail on what it has read so far. (A reader that
  // waits for the end of input would only fail once this timer closes stdin, at the ceiling.)
  let closedByTimer = false;
  const timer = setTimeout(() => {
    closedByTimer = true;
    w.close().catch(() => {});
  }, CEILING_MS);
  const out = await child.output();
  clearTimeout(timer);
  await w.close().catch(() => {});
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(
    closedByTimer,
    false,
    `the command waited for the end of input (${CEILING_MS} ms ceiling)`,
  );
  assert.equal(out.code, 2, stderr);
  assert.match(stderr, /^error: - \(document 2, line \d+:\d+\): invalid YAML\/JSON/);
});

Deno.test("--jobs: 1, 2 and 3 threads print the same report, warnings and exit code", async () => {
  const file = `${DIR}/jobs.jsonl`;
  const lines: string[] = [];
  for (let i = 0; i < 2500; i++) {
    const p = pod(
      `p-${i}`,
      i % 3 === 0 ? { privileged: true } : {},
      i % 2 ? "web-abc12" : undefined,
    );
    if (i % 500 === 7) (p.spec as { containers: Obj[] }).containers[0].extra = i;
    lines.push(JSON.stringify(p));
  }
  lines.push(JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" } }));
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  const runs = [];
  for (const jobs of ["1", "2", "3"]) {
    runs.push(await run(["-f", file, "-o", "json", "--policy", "restricted", "--jobs", jobs]));
  }
  assert.equal(runs[0].code, 1, runs[0].stderr);
  assert.match(runs[0].stderr, /unknown field spec\.containers\[0\]\.extra/);
  assert.match(runs[0].stderr, /Secret x1/);
  for (const r of runs.slice(1)) {
    assert.equal(r.code, runs[0].code);
    assert.equal(r.stderr, runs[0].stderr);
    assert.equal(r.stdout, runs[0].stdout);
  }
});

Deno.test("--jobs takes a whole number from 1 to 64", async () => {
  for (const bad of ["0", "65", "two", "1.5", "-1"]) {
    const r = await run(["-f", `${ROOT}fixtures/audit/workloads.yaml`, "--jobs", bad]);
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /--jobs.*expected a whole number from 1 to 64/);
  }
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(DIR, { recursive: true });
  } catch { /* gone */ }
});
