/** `privileged` (docs/psp-admission.md §2.1): validation only; nil or false is always allowed. */
import { invalid } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import type { ContainerView } from "./pod_access.ts";
import type { ContainerValidator } from "./strategy.ts";

/** Rejects `privileged: true` containers. */
export class PrivilegedStrategy implements ContainerValidator {
  validateContainer(c: ContainerView, out: Violation[]) {
    if (c.sc?.privileged === true) {
      out.push(
        raisedBy(
          "privileged",
          invalid(`${c.scPath}.privileged`, "true", "Privileged containers are not allowed"),
        ),
      );
    }
  }
}

/** Compiles the privileged check; null when the PSP allows privileged containers. */
export function compilePrivileged(privileged: boolean | undefined): PrivilegedStrategy | null {
  return privileged ? null : new PrivilegedStrategy();
}
