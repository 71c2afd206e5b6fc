import assert from "node:assert/strict";
import { pspFieldOf, splitViolations, violationsOf } from "../../support/falco/psp_violations.ts";

Deno.test("refusal messages split into violations with their PSP fields", () => {
  const msg = 'pods "x" is forbidden: PodSecurityPolicy: unable to admit pod: [' +
    "spec.securityContext.supplementalGroups: Invalid value: []int64{1500, 3000}: group 3000 must be in the ranges: [{1000 2000}] " +
    "spec.containers[0].hostPort: Invalid value: 80: Host port 80 is not allowed to be used. Allowed ports: [] " +
    "pod.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: Forbidden: seccomp may not be set " +
    "spec.initContainers[0].securityContext: Invalid value: []int64{0}: group 0 must be in the ranges: [{1000 2000}]]";
  const v = violationsOf(msg);
  assert.deepEqual(v.map((x) => x.field), [
    "supplementalGroups",
    "hostPorts",
    "seccomp",
    "runAsGroup",
  ]);
  assert.equal(
    v[0].body,
    "Invalid value: []int64{1500, 3000}: group 3000 must be in the ranges: [{1000 2000}]",
  );
  assert.equal(
    v[1].body,
    "Invalid value: 80: Host port 80 is not allowed to be used. Allowed ports: []",
  );
});

Deno.test("violation paths map to PSP fields as docs/psp-admission.md describes", () => {
  const cases: [string, string, string][] = [
    [
      "pod.spec.securityContext.sysctls[1]",
      'Forbidden: unsafe sysctl "kernel.msgmax" is not allowed',
      "allowedUnsafeSysctls",
    ],
    [
      "pod.spec.securityContext.sysctls[0]",
      'Forbidden: sysctl "kernel.shm_rmid_forced" is not allowed',
      "forbiddenSysctls",
    ],
    [
      "spec.volumes[2].driver",
      'Invalid value: "c/d": Flexvolume driver is not allowed to be used',
      "allowedFlexVolumes",
    ],
    ["spec.volumes[3].csi.driver", "", "allowedCSIDrivers"],
    ["spec.volumes[0].hostPath.pathPrefix", "", "allowedHostPaths"],
    ["spec.containers[0].volumeMounts[2].readOnly", "", "allowedHostPaths"],
    ["spec.volumes[0]", "", "volumes"],
    ["spec.containers[0].securityContext.runAsNonRoot", "", "runAsUser"],
    ["spec.ephemeralContainers[0].securityContext.capabilities.add", "", "allowedCapabilities"],
    ["spec.containers[0].securityContext.procMount", "", "allowedProcMountTypes"],
    ["spec.securityContext.seLinuxOptions.level", "", "seLinux"],
    [
      "pod.metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]",
      "",
      "apparmor",
    ],
    ["spec.runtimeClassName", "", "runtimeClass"],
  ];
  for (const [path, body, field] of cases) assert.equal(pspFieldOf(path, body), field, path);
  assert.throws(() => pspFieldOf("spec.nodeName", ""), /no PSP field known/);
  assert.throws(
    () => splitViolations("pods x is forbidden: something else"),
    /not a PSP admission refusal/,
  );
});
