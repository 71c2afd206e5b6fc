/**
 * The parallel document audit gives what the one-thread audit gives: the same
 * report, warnings in the same order, the same first error; and it really uses
 * worker threads once the input is big enough.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { auditDocuments } from "../../src/audit/pool.ts";
import { type AccessCheck, type FileInputOptions, fileInputs } from "../../src/audit/inputs.ts";
import { auditPods, auditPodsInParallel } from "../../src/audit/run.ts";
import { InputError } from "../../src/io/errors.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { ReportBuilder } from "../../src/report/build.ts";
import { ORACLE_DIR } from "../support/shared.ts";

type Obj = Record<string, unknown>;
const corpus = JSON.parse(
  await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR)),
) as { psps: Obj[]; pods: (Obj & { metadata: Obj })[] };

/** The i-th pod: a corpus pod, renamed; every third one owned by a ReplicaSet of 5. */
function pod(i: number): Obj {
  const base = corpus.pods[i % corpus.pods.length];
  const meta: Obj = {
    ...base.metadata,
    name: `${base.metadata.name}-${i}`,
    namespace: `ns-${i % 7}`,
  };
  if (i % 3 === 0) {
    const rs = `${base.metadata.name}-${Math.floor(i / 15)}-abc`;
    meta.labels = { "pod-template-hash": "abc" };
    meta.ownerReferences = [{
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      name: rs,
      uid: "u",
      controller: true,
    }];
  }
  return { ...base, metadata: meta };
}

const extras: Obj[] = [
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { a: "b" } },
  {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "ns-1" },
    spec: {
      replicas: 3,
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [{ name: "c", image: "nginx", securityContext: { privileged: true } }],
        },
      },
    },
  },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "odd", namespace: "ns-2" },
    spec: { containers: [{ name: "c", image: "x", notAField: 1 }] },
  },
];

/** Writes a YAML stream and a JSON-lines file of `n` objects each (with extras mixed in). */
async function writeInputs(
  dir: string,
  n: number,
): Promise<{ yaml: string; jsonl: string; psps: string }> {
  const objects = (offset: number) => {
    const out: Obj[] = [];
    for (let i = 0; i < n; i++) {
      out.push(pod(i + offset));
      if (i % 97 === 0) out.push(extras[(i / 97) % extras.length]);
    }
    return out;
  };
  const yaml = `${dir}/pods.yaml`;
  await Deno.writeTextFile(yaml, objects(0).map((o) => `---\n${stringify(o)}`).join(""));
  const jsonl = `${dir}/pods.jsonl`;
  await Deno.writeTextFile(jsonl, objects(n).map((o) => JSON.stringify(o) + "\n").join(""));
  const psps = `${dir}/psps.yaml`;
  await Deno.writeTextFile(psps, corpus.psps.slice(0, 12).map((p) => stringify(p)).join("---\n"));
  return { yaml, jsonl, psps };
}

function options(
  filename: string[],
  pspFile: string[],
  extra: Partial<FileInputOptions> = {},
): FileInputOptions {
  return {
    pspFile,
    filename,
    recursive: false,
    auditLog: [],
    rbacFile: [],
    creatorGroups: [],
    ...extra,
  };
}

/** Runs the one-thread audit and the parallel one with `jobs`; returns both with their warnings. */
async function both(opts: FileInputOptions, jobs: number) {
  const seqWarnings: string[] = [];
  const seqInputs = fileInputs(opts, (m) => seqWarnings.push(m));
  const policies = await fileInputs(opts, () => {}).policies();
  const access = await seqInputs.access();
  const sequential = await auditPods(policies, seqInputs, access, undefined, { positions: false });
  const parWarnings: string[] = [];
  const parInputs = fileInputs(opts, (m) => parWarnings.push(m));
  const parallel = await auditPodsInParallel(
    policies,
    { documents: parInputs.documents! },
    access,
    undefined,
    {
      jobs,
      warn: (m) => parWarnings.push(m),
    },
  );
  return { sequential, parallel, seqWarnings, parWarnings, access };
}

