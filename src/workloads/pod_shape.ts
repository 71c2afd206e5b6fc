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

/**
 * A field path while checking, as a linked list from the leaf (cheap to extend
 * for every field visited; made into an array only for a problem).
 */
interface Path {
  up: Path | undefined;
  key: string | number;
}

type Check = ((v: unknown, path: Path | undefined) => ShapeProblem | undefined) & {
  /** Set on `optional(...)` checks: an absent value is fine without a visit. */
  optional?: boolean;
};

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

function at(up: Path | undefined, key: string | number): Path {
  return { up, key };
}

function fail(path: Path | undefined, detail: string): ShapeProblem {
  const keys: (string | number)[] = [];
  for (let p = path; p; p = p.up) keys.push(p.key);
  keys.reverse();
  return { field: fieldPath(keys), path: keys, detail };
}

const optional = (check: Check): Check => {
  const c: Check = (v, path) => v === undefined || v === null ? undefined : check(v, path);
  c.optional = true;
  return c;
};

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
    const p = item(v[i], at(path, i));
    if (p) return p;
  }
  return undefined;
};

const mapOf = (value: Check): Check => (v, path) => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return fail(path, `expected a mapping, got ${describe(v)}`);
  }
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const p = value((v as Record<string, unknown>)[k], at(path, k));
    if (p) return p;
  }
  return undefined;
};

const object = (fields: Record<string, Check>, required: string[] = []): Check => {
  const entries = Object.entries(fields);
  return (v, path) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return fail(path, `expected a mapping, got ${describe(v)}`);
    }
    const o = v as Record<string, unknown>;
    for (const r of required) {
      if (o[r] === undefined || o[r] === null) {
        return fail(at(path, r), "required field is missing");
      }
    }
    for (const [k, check] of entries) {
      const x = o[k];
      if ((x === undefined || x === null) && check.optional) continue;
      const p = check(x, at(path, k));
      if (p) return p;
    }
    return undefined;
  };
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

const podOrTemplate = object({ metadata: podMetadata, spec: podSpec }, ["spec"]);

/**
 * Checks a pod (or pod template: `metadata` + `spec`) for wrongly typed fields
 * that admission reads. Returns the first problem, paths relative to `base`.
 */
export function checkPodShape(
  pod: unknown,
  base: (string | number)[] = [],
): ShapeProblem | undefined {
  let path: Path | undefined;
  for (const key of base) path = at(path, key);
  return podOrTemplate(pod, path);
}
