import assert from "node:assert/strict";
import { allowPrivilegeEscalation } from "../../../src/pss/checks/allow_privilege_escalation.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("allowPrivilegeEscalation: must be false on every container; Windows exempt from v1.25", () => {
  const spec = {
    initContainers: [ctr("init")],
    containers: [
      ctr("a", { allowPrivilegeEscalation: false }),
      ctr("b", { allowPrivilegeEscalation: true }),
    ],
  };
  assert.deepEqual(said(run(allowPrivilegeEscalation, 8, spec)), [
    "allowPrivilegeEscalation != false",
    'containers "init", "b" must set securityContext.allowPrivilegeEscalation=false',
  ]);
  const windows = { ...spec, os: { name: "windows" } };
  assert.notEqual(said(run(allowPrivilegeEscalation, 24, windows)), "allowed");
  assert.equal(said(run(allowPrivilegeEscalation, 25, windows)), "allowed");
  assert.equal(allowPrivilegeEscalation.versions[0].minVersion, 8);
});