Deno.test("auditPodsInParallel: the report and warnings of the one-thread audit, for 1 to 3 threads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = await writeInputs(dir, 700);
    for (const jobs of [1, 2, 3]) {
      const r = await both(options([f.yaml, f.jsonl], [f.psps]), jobs);
      assert.ok(r.sequential.items.length > 100);
      assert.deepEqual(r.parallel, r.sequential, `jobs ${jobs}`);
      // fileInputs' own warnings (skipped kinds) plus the unknown-field ones, in the same order
      const seq = r.seqWarnings;
      assert.ok(seq.some((w) => w.includes("notAField")), seq.join("\n"));
      assert.ok(seq.some((w) => w.includes("ConfigMap x")), seq.join("\n"));
      assert.equal(r.parWarnings.filter((w) => !seq.includes(w)).length, 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auditDocuments: starts jobs - 1 workers for a big input and audits in them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = await writeInputs(dir, 1500);
    const psps = (await fileInputs(options([f.jsonl], [f.psps])).policies()).map((p) => p.psp);
    const run = (jobs: number) => auditFile(f.jsonl, psps, jobs);
    const one = await run(1);
    assert.equal(one.stats.workers, 0);
    assert.equal(one.stats.workerBatches, 0);
    const three = await run(3);
    assert.equal(three.stats.workers, 2);
    assert.ok(three.stats.workerBatches > 0, JSON.stringify(three.stats));
    assert.equal(three.stats.documents, one.stats.documents);
    assert.deepEqual(three.report, one.report);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auditPodsInParallel: RBAC decides per pod in the workers as in this thread", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = await writeInputs(dir, 900);
    const rbac = `${dir}/rbac.yaml`;
    const psps = corpus.psps.slice(0, 12).map((p) =>
      (p as { metadata: { name: string } }).metadata.name
    );
    await Deno.writeTextFile(
      rbac,
      [
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRole",
          metadata: { name: "some" },
          rules: [{
            apiGroups: ["policy"],
            resources: ["podsecuritypolicies"],
            verbs: ["use"],
            resourceNames: psps.slice(0, 4),
          }],
        },
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: "b", namespace: "ns-1" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "some" },
          subjects: [{ kind: "Group", name: "system:serviceaccounts" }],
        },
      ].map((o) => stringify(o)).join("---\n"),
    );
    const r = await both(options([f.yaml], [f.psps], { rbacFile: [rbac] }), 2);
    assert.ok((r.access as AccessCheck).rbac, "the access check carries its RBAC objects");
    assert.deepEqual(r.parallel, r.sequential);
    // RBAC mattered: some namespaces may use PSPs others may not
    const refused = new Set(
      r.sequential.items.filter((i) => i.verdict === "refused").map((i) => i.namespace),
    );
    assert.ok(refused.size > 0 && refused.size < 7, [...refused].join(","));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The error an audit throws (its message), or "" when it does not. */
async function errorOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return "";
  } catch (e) {
    assert.ok(e instanceof InputError, `an InputError: ${(e as Error).stack}`);
    return e.message;
  }
}

/**
 * The error (message) of the one-thread audit of `opts`' inputs, asserted to be an
 * InputError and to be the parallel audit's too with each of `jobs`.
 */
async function assertSameError(opts: FileInputOptions, jobs: number[], what: string) {
  const inputs = fileInputs(opts, () => {});
  const policies = await inputs.policies();
  const seq = await errorOf(() =>
    auditPods(policies, inputs, undefined, undefined, { positions: false })
  );
  assert.notEqual(seq, "");
  for (const j of jobs) {
    const par = await errorOf(() =>
      auditPodsInParallel(
        policies,
        { documents: fileInputs(opts, () => {}).documents! },
        undefined,
        undefined,
        { jobs: j, warn: () => {} },
      )
    );
    assert.equal(par, seq, `${what} jobs ${j}`);
  }
}

/** auditDocuments of one JSON-lines file against `psps`, with its stats, warnings and report. */
async function auditFile(file: string, psps: PodSecurityPolicy[], jobs: number, workerUrl?: URL) {
  const builder = new ReportBuilder(psps.map((p) => p.metadata.name!).sort(), {
    positions: false,
  });
  const warnings: string[] = [];
  const stats = await auditDocuments(
    [{ file, kind: "objects" }],
    { policies: psps, tokenVolume: "projected" },
    builder,
    { jobs, warn: (m) => warnings.push(m), workerUrl },
  );
  return { stats, warnings, report: builder.finish() };
}

