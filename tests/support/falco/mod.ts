/**
 * Test-side Falco engine: loads rules files as Falco 0.27 or current Falco (0.43-0.45 with
 * the k8saudit 0.18 and json 0.7 plugins) would, reports their load-time errors and
 * warnings, and evaluates k8s_audit rules on audit events. See README.md.
 */
export type { Expr, Mode } from "./ast.ts";
export { parseCondition } from "./parser.ts";
export type { AuditEvent } from "./event.ts";
export { auditEventFromJson, auditEventFromObject } from "./event.ts";
export { evaluate } from "./evaluate.ts";
export { type CompiledRule, expandedCondition, loadRules, type RuleSet } from "./rules.ts";
export { checkLoad, type LoadCheck } from "./load_check.ts";

import type { AuditEvent } from "./event.ts";
import { evaluate } from "./evaluate.ts";
import type { CompiledRule, RuleSet } from "./rules.ts";

/** The enabled k8s_audit rules of a ruleset that fire on an event. */
export function firingRules(ruleset: RuleSet, event: AuditEvent): CompiledRule[] {
  return ruleset.rules.filter((r) =>
    r.enabled && r.source === "k8s_audit" && evaluate(r.expr, event, ruleset.mode)
  );
}
