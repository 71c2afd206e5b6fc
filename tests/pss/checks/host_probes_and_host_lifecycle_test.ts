import assert from "node:assert/strict";
import { hostProbesAndHostLifecycle } from "../../../src/pss/checks/host_probes_and_host_lifecycle.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("hostProbesAndHostLifecycle: v1.34+, containers and hosts sorted", () => {
  assert.equal(hostProbesAndHostLifecycle.versions[0].minVersion, 34);
  const spec = {
    containers: [
      ctr("web", undefined, {
        livenessProbe: { httpGet: { host: "10.0.0.1" } },
        lifecycle: { preStop: { tcpSocket: { host: "db" } } },
      }),
      ctr("api", undefined, { readinessProbe: { tcpSocket: { host: "10.0.0.1" } } }),
      ctr("ok", undefined, { startupProbe: { httpGet: { host: "" } } }),
    ],
  };
  assert.deepEqual(said(run(hostProbesAndHostLifecycle, 34, spec)), [
    "probe or lifecycle host",
    'containers "api", "web" use probe or lifecycle hosts "10.0.0.1", "db"',
  ]);
  assert.deepEqual(
    said(run(hostProbesAndHostLifecycle, 34, { containers: [spec.containers[1]] })),
    [
      "probe or lifecycle host",
      'container "api" uses probe or lifecycle host "10.0.0.1"',
    ],
  );
  assert.equal(
    said(run(hostProbesAndHostLifecycle, 37, { containers: [spec.containers[2]] })),
    "allowed",
  );
});
