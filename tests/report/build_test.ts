import assert from "node:assert/strict";
import { parseObjects } from "../../src/io/documents.ts";
import { admittedView, objectPath, ReportBuilder } from "../../src/report/build.ts";
import type { ReportPolicyResult } from "../../src/report/model.ts";
import type { DecisionLike } from "../../src/report/build.ts";
import { extractFromObject } from "../../src/workloads/extract.ts";
import { ADMITTED, CHANGED, pod, podSubject, REFUSED, templateSubject } from "./helpers.ts";

const RS = { kind: "ReplicaSet", namespace: "ns", name: "web-abc12" };

Deno.test("pods of one controller with the same decision collapse into one row", () => {
  const b = new ReportBuilder(["privileged", "restricted"]);
  for (const n of ["a", "b", "c"]) b.add(podSubject(`web-abc12-${n}`, { owner: RS }), ADMITTED);
  b.add(podSubject("solo"), ADMITTED);
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.kind, i.name, i.pods]), [
    ["Pod", "solo", 1],
    ["ReplicaSet", "web-abc12", 3],
  ]);
  assert.deepEqual(r.summary, {
    items: 2,
    admitted: 2,
    changed: 0,
    refused: 0,
    pods: 4,
    policies: ["privileged", "restricted"],
  });
});

Deno.test("pods of one controller with different decisions stay apart", () => {
  const b = new ReportBuilder([]);
  b.add(podSubject("web-abc12-a", { owner: RS }), ADMITTED);
  b.add(podSubject("web-abc12-b", { owner: RS }), REFUSED);
  b.add(podSubject("web-abc12-c", { owner: RS }), REFUSED);
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.name, i.verdict, i.pods]), [
    ["web-abc12", "refused", 2],
    ["web-abc12", "admitted", 1],
  ]);
  assert.equal(r.summary.refused, 1);
});

Deno.test("refused pods whose messages differ only by the pod name collapse", () => {
  const b = new ReportBuilder([]);
  for (const n of ["web-abc12-a", "web-abc12-b"]) {
    b.add(podSubject(n, { owner: RS }), {
      ...REFUSED,
      message: `pods "${n}" is forbidden: PodSecurityPolicy: unable to admit pod: [x]`,
    });
  }
  b.add(podSubject("web-abc12-c", { owner: RS }), {
    ...REFUSED,
    message: 'pods "web-abc12-c" is forbidden: PodSecurityPolicy: unable to validate pod: [x]',
  });
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.name, i.pods, i.message]), [
    [
      "web-abc12",
      2,
      'pods "web-abc12-a" is forbidden: PodSecurityPolicy: unable to admit pod: [x]',
    ],
    [
      "web-abc12",
      1,
      'pods "web-abc12-c" is forbidden: PodSecurityPolicy: unable to validate pod: [x]',
    ],
  ]);
});

Deno.test("a known owner edge resolves ReplicaSet pods to the Deployment and takes its replicas", () => {
  const b = new ReportBuilder([]);
  const deploy = { kind: "Deployment", namespace: "ns", name: "web" };
  b.addEdge({ child: RS, owner: deploy });
  b.add(templateSubject("Deployment", "web", 4), CHANGED);
  b.add(templateSubject("ReplicaSet", "web-abc12", 4, deploy), CHANGED);
  b.add(podSubject("web-abc12-a", { owner: RS, file: "workloads.yaml" }), CHANGED);
  const r = b.finish();
  assert.equal(r.items.length, 1);
  assert.deepEqual([r.items[0].kind, r.items[0].name, r.items[0].pods], ["Deployment", "web", 4]);
  assert.deepEqual(r.items[0].source, {
    file: "workloads.yaml",
    document: 2,
    display: "workloads.yaml",
  });
});

Deno.test("the same workload in two files gives two rows, each with its source", () => {
  const b = new ReportBuilder([]);
  const at = (file: string, line: number) => ({ file, document: 3, line, column: 1 });
  b.add(templateSubject("Deployment", "app", 3, undefined, at("prod/app.yaml", 392)), REFUSED);
  b.add(templateSubject("Deployment", "app", 1, undefined, at("staging/app.yaml", 40)), REFUSED);
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.kind, i.name, i.pods, i.source.display]), [
    ["Deployment", "app", 3, "prod/app.yaml:392"],
    ["Deployment", "app", 1, "staging/app.yaml:40"],
  ]);
  assert.deepEqual(r.items[0].source, {
    file: "prod/app.yaml",
    line: 392,
    column: 1,
    document: 3,
    display: "prod/app.yaml:392",
  });
  assert.deepEqual([r.summary.items, r.summary.refused, r.summary.pods], [2, 2, 4]);
});

