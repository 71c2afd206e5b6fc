/**
 * Pods out of Kubernetes objects: a Pod as it is, and the pod template of a
 * Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
 * ReplicationController or PodTemplate turned into the pod its controller would
 * create (the workload's namespace, the template's service account, a name).
 */
import type { LoadedObject } from "../io/documents.ts";
import { type DocumentText, parseDocument } from "../io/stream.ts";
import { type CompiledSelection, objectSelected } from "./selection.ts";
import { formatSource, InputError, type SourceRef } from "../io/errors.ts";
import type { Pod } from "../model/pod.ts";
import { checkPodShape } from "./pod_shape.ts";
import { unknownPodFields } from "./pod_fields.ts";
import { podServiceAccount } from "./service_account_token.ts";
import type { PodSubject, WorkloadRef } from "./subject.ts";

/** The namespace of objects that name none (as kubectl's default context namespace). */
export const DEFAULT_NAMESPACE = "default";

interface TemplateKind {
  /** API groups the kind is served from (`""` is the core group). */
  groups: string[];
  /** Path from the object to its PodTemplateSpec. */
  templatePath: string[];
  /** Whether `spec.replicas` (default 1) is the pod count. */
  replicas: boolean;
}

const TEMPLATE_KINDS: Record<string, TemplateKind> = {
  Deployment: {
    groups: ["apps", "extensions"],
    templatePath: ["spec", "template"],
    replicas: true,
  },
  ReplicaSet: {
    groups: ["apps", "extensions"],
    templatePath: ["spec", "template"],
    replicas: true,
  },
  StatefulSet: { groups: ["apps"], templatePath: ["spec", "template"], replicas: true },
  DaemonSet: {
    groups: ["apps", "extensions"],
    templatePath: ["spec", "template"],
    replicas: false,
  },
  ReplicationController: { groups: [""], templatePath: ["spec", "template"], replicas: true },
  Job: { groups: ["batch"], templatePath: ["spec", "template"], replicas: false },
  CronJob: {
    groups: ["batch"],
    templatePath: ["spec", "jobTemplate", "spec", "template"],
    replicas: false,
  },
  PodTemplate: { groups: [""], templatePath: ["template"], replicas: false },
};

/** The kinds `-f` inputs may hold pods in. */
export const POD_KINDS: readonly string[] = ["Pod", ...Object.keys(TEMPLATE_KINDS)];

/** An ownership edge learned from a workload object (ReplicaSet -> Deployment, Job -> CronJob). */
export interface OwnerEdge {
  child: WorkloadRef;
  owner: WorkloadRef;
}

/** What one object yields: a pod subject, an ownership edge, or nothing (not a pod kind). */
export interface Extracted {
  subject?: PodSubject;
  edge?: OwnerEdge;
  /** With `unknownFields`: a warning (file, position, field) per pod field Kubernetes does not know. */
  warnings?: string[];
}

function unknownFieldWarnings(
  loaded: Pick<LoadedObject, "object" | "source" | "locate">,
  templatePath?: readonly string[],
): string[] {
  return unknownPodFields(loaded.object, templatePath).map((u) =>
    `${
      formatSource({ ...loaded.source, ...(loaded.locate?.(u.path) ?? {}) })
    }: unknown field ${u.field} ignored (the API server drops it)`
  );
}

