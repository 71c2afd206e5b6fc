import assert from "node:assert/strict";
import { InputError } from "../../src/io/errors.ts";
import {
  type AuditLogStats,
  auditLogSubjects,
  readAuditLine,
  readLines,
} from "../../src/workloads/audit_log.ts";
import type { OwnerEdge } from "../../src/workloads/extract.ts";
import type { PodSubject } from "../../src/workloads/subject.ts";

const dir = new URL("../../fixtures/audit/", import.meta.url).pathname;

async function collect(file: string, stats?: AuditLogStats, lines?: AsyncIterable<string>) {
  const out: PodSubject[] = [];
  for await (const s of auditLogSubjects(file, stats, lines)) out.push(s);
  return out;
}

async function* linesOf(...lines: string[]) {
  yield* lines;
}

Deno.test("every pod create of the real audit log is a subject with its user and namespace", async () => {
  const subjects = await collect(`${dir}oracle-audit.jsonl`);
  const expected = (await Deno.readTextFile(`${dir}oracle-audit.jsonl`)).trim().split("\n").length;
  assert.equal(subjects.length, expected);
  const first = subjects[0];
  assert.equal(first.pod.metadata.name, "plain");
  assert.equal(first.namespace, "corpus");
  assert.deepEqual(first.requester, {
    user: "u-restricted",
    groups: ["g-u-restricted", "system:authenticated"],
  });
  assert.deepEqual(first.source, { file: `${dir}oracle-audit.jsonl`, line: 1 });
  assert.equal(first.workload.kind, "Pod");
  assert.equal(subjects[3].pod.spec.containers[0].securityContext?.privileged, true);
});

Deno.test("stages, metadata-level events, other resources and subresources are handled", async () => {
  const stats: AuditLogStats = { withoutRequestObject: 0, duplicates: 0 };
  const edges: OwnerEdge[] = [];
  const subjects: PodSubject[] = [];
  const file = `${dir}audit-edge.jsonl`;
  for await (const s of auditLogSubjects(file, stats, undefined, (e) => edges.push(e))) {
    subjects.push(s);
  }
  assert.deepEqual(
    subjects.map((s) => [s.source.line, s.pod.metadata.name ?? s.pod.metadata.generateName]),
    [
      [2, "privileged"],
      [7, "priv-as-all"],
      [8, "api-7c9d6-"],
      [9, "api-7c9d6-"],
      [11, "nightly-27830000-"],
    ],
  );
  assert.deepEqual(edges, [{
    child: { kind: "Job", namespace: "shop", name: "nightly-27830000" },
    owner: { kind: "CronJob", namespace: "shop", name: "nightly" },
  }], "a Job created by the CronJob controller links its pods to the CronJob");
  assert.equal(
    stats.withoutRequestObject,
    1,
    "the Metadata-level event; not the RequestReceived stage",
  );
  const impersonated = subjects[1];
  assert.equal(impersonated.namespace, "team-a");
  assert.equal(impersonated.pod.metadata.namespace, "team-a");
  assert.equal(impersonated.requester?.user, "u-all");
  const rsPod = subjects[2];
  assert.deepEqual(rsPod.owner, { kind: "ReplicaSet", namespace: "shop", name: "api-7c9d6" });
  assert.equal(rsPod.requester?.user, "system:serviceaccount:kube-system:replicaset-controller");
});

Deno.test("a line that is not an audit event names file and line", async () => {
  await assert.rejects(
    collect("log", undefined, linesOf("", "{not json")),
    (e: unknown) =>
      e instanceof InputError && /^log \(line 2\): not a JSON audit event/.test(e.message),
  );
  await assert.rejects(
    collect("log", undefined, linesOf('{"kind":"Pod","apiVersion":"v1"}')),
    /log \(line 1\): expected an audit\.k8s\.io Event/,
  );
});

Deno.test("a malformed requestObject is an input error at its line", async () => {
  const ev = {
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    verb: "create",
    auditID: "a",
    objectRef: { resource: "pods", namespace: "n" },
    requestObject: {
      kind: "Pod",
      apiVersion: "v1",
      metadata: { name: "p" },
      spec: { containers: "x" },
    },
  };
  await assert.rejects(
    collect("log", undefined, linesOf(JSON.stringify(ev))),
    /log \(line 1\): spec\.containers: expected a list/,
  );
});

Deno.test("readLines splits across chunks and keeps a last line without newline", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "a\n" + "é".repeat(70000) + "\nlast");
    const lines: string[] = [];
    for await (const l of readLines(file)) lines.push(l);
    assert.deepEqual(lines.map((l) => l.length), [1, 70000, 4]);
    await Deno.writeFile(file, new Uint8Array([0x7b, 0xff, 0x0a]));
    await assert.rejects(async () => {
      for await (const _ of readLines(file)) { /* drain */ }
    }, /invalid UTF-8/);
  } finally {
    await Deno.remove(file);
  }
  await assert.rejects(async () => {
    for await (const _ of readLines("/nonexistent/audit.log")) { /* drain */ }
  }, /no such file/);
});

Deno.test("readAuditLine: a request whose pod was read already is not read again (known auditID)", () => {
  const event = {
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    auditID: "a-1",
    verb: "create",
    objectRef: { resource: "pods", namespace: "ns", apiVersion: "v1" },
    requestObject: { metadata: { name: "p" }, spec: { containers: "nope" } },
  };
  const line = JSON.stringify(event);
  const first = readAuditLine(line, "f.log", 1);
  assert.ok(first.podCreation?.error, "a wrongly typed pod is an error the first time");
  const again = readAuditLine(line, "f.log", 2, (id) => id === "a-1");
  assert.deepEqual(again.podCreation, { id: "a-1", hasObject: true });
  const other = readAuditLine(line, "f.log", 3, (id) => id === "b-2");
  assert.ok(other.podCreation?.error);
});
