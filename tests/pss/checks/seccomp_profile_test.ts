import assert from "node:assert/strict";
import {
  seccompProfileBaseline,
  seccompProfileRestricted,
} from "../../../src/pss/checks/seccomp_profile.ts";
import { ctr, run, said } from "../helpers.ts";

Deno.test("seccompProfile_baseline: annotations before v1.19, fields from v1.19", () => {
  const annotations = {
    "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
    "container.seccomp.security.alpha.kubernetes.io/a": "docker/default",
    "container.seccomp.security.alpha.kubernetes.io/b": "unconfined",
  };
  const spec = { containers: [ctr("a"), ctr("b")] };
  assert.deepEqual(said(run(seccompProfileBaseline, 18, spec, annotations)), [
    "seccompProfile",
    'forbidden annotations container.seccomp.security.alpha.kubernetes.io/b="unconfined", seccomp.security.alpha.kubernetes.io/pod="unconfined"',
  ]);
  assert.equal(said(run(seccompProfileBaseline, 19, spec, annotations)), "allowed");
  const fields = {
    securityContext: { seccompProfile: { type: "Unconfined" } },
    containers: [ctr("a", { seccompProfile: { type: "Unconfined" } }), ctr("b")],
  };
  assert.deepEqual(said(run(seccompProfileBaseline, 19, fields)), [
    "seccompProfile",
    'pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined"',
  ]);
});

Deno.test("seccompProfile_restricted: required on pod or every container; Windows exempt from v1.25", () => {
  const spec = {
    containers: [ctr("a", { seccompProfile: { type: "RuntimeDefault" } }), ctr("b"), ctr("c")],
  };
  assert.deepEqual(said(run(seccompProfileRestricted, 19, spec)), [
    "seccompProfile",
    'pod or containers "b", "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
  ]);
  assert.equal(
    said(
      run(seccompProfileRestricted, 19, {
        ...spec,
        securityContext: { seccompProfile: { type: "Localhost" } },
      }),
    ),
    "allowed",
  );
  const windows = { ...spec, os: { name: "windows" } };
  assert.notEqual(said(run(seccompProfileRestricted, 24, windows)), "allowed");
  assert.equal(said(run(seccompProfileRestricted, 25, windows)), "allowed");
  assert.deepEqual(seccompProfileRestricted.versions.map((v) => v.overrides), [
    ["seccompProfile_baseline"],
    ["seccompProfile_baseline"],
  ]);
});
