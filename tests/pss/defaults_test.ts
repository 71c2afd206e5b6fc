import assert from "node:assert/strict";
import { pssDefaults } from "../../src/pss/defaults.ts";

Deno.test("defaults: a sourceless volume becomes emptyDir; hostNetwork ports get host ports", () => {
  const spec = {
    hostNetwork: true,
    volumes: [{ name: "scratch" }, { name: "cfg", configMap: { name: "c" } }],
    initContainers: [{ name: "i", ports: [{ containerPort: 53 }] }],
    containers: [{
      name: "a",
      ports: [{ containerPort: 8080 }, { containerPort: 9, hostPort: 90 }],
    }],
    ephemeralContainers: [{ name: "e", ports: [{ containerPort: 7 }] }],
  };
  const out = pssDefaults(spec);
  assert.deepEqual(out.volumes, [{ name: "scratch", emptyDir: {} }, spec.volumes[1]]);
  assert.deepEqual(out.initContainers![0].ports, [{ containerPort: 53, hostPort: 53 }]);
  assert.deepEqual(out.containers![0].ports, [
    { containerPort: 8080, hostPort: 8080 },
    { containerPort: 9, hostPort: 90 },
  ]);
  assert.equal(out.ephemeralContainers, spec.ephemeralContainers);
  assert.equal(Object.hasOwn(spec.volumes[0], "emptyDir"), false, "input not mutated");
  const plain = { containers: [{ name: "a", ports: [{ containerPort: 80 }] }] };
  assert.equal(pssDefaults(plain), plain, "unchanged input returned as is");
});
