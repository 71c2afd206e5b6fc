/**
 * An admission violation: the API server's field error (src/validation/field.ts) plus the PSP
 * field (a row of src/model/psp_fields.ts) whose check raised it, which reports use to name the
 * PSP control instead of guessing it from the pod's field path.
 */
import type { PspField } from "../model/psp_fields.ts";
import type { FieldError } from "../validation/field.ts";

/** One violation: `text` is the API server's full line, `field: message`. */
export interface Violation extends FieldError {
  /** The PSP field whose check raised it; null for checks of no PSP field (core pod validation). */
  pspField: PspField | null;
}

/** The field error `e`, raised by the check of `pspField`. */
export function raisedBy(pspField: PspField | null, e: FieldError): Violation {
  return { field: e.field, message: e.message, text: e.text, pspField };
}
