/** Evaluation of resolved (macro-free) conditions against k8s_audit events. */
import type { Expr, Mode, RhsValue } from "./ast.ts";
import type { AuditEvent } from "./event.ts";
import type { FieldRef } from "./ast.ts";
import {
  applyTransformers,
  compareTyped,
  type FieldType,
  transformedType,
} from "./compare_current.ts";
import { extractCurrent } from "./extract_current.ts";
import { compare027, extract027 } from "./extract_027.ts";
import { K8S_AUDIT_FIELDS_CURRENT } from "./fields.ts";

const CURRENT_FIELDS = new Map(K8S_AUDIT_FIELDS_CURRENT.map((f) => [f.name, f]));

function rhsValues(value: RhsValue | undefined): string[] {
  if (!value || value.kind === "field") return [];
  return value.kind === "value" ? [value.item.value] : value.items.map((i) => i.value);
}

/** The static libsinsp type of a field reference (current Falco). */
export function refType(ref: FieldRef): FieldType {
  const def = CURRENT_FIELDS.get(ref.field);
  if (!def) throw new Error(`field ${ref.field} is not a k8s_audit field`);
  const t = transformedType({ type: "string", list: def.list }, ref.transformers);
  if (typeof t === "string") throw new Error(t);
  return t;
}

/** Extracts a field reference and applies its transformers (current Falco). */
function extractRef(ref: FieldRef, event: AuditEvent): { values?: string[]; type: FieldType } {
  const def = CURRENT_FIELDS.get(ref.field);
  if (!def) throw new Error(`field ${ref.field} is not a k8s_audit field`);
  const raw = extractCurrent(event, ref.field, ref.arg);
  const type = refType(ref);
  if (!raw || raw.length === 0) return { type };
  return {
    values: applyTransformers(raw, { type: "string", list: def.list }, ref.transformers),
    type,
  };
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
      const lhs = extractRef(
        { field: expr.field, arg: expr.arg, transformers: expr.transformers ?? [] },
        event,
      );
      if (!lhs.values || lhs.values.length === 0) return false;
      let right = rhs;
      if (expr.value?.kind === "field") {
        const r = extractRef(expr.value.ref, event);
        if (!r.values || r.values.length === 0) return false;
        right = r.values;
      }
      return compareTyped(lhs.values, lhs.type, expr.op, right);
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
