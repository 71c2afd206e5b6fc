/**
 * `runAsUser`: RunAsAny, MustRunAs (ranges) and MustRunAsNonRoot (docs/psp-admission.md §2.7;
 * Kubernetes pkg/security/podsecuritypolicy/user).
 */
import type { RunAsUserStrategyOptions } from "../model/psp.ts";
import { goIdRanges, invalid, required } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import {
  type ContainerKind,
  containersOf,
  type ContainerView,
  effectiveRunAsNonRoot,
  effectiveRunAsUser,
  type PodMutation,
  podSecurityContext,
} from "./pod_access.ts";
import {
  type ContainerMutator,
  type ContainerValidator,
  inRanges,
  ProviderError,
} from "./strategy.ts";

/** MustRunAs: defaults the container's runAsUser to the first range's min; checks the ranges. */
export class MustRunAsUser implements ContainerMutator, ContainerValidator {
  readonly #rangesText: string;
  constructor(readonly ranges: readonly { min: number; max: number }[]) {
    this.#rangesText = goIdRanges(ranges, "%v");
  }
  mutateContainer(m: PodMutation, kind: ContainerKind, index: number) {
    const c = containersOf(m.pod, kind)[index];
    if (effectiveRunAsUser(c.securityContext ?? null, podSecurityContext(m.pod)) === null) {
      m.setContainerSc("runAsUser", kind, index, "runAsUser", this.ranges[0].min);
    }
  }
  validateContainer(c: ContainerView, out: Violation[]) {
    const uid = effectiveRunAsUser(c.sc, c.podSc);
    if (uid === null) out.push(raisedBy("runAsUser", required(`${c.scPath}.runAsUser`)));
    else if (!inRanges(uid, this.ranges)) {
      out.push(
        raisedBy(
          "runAsUser",
          invalid(
            `${c.scPath}.runAsUser`,
            String(uid),
            `must be in the ranges: ${this.#rangesText}`,
          ),
        ),
      );
    }
  }
}

/**
 * MustRunAsNonRoot: marks containers with neither runAsNonRoot nor runAsUser as runAsNonRoot;
 * rejects runAsNonRoot=false and UID 0 (first match wins).
 */
export class MustRunAsNonRoot implements ContainerMutator, ContainerValidator {
  mutateContainer(m: PodMutation, kind: ContainerKind, index: number) {
    const c = containersOf(m.pod, kind)[index];
    const sc = c.securityContext ?? null;
    const podSc = podSecurityContext(m.pod);
    if (effectiveRunAsNonRoot(sc, podSc) === null && effectiveRunAsUser(sc, podSc) === null) {
      m.setContainerSc("runAsUser", kind, index, "runAsNonRoot", true);
    }
  }
  validateContainer(c: ContainerView, out: Violation[]) {
    const nonRoot = effectiveRunAsNonRoot(c.sc, c.podSc);
    const uid = effectiveRunAsUser(c.sc, c.podSc);
    if (nonRoot === null && uid === null) {
      out.push(raisedBy("runAsUser", required(`${c.scPath}.runAsNonRoot`, "must be true")));
    } else if (nonRoot === false) {
      out.push(raisedBy("runAsUser", invalid(`${c.scPath}.runAsNonRoot`, "false", "must be true")));
    } else if (uid === 0) {
      out.push(
        raisedBy(
          "runAsUser",
          invalid(`${c.scPath}.runAsUser`, "0", "running with the root UID is forbidden"),
        ),
      );
    }
  }
}

/**
 * Compiles the runAsUser strategy; null for RunAsAny. Throws ProviderError for what Kubernetes'
 * provider factory refuses (MustRunAs without ranges, unknown rule).
 */
export function compileRunAsUser(
  opts: RunAsUserStrategyOptions | undefined,
): MustRunAsUser | MustRunAsNonRoot | null {
  const rule = opts?.rule ?? "";
  switch (rule) {
    case "RunAsAny":
      return null;
    case "MustRunAsNonRoot":
      return new MustRunAsNonRoot();
    case "MustRunAs":
      if (!opts?.ranges?.length) throw new ProviderError("MustRunAs requires at least one range");
      return new MustRunAsUser(opts.ranges);
    default:
      throw new ProviderError(`Unrecognized RunAsUser strategy type ${rule}`);
  }
}
