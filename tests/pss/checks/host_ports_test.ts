import assert from "node:assert/strict";
import { hostPorts } from "../../../src/pss/checks/host_ports.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("hostPorts: ports sorted as text, 'uses' / 'use'", () => {
  const p = (...ports: number[]) => ({
    ports: ports.map((hostPort) => ({ containerPort: 1, hostPort })),
  });
  assert.deepEqual(said(run(hostPorts, 0, { containers: [ctr("exporter", undefined, p(9100))] })), [
    "hostPort",
    'container "exporter" uses hostPort 9100',
  ]);
  const spec = {
    containers: [ctr("a", undefined, p(9100, 10250)), ctr("b", undefined, p(0, 9100))],
  };
  assert.deepEqual(said(run(hostPorts, 0, spec)), [
    "hostPort",
    'containers "a", "b" use hostPorts 10250, 9100',
  ]);
  assert.equal(said(run(hostPorts, 0, { containers: [ctr("a", undefined, p(0))] })), "allowed");
});
