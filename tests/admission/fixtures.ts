/**
 * Fixtures mirroring Kubernetes' PSP tests (docs/psp-admission.md §7.1): provider_test.go's
 * `defaultPSP`/`defaultPod` and admission_test.go's `restrictivePSP`/`permissivePSP`/`goodPod`.
 */
import type { Container, Pod } from "../../src/model/pod.ts";
import type { PodSecurityPolicy, PodSecurityPolicySpec } from "../../src/model/psp.ts";
import { applyPspDefaults } from "../../src/psp/defaults.ts";
import { Provider } from "../../src/admission/provider.ts";
import { type AdmissionDecision, admitPod, compilePolicy } from "../../src/admission/admit.ts";

/** provider_test.go `defaultNamedPSP`: all RunAsAny, APE true, everything else off. */
export function defaultPSP(
  spec: Partial<PodSecurityPolicySpec> = {},
  annotations: Record<string, string> = {},
  name = "psp-sa",
): PodSecurityPolicy {
  return {
    metadata: { name, annotations },
    spec: {
      runAsUser: { rule: "RunAsAny" },
      runAsGroup: { rule: "RunAsAny" },
      seLinux: { rule: "RunAsAny" },
      fsGroup: { rule: "RunAsAny" },
      supplementalGroups: { rule: "RunAsAny" },
      allowPrivilegeEscalation: true,
      ...spec,
    },
  };
}

/** provider_test.go `defaultPod`: one container `test-c` with `privileged: false`. */
export function defaultPod(
  spec: Partial<Pod["spec"]> = {},
  annotations: Record<string, string> = {},
): Pod {
  return {
    metadata: { annotations },
    spec: {
      securityContext: {},
      containers: [{ name: "test-c", securityContext: { privileged: false } }],
      ...spec,
    },
  };
}

/** admission_test.go `restrictivePSP`. */
export function restrictivePSP(
  spec: Partial<PodSecurityPolicySpec> = {},
  annotations: Record<string, string> = {},
  name = "restrictive",
): PodSecurityPolicy {
  const r = [{ min: 999, max: 999 }];
  return {
    metadata: { name, annotations },
    spec: {
      allowPrivilegeEscalation: false,
      runAsUser: { rule: "MustRunAs", ranges: r },
      runAsGroup: { rule: "MustRunAs", ranges: r },
      seLinux: { rule: "MustRunAs", seLinuxOptions: { level: "s9:z0,z1" } },
      fsGroup: { rule: "MustRunAs", ranges: r },
      supplementalGroups: { rule: "MustRunAs", ranges: r },
      ...spec,
    },
  };
}

/** admission_test.go `permissivePSP` (named `privileged`). */
export function permissivePSP(
  spec: Partial<PodSecurityPolicySpec> = {},
  annotations: Record<string, string> = {},
  name = "privileged",
): PodSecurityPolicy {
  return {
    metadata: { name, annotations },
    spec: {
      allowPrivilegeEscalation: true,
      hostIPC: true,
      hostNetwork: true,
      hostPID: true,
      hostPorts: [{ min: 0, max: 65536 }],
      volumes: ["*"],
      allowedCapabilities: ["*"],
      runAsUser: { rule: "RunAsAny" },
      runAsGroup: { rule: "RunAsAny" },
      seLinux: { rule: "RunAsAny" },
      fsGroup: { rule: "RunAsAny" },
      supplementalGroups: { rule: "RunAsAny" },
      ...spec,
    },
  };
}

/** admission_test.go `goodPod`: name `pod`, one container `test-c` with an empty securityContext. */
export function goodPod(
  spec: Partial<Pod["spec"]> = {},
  annotations: Record<string, string> = {},
): Pod {
  return {
    metadata: { name: "pod", namespace: "namespace", annotations },
    spec: {
      serviceAccountName: "default",
      securityContext: {},
      containers: [{ name: "test-c", securityContext: {} }],
      ...spec,
    },
  };
}

/** A container named `test-c` with the given securityContext and extra fields. */
export function container(
  securityContext: Container["securityContext"],
  extra: Partial<Container> = {},
): Container {
  return { name: "test-c", securityContext, ...extra };
}

/** Kubernetes' ValidatePod without MutatePod (how provider_test.go calls it): the lines. */
export function validateOnly(psp: PodSecurityPolicy, pod: Pod): string[] {
  return new Provider(applyPspDefaults(psp)).validate(pod).map((v) => v.text);
}

/** Kubernetes' MutatePod: the mutated pod (copy-on-write) and its recorded changes. */
export function mutateOnly(psp: PodSecurityPolicy, pod: Pod) {
  const m = new Provider(applyPspDefaults(psp)).mutate(pod);
  return { pod: m.pod, changes: m.changes ?? [] };
}

/** MutatePod then ValidatePod on the result (Kubernetes' assignSecurityContext): the lines. */
export function evaluate(psp: PodSecurityPolicy, pod: Pod) {
  const ev = new Provider(applyPspDefaults(psp)).evaluate(pod);
  return { pod: ev.pod, changes: ev.changes, errors: ev.violations.map((v) => v.text) };
}

/** Full admission of `pod` against the given PSPs. */
export function admit(pod: Pod, ...psps: PodSecurityPolicy[]): AdmissionDecision {
  return admitPod(pod, psps.map(compilePolicy));
}

/** The list inside the 403 text (`[...]`), or the whole message when it has none. */
export function messageList(d: AdmissionDecision): string {
  const m = /: \[(.*)\]$/s.exec(d.message ?? "");
  return m ? m[1] : d.message ?? "";
}
