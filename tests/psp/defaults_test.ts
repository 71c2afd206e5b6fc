import assert from "node:assert/strict";
import { applyPspDefaults } from "../../src/psp/defaults.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";

function psp(spec: Partial<PodSecurityPolicy["spec"]>): PodSecurityPolicy {
  return {
    metadata: { name: "p" },
    spec: {
      seLinux: { rule: "RunAsAny" },
      runAsUser: { rule: "RunAsAny" },
      supplementalGroups: { rule: "RunAsAny" },
      fsGroup: { rule: "RunAsAny" },
      ...spec,
    },
  };
}

Deno.test("allowPrivilegeEscalation nil defaults to true", () => {
  assert.equal(applyPspDefaults(psp({})).spec.allowPrivilegeEscalation, true);
  assert.equal(
    applyPspDefaults(psp({ allowPrivilegeEscalation: null })).spec.allowPrivilegeEscalation,
    true,
  );
});

Deno.test("explicit allowPrivilegeEscalation false is kept", () => {
  assert.equal(
    applyPspDefaults(psp({ allowPrivilegeEscalation: false })).spec.allowPrivilegeEscalation,
    false,
  );
});

Deno.test("allowedProcMountTypes is dropped (ProcMountType gate off in 1.20)", () => {
  const out = applyPspDefaults(psp({ allowedProcMountTypes: ["Unmasked"] }));
  assert.equal("allowedProcMountTypes" in out.spec, false);
});

Deno.test("fields behind default-on gates are kept", () => {
  const input = psp({
    runAsGroup: { rule: "MustRunAs", ranges: [{ min: 1, max: 2 }] },
    allowedCSIDrivers: [{ name: "x" }],
    allowedUnsafeSysctls: ["a.*"],
    forbiddenSysctls: ["b"],
  });
  const out = applyPspDefaults(input);
  assert.deepEqual(out.spec.runAsGroup, input.spec.runAsGroup);
  assert.deepEqual(out.spec.allowedCSIDrivers, [{ name: "x" }]);
  assert.deepEqual(out.spec.allowedUnsafeSysctls, ["a.*"]);
  assert.deepEqual(out.spec.forbiddenSysctls, ["b"]);
});

Deno.test("input is not mutated", () => {
  const input = psp({ allowedProcMountTypes: ["Default"] });
  const before = structuredClone(input);
  const out = applyPspDefaults(input);
  assert.deepEqual(input, before);
  assert.notEqual(out, input);
  assert.notEqual(out.spec, input.spec);
});
