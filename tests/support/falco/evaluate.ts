/** Evaluation of resolved (macro-free) conditions against k8s_audit events. */
import type { Expr, Mode, RhsValue } from "./ast.ts";
import type { AuditEvent } from "./event.ts";
import { compareCurrent } from "./compare_current.ts";
import { extractCurrent } from "./extract_current.ts";
import { compare027, extract027 } from "./extract_027.ts";
import { K8S_AUDIT_FIELDS_CURRENT } from "./fields.ts";

const CURRENT_FIELDS = new Map(K8S_AUDIT_FIELDS_CURRENT.map((f) => [f.name, f]));

function rhsValues(value: RhsValue | undefined): string[] {
  if (!value) return [];
  return value.kind === "value" ? [value.item.value] : value.items.map((i) => i.value);
}

/** Evaluates a k8s_audit condition (macros already expanded) on one event. */
export function evaluate(expr: Expr, event: AuditEvent, mode: Mode): boolean {
  switch (expr.kind) {
    case "and":
      return expr.children.every((c) => evaluate(c, event, mode));
    case "or":
      return expr.children.some((c) => evaluate(c, event, mode));
    case "not":
      return !evaluate(expr.child, event, mode);
    case "macro":
      throw new Error(`unresolved macro ${expr.name}`);
    case "check": {
      const rhs = rhsValues(expr.value);
      if (mode === "0.27") {
        return compare027(extract027(event, expr.field, expr.arg), expr.op, rhs);
      }
      const def = CURRENT_FIELDS.get(expr.field);
      if (!def) throw new Error(`field ${expr.field} is not a k8s_audit field`);
      return compareCurrent(extractCurrent(event, expr.field, expr.arg), def.list, expr.op, rhs);
    }
  }
}

/** The values a field extracts, rendered for diagnostics. */
export function describeField(
  event: AuditEvent,
  field: string,
  arg: string | undefined,
  mode: Mode,
): string {
  if (mode === "0.27") {
    const ev = extract027(event, field, arg);
    return JSON.stringify(
      ev.first.map((v) => (v.type === 0 ? v.str : String(v.type === 1 ? v.int : v.pair.join(":")))),
    );
  }
  const v = extractCurrent(event, field, arg);
  return v === undefined ? "(no value)" : JSON.stringify(v);
}
