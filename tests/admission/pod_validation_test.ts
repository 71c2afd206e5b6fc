import assert from "node:assert/strict";
import { validateStoredPod } from "../../src/admission/pod_validation.ts";
import type { Pod, SecurityContext } from "../../src/model/pod.ts";

function pod(
  sc: SecurityContext,
  kind: "containers" | "initContainers" | "ephemeralContainers" = "containers",
): Pod {
  const spec: Pod["spec"] = { containers: [] };
  spec[kind] = [{ name: "c", securityContext: sc }];
  return { metadata: {}, spec };
}

Deno.test("pod validation: allowPrivilegeEscalation false conflicts with privileged and CAP_SYS_ADMIN", () => {
  const lines = (p: Pod) => validateStoredPod(p).map((v) => v.text);
  assert.deepEqual(lines(pod({ allowPrivilegeEscalation: false, privileged: true })), [
    "spec.containers[0].securityContext: Invalid value: core.SecurityContext{...}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
  ]);
  assert.deepEqual(
    lines(
      pod(
        { allowPrivilegeEscalation: false, capabilities: { add: ["CAP_SYS_ADMIN"] } },
        "initContainers",
      ),
    ),
    [
      "spec.initContainers[0].securityContext: Invalid value: core.SecurityContext{...}: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
    ],
  );
  // Only the literal CAP_SYS_ADMIN, and only with APE explicitly false.
  assert.deepEqual(
    lines(pod({ allowPrivilegeEscalation: false, capabilities: { add: ["SYS_ADMIN"] } })),
    [],
  );
  assert.deepEqual(lines(pod({ privileged: true })), []);
  assert.deepEqual(lines(pod({ allowPrivilegeEscalation: true, privileged: true })), []);
  // Ephemeral containers only when their kind is validated.
  const eph = pod({ allowPrivilegeEscalation: false, privileged: true }, "ephemeralContainers");
  assert.deepEqual(validateStoredPod(eph), []);
  assert.equal(
    validateStoredPod(eph, ["initContainers", "containers", "ephemeralContainers"]).length,
    1,
  );
});
