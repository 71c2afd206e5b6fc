/**
 * Picking the RBAC objects (Roles, ClusterRoles, RoleBindings, ClusterRoleBindings of
 * rbac.authorization.k8s.io v1 and v1beta1) out of loaded Kubernetes objects, with shape checks.
 * `loadRbac` is pure; `loadRbacFiles` reads files, directories and stdin first.
 */
import { type LoadedObject, loadObjects } from "../io/documents.ts";
import { formatSource, InputError, type SourceRef } from "../io/errors.ts";
import { terminalText } from "../io/terminal_text.ts";
import { RBAC_API_VERSIONS, RBAC_KINDS, type RbacObject } from "./model.ts";

/** Options for loading RBAC objects. */
export interface LoadRbacOptions {
  /** The namespace of namespaced objects that name none (as kubectl's context would). */
  defaultNamespace?: string;
}

type Path = (string | number)[];

function renderPath(path: Path): string {
  return path.map((p, i) =>
    typeof p === "number"
      ? `[${p}]`
      : i
      ? `.${terminalText(p, { oneLine: true })}`
      : terminalText(p, { oneLine: true })
  )
    .join("");
}

class ShapeChecker {
  constructor(readonly lo: LoadedObject) {}

  fail(path: Path, detail: string): never {
    const pos = path.length ? this.lo.locate(path) : undefined;
    const source: SourceRef = pos ? { ...this.lo.source, ...pos } : this.lo.source;
    throw new InputError(source, renderPath(path), detail);
  }

  get(path: Path): unknown {
    let cur: unknown = this.lo.object;
    for (const p of path) {
      if (cur === null || typeof cur !== "object") return undefined;
      cur = (cur as Record<string | number, unknown>)[p];
    }
    return cur;
  }

  /** A string (required: non-empty). */
  str(path: Path, required = false): void {
    const v = this.get(path);
    if (v === undefined || v === null) {
      if (required) this.fail(path, "Required value");
      return;
    }
    if (typeof v !== "string") this.fail(path, `must be a string, not ${JSON.stringify(v)}`);
    if (required && v === "") this.fail(path, "Required value");
  }

  /** A list of strings. */
  strings(path: Path, required = false): void {
    const v = this.get(path);
    if (v === undefined || v === null) {
      if (required) this.fail(path, "Required value");
      return;
    }
    if (!Array.isArray(v)) this.fail(path, "must be a list of strings");
    v.forEach((x, i) => {
      if (typeof x !== "string") this.fail([...path, i], "must be a string");
    });
    if (required && v.length === 0) {
      this.fail(path, "Required value: must contain at least one value");
    }
  }

  /** A mapping of strings to strings. */
  stringMap(path: Path): void {
    const v = this.get(path);
    if (v === undefined || v === null) return;
    if (typeof v !== "object" || Array.isArray(v)) this.fail(path, "must be a mapping");
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x !== "string") this.fail([...path, k], "must be a string");
    }
  }

  /** A list of mappings; calls `each` with the path of every item. */
  objects(path: Path, each: (p: Path) => void, required = false): void {
    const v = this.get(path);
    if (v === undefined || v === null) {
      if (required) this.fail(path, "Required value");
      return;
    }
    if (!Array.isArray(v)) this.fail(path, "must be a list");
    v.forEach((x, i) => {
      if (x === null || typeof x !== "object" || Array.isArray(x)) {
        this.fail([...path, i], "must be a mapping");
      }
      each([...path, i]);
    });
  }

  mapping(path: Path, required = false): boolean {
    const v = this.get(path);
    if (v === undefined || v === null) {
      if (required) this.fail(path, "Required value");
      return false;
    }
    if (typeof v !== "object" || Array.isArray(v)) this.fail(path, "must be a mapping");
    return true;
  }
}

function checkRule(c: ShapeChecker, p: Path) {
  c.strings([...p, "verbs"], true);
  for (const f of ["apiGroups", "resources", "resourceNames", "nonResourceURLs"]) {
    c.strings([...p, f]);
  }
}

