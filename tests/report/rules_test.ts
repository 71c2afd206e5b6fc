import assert from "node:assert/strict";
import { ALL_RULES, ruleFor } from "../../src/report/rules.ts";

Deno.test("every violation path of the specification maps to its PSP control", () => {
  const cases: [string, string, string?][] = [
    ["spec.containers[0].securityContext.privileged", "privileged"],
    ["spec.initContainers[1].securityContext.capabilities.add", "allowedCapabilities"],
    [
      "spec.containers[0].securityContext.capabilities.drop",
      "requiredDropCapabilities",
      'Invalid value: []core.Capability{"NET_RAW"}: ALL is required to be dropped but was not found',
    ],
    ["spec.containers[0].securityContext.capabilities", "capabilities"],
    ["spec.volumes[2]", "volumes"],
    ["spec.volumes[0].hostPath.pathPrefix", "allowedHostPaths"],
    ["spec.initContainers[0].volumeMounts[0].readOnly", "allowedHostPaths"],
    ["spec.volumes[2].driver", "allowedFlexVolumes"],
    ["spec.volumes[3].csi.driver", "allowedCSIDrivers"],
    ["spec.securityContext.hostNetwork", "hostNetwork"],
    ["spec.securityContext.hostPID", "hostPID"],
    ["spec.securityContext.hostIPC", "hostIPC"],
    ["spec.containers[0].hostPort", "hostPorts"],
    ["spec.securityContext.seLinuxOptions.level", "seLinux"],
    ["spec.containers[0].securityContext.seLinuxOptions", "seLinux"],
    ["spec.containers[0].securityContext.runAsUser", "runAsUser"],
    ["spec.containers[0].securityContext.runAsNonRoot", "runAsUser"],
    ["spec.containers[0].securityContext", "runAsGroup"],
    ["spec.containers[0].securityContext.runAsGroup", "runAsGroup"],
    ["spec.securityContext.supplementalGroups", "supplementalGroups"],
    ["spec.securityContext.fsGroup", "fsGroup"],
    ["spec.containers[0].securityContext.readOnlyRootFilesystem", "readOnlyRootFilesystem"],
    ["spec.containers[0].securityContext.allowPrivilegeEscalation", "allowPrivilegeEscalation"],
    ["pod.spec.securityContext.sysctls[1]", "sysctls"],
    ["spec.containers[0].securityContext.procMount", "allowedProcMountTypes"],
    ["spec.runtimeClassName", "runtimeClass"],
    ["pod.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]", "seccomp"],
    ["pod.metadata.annotations[container.apparmor.security.beta.kubernetes.io/test-c]", "apparmor"],
    ["[]", "admission"],
    ["", "admission"],
  ];
  const ids = new Set(ALL_RULES.map((r) => r.id));
  for (const [field, id, message] of cases) {
    const rule = ruleFor(field, message);
    assert.equal(rule.id, id, field);
    assert.ok(ids.has(rule.id) && rule.title, `${id} is in the rule table`);
  }
});
