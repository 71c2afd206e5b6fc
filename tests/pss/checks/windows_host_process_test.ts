import assert from "node:assert/strict";
import { windowsHostProcess } from "../../../src/pss/checks/windows_host_process.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("windowsHostProcess: pod and containers", () => {
  const hp = { windowsOptions: { hostProcess: true } };
  assert.deepEqual(
    said(
      run(windowsHostProcess, 0, { securityContext: hp, containers: [ctr("a", hp), ctr("b", hp)] }),
    ),
    [
      "hostProcess",
      'pod and containers "a", "b" must not set securityContext.windowsOptions.hostProcess=true',
    ],
  );
  assert.deepEqual(said(run(windowsHostProcess, 0, { containers: [ctr("a", hp)] })), [
    "hostProcess",
    'container "a" must not set securityContext.windowsOptions.hostProcess=true',
  ]);
  assert.equal(
    said(
      run(windowsHostProcess, 0, {
        containers: [ctr("a", { windowsOptions: { hostProcess: false } })],
      }),
    ),
    "allowed",
  );
});
