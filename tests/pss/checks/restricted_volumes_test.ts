import assert from "node:assert/strict";
import { restrictedVolumes } from "../../../src/pss/checks/restricted_volumes.ts";
import { run, said } from "../helpers.ts";

Deno.test("restrictedVolumes: volume names in order, types sorted; image allowed at every version", () => {
  const spec = {
    volumes: [
      { name: "root", hostPath: { path: "/" } },
      { name: "data", nfs: { server: "s", path: "/" } },
      { name: "ok", configMap: { name: "c" } },
      { name: "img", image: { reference: "r" } },
      { name: "odd", somethingNew: {} },
      { name: "ceph", cephfs: { monitors: [] } },
    ],
  };
  assert.deepEqual(said(run(restrictedVolumes, 0, spec)), [
    "restricted volume types",
    'volumes "root", "data", "odd", "ceph" use restricted volume types "cephfs", "hostPath", "nfs", "unknown"',
  ]);
  assert.deepEqual(said(run(restrictedVolumes, 0, { volumes: [spec.volumes[0]] })), [
    "restricted volume types",
    'volume "root" uses restricted volume type "hostPath"',
  ]);
  assert.equal(
    said(run(restrictedVolumes, 0, { volumes: [spec.volumes[2], spec.volumes[3]] })),
    "allowed",
  );
  assert.deepEqual(restrictedVolumes.versions[0].overrides, ["hostPathVolumes"]);
});
