/**
 * Validation of PodSecurityPolicy objects exactly as a Kubernetes 1.20 API server validates them
 * on create (docs/psp-admission.md §6; `pkg/apis/policy/validation/validation.go`): the JSON shape
 * checks its decoder makes (shape.ts), then its defaulting, then the name rules (name_rules.ts)
 * and the spec rules (spec_rules.ts). Pure: nothing here reads files or prints.
 */
import type { PodSecurityPolicy } from "../model/psp.ts";
import { type FieldError, invalidObjectMessage } from "../validation/field.ts";
import { applyPspDefaults } from "./defaults.ts";
import { validateObjectMeta } from "./name_rules.ts";
import { checkPspShape } from "./shape.ts";
import { validatePspAnnotations, validatePspSpec } from "./spec_rules.ts";

export type { FieldError } from "../validation/field.ts";

/**
 * Validates a PSP as the API server does when it is created: applies the v1beta1 defaulting and
 * field dropping (`applyPspDefaults`), then runs `ValidatePodSecurityPolicy`. Returns the errors
 * in the server's order (empty when the server would accept the object).
 * Wrong JSON types (see `checkPspShape`) are returned instead, as the server's decoder refuses
 * such an object before validating it.
 */
export function validatePsp(psp: PodSecurityPolicy): FieldError[] {
  const shape = checkPspShape(psp).errors;
  if (shape.length) return shape.map(({ field, message, text }) => ({ field, message, text }));
  return validateStoredPsp(applyPspDefaults(psp));
}

/**
 * `ValidatePodSecurityPolicy` on a PSP that is already defaulted (no defaulting or dropping of
 * disabled fields here: `allowedProcMountTypes`, if present, is validated).
 */
export function validateStoredPsp(psp: PodSecurityPolicy): FieldError[] {
  const meta = psp.metadata ?? {};
  return [
    ...validateObjectMeta(meta as Record<string, unknown>),
    ...validatePspAnnotations(meta.annotations ?? {}),
    ...validatePspSpec(psp.spec ?? ({} as PodSecurityPolicy["spec"])),
  ];
}

/**
 * The message of the API server's 422 answer for an invalid PSP:
 * `PodSecurityPolicy.extensions "<name>" is invalid: <errors>` (several errors are joined as
 * `[a, b]`, duplicates removed, as `ErrorList.ToAggregate` does).
 */
export function formatInvalidPspMessage(name: string, errors: readonly FieldError[]): string {
  return invalidObjectMessage("PodSecurityPolicy.extensions", name, errors);
}
