import assert from "node:assert/strict";
import { runAsUser } from "../../../src/pss/checks/run_as_user.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("runAsUser: no 0 on pod or containers (v1.23+); user namespaces exempt from v1.35", () => {
  assert.equal(runAsUser.versions[0].minVersion, 23);
  const spec = {
    securityContext: { runAsUser: 0 },
    containers: [
      ctr("a", { runAsUser: 0 }),
      ctr("b", { runAsUser: 1000 }),
      ctr("c", { runAsUser: 0 }),
    ],
  };
  assert.deepEqual(said(run(runAsUser, 23, spec)), [
    "runAsUser=0",
    'pod and containers "a", "c" must not set runAsUser=0',
  ]);
  assert.equal(
    said(run(runAsUser, 23, { containers: [ctr("b", { runAsUser: 1000 })] })),
    "allowed",
  );
  assert.equal(said(run(runAsUser, 35, { ...spec, hostUsers: false })), "allowed");
});
