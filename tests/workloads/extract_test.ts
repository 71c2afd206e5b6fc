import assert from "node:assert/strict";
import { loadObjects, parseObjects } from "../../src/io/documents.ts";
import { InputError } from "../../src/io/errors.ts";
import { controllerOf, extractFromObject } from "../../src/workloads/extract.ts";

const FIXTURE = new URL("../../fixtures/audit/workloads.yaml", import.meta.url).pathname;

async function fixtureSubjects() {
  const objects = await loadObjects([FIXTURE]);
  return objects.map((o) => ({ kind: o.object.kind, ...extractFromObject(o) }));
}

Deno.test("every workload kind yields the pod its controller would create", async () => {
  const got = await fixtureSubjects();
  const byKind = new Map(got.filter((g) => g.subject).map((g) => [g.kind, g.subject!]));
  const deploy = byKind.get("Deployment")!;
  assert.equal(deploy.pod.metadata.name, "web");
  assert.equal(deploy.pod.metadata.namespace, "shop");
  assert.equal(deploy.namespace, "shop");
  assert.equal(deploy.pod.spec.serviceAccountName, "web");
  assert.equal(deploy.pod.spec.containers[0].image, "nginx:1.25");
  assert.deepEqual(deploy.pod.metadata.labels, { app: "web" });
  assert.equal(deploy.podCount, 3);
  assert.equal(deploy.fromTemplate, true);
  assert.deepEqual(deploy.podPath, ["spec", "template"]);

  const sts = byKind.get("StatefulSet")!;
  assert.equal(sts.podCount, 2);
  assert.equal(sts.pod.spec.serviceAccountName, "default", "no SA in the template: default");
  assert.equal(byKind.get("DaemonSet")!.podCount, null);
  assert.equal(byKind.get("DaemonSet")!.podsPer, "node", "one pod per node: unknown from files");
  assert.equal(byKind.get("DaemonSet")!.pod.spec.hostNetwork, true);
  assert.equal(byKind.get("Job")!.podCount, 1, "no completions or parallelism: one pod");
  assert.equal(byKind.get("Job")!.podsPer, undefined);
  const cron = byKind.get("CronJob")!;
  assert.deepEqual([cron.podCount, cron.podsPer], [1, "run"]);
  assert.deepEqual(cron.podPath, ["spec", "jobTemplate", "spec", "template"]);
  assert.equal(cron.pod.spec.initContainers?.[0].securityContext?.privileged, true);
  assert.equal(byKind.get("ReplicationController")!.podCount, 0, "scaled to zero is still audited");
  const tmpl = byKind.get("PodTemplate")!;
  assert.deepEqual(tmpl.podPath, ["template"]);
  assert.equal(tmpl.workload.name, "debug-template");
  assert.equal(got.find((g) => g.kind === "ConfigMap")!.subject, undefined);
});

Deno.test("pods keep their owner; a ReplicaSet's owner becomes an edge", async () => {
  const got = await fixtureSubjects();
  const rs = got.find((g) => g.kind === "ReplicaSet")!;
  assert.deepEqual(rs.edge, {
    child: { kind: "ReplicaSet", namespace: "shop", name: "web-5d4f8" },
    owner: { kind: "Deployment", namespace: "shop", name: "web" },
  });
  const pods = got.filter((g) => g.kind === "Pod");
  assert.equal(pods.length, 2);
  for (const p of pods) {
    assert.deepEqual(p.subject!.owner, {
      kind: "ReplicaSet",
      namespace: "shop",
      name: "web-5d4f8",
    });
    assert.equal(p.subject!.podCount, 1);
    assert.equal(p.subject!.fromTemplate, false);
    assert.equal(p.subject!.source.item !== undefined, true, "List items keep their index");
  }
});

Deno.test("a bare pod gets the default namespace and service account without changing the input", () => {
  const [lo] = parseObjects(
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n",
    "p.yaml",
  );
  const before = structuredClone(lo.object);
  const { subject } = extractFromObject(lo);
  assert.equal(subject!.namespace, "default");
  assert.equal(subject!.pod.metadata.namespace, "default");
  assert.equal(subject!.pod.spec.serviceAccountName, "default");
  assert.deepEqual(lo.object, before);
  assert.equal(extractFromObject(lo, "team").subject!.namespace, "team");
});