function apiGroup(apiVersion: unknown): string | undefined {
  if (typeof apiVersion !== "string") return undefined;
  const i = apiVersion.indexOf("/");
  return i < 0 ? "" : apiVersion.slice(0, i);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The controller ownerReference of an object's metadata (`controller: true`,
 * else the only one). A Node owner (static pods' mirror pods) groups nothing.
 */
export function controllerOf(meta: unknown, namespace: string): WorkloadRef | undefined {
  if (!isRecord(meta) || !Array.isArray(meta.ownerReferences)) return undefined;
  const refs = meta.ownerReferences.filter((r): r is Record<string, unknown> =>
    isRecord(r) && typeof r.kind === "string" && typeof r.name === "string"
  );
  const ref = refs.find((r) => r.controller === true) ?? (refs.length === 1 ? refs[0] : undefined);
  if (!ref || ref.kind === "Node") return undefined;
  return { kind: ref.kind as string, namespace, name: ref.name as string };
}

function shapeError(
  source: SourceRef,
  locate: LoadedObject["locate"] | undefined,
  problem: { field: string; path: (string | number)[]; detail: string },
): InputError {
  const at = locate?.(problem.path);
  return new InputError({ ...source, ...(at ?? {}) }, problem.field, problem.detail);
}

/**
 * Turns one loaded object into a pod subject. Objects of other kinds (or of a
 * pod kind in a foreign API group) give `{}`; the caller reports them. Wrongly
 * typed pod fields are an InputError naming file, document and field.
 */
export function extractFromObject(
  loaded: Pick<LoadedObject, "object" | "source" | "locate">,
  defaultNamespace: string = DEFAULT_NAMESPACE,
  opts: { unknownFields?: boolean } = {},
): Extracted {
  const obj = loaded.object;
  const kind = typeof obj.kind === "string" ? obj.kind : "";
  const group = apiGroup(obj.apiVersion);
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  const namespace = typeof meta.namespace === "string" && meta.namespace !== ""
    ? meta.namespace
    : defaultNamespace;
  const name = typeof meta.name === "string" && meta.name !== ""
    ? meta.name
    : typeof meta.generateName === "string"
    ? meta.generateName
    : "";

  if (kind === "Pod" && group === "") {
    const problem = checkPodShape(obj);
    if (problem) throw shapeError(loaded.source, loaded.locate, problem);
    const pod = withServiceAccount(obj as unknown as Pod, namespace);
    return {
      subject: {
        workload: { kind, namespace, name },
        owner: controllerOf(meta, namespace),
        pod,
        namespace,
        fromTemplate: false,
        podCount: 1,
        source: loaded.source,
        podPath: [],
        locate: loaded.locate,
      },
      ...(opts.unknownFields ? { warnings: unknownFieldWarnings(loaded) } : {}),
    };
  }

  const tk = TEMPLATE_KINDS[kind];
  if (!tk || group === undefined || !tk.groups.includes(group)) return {};
  if (name === "") {
    throw new InputError(loaded.source, "metadata.name", "required field is missing");
  }
  let template: unknown = obj;
  for (const k of tk.templatePath) template = isRecord(template) ? template[k] : undefined;
  if (template === undefined || template === null) {
    throw shapeError(loaded.source, loaded.locate, {
      field: tk.templatePath.join("."),
      path: tk.templatePath,
      detail: "required field is missing (the pod template)",
    });
  }
  const problem = checkPodShape(template, [...tk.templatePath]);
  if (problem) throw shapeError(loaded.source, loaded.locate, problem);
  const tmpl = template as { metadata?: Record<string, unknown>; spec: Pod["spec"] };
  const tmeta = tmpl.metadata ?? {};
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      ...(tmeta.labels ? { labels: tmeta.labels as Record<string, string> } : {}),
      ...(tmeta.annotations ? { annotations: tmeta.annotations as Record<string, string> } : {}),
    },
    spec: tmpl.spec,
  };
  let podCount: number | null = null;
  if (tk.replicas) {
    const spec = obj.spec as Record<string, unknown>;
    const r = spec.replicas;
    if (r !== undefined && r !== null && !(typeof r === "number" && Number.isSafeInteger(r))) {
      throw shapeError(loaded.source, loaded.locate, {
        field: "spec.replicas",
        path: ["spec", "replicas"],
        detail: "expected an integer",
      });
    }
    podCount = typeof r === "number" ? r : 1;
  } else if (kind === "Job") podCount = jobPods(obj.spec);
  else if (kind === "CronJob") {
    const jobTemplate = isRecord(obj.spec) ? obj.spec.jobTemplate : undefined;
    podCount = jobPods(isRecord(jobTemplate) ? jobTemplate.spec : undefined);
  }
  const podsPer = kind === "DaemonSet" ? "node" : kind === "CronJob" ? "run" : undefined;
  const workload = { kind, namespace, name };
  const owner = controllerOf(meta, namespace);
  return {
    subject: {
      workload,
      owner,
      pod: withServiceAccount(pod, namespace),
      namespace,
      fromTemplate: true,
      podCount,
      ...(podsPer ? { podsPer } : {}),
      source: loaded.source,
      podPath: tk.templatePath,
      locate: loaded.locate,
    },
    edge: owner ? { child: workload, owner } : undefined,
    ...(opts.unknownFields ? { warnings: unknownFieldWarnings(loaded, tk.templatePath) } : {}),
  };
}

/**
 * The pod as the ServiceAccount admission plugin leaves it for PSP: namespace
 * set, `serviceAccountName` from the (deprecated) `serviceAccount` or `default`.
 * Copies only the top level and `spec`; the input is not changed.
 */
function withServiceAccount(pod: Pod, namespace: string): Pod {
  const sa = podServiceAccount(pod);
  if ((pod.spec.serviceAccountName ?? "") === sa && pod.metadata?.namespace === namespace) {
    return pod;
  }
  return {
    ...pod,
    metadata: { ...(pod.metadata ?? {}), namespace },
    spec: { ...pod.spec, serviceAccountName: sa },
  };
}

/**
 * The pods a Job runs to completion: `completions`, else (a work queue) `parallelism`, else 1,
 * as the Job controller defaults them; failed pods it replaces are not counted.
 */
