import assert from "node:assert/strict";
import { admit, container, defaultPod, defaultPSP } from "./fixtures.ts";

// provider_test.go TestAllowPrivilegeEscalation: MutatePod then ValidatePod for every combination.
Deno.test("privilege escalation: TestAllowPrivilegeEscalation", async (t) => {
  const b = [null, false, true] as const;
  for (const pspAPE of [true, false]) {
    for (const pspDAPE of b) {
      if (!pspAPE && pspDAPE === true) continue; // refused by PSP validation
      for (const podAPE of b) {
        await t.step(
          `pspAPE:${pspAPE}_pspDAPE:${pspDAPE ?? "nil"}_podAPE:${podAPE ?? "nil"}`,
          () => {
            const psp = defaultPSP({
              allowPrivilegeEscalation: pspAPE,
              defaultAllowPrivilegeEscalation: pspDAPE,
            });
            const sc = podAPE === null ? {} : { allowPrivilegeEscalation: podAPE };
            const d = admit(defaultPod({ containers: [container(sc)] }), psp);
            const shouldFail = !pspAPE && podAPE === true;
            if (shouldFail) {
              assert.equal(
                d.results[0].violations.map((v) => v.text).join(),
                "spec.containers[0].securityContext.allowPrivilegeEscalation: Invalid value: true: Allowing privilege escalation for containers is not allowed",
              );
              return;
            }
            assert.notEqual(d.verdict, "refused", d.message ?? "");
            const want = podAPE ?? pspDAPE ?? (pspAPE ? null : false);
            assert.equal(
              d.admitted!.spec.containers[0].securityContext!.allowPrivilegeEscalation ?? null,
              want,
            );
          },
        );
      }
    }
  }
});

Deno.test("privilege escalation: nil is refused when not defaulted (ValidatePod only)", async () => {
  const { validateOnly } = await import("./fixtures.ts");
  assert.deepEqual(validateOnly(defaultPSP({ allowPrivilegeEscalation: false }), defaultPod()), [
    'spec.containers[0].securityContext.allowPrivilegeEscalation: Invalid value: "null": Allowing privilege escalation for containers is not allowed',
  ]);
});

Deno.test("privilege escalation: a PSP without allowPrivilegeEscalation defaults to allowing it", () => {
  const psp = defaultPSP({ allowPrivilegeEscalation: undefined });
  assert.equal(
    admit(defaultPod({ containers: [container({ allowPrivilegeEscalation: true })] }), psp).verdict,
    "admitted",
  );
});

Deno.test("privilege escalation: a defaulted false on a privileged container makes the pod invalid (422)", async () => {
  const { validateStoredPod } = await import("../../src/admission/pod_validation.ts");
  const psp = defaultPSP(
    { privileged: true, allowedCapabilities: ["*"], allowPrivilegeEscalation: false },
    {},
    "priv-no-ape",
  );
  const d = admit({
    metadata: { name: "p" },
    spec: { containers: [container({ privileged: true })] },
  }, psp);
  assert.equal(d.verdict, "refused");
  assert.equal(d.reason, "Invalid");
  assert.equal(
    d.message,
    'Pod "p" is invalid: spec.containers[0].securityContext: Invalid value: core.SecurityContext{...}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
  );
  // The PSP itself admitted it with a change; that stays visible.
  assert.deepEqual(d.results[0].changes.map((c) => [c.field, c.to]), [
    ["spec.containers[0].securityContext.allowPrivilegeEscalation", false],
  ]);
  const sysAdmin = admit(
    {
      metadata: { name: "p" },
      spec: { containers: [container({ capabilities: { add: ["CAP_SYS_ADMIN", "SYS_ADMIN"] } })] },
    },
    defaultPSP({ allowedCapabilities: ["*"], defaultAllowPrivilegeEscalation: false }),
  );
  assert.equal(
    sysAdmin.message,
    'Pod "p" is invalid: spec.containers[0].securityContext: Invalid value: core.SecurityContext{...}: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
  );
  // Two problems are listed in brackets, comma-separated.
  const two = validateStoredPod({
    metadata: {},
    spec: {
      containers: [
        container({
          allowPrivilegeEscalation: false,
          privileged: true,
          capabilities: { add: ["CAP_SYS_ADMIN"] },
        }),
      ],
    },
  });
  assert.equal(two.length, 2);
  // With escalation allowed, nothing is defaulted and the pod is admitted.
  assert.equal(
    admit(
      defaultPod({ containers: [container({ privileged: true })] }),
      defaultPSP({ privileged: true }),
    ).verdict,
    "admitted",
  );
});
