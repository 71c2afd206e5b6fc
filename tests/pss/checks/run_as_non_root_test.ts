import assert from "node:assert/strict";
import { runAsNonRoot } from "../../../src/pss/checks/run_as_non_root.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("runAsNonRoot: explicit false first, then unset; user namespaces exempt from v1.35", () => {
  const spec = {
    securityContext: { runAsNonRoot: false },
    containers: [ctr("a", { runAsNonRoot: false }), ctr("b")],
  };
  assert.deepEqual(said(run(runAsNonRoot, 0, spec)), [
    "runAsNonRoot != true",
    'pod and container "a" must not set securityContext.runAsNonRoot=false',
  ]);
  assert.deepEqual(
    said(run(runAsNonRoot, 0, { containers: [ctr("a"), ctr("b", { runAsNonRoot: true })] })),
    [
      "runAsNonRoot != true",
      'pod or container "a" must set securityContext.runAsNonRoot=true',
    ],
  );
  assert.equal(
    said(run(runAsNonRoot, 0, { securityContext: { runAsNonRoot: true }, containers: [ctr("a")] })),
    "allowed",
  );
  const userns = { ...spec, hostUsers: false };
  assert.notEqual(said(run(runAsNonRoot, 34, userns)), "allowed");
  assert.equal(said(run(runAsNonRoot, 35, userns)), "allowed");
});
