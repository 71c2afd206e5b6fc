/**
 * The part of core pod validation (Kubernetes pkg/apis/core/validation `ValidateSecurityContext`)
 * that PSP defaults can trip after admission (docs/psp-admission.md §2.12, §8 item 19): a container
 * with `allowPrivilegeEscalation: false` may be neither privileged nor add `CAP_SYS_ADMIN`.
 * A PSP that forbids escalation (or defaults it to false) sets false on such containers, and the
 * API server then refuses the pod with 422 Invalid instead of storing it.
 */
import type { Pod } from "../model/pod.ts";
import { invalid } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import { type ContainerKind, containerPath, containersOf, VALIDATED_KINDS } from "./pod_access.ts";

/**
 * Kubernetes prints the whole Go struct (with pointer addresses) as the value; this tool cannot
 * reproduce that and prints this placeholder instead.
 */
const SECURITY_CONTEXT_VALUE = "core.SecurityContext{...}";

/** The violations core pod validation would report for the stored pod (empty when it passes). */
export function validateStoredPod(
  pod: Pod,
  kinds: readonly ContainerKind[] = VALIDATED_KINDS,
): Violation[] {
  const out: Violation[] = [];
  for (const kind of kinds) {
    const containers = containersOf(pod, kind);
    for (let i = 0; i < containers.length; i++) {
      const sc = containers[i].securityContext;
      if (sc?.allowPrivilegeEscalation !== false) continue;
      const path = `${containerPath(kind, i)}.securityContext`;
      if (sc.privileged === true) {
        out.push(raisedBy(
          null,
          invalid(
            path,
            SECURITY_CONTEXT_VALUE,
            "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
          ),
        ));
      }
      for (const cap of sc.capabilities?.add ?? []) {
        if (cap === "CAP_SYS_ADMIN") {
          out.push(raisedBy(
            null,
            invalid(
              path,
              SECURITY_CONTEXT_VALUE,
              "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
            ),
          ));
        }
      }
    }
  }
  return out;
}
