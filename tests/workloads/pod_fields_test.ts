import assert from "node:assert/strict";
import { loadObjects, parseObjects } from "../../src/io/documents.ts";
import { extractFromObject } from "../../src/workloads/extract.ts";
import { unknownPodFields } from "../../src/workloads/pod_fields.ts";

const WORKLOADS = new URL("../../fixtures/audit/workloads.yaml", import.meta.url).pathname;

Deno.test("unknownPodFields: typos anywhere in a pod, with their paths", () => {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", labels: { "any-key": "x" }, annotations: { "a/b": "c" }, nam: "x" },
    spec: {
      hostNetwrok: true,
      containers: [
        { name: "a", image: "x", securityContext: { privileged: true } },
        {
          name: "b",
          image: "x",
          securityContext: { privilegd: true, capabilities: { ad: ["X"] } },
          resources: { limits: { cpu: "1" } }, // a map: any key
          env: [{ name: "E", valueFrom: { fieldRef: { fieldPath: "x" } } }],
        },
      ],
      volumes: [{ name: "v", hostpath: { path: "/" } }],
      nodeSelector: { "kubernetes.io/os": "linux" },
    },
    status: { phase: "Running" },
  };
  assert.deepEqual(unknownPodFields(pod).map((u) => u.field), [
    "metadata.nam",
    "spec.hostNetwrok",
    "spec.containers[1].securityContext.privilegd",
    "spec.containers[1].securityContext.capabilities.ad",
    "spec.volumes[0].hostpath",
  ]);
  assert.deepEqual(unknownPodFields(pod)[2].path, [
    "spec",
    "containers",
    1,
    "securityContext",
    "privilegd",
  ]);
});

Deno.test("unknownPodFields: a pod template is checked from its path, the workload's own fields not", () => {
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d" },
    spec: {
      replicas: 1,
      template: {
        metadata: { labels: { a: "b" } },
        spec: { containers: [{ name: "c", imag: "x" }] },
      },
    },
  };
  assert.deepEqual(unknownPodFields(deployment, ["spec", "template"]), [{
    field: "spec.template.spec.containers[0].imag",
    path: ["spec", "template", "spec", "containers", 0, "imag"],
  }]);
  // wrongly typed values are the shape check's business, not reported as unknown
  assert.deepEqual(unknownPodFields({ spec: { containers: "x", volumes: [1, null] } }), []);
});

Deno.test("extractFromObject({unknownFields}): warnings name file, document, line and field", () => {
  const text =
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    imagee: x\n";
  const [lo] = parseObjects(text, "pods.yaml");
  assert.deepEqual(extractFromObject(lo, undefined, { unknownFields: true }).warnings, [
    "pods.yaml (document 1, line 8:13): unknown field spec.containers[0].imagee ignored (the API server drops it)",
  ]);
  assert.equal(extractFromObject(lo).warnings, undefined, "only when asked");
});

Deno.test("the workload fixtures (every kind) have no unknown field", async () => {
  for (const lo of await loadObjects([WORKLOADS])) {
    assert.deepEqual(extractFromObject(lo, undefined, { unknownFields: true }).warnings ?? [], []);
  }
});
