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
      [[nonPriv, priv], true, "priv"],
    ] as const
  ) {
    const d = admit(pod(p), ...psps);
    assert.equal(d.policy, want);
    assert.equal(d.admitted!.spec.containers[0].securityContext!.privileged, p);
  }
  const denied = admit(pod(true), nonPriv);
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
