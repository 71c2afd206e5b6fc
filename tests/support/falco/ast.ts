/**
 * Condition AST shared by both Falco dialects the test engine understands:
 * "0.27" (the Lua rule loader and the built-in k8s_audit engine of Falco 0.27)
 * and "current" (Falco 0.43-0.45: libsinsp parser, k8saudit 0.18 + json 0.7 plugins).
 */

/** Which Falco the engine imitates. */
export type Mode = "0.27" | "current";

/** One value of a list: the text and whether it was quoted in the condition. */
export interface ValueItem {
  value: string;
  quoted: boolean;
}

/** A field read by a check: name, argument, and transformers (outermost first). */
export interface FieldRef {
  field: string;
  arg?: string;
  /** e.g. `["len"]` for `len(ka.req.pod.containers.image)`; empty for a bare field. */
  transformers: string[];
}

/**
 * Right-hand side of a comparison: a single value, a parenthesised list, or another field
 * (`val(field)` or a transformed field, current Falco only).
 */
export type RhsValue =
  | { kind: "value"; item: ValueItem }
  | { kind: "list"; items: ValueItem[] }
  | { kind: "field"; ref: FieldRef };

/** A field comparison such as `ka.verb=create` or `jevt.value[/stage] in (x)`. */
export interface CheckExpr {
  kind: "check";
  /** Field name without its argument, e.g. `jevt.value`. */
  field: string;
  /** Text between `[` and `]`, if any. */
  arg?: string;
  /** Transformers applied to the field, outermost first (current Falco). */
  transformers?: string[];
  /** Operator as written (`=` and `==` are kept apart only here). */
  op: string;
  /** Absent for unary operators (`exists`). */
  value?: RhsValue;
  /** Offset of the field in the parsed text (for messages). */
  pos: number;
}

/** Any condition expression. */
export type Expr =
  | { kind: "and"; children: Expr[] }
  | { kind: "or"; children: Expr[] }
  | { kind: "not"; child: Expr }
  | { kind: "macro"; name: string; pos: number }
  | CheckExpr;

/** Visits every check expression of a tree (macros are not expanded). */
export function forEachCheck(expr: Expr, visit: (c: CheckExpr) => void): void {
  switch (expr.kind) {
    case "and":
    case "or":
      for (const child of expr.children) forEachCheck(child, visit);
      return;
    case "not":
      forEachCheck(expr.child, visit);
      return;
    case "check":
      visit(expr);
      return;
    case "macro":
      return;
  }
}

/** Renders an expression back to condition text (for messages and debugging). */
export function renderExpr(expr: Expr): string {
  switch (expr.kind) {
    case "and":
      return "(" + expr.children.map(renderExpr).join(" and ") + ")";
    case "or":
      return "(" + expr.children.map(renderExpr).join(" or ") + ")";
    case "not":
      return "not " + renderExpr(expr.child);
    case "macro":
      return expr.name;
    case "check": {
      const field = renderFieldRef({
        field: expr.field,
        arg: expr.arg,
        transformers: expr.transformers ?? [],
      });
      if (!expr.value) return `${field} ${expr.op}`;
      const item = (i: ValueItem) => (i.quoted ? JSON.stringify(i.value) : i.value);
      if (expr.value.kind === "value") return `${field} ${expr.op} ${item(expr.value.item)}`;
      if (expr.value.kind === "field") {
        const ref = expr.value.ref;
        const inner = renderFieldRef(ref);
        return `${field} ${expr.op} ${ref.transformers.length === 0 ? `val(${inner})` : inner}`;
      }
      return `${field} ${expr.op} (${expr.value.items.map(item).join(", ")})`;
    }
  }
}

/** Renders `tolower(json.value[/x])`-style field references. */
export function renderFieldRef(ref: FieldRef): string {
  let text = ref.arg === undefined ? ref.field : `${ref.field}[${ref.arg}]`;
  for (const t of [...ref.transformers].reverse()) text = `${t}(${text})`;
  return text;
}

/** The fields a check reads: its left-hand side and a right-hand-side field, if any. */
export function fieldsOf(check: CheckExpr): FieldRef[] {
  const refs: FieldRef[] = [
    { field: check.field, arg: check.arg, transformers: check.transformers ?? [] },
  ];
  if (check.value?.kind === "field") refs.push(check.value.ref);
  return refs;
}
