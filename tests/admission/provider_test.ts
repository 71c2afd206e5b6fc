import assert from "node:assert/strict";
import { defaultPod, defaultPSP, evaluate, mutateOnly, validateOnly } from "./fixtures.ts";

// provider_test.go TestMutatePodNonmutating / TestMutateContainerNonmutating.
Deno.test("provider: permissive PSPs do not mutate pods (nor the PSP)", () => {
  const psp = defaultPSP({}, { "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*" });
  const pspBefore = structuredClone(psp);
  for (
    const pod of [
      { metadata: {}, spec: { securityContext: {}, containers: [] } },
      { metadata: {}, spec: { securityContext: {}, containers: [{ name: "" }] } },
      {
        metadata: {},
        spec: {
          securityContext: {},
          containers: [{ name: "", securityContext: { runAsNonRoot: false } }],
        },
      },
    ]
  ) {
    const out = mutateOnly(psp, pod);
    assert.equal(out.pod, pod);
    assert.deepEqual(out.changes, []);
  }
  assert.deepEqual(psp, pspBefore);
});

Deno.test("provider: validation order is pod-level checks, then each container's in Kubernetes' order", () => {
  const psp = defaultPSP(
    {
      fsGroup: { rule: "MustRunAs", ranges: [{ min: 1, max: 1 }] },
      supplementalGroups: { rule: "MustRunAs", ranges: [{ min: 1, max: 1 }] },
      seLinux: { rule: "MustRunAs", seLinuxOptions: { level: "s0" } },
      runAsUser: { rule: "MustRunAs", ranges: [{ min: 5, max: 5 }] },
      runAsGroup: { rule: "MustRunAs", ranges: [{ min: 5, max: 5 }] },
      runtimeClass: { allowedRuntimeClassNames: [] },
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      requiredDropCapabilities: ["ALL"],
    },
    { "apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default" },
  );
  const pod = {
    metadata: { annotations: { "seccomp.security.alpha.kubernetes.io/pod": "unconfined" } },
    spec: {
      hostNetwork: true,
      hostPID: true,
      hostIPC: true,
      runtimeClassName: "kata",
      volumes: [{ name: "v", emptyDir: {} }],
      securityContext: {
        fsGroup: 2,
        supplementalGroups: [2],
        seLinuxOptions: { level: "s1" },
        sysctls: [{ name: "kernel.msgmax", value: "1" }],
      },
      containers: [{
        name: "c",
        ports: [{ containerPort: 1, hostPort: 1 }],
        securityContext: {
          runAsUser: 1,
          runAsGroup: 1,
          privileged: true,
          procMount: "Unmasked",
          capabilities: { add: ["X"] },
          readOnlyRootFilesystem: false,
          allowPrivilegeEscalation: true,
        },
      }],
    },
  };
  const fields = validateOnly(psp, pod).map((l) => l.slice(0, l.indexOf(": ")));
  assert.deepEqual(fields, [
    "spec.securityContext.fsGroup",
    "spec.securityContext.supplementalGroups",
    "pod.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]",
    "spec.securityContext.seLinuxOptions.level",
    "spec.securityContext.hostNetwork",
    "spec.securityContext.hostPID",
    "spec.securityContext.hostIPC",
    "pod.spec.securityContext.sysctls[0]",
    "spec.volumes[0]",
    "spec.runtimeClassName",
    "spec.containers[0].securityContext.runAsUser",
    "spec.containers[0].securityContext",
    "spec.containers[0].securityContext.seLinuxOptions.level",
    "pod.metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]",
    "pod.metadata.annotations[container.seccomp.security.alpha.kubernetes.io/c]",
    "spec.containers[0].securityContext.privileged",
    "spec.containers[0].securityContext.procMount",
    "spec.containers[0].securityContext.capabilities.add",
    "spec.containers[0].securityContext.capabilities.drop",
    "spec.containers[0].hostPort",
    "spec.containers[0].securityContext.readOnlyRootFilesystem",
    "spec.containers[0].securityContext.allowPrivilegeEscalation",
  ]);
});

Deno.test("provider: mutation order and what each default writes", () => {
  const psp = defaultPSP(
    {
      supplementalGroups: { rule: "MustRunAs", ranges: [{ min: 3, max: 4 }] },
      fsGroup: { rule: "MustRunAs", ranges: [{ min: 2, max: 4 }] },
      seLinux: { rule: "MustRunAs", seLinuxOptions: { level: "s0" } },
      runtimeClass: { allowedRuntimeClassNames: ["g"], defaultRuntimeClassName: "g" },
      runAsUser: { rule: "MustRunAs", ranges: [{ min: 7, max: 7 }] },
      runAsGroup: { rule: "MustRunAs", ranges: [{ min: 8, max: 8 }] },
      defaultAddCapabilities: ["CHOWN"],
      readOnlyRootFilesystem: true,
      defaultAllowPrivilegeEscalation: false,
    },
    {
      "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
      "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
      "apparmor.security.beta.kubernetes.io/defaultProfileName": "runtime/default",
    },
  );
  const out = evaluate(psp, { metadata: {}, spec: { containers: [{ name: "c" }] } });
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.changes.map((c) => c.field), [
    "spec.securityContext.supplementalGroups",
    "spec.securityContext.fsGroup",
    "spec.securityContext.seLinuxOptions",
    "metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]",
    "spec.runtimeClassName",
    "spec.containers[0].securityContext.runAsUser",
    "spec.containers[0].securityContext.runAsGroup",
    "metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]",
    "spec.containers[0].securityContext.capabilities",
    "spec.containers[0].securityContext.readOnlyRootFilesystem",
    "spec.containers[0].securityContext.allowPrivilegeEscalation",
  ]);
  assert.deepEqual(out.pod.spec.containers[0].securityContext, {
    runAsUser: 7,
    runAsGroup: 8,
    capabilities: { add: ["CHOWN"] },
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
  });
  assert.deepEqual(out.pod.spec.securityContext, {
    supplementalGroups: [3],
    fsGroup: 2,
    seLinuxOptions: { level: "s0" },
  });
});

Deno.test("provider: ephemeral containers are mutated but not validated (EphemeralContainers gate off)", () => {
  const psp = defaultPSP({ allowPrivilegeEscalation: false });
  const pod = defaultPod({
    ephemeralContainers: [{ name: "debug", securityContext: { privileged: true } }],
  });
  const out = evaluate(psp, pod);
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.changes.map((c) => c.field), [
    "spec.containers[0].securityContext.allowPrivilegeEscalation",
    "spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation",
  ]);
});

Deno.test("provider: init containers are validated before regular containers", () => {
  const pod = defaultPod({
    initContainers: [{ name: "i", securityContext: { privileged: true } }],
    containers: [{ name: "c", securityContext: { privileged: true } }],
  });
  assert.deepEqual(validateOnly(defaultPSP(), pod).map((l) => l.split(":")[0]), [
    "spec.initContainers[0].securityContext.privileged",
    "spec.containers[0].securityContext.privileged",
  ]);
});
