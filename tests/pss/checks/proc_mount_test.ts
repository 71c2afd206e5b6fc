import assert from "node:assert/strict";
import { procMount, procMountRestricted } from "../../../src/pss/checks/proc_mount.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("procMount: Unmasked refused; baseline relaxed for user-namespace pods from v1.35 only", () => {
  const spec = {
    hostUsers: false,
    containers: [ctr("a", { procMount: "Unmasked" }), ctr("b", { procMount: "Default" })],
  };
  const refused = [
    "procMount",
    'container "a" must not set securityContext.procMount to "Unmasked"',
  ];
  assert.deepEqual(said(run(procMount, 34, spec)), refused);
  assert.equal(said(run(procMount, 35, spec)), "allowed");
  assert.deepEqual(said(run(procMountRestricted, 35, spec)), refused);
  assert.deepEqual(said(run(procMount, 35, { ...spec, hostUsers: true })), refused);
  assert.deepEqual(procMountRestricted.versions[0].overrides, ["procMount"]);
});