Deno.test("auditPodsInParallel: the first bad document's error, as the one-thread audit gives it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = await writeInputs(dir, 1200);
    const lines = (await Deno.readTextFile(f.jsonl)).split("\n");
    // a wrongly typed field late in the file (workers have started), then a syntax error
    lines[1000] = lines[1000].replace('"containers":[', '"containers":"nope","x":[');
    lines[1100] = "{not json";
    const bad = `${dir}/bad.jsonl`;
    await Deno.writeTextFile(bad, lines.join("\n"));
    const empty = `${dir}/empty.yaml`;
    await Deno.writeTextFile(empty, "# nothing\n---\n");
    const utf8 = `${dir}/utf8.jsonl`;
    // valid lines, then a bad one, then invalid UTF-8 further on (a read error)
    const head = new TextEncoder().encode(
      lines.slice(0, 900).join("\n") + "\n" + lines[1000] + "\n",
    );
    await Deno.writeFile(
      utf8,
      new Uint8Array([...head, ...new TextEncoder().encode(lines[5] + "\n"), 0xff, 0xfe, 0x0a]),
    );
    for (const files of [[bad], [f.yaml, empty, bad], [utf8]]) {
      await assertSameError(options(files, [f.psps]), [1, 2], files.join(" "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auditDocuments: when workers cannot start, the batches are audited in this thread, with a warning", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = await writeInputs(dir, 1500);
    const psps = (await fileInputs(options([f.jsonl], [f.psps])).policies()).map((p) => p.psp);
    const run = (jobs: number, workerUrl?: URL) => auditFile(f.jsonl, psps, jobs, workerUrl);
    const one = await run(1);
    const broken = await run(2, new URL("./no-such-worker.ts", import.meta.url));
    assert.equal(broken.stats.workers, 1);
    assert.deepEqual(broken.report, one.report);
    const failures = broken.warnings.filter((w) => /audit worker failed/.test(w));
    assert.equal(failures.length, 1, broken.warnings.join("\n"));
    assert.match(failures[0], /[^.]; auditing in the main thread$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auditPodsInParallel: audit logs (stages, Metadata level, owners, RBAC requesters) as in this thread", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fixtures = new URL("../../fixtures/audit/", import.meta.url).pathname;
    const real = (await Deno.readTextFile(`${fixtures}oracle-audit.jsonl`)).trimEnd().split("\n");
    const edge = await Deno.readTextFile(`${fixtures}audit-edge.jsonl`);
    // The real events three times over (new auditIDs each time, so none is a duplicate of
    // another round), then the edge cases: enough lines for the workers to start.
    const rounds = [0, 1, 2].map((r) =>
      real.map((l) => l.replace(/"auditID":"/, `"auditID":"r${r}-`))
    );
    const log = `${dir}/audit.log`;
    await Deno.writeTextFile(log, [...rounds.flat(), edge].join("\n"));
    const base = {
      auditLog: [log],
      rbacFile: [`${fixtures}oracle-rbac.yaml`],
    };
    for (const jobs of [1, 2]) {
      const r = await both(options([], [`${fixtures}oracle-psps.json`], base), jobs);
      assert.ok(r.sequential.summary.pods > 600, JSON.stringify(r.sequential.summary));
      assert.deepEqual(r.parallel, r.sequential, `jobs ${jobs}`);
      assert.deepEqual(r.parWarnings, r.seqWarnings);
      assert.ok(
        r.seqWarnings.some((w) => /without requestObject/.test(w)),
        r.seqWarnings.join("\n"),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auditPodsInParallel: an audit log's bad line, or a bad pod in a request's first stage, as in this thread", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fixtures = new URL("../../fixtures/audit/", import.meta.url).pathname;
    const real = (await Deno.readTextFile(`${fixtures}oracle-audit.jsonl`)).trimEnd().split("\n");
    // Every request logged twice (the same auditID: a later stage of it), the second time
    // with a wrongly typed field in its pod: skipped as a duplicate...
    const lines = [...real, ...real];
    const at = real.length + 300;
    lines[at] = lines[at].replace('"containers":[', '"containers":"nope","x":[');
    assert.notEqual(lines[at], real[300], "the pod was changed");
    const okLog = `${dir}/ok.log`;
    await Deno.writeTextFile(okLog, lines.join("\n") + "\n");
    // ...in the first stage it is the error; a line that is not JSON too.
    const badPod = [...lines];
    badPod[300] = lines[at];
    const badPodLog = `${dir}/bad-pod.log`;
    await Deno.writeTextFile(badPodLog, badPod.join("\n") + "\n");
    const notJson = [...lines];
    notJson[700] = "{nope";
    const notJsonLog = `${dir}/not-json.log`;
    await Deno.writeTextFile(notJsonLog, notJson.join("\n") + "\n");
    const ok = await both(options([], [`${fixtures}oracle-psps.json`], { auditLog: [okLog] }), 2);
    assert.deepEqual(ok.parallel, ok.sequential);
    for (const log of [badPodLog, notJsonLog]) {
      await assertSameError(
        options([], [`${fixtures}oracle-psps.json`], { auditLog: [log] }),
        [2],
        log,
      );
    }
    // a byte that is not UTF-8 past the first MiB (the reader reads 1 MiB at a time and the
    // parallel audit counts the lines it reads itself): the same line named either way
    const enc = new TextEncoder();
    const head = enc.encode(lines.join("\n") + "\n");
    assert.ok(head.length > 1 << 20);
    const badBytesLog = `${dir}/bad-bytes.log`;
    await Deno.writeFile(
      badBytesLog,
      new Uint8Array([...head, ...enc.encode(lines[0].slice(0, 40)), 0xff, 0x0a]),
    );
    const badBytes = options([], [`${fixtures}oracle-psps.json`], { auditLog: [badBytesLog] });
    await assertSameError(badBytes, [1, 2], badBytesLog);
    const inputs = fileInputs(badBytes, () => {});
    const message = await errorOf(async () =>
      auditPodsInParallel(
        await inputs.policies(),
        { documents: inputs.documents! },
        undefined,
        undefined,
        {
          jobs: 1,
          warn: () => {},
        },
      )
    );
    assert.match(message, new RegExp(`line ${lines.length + 1}\\b.*invalid UTF-8`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
