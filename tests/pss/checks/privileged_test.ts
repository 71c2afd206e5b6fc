import assert from "node:assert/strict";
import { privileged } from "../../../src/pss/checks/privileged.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("privileged: reason and detail, singular and plural, every container list", () => {
  assert.deepEqual(said(run(privileged, 0, { containers: [ctr("app", { privileged: true })] })), [
    "privileged",
    'container "app" must not set securityContext.privileged=true',
  ]);
  const spec = {
    initContainers: [ctr("init", { privileged: true })],
    containers: [ctr("a", { privileged: false }), ctr("b", { privileged: true })],
    ephemeralContainers: [ctr("debug", { privileged: true })],
  };
  assert.deepEqual(said(run(privileged, 37, spec)), [
    "privileged",
    'containers "init", "b", "debug" must not set securityContext.privileged=true',
  ]);
  assert.equal(
    said(run(privileged, 0, { containers: [ctr("a", { privileged: null })] })),
    "allowed",
  );
});
