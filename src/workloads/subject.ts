/**
 * PodSubject: one pod to put through PSP admission, with the workload it belongs
 * to and where it came from. File inputs, audit logs and (later) a cluster all
 * produce PodSubjects; the audit only consumes them.
 */
import type { SourceRef } from "../io/errors.ts";
import type { Pod } from "../model/pod.ts";

/** A workload (or a bare pod) as a report row names it. */
export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

/** The identity that creates the pod (for RBAC `use` checks). */
export interface Requester {
  user: string;
  groups: string[];
}

/** One pod to audit. */
export interface PodSubject {
  /** The object the pod came from: the Pod itself or the workload holding the template. */
  workload: WorkloadRef;
  /**
   * The controller that owns the pod (from its controller ownerReference), if any;
   * the report collapses pods of the same controller into one row.
   */
  owner?: WorkloadRef;
  /** The pod as it reaches admission: namespace and serviceAccountName filled in. */
  pod: Pod;
  /** The pod's namespace (admission and RBAC use it). */
  namespace: string;
  /** True when `pod` was made from a template (Deployment, CronJob, ...). */
  fromTemplate: boolean;
  /**
   * Replica count for templates that have one, a Job's pods (completions, else parallelism,
   * else 1), a CronJob's pods per run, 1 for a pod; null when unknown (DaemonSet, PodTemplate).
   */
  podCount: number | null;
  /** How `podCount` is counted when not in total: per node (DaemonSet), per run (CronJob). */
  podsPer?: "node" | "run";
  /** Where the object was read. */
  source: SourceRef;
  /** Path from the source object to the pod (e.g. `["spec", "template"]`). */
  podPath: readonly (string | number)[];
  /** Finds the line of a field path inside the source object, when known. */
  locate?: (path: readonly (string | number)[]) => { line: number; column: number } | undefined;
  /** Who creates the pod (audit log events), overriding the command's `--creator`. */
  requester?: Requester;
}

/** A stable map key for a workload. */
export function workloadKey(w: WorkloadRef): string {
  return JSON.stringify([w.kind, w.namespace, w.name]);
}
