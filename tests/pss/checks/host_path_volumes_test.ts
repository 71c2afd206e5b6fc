import assert from "node:assert/strict";
import { hostPathVolumes } from "../../../src/pss/checks/host_path_volumes.ts";
import { run, said } from "../helpers.ts";

Deno.test("hostPathVolumes: volumes in pod order", () => {
  const spec = {
    volumes: [
      { name: "run", hostPath: { path: "/run" } },
      { name: "tmp", emptyDir: {} },
      { name: "cni", hostPath: { path: "/etc/cni" } },
    ],
  };
  assert.deepEqual(said(run(hostPathVolumes, 0, spec)), [
    "hostPath volumes",
    'volumes "run", "cni"',
  ]);
  assert.deepEqual(said(run(hostPathVolumes, 0, { volumes: [spec.volumes[0]] })), [
    "hostPath volumes",
    'volume "run"',
  ]);
  assert.equal(said(run(hostPathVolumes, 0, { volumes: [spec.volumes[1]] })), "allowed");
});
