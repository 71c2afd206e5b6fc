import assert from "node:assert/strict";
import { seLinuxOptionsCheck } from "../../../src/pss/checks/se_linux_options.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("seLinuxOptions: types, user and role; container_engine_t from v1.31", () => {
  const spec = {
    securityContext: { seLinuxOptions: { type: "spc_t", user: "u" } },
    containers: [
      ctr("a", { seLinuxOptions: { role: "r" } }),
      ctr("b", { seLinuxOptions: { type: "x_t" } }),
    ],
  };
  assert.deepEqual(said(run(seLinuxOptionsCheck, 0, spec)), [
    "seLinuxOptions",
    'pod and containers "a", "b" set forbidden securityContext.seLinuxOptions: types "spc_t", "x_t"; user may not be set; role may not be set',
  ]);
  assert.deepEqual(
    said(
      run(seLinuxOptionsCheck, 0, { containers: [ctr("a", { seLinuxOptions: { user: "u" } })] }),
    ),
    [
      "seLinuxOptions",
      'container "a" set forbidden securityContext.seLinuxOptions: user may not be set',
    ],
  );
  const engine = {
    securityContext: { seLinuxOptions: { type: "container_engine_t", level: "s0" } },
  };
  assert.deepEqual(said(run(seLinuxOptionsCheck, 30, engine)), [
    "seLinuxOptions",
    'pod set forbidden securityContext.seLinuxOptions: type "container_engine_t"',
  ]);
  assert.equal(said(run(seLinuxOptionsCheck, 31, engine)), "allowed");
});
