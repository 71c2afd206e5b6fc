/**
 * `readOnlyRootFilesystem` (docs/psp-admission.md §2.11): when required, nil is defaulted to true and
 * an explicit false is kept (and refused).
 */
import { GO_NIL, invalid } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import {
  type ContainerKind,
  containersOf,
  type ContainerView,
  type PodMutation,
} from "./pod_access.ts";
import type { ContainerMutator, ContainerValidator } from "./strategy.ts";

/** Requires a read-only root filesystem. */
export class ReadOnlyRootStrategy implements ContainerMutator, ContainerValidator {
  mutateContainer(m: PodMutation, kind: ContainerKind, index: number) {
    const v = containersOf(m.pod, kind)[index].securityContext?.readOnlyRootFilesystem;
    if (v === null || v === undefined) {
      m.setContainerSc("readOnlyRootFilesystem", kind, index, "readOnlyRootFilesystem", true);
    }
  }
  validateContainer(c: ContainerView, out: Violation[]) {
    const v = c.sc?.readOnlyRootFilesystem ?? null;
    if (v === null) {
      out.push(raisedBy(
        "readOnlyRootFilesystem",
        invalid(
          `${c.scPath}.readOnlyRootFilesystem`,
          GO_NIL,
          "ReadOnlyRootFilesystem may not be nil and must be set to true",
        ),
      ));
    } else if (!v) {
      out.push(raisedBy(
        "readOnlyRootFilesystem",
        invalid(
          `${c.scPath}.readOnlyRootFilesystem`,
          "false",
          "ReadOnlyRootFilesystem must be set to true",
        ),
      ));
    }
  }
}

/** Compiles the check; null when the PSP does not require a read-only root filesystem. */
export function compileReadOnlyRoot(required: boolean | undefined): ReadOnlyRootStrategy | null {
  return required ? new ReadOnlyRootStrategy() : null;
}
