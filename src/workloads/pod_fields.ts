/**
 * Fields of a pod (or pod template) that Kubernetes does not know: the API server drops them,
 * so a typo such as `securityContext.privilegd` silently audits another pod than the user
 * meant. The field names come from the Kubernetes API models of `@kubernetes/client-node`,
 * generated into pod_schema.ts (scripts/gen_pod_schema.ts) so that client-node is not loaded
 * at run time; compiled once into a tree and walked without copying paths.
 */
import { POD_SCHEMA } from "./pod_schema.ts";
import { fieldPath } from "./pod_shape.ts";

/** A field Kubernetes does not know: dotted path and its keys. */
export interface UnknownField {
  field: string;
  path: (string | number)[];
}

/** A compiled model node. */
type Node =
  | { kind: "object"; fields: Map<string, Node> }
  | { kind: "list"; item: Node }
  | { kind: "map"; value: Node }
  | { kind: "leaf" };

const LEAF: Node = { kind: "leaf" };
const compiled = new Map<string, Node>();

/** The node of a schema field type (`V1PodSpec`, `[]V1Container`, `{}`, `""`). */
function nodeOf(type: string): Node {
  if (type.startsWith("[]")) return { kind: "list", item: nodeOf(type.slice(2)) };
  if (type.startsWith("{}")) return { kind: "map", value: nodeOf(type.slice(2)) };
  const known = compiled.get(type);
  if (known) return known;
  const fields = Object.hasOwn(POD_SCHEMA, type) ? POD_SCHEMA[type] : undefined;
  if (fields === undefined) return LEAF;
  const node: Node = { kind: "object", fields: new Map() };
  compiled.set(type, node); // before the fields: a recursive type refers to itself
  for (const [name, t] of Object.entries(fields)) node.fields.set(name, nodeOf(t));
  return node;
}

function walk(v: unknown, node: Node, path: (string | number)[], out: UnknownField[]): void {
  if (node.kind === "leaf" || typeof v !== "object" || v === null) return;
  if (node.kind === "list") {
    if (!Array.isArray(v) || node.item.kind === "leaf") return;
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      walk(v[i], node.item, path, out);
      path.pop();
    }
    return;
  }
  if (Array.isArray(v)) return; // a type error, the shape check's business
  if (node.kind === "map" && node.value.kind === "leaf") return; // labels, resources: any key
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const child = node.kind === "map" ? node.value : node.fields.get(k);
    if (child === undefined) out.push({ field: fieldPath([...path, k]), path: [...path, k] });
    else if (child.kind !== "leaf") {
      const x = o[k];
      if (typeof x !== "object" || x === null) continue;
      path.push(k);
      walk(x, child, path, out);
      path.pop();
    }
  }
}

/**
 * The fields of a Pod object (`templatePath` undefined) or of the pod template at
 * `templatePath` of a workload that Kubernetes does not know. Wrongly typed values are not
 * reported here (pod_shape.ts checks those that admission reads).
 */
export function unknownPodFields(
  obj: unknown,
  templatePath?: readonly string[],
): UnknownField[] {
  const out: UnknownField[] = [];
  if (templatePath === undefined) {
    walk(obj, nodeOf("V1Pod"), [], out);
    return out;
  }
  let template: unknown = obj;
  for (const k of templatePath) {
    template = typeof template === "object" && template !== null
      ? (template as Record<string, unknown>)[k]
      : undefined;
  }
  walk(template, nodeOf("V1PodTemplateSpec"), [...templatePath], out);
  return out;
}