Deno.test("the deprecated serviceAccount field names the service account", () => {
  const [lo] = parseObjects(
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec: {serviceAccount: old, containers: [{name: a}]}\n",
    "p.yaml",
  );
  assert.equal(extractFromObject(lo).subject!.pod.spec.serviceAccountName, "old");
});

Deno.test("kinds in a foreign API group are not workloads", () => {
  const [lo] = parseObjects(
    "apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: a}]}}}\n",
    "x.yaml",
  );
  assert.deepEqual(extractFromObject(lo), {});
});

Deno.test("a wrongly typed field is an input error naming file, document, line and field", () => {
  const text = [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata: {name: c}",
    "---",
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata: {name: d}",
    "spec:",
    "  template:",
    "    spec:",
    "      containers:",
    "        - name: a",
    "          securityContext:",
    '            privileged: "yes"',
  ].join("\n");
  const los = parseObjects(text, "d.yaml");
  assert.throws(() => extractFromObject(los[1]), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.exitCode, 2);
    assert.match(
      e.message,
      /^d\.yaml \(document 2, line 14:25\): spec\.template\.spec\.containers\[0\]\.securityContext\.privileged: expected a boolean, got string "yes"$/,
    );
    return true;
  });
});

Deno.test("a workload without a template or a name is an input error", () => {
  const [noTmpl] = parseObjects(
    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {}\n",
    "c.yaml",
  );
  assert.throws(
    () => extractFromObject(noTmpl),
    /spec\.jobTemplate\.spec\.template: required field is missing/,
  );
  const [noName] = parseObjects(
    "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {}\nspec: {template: {spec: {containers: [{name: a}]}}}\n",
    "d.yaml",
  );
  assert.throws(() => extractFromObject(noName), /metadata\.name: required field is missing/);
  const [badReplicas] = parseObjects(
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: two, template: {spec: {containers: [{name: a}]}}}\n",
    "d.yaml",
  );
  assert.throws(() => extractFromObject(badReplicas), /spec\.replicas: expected an integer/);
});

Deno.test("controllerOf prefers the controller reference, else a single reference", () => {
  assert.deepEqual(
    controllerOf({
      ownerReferences: [
        { kind: "Other", name: "o" },
        { kind: "Job", name: "j", controller: true },
      ],
    }, "ns"),
    { kind: "Job", namespace: "ns", name: "j" },
  );
  assert.deepEqual(controllerOf({ ownerReferences: [{ kind: "StatefulSet", name: "s" }] }, "ns"), {
    kind: "StatefulSet",
    namespace: "ns",
    name: "s",
  });
  assert.equal(
    controllerOf({ ownerReferences: [{ kind: "Node", name: "n", controller: true }] }, "ns"),
    undefined,
    "mirror pods of static pods stay separate rows",
  );
  assert.equal(
    controllerOf({ ownerReferences: [{ kind: "A", name: "a" }, { kind: "B", name: "b" }] }, "ns"),
    undefined,
  );
  assert.equal(controllerOf({}, "ns"), undefined);
});

Deno.test("a Job counts completions, else parallelism (a work queue); a CronJob per run", () => {
  const job = (spec: string, kind = "Job") =>
    extractFromObject(
      parseObjects(
        kind === "Job"
          ? `apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {${spec}template: {spec: {containers: [{name: a}]}}}\n`
          : `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {schedule: "* * * * *", jobTemplate: {spec: {${spec}template: {spec: {containers: [{name: a}]}}}}}\n`,
        "j.yaml",
      )[0],
    ).subject!;
  assert.equal(job("completions: 5, parallelism: 2, ").podCount, 5);
  assert.equal(job("parallelism: 3, ").podCount, 3);
  assert.equal(job("").podCount, 1);
  assert.equal(job("completions: 0, ").podCount, 0);
  const cron = job("completions: 4, ", "CronJob");
  assert.deepEqual([cron.podCount, cron.podsPer], [4, "run"]);
});
