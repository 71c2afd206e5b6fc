import assert from "node:assert/strict";
import { capabilitiesRestricted } from "../../../src/pss/checks/capabilities_restricted.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("capabilities_restricted: drop ALL, add only NET_BIND_SERVICE, both details", () => {
  const spec = {
    containers: [
      ctr("a"),
      ctr("b", { capabilities: { drop: ["NET_RAW"], add: ["SYS_ADMIN", "NET_BIND_SERVICE"] } }),
      ctr("c", { capabilities: { drop: ["ALL"], add: ["CHOWN"] } }),
      ctr("d", { capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } }),
    ],
  };
  assert.deepEqual(said(run(capabilitiesRestricted, 22, spec)), [
    "unrestricted capabilities",
    'containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "b", "c" must not include "CHOWN", "SYS_ADMIN" in securityContext.capabilities.add',
  ]);
  assert.equal(
    said(run(capabilitiesRestricted, 22, { containers: [spec.containers[3]] })),
    "allowed",
  );
  assert.equal(
    said(run(capabilitiesRestricted, 25, { ...spec, os: { name: "windows" } })),
    "allowed",
  );
  assert.deepEqual(capabilitiesRestricted.versions[0].overrides, ["capabilities_baseline"]);
});