Deno.test("pods of one controller in two files make one row per file", () => {
  const b = new ReportBuilder([]);
  b.add(podSubject("web-abc12-a", { owner: RS, file: "b.yaml" }), ADMITTED);
  b.add(podSubject("web-abc12-b", { owner: RS, file: "a.yaml" }), ADMITTED);
  b.add(podSubject("web-abc12-c", { owner: RS, file: "b.yaml" }), ADMITTED);
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.name, i.pods, i.source.file]), [
    ["web-abc12", 1, "a.yaml"],
    ["web-abc12", 2, "b.yaml"],
  ]);
});

Deno.test("the same workload twice in one file gives two rows; its ReplicaSet joins the first", () => {
  const b = new ReportBuilder([]);
  const deploy = { kind: "Deployment", namespace: "ns", name: "web" };
  const at = (document: number, line: number) => ({ file: "all.yaml", document, line });
  b.addEdge({ child: RS, owner: deploy });
  b.add(templateSubject("Deployment", "web", 2, undefined, at(1, 1)), CHANGED);
  b.add(templateSubject("ReplicaSet", "web-abc12", 2, deploy, at(2, 30)), CHANGED);
  b.add(templateSubject("Deployment", "web", 5, undefined, at(3, 60)), CHANGED);
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.kind, i.name, i.pods, i.source.display]), [
    ["Deployment", "web", 2, "all.yaml:1"],
    ["Deployment", "web", 5, "all.yaml:60"],
  ]);
});

Deno.test("without the Deployment, the ReplicaSets' replicas are summed; pods alone are counted", () => {
  const deploy = { kind: "Deployment", namespace: "ns", name: "web" };
  const b = new ReportBuilder([]);
  b.add(templateSubject("ReplicaSet", "web-old", 0, deploy), ADMITTED);
  b.add(templateSubject("ReplicaSet", "web-new", 2, deploy), ADMITTED);
  b.add(templateSubject("DaemonSet", "agent", null), ADMITTED);
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.kind, i.name, i.pods]), [
    ["DaemonSet", "agent", null],
    ["Deployment", "web", 2],
  ]);
  assert.equal(r.summary.pods, 2, "unknown counts add nothing");
});

Deno.test("pod-template-hash names the Deployment of a ReplicaSet that was not given", () => {
  const b = new ReportBuilder([]);
  const labels = { "pod-template-hash": "abc12" };
  b.add(podSubject("web-abc12-a", { owner: RS, labels }), ADMITTED);
  b.add(podSubject("web-abc12-b", { owner: RS, labels }), ADMITTED);
  const other = { kind: "ReplicaSet", namespace: "ns", name: "standalone-x" };
  b.add(
    podSubject("standalone-x-1", { owner: other, labels: { "pod-template-hash": "zzz" } }),
    ADMITTED,
  );
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.kind, i.name, i.pods]), [
    ["Deployment", "web", 2],
    ["ReplicaSet", "standalone-x", 1],
  ]);
});

Deno.test("a ReplicaSet given without an owner stays a ReplicaSet despite the hash label", () => {
  const b = new ReportBuilder([]);
  b.add(templateSubject("ReplicaSet", "web-abc12", 2), ADMITTED);
  b.add(
    podSubject("web-abc12-a", {
      owner: RS,
      labels: { "pod-template-hash": "abc12" },
      file: "workloads.yaml",
    }),
    ADMITTED,
  );
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => [i.kind, i.name, i.pods]), [["ReplicaSet", "web-abc12", 2]]);
});

Deno.test("items are ordered by namespace, kind, name and keep the decision", () => {
  const b = new ReportBuilder(["restricted"]);
  const s = (ns: string, name: string) => ({
    ...podSubject(name),
    namespace: ns,
    workload: { kind: "Pod", namespace: ns, name },
  });
  b.add(s("b", "z"), REFUSED);
  b.add(s("a", "y"), CHANGED);
  b.add(s("a", "x"), ADMITTED);
  const r = b.finish();
  assert.deepEqual(r.items.map((i) => `${i.namespace}/${i.name}`), ["a/x", "a/y", "b/z"]);
  const refused = r.items[2];
  assert.equal(refused.verdict, "refused");
  assert.equal(refused.policy, null);
  assert.equal(refused.admitted, null);
  assert.equal(refused.message, REFUSED.message);
  assert.deepEqual(refused.results, REFUSED.results);
  const changed = r.items[1];
  assert.deepEqual(changed.results[0].changes[0], {
    field: "spec.containers[0].securityContext.runAsNonRoot",
    from: null,
    to: true,
    pspField: "runAsUser",
  }, "an unset `from` is null, so JSON and YAML keep the key");
});