function jobPods(spec: unknown): number {
  const n = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : null;
  if (!isRecord(spec)) return 1;
  return n(spec.completions) ?? n(spec.parallelism) ?? 1;
}

/** Kinds whose apps/v1 form requires `spec.selector`. */
const SELECTOR_REQUIRED = new Set(["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"]);

/**
 * The first field the API server requires that a pod-kind object lacks (a container's name or
 * image, an apps/v1 workload's selector), as kustomize patches and other fragments lack them;
 * undefined for a whole object or another kind.
 */
function missingRequired(
  o: Record<string, unknown>,
): { field: string; at: (string | number)[] } | undefined {
  const kind = typeof o.kind === "string" ? o.kind : "";
  const template = kind === "Pod" ? [] : TEMPLATE_KINDS[kind]?.templatePath;
  if (template === undefined) return undefined;
  if (SELECTOR_REQUIRED.has(kind) && o.apiVersion === "apps/v1") {
    const spec = o.spec;
    if (!isRecord(spec) || !isRecord(spec.selector)) {
      return { field: "spec.selector", at: isRecord(spec) ? ["spec"] : [] };
    }
  }
  let node: unknown = o;
  for (const key of template) node = isRecord(node) ? node[key] : undefined;
  const spec = isRecord(node) ? node.spec : undefined;
  const base = [...template, "spec"];
  if (!isRecord(spec)) return { field: base.join("."), at: template };
  for (const list of ["containers", "initContainers"]) {
    const containers = spec[list];
    if (list === "containers" && !Array.isArray(containers)) {
      return { field: `${base.join(".")}.containers`, at: base };
    }
    if (!Array.isArray(containers)) continue;
    for (const [i, c] of containers.entries()) {
      for (const key of ["name", "image"]) {
        if (!isRecord(c) || typeof c[key] !== "string" || c[key] === "") {
          return { field: `${base.join(".")}.${list}[${i}].${key}`, at: [...base, list, i] };
        }
      }
    }
  }
  return undefined;
}

/** What one `-f` document yields: each object with its extraction, and warnings for what was skipped. */
export interface ExtractedDocument {
  objects: { loaded: LoadedObject; extracted: Extracted }[];
  /** One warning per document or object skipped (lenient documents only). */
  skipped: string[];
  /** Objects that `-n`/`-l` leave out. */
  unselected: number;
}

const NO_SELECTION: CompiledSelection = { requirements: [] };

const STRICT_HINT = "(skipped; --strict makes this an error)";

/**
 * Reads one document of an `-f` file and extracts the objects `selection` (`-n`, `-l`) keeps
 * (extractFromObject, with unknown-field warnings). A lenient document (its file was found in a directory, without
 * `--strict`) that is not a Kubernetes object (unreadable YAML, an unrendered template, not a
 * mapping, no apiVersion or kind) or only part of one (a pod kind whose pod fields are missing
 * or mistyped, as in a kustomize patch) is skipped with one warning naming file, document and
 * why; otherwise such a document is an InputError, as before.
 */
export function extractDocument(
  doc: DocumentText,
  selection: CompiledSelection = NO_SELECTION,
): ExtractedDocument {
  const out: ExtractedDocument = { objects: [], skipped: [], unselected: 0 };
  let loaded: LoadedObject[];
  try {
    loaded = parseDocument(doc);
  } catch (e) {
    if (!doc.lenient || !(e instanceof InputError)) throw e;
    out.skipped.push(`${e.message} ${STRICT_HINT}`);
    return out;
  }
  for (const lo of loaded) {
    const o = lo.object;
    if (
      doc.lenient && (typeof o.apiVersion !== "string" || typeof o.kind !== "string" || !o.kind)
    ) {
      out.skipped.push(
        `${
          formatSource(lo.source)
        }: not a Kubernetes object (no apiVersion or kind) ${STRICT_HINT}`,
      );
      continue;
    }
    const missing = doc.lenient ? missingRequired(o) : undefined;
    if (missing) {
      out.skipped.push(
        `${
          formatSource({ ...lo.source, ...(lo.locate?.(missing.at) ?? {}) })
        }: ${missing.field}: Required value: a partial ${o.kind} (a patch?) ${STRICT_HINT}`,
      );
      continue;
    }
    try {
      if (!objectSelected(lo, selection)) {
        out.unselected++;
        continue;
      }
      out.objects.push({
        loaded: lo,
        extracted: extractFromObject(lo, selection.namespace, { unknownFields: true }),
      });
    } catch (e) {
      if (!doc.lenient || !(e instanceof InputError)) throw e;
      out.skipped.push(`${e.message}: a partial ${o.kind} (a patch?) ${STRICT_HINT}`);
    }
  }
  return out;
}
