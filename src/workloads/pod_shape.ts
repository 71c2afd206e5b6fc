/**
 * Type checks on the pod fields PSP admission reads, so that malformed input is
 * refused with the field path (as the API server's decoder would) instead of
 * reaching the evaluator. Only the admission-relevant fields are checked.
 */

/** A shape problem: the field path (dotted, `[i]` indexes) and what is wrong. */
export interface ShapeProblem {
  field: string;
  path: (string | number)[];
  detail: string;
}

type Check = (v: unknown, path: (string | number)[]) => ShapeProblem | undefined;

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "a mapping" : `${typeof v} ${JSON.stringify(v)}`;
}

/** Renders `["spec","containers",0,"name"]` as `spec.containers[0].name`. */
export function fieldPath(path: readonly (string | number)[]): string {
  let s = "";
  for (const p of path) {
    if (typeof p === "number") s += `[${p}]`;
    else s += s === "" ? p : `.${p}`;
  }
  return s;
}

function fail(path: (string | number)[], detail: string): ShapeProblem {
  return { field: fieldPath(path), path, detail };
}

const optional = (check: Check): Check => (v, path) =>
  v === undefined || v === null ? undefined : check(v, path);

const bool: Check = (v, path) =>
  typeof v === "boolean" ? undefined : fail(path, `expected a boolean, got ${describe(v)}`);

const str: Check = (v, path) =>
  typeof v === "string" ? undefined : fail(path, `expected a string, got ${describe(v)}`);

const int: Check = (v, path) =>
  typeof v === "number" && Number.isSafeInteger(v)
    ? undefined
    : fail(path, `expected an integer, got ${describe(v)}`);

const listOf = (item: Check): Check => (v, path) => {
  if (!Array.isArray(v)) return fail(path, `expected a list, got ${describe(v)}`);
  for (let i = 0; i < v.length; i++) {
    const p = item(v[i], [...path, i]);
    if (p) return p;
  }
  return undefined;
};

const mapOf = (value: Check): Check => (v, path) => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return fail(path, `expected a mapping, got ${describe(v)}`);
  }
  for (const [k, x] of Object.entries(v)) {
    const p = value(x, [...path, k]);
    if (p) return p;
  }
  return undefined;
};

const object = (fields: Record<string, Check>, required: string[] = []): Check => (v, path) => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return fail(path, `expected a mapping, got ${describe(v)}`);
  }
  const o = v as Record<string, unknown>;
  for (const r of required) {
    if (o[r] === undefined || o[r] === null) return fail([...path, r], "required field is missing");
  }
  for (const [k, check] of Object.entries(fields)) {
    const p = check(o[k], [...path, k]);
    if (p) return p;
  }
  return undefined;
};

const seLinuxOptions = optional(object({
  user: optional(str),
  role: optional(str),
  type: optional(str),
  level: optional(str),
}));
const seccompProfile = optional(object({ type: str, localhostProfile: optional(str) }, ["type"]));

const containerSecurityContext = optional(object({
  capabilities: optional(object({ add: optional(listOf(str)), drop: optional(listOf(str)) })),
  privileged: optional(bool),
  seLinuxOptions,
  runAsUser: optional(int),
  runAsGroup: optional(int),
  runAsNonRoot: optional(bool),
  readOnlyRootFilesystem: optional(bool),
  allowPrivilegeEscalation: optional(bool),
  procMount: optional(str),
  seccompProfile,
}));

const container = object({
  name: str,
  image: optional(str),
  ports: optional(listOf(object({ containerPort: int, hostPort: optional(int) }, [
    "containerPort",
  ]))),
  volumeMounts: optional(listOf(object(
    { name: str, mountPath: str, readOnly: optional(bool) },
    ["name", "mountPath"],
  ))),
  securityContext: containerSecurityContext,
}, ["name"]);

const podSecurityContext = optional(object({
  seLinuxOptions,
  runAsUser: optional(int),
  runAsGroup: optional(int),
  runAsNonRoot: optional(bool),
  supplementalGroups: optional(listOf(int)),
  fsGroup: optional(int),
  sysctls: optional(listOf(object({ name: str, value: str }, ["name"]))),
  seccompProfile,
}));

const nonEmpty = (check: Check): Check => (v, path) =>
  Array.isArray(v) && v.length === 0 ? fail(path, "must have at least one container") : check(
    v,
    path,
  );

const podSpec = object({
  containers: nonEmpty(listOf(container)),
  initContainers: optional(listOf(container)),
  ephemeralContainers: optional(listOf(container)),
  volumes: optional(listOf(object({ name: str }, ["name"]))),
  hostNetwork: optional(bool),
  hostPID: optional(bool),
  hostIPC: optional(bool),
  serviceAccountName: optional(str),
  serviceAccount: optional(str),
  securityContext: podSecurityContext,
  runtimeClassName: optional(str),
}, ["containers"]);

const podMetadata = optional(object({
  name: optional(str),
  generateName: optional(str),
  namespace: optional(str),
  annotations: optional(mapOf(str)),
  labels: optional(mapOf(str)),
}));

/**
 * Checks a pod (or pod template: `metadata` + `spec`) for wrongly typed fields
 * that admission reads. Returns the first problem, paths relative to `base`.
 */
export function checkPodShape(
  pod: unknown,
  base: (string | number)[] = [],
): ShapeProblem | undefined {
  return object({ metadata: podMetadata, spec: podSpec }, ["spec"])(pod, base);
}
