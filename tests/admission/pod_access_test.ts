import assert from "node:assert/strict";
import { ContainerView, effectiveSeLinux, PodMutation } from "../../src/admission/pod_access.ts";
import type { Pod } from "../../src/model/pod.ts";

function pod(): Pod {
  return {
    metadata: { name: "p", annotations: { a: "1" } },
    spec: {
      securityContext: { runAsUser: 5 },
      initContainers: [{ name: "i" }],
      containers: [{ name: "a", securityContext: { privileged: false } }, { name: "b" }],
    },
  };
}

Deno.test("pod mutation: no change, no copy", () => {
  const p = pod();
  const m = new PodMutation(p);
  m.setAnnotation("seccomp", "a", "1"); // same value: not a change
  assert.equal(m.pod, p);
  assert.equal(m.changes, null);
});

Deno.test("pod mutation: copy-on-write shares untouched parts and never mutates the original", () => {
  const p = pod();
  const before = structuredClone(p);
  const m = new PodMutation(p);
  m.setContainerSc("runAsUser", "containers", 1, "runAsNonRoot", true);
  m.setContainerSc("allowPrivilegeEscalation", "containers", 1, "allowPrivilegeEscalation", false);
  m.setPodSc("fsGroup", "fsGroup", 1);
  m.setAnnotation("apparmor", "b", "2");
  m.setRuntimeClassName("runtimeClass", "gvisor");
  assert.deepEqual(p, before);
  assert.notEqual(m.pod, p);
  assert.equal(m.pod.spec.containers[0], p.spec.containers[0]); // untouched container shared
  assert.equal(m.pod.spec.initContainers, p.spec.initContainers); // untouched list shared
  assert.deepEqual(m.pod.spec.containers[1].securityContext, {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
  });
  assert.deepEqual(m.pod.spec.securityContext, { runAsUser: 5, fsGroup: 1 });
  assert.deepEqual(m.pod.metadata.annotations, { a: "1", b: "2" });
  assert.deepEqual(m.changes, [
    {
      field: "spec.containers[1].securityContext.runAsNonRoot",
      from: null,
      to: true,
      pspField: "runAsUser",
    },
    {
      field: "spec.containers[1].securityContext.allowPrivilegeEscalation",
      from: null,
      to: false,
      pspField: "allowPrivilegeEscalation",
    },
    { field: "spec.securityContext.fsGroup", from: null, to: 1, pspField: "fsGroup" },
    { field: "metadata.annotations[b]", from: null, to: "2", pspField: "apparmor" },
    { field: "spec.runtimeClassName", from: null, to: "gvisor", pspField: "runtimeClass" },
  ]);
});

Deno.test("container view: lazy paths; effective seLinux is the whole container struct", () => {
  const p = pod();
  const v = new ContainerView(
    p,
    "initContainers",
    0,
    p.spec.initContainers![0],
    null,
    p.spec.securityContext!,
  );
  assert.equal(v.path, "spec.initContainers[0]");
  assert.equal(v.scPath, "spec.initContainers[0].securityContext");
  assert.deepEqual(
    effectiveSeLinux({ seLinuxOptions: { level: "s0" } }, { seLinuxOptions: { user: "u" } }),
    { level: "s0" },
  );
  assert.deepEqual(effectiveSeLinux(null, { seLinuxOptions: { user: "u" } }), { user: "u" });
});