function checkSelector(c: ShapeChecker, p: Path) {
  c.stringMap([...p, "matchLabels"]);
  c.objects([...p, "matchExpressions"], (e) => {
    c.str([...e, "key"], true);
    c.str([...e, "operator"], true);
    const op = c.get([...e, "operator"]);
    if (!["In", "NotIn", "Exists", "DoesNotExist"].includes(op as string)) {
      c.fail(
        [...e, "operator"],
        `Unsupported value: ${
          JSON.stringify(op)
        }: supported values: "In", "NotIn", "Exists", "DoesNotExist"`,
      );
    }
    c.strings([...e, "values"]);
  });
}

/**
 * Picks Roles, ClusterRoles, RoleBindings and ClusterRoleBindings (rbac.authorization.k8s.io v1
 * and v1beta1) out of loaded objects, checking their shape (InputError naming file, document and
 * field). Other kinds are skipped with a warning; namespaced objects without a namespace get
 * `defaultNamespace` (default `default`) with a warning; subjects of unknown kinds are warned
 * about (they match nobody).
 */
export function loadRbac(
  objects: readonly LoadedObject[],
  opts: LoadRbacOptions = {},
): { objects: RbacObject[]; warnings: string[] } {
  const out: RbacObject[] = [];
  const warnings: string[] = [];
  const defaultNs = opts.defaultNamespace ?? "default";
  for (const lo of objects) {
    const o = lo.object;
    const where = formatSource(lo.source);
    const kind = typeof o.kind === "string" ? o.kind : "";
    if (!RBAC_KINDS.includes(kind) || !RBAC_API_VERSIONS.includes(o.apiVersion as string)) {
      const name = (o.metadata as Record<string, unknown> | undefined)?.name;
      const why = RBAC_KINDS.includes(kind)
        ? `unsupported apiVersion (expected ${RBAC_API_VERSIONS.join(" or ")})`
        : "not an RBAC Role, ClusterRole, RoleBinding or ClusterRoleBinding";
      const label = `${kind || "object without kind"}${
        o.apiVersion ? ` (${String(o.apiVersion)})` : ""
      }${typeof name === "string" ? ` ${JSON.stringify(name)}` : ""}`;
      warnings.push(`${where}: skipped ${terminalText(label, { oneLine: true })}: ${why}`);
      continue;
    }
    const c = new ShapeChecker(lo);
    c.mapping(["metadata"], true);
    c.str(["metadata", "name"], true);
    c.str(["metadata", "namespace"]);
    c.stringMap(["metadata", "labels"]);
    const namespaced = kind === "Role" || kind === "RoleBinding";
    if (kind === "Role" || kind === "ClusterRole") {
      c.objects(["rules"], (p) => checkRule(c, p));
      if (kind === "ClusterRole" && c.mapping(["aggregationRule"])) {
        c.objects(["aggregationRule", "clusterRoleSelectors"], (p) => checkSelector(c, p));
      }
    } else {
      c.mapping(["roleRef"], true);
      c.str(["roleRef", "kind"], true);
      c.str(["roleRef", "name"], true);
      c.str(["roleRef", "apiGroup"]);
      c.objects(["subjects"], (p) => {
        c.str([...p, "kind"], true);
        c.str([...p, "name"], true);
        c.str([...p, "namespace"]);
        c.str([...p, "apiGroup"]);
        const sk = c.get([...p, "kind"]);
        if (!["User", "Group", "ServiceAccount"].includes(sk as string)) {
          warnings.push(
            `${where}: ${renderPath([...p, "kind"])}: unknown subject kind ${
              terminalText(JSON.stringify(sk), { oneLine: true })
            } ignored (it matches nobody)`,
          );
        }
      });
    }
    const meta = o.metadata as Record<string, unknown>;
    let object = o as unknown as RbacObject;
    if (namespaced && !meta.namespace) {
      warnings.push(
        `${where}: ${kind} ${
          terminalText(JSON.stringify(meta.name), { oneLine: true })
        } has no metadata.namespace: assumed ${JSON.stringify(defaultNs)}`,
      );
      object = { ...object, metadata: { ...object.metadata, namespace: defaultNs } } as RbacObject;
    }
    out.push(object);
  }
  return { objects: out, warnings };
}

/** Reads RBAC objects from files, directories and stdin (`-`), then runs `loadRbac`. */
export async function loadRbacFiles(
  paths: readonly string[],
  opts: LoadRbacOptions & { recursive?: boolean } = {},
): Promise<{ objects: RbacObject[]; warnings: string[] }> {
  return loadRbac(await loadObjects(paths, { recursive: opts.recursive }), opts);
}
