/**
 * Which PSP control a violation (or change) belongs to: the rule ids of SARIF output. Each
 * violation and change names the PSP field whose check or defaulting made it (admission knows
 * it); the field table (src/model/psp_fields.ts) gives that field's control.
 */
import { PSP_CONTROLS, type PspField, pspField } from "../model/psp_fields.ts";

/** A PSP control: a rule id (the PSP spec field or annotation it is about) and a title. */
export interface PspRule {
  id: string;
  title: string;
}

/** Every rule, for SARIF's rule table. */
export const ALL_RULES: readonly PspRule[] = PSP_CONTROLS.map(({ id, title }) => ({ id, title }));

const BY_ID: ReadonlyMap<string, PspRule> = new Map(ALL_RULES.map((r) => [r.id, r]));

/**
 * The rule of the PSP field that raised a violation or made a change; `admission` when no PSP
 * field did (no usable PSP, core pod validation).
 */
export function ruleFor(field: PspField | null | undefined): PspRule {
  return BY_ID.get(field ? pspField(field).control : "admission")!;
}
