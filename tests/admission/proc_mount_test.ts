import assert from "node:assert/strict";
import { compileProcMount } from "../../src/admission/proc_mount.ts";
import type { Violation } from "../../src/admission/violation.ts";
import { ContainerView } from "../../src/admission/pod_access.ts";
import { admit, container, defaultPod, defaultPSP, validateOnly } from "./fixtures.ts";

function check(allowed: string[] | null, procMount?: string): string[] {
  const pod = defaultPod({ containers: [container(procMount === undefined ? {} : { procMount })] });
  const c = pod.spec.containers[0];
  const out: Violation[] = [];
  compileProcMount(allowed).validateContainer(
    new ContainerView(pod, "containers", 0, c, c.securityContext ?? null, {}),
    out,
  );
  return out.map((v) => v.text);
}

Deno.test("procMount: failProcMountPSP; nil reads as Default", () => {
  assert.deepEqual(
    validateOnly(defaultPSP(), defaultPod({ containers: [container({ procMount: "Unmasked" })] })),
    [
      'spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": ProcMountType is not allowed',
    ],
  );
  assert.deepEqual(check(null), []);
  assert.deepEqual(check([], "Default"), []);
  assert.deepEqual(check(["Default", "Unmasked"], "Unmasked"), []);
  // A list of only Unmasked refuses ordinary containers.
  assert.deepEqual(check(["Unmasked"]), [
    'spec.containers[0].securityContext.procMount: Invalid value: "Default": ProcMountType is not allowed',
  ]);
});

Deno.test("procMount: in 1.20 allowedProcMountTypes is dropped, so Unmasked is always refused", () => {
  const psp = defaultPSP({ allowedProcMountTypes: ["Default", "Unmasked"] });
  const d = admit(defaultPod({ containers: [container({ procMount: "Unmasked" })] }), psp);
  assert.equal(d.verdict, "refused");
  assert.equal(
    admit(defaultPod({ containers: [container({ procMount: "Default" })] }), psp).verdict,
    "admitted",
  );
});
