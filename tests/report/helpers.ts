/** Test doubles for report tests: pod subjects and admission decisions built by hand. */
import type { Pod } from "../../src/model/pod.ts";
import type { DecisionLike } from "../../src/report/build.ts";
import type { SourceRef } from "../../src/io/errors.ts";
import type { PodSubject, WorkloadRef } from "../../src/workloads/subject.ts";

export function pod(name: string, extra: Partial<Pod["metadata"]> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "ns", ...extra },
    spec: { serviceAccountName: "default", containers: [{ name: "app", image: "nginx" }] },
  };
}

export function podSubject(
  name: string,
  opts: { owner?: WorkloadRef; labels?: Record<string, string>; file?: string } = {},
): PodSubject {
  return {
    workload: { kind: "Pod", namespace: "ns", name },
    owner: opts.owner,
    pod: pod(name, opts.labels ? { labels: opts.labels } : {}),
    namespace: "ns",
    fromTemplate: false,
    podCount: 1,
    source: { file: opts.file ?? "pods.yaml", document: 1 },
    podPath: [],
  };
}

export function templateSubject(
  kind: string,
  name: string,
  podCount: number | null,
  owner?: WorkloadRef,
  source: SourceRef = { file: "workloads.yaml", document: 2 },
): PodSubject {
  return {
    workload: { kind, namespace: "ns", name },
    owner,
    pod: pod(name),
    namespace: "ns",
    fromTemplate: true,
    podCount,
    source,
    podPath: ["spec", "template"],
  };
}

export const ADMITTED: DecisionLike = {
  verdict: "admitted",
  policy: "privileged",
  results: [{ policy: "privileged", allowed: true, violations: [], changes: [] }],
  admitted: pod("x", { annotations: { "kubernetes.io/psp": "privileged" } }),
};

export const PRIVILEGED_TEXT =
  "spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed";

export const REFUSED: DecisionLike = {
  verdict: "refused",
  policy: null,
  results: [{
    policy: "restricted",
    allowed: false,
    violations: [{
      field: "spec.containers[0].securityContext.privileged",
      message: "Invalid value: true: Privileged containers are not allowed",
      text: PRIVILEGED_TEXT,
      pspField: "privileged",
    }, {
      field: "spec.securityContext.hostNetwork",
      message: "Invalid value: true: Host network is not allowed to be used",
      text:
        "spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used",
      pspField: "hostNetwork",
    }],
    changes: [],
  }],
  admitted: null,
  message: `pods "x" is forbidden: PodSecurityPolicy: unable to admit pod: [${PRIVILEGED_TEXT}]`,
};

export const CHANGED: DecisionLike = {
  verdict: "changed",
  policy: "restricted",
  results: [{
    policy: "restricted",
    allowed: true,
    violations: [],
    changes: [
      {
        field: "spec.containers[0].securityContext.runAsNonRoot",
        from: undefined,
        to: true,
        pspField: "runAsUser",
      },
      { field: "spec.securityContext.fsGroup", from: undefined, to: 1, pspField: "fsGroup" },
    ],
  }],
  admitted: pod("x", { annotations: { "kubernetes.io/psp": "restricted" } }),
};

export const SECCOMP_POD = "seccomp.security.alpha.kubernetes.io/pod";

/** The annotation PSP admission copies from the pod's own seccompProfile field (no effect). */
export const SECCOMP_COPY = {
  field: `metadata.annotations[${SECCOMP_POD}]`,
  from: undefined,
  to: "runtime/default",
  effect: "none" as const,
};

/** Admitted by `privileged` with only the seccomp copy: admission says changed, in effect not. */
export const COSMETIC: DecisionLike = {
  verdict: "changed",
  policy: "privileged",
  results: [{ policy: "privileged", allowed: true, violations: [], changes: [SECCOMP_COPY] }],
  admitted: pod("x", {
    annotations: { "kubernetes.io/psp": "privileged", [SECCOMP_POD]: "runtime/default" },
  }),
};

/** CHANGED plus the seccomp copy (first). */
export const CHANGED_AND_COSMETIC: DecisionLike = {
  ...CHANGED,
  results: [{ ...CHANGED.results[0], changes: [SECCOMP_COPY, ...CHANGED.results[0].changes] }],
};
