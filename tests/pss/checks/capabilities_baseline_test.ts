import assert from "node:assert/strict";
import { capabilitiesBaseline } from "../../../src/pss/checks/capabilities_baseline.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("capabilities_baseline: non-default adds, capabilities sorted and distinct", () => {
  const spec = {
    containers: [
      ctr("a", { capabilities: { add: ["NET_RAW", "CHOWN", "SYS_ADMIN"] } }),
      ctr("b", { capabilities: { add: ["NET_RAW"] } }),
      ctr("c", { capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] } }),
    ],
  };
  assert.deepEqual(said(run(capabilitiesBaseline, 0, spec)), [
    "non-default capabilities",
    'containers "a", "b" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add',
  ]);
  assert.equal(said(run(capabilitiesBaseline, 0, { containers: [spec.containers[2]] })), "allowed");
});
