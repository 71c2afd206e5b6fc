/**
 * `allowedProcMountTypes` (docs/psp-admission.md §2.17). A nil procMount reads as `Default`; an empty
 * list allows only `Default`. In 1.20 the field is dropped from every PSP (`applyPspDefaults`), so
 * only `Default` is ever allowed.
 */
import { goQuote, invalid } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import type { ContainerView } from "./pod_access.ts";
import type { ContainerValidator } from "./strategy.ts";

/** Rejects containers whose procMount type is not allowed. */
export class ProcMountStrategy implements ContainerValidator {
  readonly #allowed: ReadonlySet<string>;
  constructor(allowed: readonly string[] | null | undefined) {
    this.#allowed = new Set(allowed?.length ? allowed : ["Default"]);
  }
  validateContainer(c: ContainerView, out: Violation[]) {
    const type = c.sc?.procMount ?? "Default";
    if (!this.#allowed.has(type)) {
      out.push(
        raisedBy(
          "allowedProcMountTypes",
          invalid(`${c.scPath}.procMount`, goQuote(type), "ProcMountType is not allowed"),
        ),
      );
    }
  }
}

/** Compiles the procMount check (always active). */
export function compileProcMount(allowed: readonly string[] | null | undefined): ProcMountStrategy {
  return new ProcMountStrategy(allowed);
}
