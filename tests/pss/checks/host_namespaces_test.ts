import assert from "node:assert/strict";
import { hostNamespaces } from "../../../src/pss/checks/host_namespaces.ts";
import { run, said } from "../helpers.ts";

Deno.test("hostNamespaces: the namespaces in upstream's order (network, PID, IPC)", () => {
  assert.deepEqual(
    said(run(hostNamespaces, 0, { hostIPC: true, hostNetwork: true, hostPID: true })),
    [
      "host namespaces",
      "hostNetwork=true, hostPID=true, hostIPC=true",
    ],
  );
  assert.deepEqual(said(run(hostNamespaces, 0, { hostPID: true })), [
    "host namespaces",
    "hostPID=true",
  ]);
  assert.equal(said(run(hostNamespaces, 0, { hostNetwork: false })), "allowed");
});
