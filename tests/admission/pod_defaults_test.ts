import assert from "node:assert/strict";
import { applyPodDefaults } from "../../src/admission/pod_defaults.ts";
import type { Pod } from "../../src/model/pod.ts";

Deno.test("pod defaults: securityContext becomes {}; the input is never mutated", () => {
  const pod: Pod = { metadata: { name: "p" }, spec: { containers: [{ name: "a" }] } };
  const before = structuredClone(pod);
  const out = applyPodDefaults(pod);
  assert.deepEqual(out.spec.securityContext, {});
  assert.deepEqual(pod, before);
});

Deno.test("pod defaults: nothing to default returns the same object (no copy)", () => {
  const pod: Pod = {
    metadata: { name: "p" },
    spec: {
      securityContext: {},
      containers: [{ name: "a", ports: [{ containerPort: 80, protocol: "UDP" }] }],
    },
  };
  assert.equal(applyPodDefaults(pod), pod);
});

Deno.test("pod defaults: hostNetwork turns container and init container ports into host ports", () => {
  const pod: Pod = {
    metadata: {},
    spec: {
      hostNetwork: true,
      securityContext: {},
      initContainers: [{ name: "i", ports: [{ containerPort: 7000 }] }],
      containers: [{
        name: "a",
        ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 9081 }],
      }],
      ephemeralContainers: [{ name: "e", ports: [{ containerPort: 90 }] }],
    },
  };
  const out = applyPodDefaults(pod);
  assert.deepEqual(out.spec.initContainers![0].ports, [{
    containerPort: 7000,
    hostPort: 7000,
    protocol: "TCP",
  }]);
  assert.deepEqual(out.spec.containers[0].ports, [
    { containerPort: 80, hostPort: 80, protocol: "TCP" },
    { containerPort: 81, hostPort: 9081, protocol: "TCP" },
  ]);
  // Ephemeral containers only get the protocol default.
  assert.deepEqual(out.spec.ephemeralContainers![0].ports, [{
    containerPort: 90,
    protocol: "TCP",
  }]);
  assert.equal(pod.spec.containers[0].ports![0].hostPort, undefined);
});

Deno.test("pod defaults: without hostNetwork only the protocol is defaulted", () => {
  const pod: Pod = {
    metadata: {},
    spec: { securityContext: {}, containers: [{ name: "a", ports: [{ containerPort: 8080 }] }] },
  };
  assert.deepEqual(applyPodDefaults(pod).spec.containers[0].ports, [{
    containerPort: 8080,
    protocol: "TCP",
  }]);
});
