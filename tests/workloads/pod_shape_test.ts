import assert from "node:assert/strict";
import { checkPodShape, fieldPath } from "../../src/workloads/pod_shape.ts";

const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  metadata,
  spec,
});

Deno.test("well-typed pods pass, including nulls for optional fields", () => {
  assert.equal(
    checkPodShape(pod({
      containers: [{
        name: "a",
        ports: [{ containerPort: 80, hostPort: 80 }],
        securityContext: { privileged: null, capabilities: { add: ["NET_ADMIN"] }, runAsUser: 0 },
      }],
      initContainers: null,
      securityContext: { supplementalGroups: [1, 2], sysctls: [{ name: "a.b", value: "1" }] },
      volumes: [{ name: "v", hostPath: { path: "/x" } }],
      hostNetwork: true,
    }, { annotations: { a: "b" } })),
    undefined,
  );
});

Deno.test("each admission-relevant field is type checked, with its path", () => {
  const cases: [unknown, string, RegExp][] = [
    [{ metadata: {} }, "spec", /required/],
    [pod({}), "spec.containers", /required/],
    [pod({ containers: [] }), "spec.containers", /at least one container/],
    [pod({ containers: {} }), "spec.containers", /expected a list/],
    [pod({ containers: [{}] }), "spec.containers[0].name", /required/],
    [
      pod({ containers: [{ name: "a", securityContext: { runAsUser: 1.5 } }] }),
      "spec.containers[0].securityContext.runAsUser",
      /integer/,
    ],
    [
      pod({ containers: [{ name: "a", securityContext: { capabilities: { add: [1] } } }] }),
      "spec.containers[0].securityContext.capabilities.add[0]",
      /string/,
    ],
    [
      pod({ containers: [{ name: "a", ports: [{ containerPort: "80" }] }] }),
      "spec.containers[0].ports[0].containerPort",
      /integer/,
    ],
    [
      pod({ containers: [{ name: "a" }], initContainers: [{ name: "i", securityContext: "x" }] }),
      "spec.initContainers[0].securityContext",
      /mapping/,
    ],
    [
      pod({
        containers: [{ name: "a" }],
        ephemeralContainers: [{ name: "e", securityContext: { privileged: 1 } }],
      }),
      "spec.ephemeralContainers[0].securityContext.privileged",
      /boolean/,
    ],
    [pod({ containers: [{ name: "a" }], hostPID: "true" }), "spec.hostPID", /boolean/],
    [
      pod({ containers: [{ name: "a" }], securityContext: { supplementalGroups: ["1"] } }),
      "spec.securityContext.supplementalGroups[0]",
      /integer/,
    ],
    [
      pod({ containers: [{ name: "a" }], volumes: [{ hostPath: {} }] }),
      "spec.volumes[0].name",
      /required/,
    ],
    [
      pod({ containers: [{ name: "a" }] }, { annotations: { a: 1 } }),
      "metadata.annotations.a",
      /string/,
    ],
  ];
  for (const [input, field, detail] of cases) {
    const p = checkPodShape(input);
    assert.ok(p, `expected a problem at ${field}`);
    assert.equal(p.field, field);
    assert.match(p.detail, detail);
  }
});

Deno.test("paths are relative to the base (a workload's template)", () => {
  const p = checkPodShape(pod({ containers: [{ name: 5 }] }), ["spec", "template"]);
  assert.equal(p?.field, "spec.template.spec.containers[0].name");
  assert.deepEqual(p?.path, ["spec", "template", "spec", "containers", 0, "name"]);
  assert.equal(fieldPath(["a", 0, "b", 1]), "a[0].b[1]");
});
