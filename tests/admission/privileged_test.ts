import assert from "node:assert/strict";
import {
  admit,
  container,
  defaultPod,
  defaultPSP,
  goodPod,
  messageList,
  restrictivePSP,
  validateOnly,
} from "./fixtures.ts";

Deno.test("privileged: failPrivPSP / pass priv validating PSP; nil and false always pass", () => {
  const pod = (privileged: boolean | null) =>
    defaultPod({ containers: [container({ privileged })] });
  assert.deepEqual(validateOnly(defaultPSP(), pod(true)), [
    "spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed",
  ]);
  assert.deepEqual(validateOnly(defaultPSP({ privileged: true }), pod(true)), []);
  assert.deepEqual(validateOnly(defaultPSP(), pod(false)), []);
  assert.deepEqual(validateOnly(defaultPSP(), pod(null)), []);
});

// admission_test.go TestAdmitPrivileged.
Deno.test("privileged: TestAdmitPrivileged", () => {
  const nonPriv = restrictivePSP({}, {}, "non-priv");
  const priv = restrictivePSP({ privileged: true }, {}, "priv");
  const pod = (privileged?: boolean) =>
    goodPod({ containers: [container(privileged === undefined ? {} : { privileged })] });
  for (
    const [psps, p, want] of [
      [[nonPriv], undefined, "non-priv"],
      [[priv], undefined, "priv"],
      [[nonPriv], false, "non-priv"],
      [[priv], false, "priv"],
    ] as const
  ) {
    const d = admit(pod(p), ...psps);
    assert.equal(d.policy, want);
    assert.equal(d.admitted!.spec.containers[0].securityContext!.privileged, p);
  }
  // "pod with priv=true allowed by priv PSP": the plugin admits it with `priv`, but restrictive's
  // allowPrivilegeEscalation=false defaults APE=false onto the privileged container, which core pod
  // validation refuses (the Kubernetes unit test runs the plugin alone and does not see this).
  const privTrue = admit(pod(true), nonPriv, priv);
  assert.deepEqual(privTrue.results.map((r) => [r.policy, r.allowed]), [["non-priv", false], [
    "priv",
    true,
  ]]);
  assert.equal(privTrue.reason, "Invalid");
  assert.match(privTrue.message!, /^Pod "pod" is invalid: .*`privileged` to true$/);
  const privTrueApe = admit(
    pod(true),
    restrictivePSP({ privileged: true, allowPrivilegeEscalation: true }, {}, "priv"),
  );
  assert.equal(privTrueApe.policy, "priv");
  assert.equal(privTrueApe.admitted!.spec.containers[0].securityContext!.privileged, true);
  const denied = admit(pod(true), nonPriv);
  assert.equal(denied.reason, "Forbidden");
  assert.equal(
    denied.message,
    'pods "pod" is forbidden: PodSecurityPolicy: unable to admit pod: [spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed]',
  );
});

// admission_test.go TestAssignSecurityContext: all containers are validated.
Deno.test("privileged: TestAssignSecurityContext", () => {
  const psp = restrictivePSP();
  const pod = (...p: boolean[]) =>
    goodPod({ containers: p.map((privileged) => ({ name: "", securityContext: { privileged } })) });
  assert.equal(admit(pod(true), psp).verdict, "refused");
  assert.equal(
    messageList(admit(pod(false, true), psp)),
    "spec.containers[1].securityContext.privileged: Invalid value: true: Privileged containers are not allowed",
  );
  assert.notEqual(admit(pod(false), psp).verdict, "refused");
});
