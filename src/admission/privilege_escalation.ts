/**
 * `defaultAllowPrivilegeEscalation` and `allowPrivilegeEscalation` (docs/psp-admission.md §2.12).
 * Container level only: DAPE fills a nil value; a PSP forbidding escalation then fills false and
 * refuses nil or true.
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

/** The compiled privilege-escalation defaulting and check of one PSP. */
export class PrivilegeEscalationStrategy implements ContainerMutator, ContainerValidator {
  constructor(readonly allow: boolean, readonly defaultAllow: boolean | null) {}

  mutateContainer(m: PodMutation, kind: ContainerKind, index: number) {
    const v = containersOf(m.pod, kind)[index].securityContext?.allowPrivilegeEscalation;
    if (v !== null && v !== undefined) return;
    if (this.defaultAllow !== null) {
      m.setContainerSc(
        "defaultAllowPrivilegeEscalation",
        kind,
        index,
        "allowPrivilegeEscalation",
        this.defaultAllow,
      );
    } else if (!this.allow) {
      m.setContainerSc("allowPrivilegeEscalation", kind, index, "allowPrivilegeEscalation", false);
    }
  }

  validateContainer(c: ContainerView, out: Violation[]) {
    if (this.allow) return;
    const v = c.sc?.allowPrivilegeEscalation ?? null;
    if (v === null || v) {
      out.push(raisedBy(
        "allowPrivilegeEscalation",
        invalid(
          `${c.scPath}.allowPrivilegeEscalation`,
          v === null ? GO_NIL : "true",
          "Allowing privilege escalation for containers is not allowed",
        ),
      ));
    }
  }
}

/**
 * Compiles the strategy from a defaulted PSP (allowPrivilegeEscalation nil means true); null
 * when it allows escalation and sets no default.
 */
export function compilePrivilegeEscalation(
  allow: boolean | null | undefined,
  defaultAllow: boolean | null | undefined,
): PrivilegeEscalationStrategy | null {
  const a = allow ?? true;
  const d = defaultAllow ?? null;
  return a && d === null ? null : new PrivilegeEscalationStrategy(a, d);
}