Deno.test("admittedView keeps exactly the fields admission may change", () => {
  const p = pod("p", { annotations: { a: "b" }, labels: { l: "v" } });
  p.spec.securityContext = { fsGroup: 1 };
  p.spec.runtimeClassName = "gvisor";
  p.spec.initContainers = [{ name: "i", image: "busybox", securityContext: { runAsUser: 5 } }];
  p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 80 }];
  assert.deepEqual(admittedView(p), {
    metadata: { annotations: { a: "b" } },
    spec: {
      securityContext: { fsGroup: 1 },
      runtimeClassName: "gvisor",
      initContainers: [{ name: "i", securityContext: { runAsUser: 5 }, ports: null }],
      containers: [{
        name: "app",
        securityContext: null,
        ports: [{ containerPort: 80, hostPort: 80 }],
      }],
    },
  });
  assert.equal(admittedView(null), null);
});

Deno.test("objectPath maps API server field paths to where the value is in the object", () => {
  assert.deepEqual(objectPath("spec.containers[1].securityContext.privileged"), [
    "spec",
    "containers",
    1,
    "securityContext",
    "privileged",
  ]);
  assert.deepEqual(objectPath("spec.securityContext.hostNetwork"), ["spec", "hostNetwork"]);
  assert.deepEqual(objectPath("spec.initContainers[0].hostPort"), [
    "spec",
    "initContainers",
    0,
    "ports",
  ]);
  assert.deepEqual(
    objectPath("pod.metadata.annotations[container.seccomp.security.alpha.kubernetes.io/app]"),
    ["metadata", "annotations", "container.seccomp.security.alpha.kubernetes.io/app"],
  );
});

Deno.test("violated fields get their line in the input file", () => {
  const text = [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata: {name: web, namespace: ns}",
    "spec:",
    "  template:",
    "    spec:",
    "      hostNetwork: true",
    "      containers:",
    "        - name: app",
    "          securityContext:",
    "            privileged: true",
  ].join("\n");
  const { subject } = extractFromObject(parseObjects(text, "w.yaml")[0]);
  const b = new ReportBuilder([]);
  b.add(subject!, REFUSED);
  const item = b.finish().items[0];
  assert.deepEqual(item.source, {
    file: "w.yaml",
    line: 1,
    column: 1,
    document: 1,
    display: "w.yaml:1",
  });
  const loc = item.location!;
  assert.deepEqual(loc.fields["spec.containers[0].securityContext.privileged"], {
    line: 11,
    column: 25,
  });
  assert.deepEqual(loc.fields["spec.securityContext.hostNetwork"], { line: 7, column: 20 });
});

Deno.test("decisions share the policy results they have in common (one object each), and no more", () => {
  const b = new ReportBuilder(["restricted", "other"]);
  // A result that differs only in a change's value (NaN and null are one text in JSON).
  const other = (from: unknown): ReportPolicyResult => ({
    policy: "other",
    allowed: true,
    violations: [],
    changes: [{ field: "spec.securityContext.runAsUser", from, to: 1000, pspField: "runAsUser" }],
  });
  const decision = (from: unknown): DecisionLike => ({
    ...REFUSED,
    results: [structuredClone(REFUSED.results[0]), other(from)],
  });
  b.add(podSubject("a"), decision(1));
  b.add(podSubject("b"), decision(2));
  b.add(podSubject("c"), decision(NaN));
  b.add(podSubject("d"), decision(null));
  const items = b.finish().items;
  assert.equal(items.length, 4);
  const [a, bb, c, d] = ["a", "b", "c", "d"].map((n) => items.find((i) => i.name === n)!);
  assert.equal(a.results[0], bb.results[0], "the equal restricted results are one object");
  assert.equal(a.results[0], c.results[0]);
  assert.notEqual(a.results[1], bb.results[1]);
  assert.notEqual(c.results[1], d.results[1], "NaN and null are not one result");
  assert.ok(Number.isNaN(c.results[1].changes[0].from));
  assert.equal(bb.results[1].changes[0].from, 2);
});
