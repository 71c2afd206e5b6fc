import assert from "node:assert/strict";
import { finalizeAdmittedPod } from "../../src/admission/post_admission.ts";
import type { Pod } from "../../src/model/pod.ts";

const POD = "seccomp.security.alpha.kubernetes.io/pod";
const C = "container.seccomp.security.alpha.kubernetes.io/app";

function pod(annotations: Record<string, string>, podSc: object, containerSc: object | null): Pod {
  return {
    metadata: { name: "p", annotations },
    spec: { securityContext: podSc, containers: [{ name: "app", securityContext: containerSc }] },
  };
}

Deno.test("post admission: names the chosen PSP; input untouched", () => {
  const input = pod({}, {}, null);
  const before = structuredClone(input);
  const out = finalizeAdmittedPod(input, "restricted");
  assert.equal(out.metadata.annotations!["kubernetes.io/psp"], "restricted");
  assert.deepEqual(input, before);
});

Deno.test("post admission: seccomp annotation -> field (pod and container)", () => {
  const out = finalizeAdmittedPod(
    pod({ [POD]: "runtime/default", [C]: "localhost/p.json" }, {}, null),
    "x",
  );
  assert.deepEqual(out.spec.securityContext, { seccompProfile: { type: "RuntimeDefault" } });
  assert.deepEqual(out.spec.containers[0].securityContext, {
    seccompProfile: { type: "Localhost", localhostProfile: "p.json" },
  });
  // docker/default becomes RuntimeDefault; unknown values have no field.
  const docker = finalizeAdmittedPod(pod({ [POD]: "docker/default", [C]: "bogus" }, {}, null), "x");
  assert.deepEqual(docker.spec.securityContext, { seccompProfile: { type: "RuntimeDefault" } });
  assert.equal(docker.spec.containers[0].securityContext, null);
});

Deno.test("post admission: seccomp field -> annotation (pod and container); both set: untouched", () => {
  const out = finalizeAdmittedPod(
    pod({}, { seccompProfile: { type: "Unconfined" } }, {
      seccompProfile: { type: "RuntimeDefault" },
    }),
    "x",
  );
  assert.equal(out.metadata.annotations![POD], "unconfined");
  assert.equal(out.metadata.annotations![C], "runtime/default");
  const both = finalizeAdmittedPod(
    pod({ [POD]: "runtime/default" }, { seccompProfile: { type: "Unconfined" } }, null),
    "x",
  );
  assert.equal(both.metadata.annotations![POD], "runtime/default");
  assert.deepEqual(both.spec.securityContext, { seccompProfile: { type: "Unconfined" } });
});

Deno.test("post admission: procMount becomes Default (ProcMountType gate off)", () => {
  const out = finalizeAdmittedPod(pod({}, {}, { procMount: "Unmasked" }), "x");
  assert.deepEqual(out.spec.containers[0].securityContext, { procMount: "Default" });
});
