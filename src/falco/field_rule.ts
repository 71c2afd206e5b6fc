/** The shape of one row of a PSP-field-to-rules table. */
import type { Cond } from "./condition.ts";
import type { MacroDef, PspContext } from "./context.ts";
import type { PspField } from "../model/psp_fields.ts";

/** A k8s_audit check: when it fires and what the output says after the `--`. */
export interface AuditCheck {
  cond: Cond;
  /** Detail of the output, e.g. `pod with privileged=true`. */
  text: string;
  macros?: MacroDef[];
  /** Overrides the rule label (the parenthesised part of the name). */
  label?: string;
}

/** A syscall check. */
export interface SyscallCheck {
  cond: Cond;
  /** Whole output after `validation failure--`. */
  text: string;
  macros?: MacroDef[];
}

/** One row: a PSP spec field (or annotation) and the rules it gives. */
export interface FieldRule {
  /** The PSP field (src/model/psp_fields.ts): a spec field, or `seccomp` / `apparmor`. */
  field: PspField;
  /** The parenthesised part of the rule names (starts with `field`). */
  label?: (ctx: PspContext) => string;
  /** Violation: admission would refuse the pod for this field. */
  audit?: (ctx: PspContext) => AuditCheck | undefined;
  /** Admission would change the pod for this field (not a violation). */
  mutation?: (ctx: PspContext) => AuditCheck | undefined;
  /** A runtime signal of the same violation. */
  syscall?: (ctx: PspContext) => SyscallCheck | undefined;
}
