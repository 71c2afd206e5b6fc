/**
 * Group strategies: `runAsGroup` (per container), `supplementalGroups` and `fsGroup` (pod level),
 * each RunAsAny, MustRunAs or MayRunAs (docs/psp-admission.md §2.8-2.10; Kubernetes
 * pkg/security/podsecuritypolicy/group).
 */
import type { Pod } from "../model/pod.ts";
import type { IDRange } from "../model/psp.ts";
import { goIdRanges, goInt64s, invalid } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import {
  type ContainerKind,
  containersOf,
  type ContainerView,
  effectiveRunAsGroup,
  type PodMutation,
  podSecurityContext,
} from "./pod_access.ts";
import {
  type ContainerMutator,
  type ContainerValidator,
  inRanges,
  type PodMutator,
  type PodValidator,
  ProviderError,
} from "./strategy.ts";

/** The PSP fields of the group strategies. */
export type GroupField = "runAsGroup" | "supplementalGroups" | "fsGroup";

/** MustRunAs or MayRunAs over some ranges: the shared checks of every group strategy. */
export class GroupRanges {
  readonly #rangesText: string;
  constructor(
    readonly pspField: GroupField,
    readonly must: boolean,
    readonly ranges: readonly IDRange[],
  ) {
    this.#rangesText = goIdRanges(ranges, "%v");
  }

  /** The value MustRunAs defaults to (first range's min); null for MayRunAs. */
  get defaultValue(): number | null {
    return this.must ? this.ranges[0].min : null;
  }

  /** True when `validate` would report nothing for these groups. */
  accepts(groups: readonly number[] | null): boolean {
    if (groups === null || groups.length === 0) return !this.must;
    for (const g of groups) if (!inRanges(g, this.ranges)) return false;
    return true;
  }

  /**
   * Kubernetes' group `Validate(fldPath, groups)`: MustRunAs rejects an empty list; every group
   * out of range is its own error showing the whole list.
   */
  validate(field: string, groups: readonly number[] | null, out: Violation[]) {
    if (this.must && (groups === null || groups.length === 0)) {
      out.push(
        raisedBy(
          this.pspField,
          invalid(
            field,
            goInt64s(groups),
            "unable to validate empty groups against required ranges",
          ),
        ),
      );
    }
    if (groups === null) return;
    for (const g of groups) {
      if (!inRanges(g, this.ranges)) {
        out.push(
          raisedBy(
            this.pspField,
            invalid(
              field,
              goInt64s(groups),
              `group ${g} must be in the ranges: ${this.#rangesText}`,
            ),
          ),
        );
      }
    }
  }
}

function compileRanges(
  pspField: GroupField,
  kind: string,
  opts: { rule?: string; ranges?: IDRange[] | null } | null | undefined,
  anyIfMissing: boolean,
): GroupRanges | null {
  if ((opts === null || opts === undefined) && anyIfMissing) return null;
  const rule = opts?.rule ?? "";
  switch (rule) {
    case "RunAsAny":
      return null;
    case "MustRunAs":
    case "MayRunAs":
      if (!opts?.ranges?.length) throw new ProviderError(`ranges must be supplied for ${rule}`);
      return new GroupRanges(pspField, rule === "MustRunAs", opts.ranges);
    default:
      throw new ProviderError(`Unrecognized ${kind} strategy type ${rule}`);
  }
}

/** runAsGroup: container-level default (MustRunAs) and check; errors at the securityContext path. */
export class RunAsGroupStrategy implements ContainerMutator, ContainerValidator {
  constructor(readonly groups: GroupRanges) {}
  mutateContainer(m: PodMutation, kind: ContainerKind, index: number) {
    const def = this.groups.defaultValue;
    if (def === null) return;
    const c = containersOf(m.pod, kind)[index];
    if (effectiveRunAsGroup(c.securityContext ?? null, podSecurityContext(m.pod)) === null) {
      m.setContainerSc("runAsGroup", kind, index, "runAsGroup", def);
    }
  }
  validateContainer(c: ContainerView, out: Violation[]) {
    const gid = effectiveRunAsGroup(c.sc, c.podSc);
    const groups = gid === null ? null : [gid];
    if (!this.groups.accepts(groups)) this.groups.validate(c.scPath, groups, out);
  }
}

/** supplementalGroups: defaulted only when nil (an explicit `[]` is kept and fails MustRunAs). */
export class SupplementalGroupsStrategy implements PodMutator, PodValidator {
  constructor(readonly groups: GroupRanges) {}
  mutatePod(m: PodMutation) {
    const def = this.groups.defaultValue;
    if (def === null) return;
    const current = podSecurityContext(m.pod).supplementalGroups;
    if (current === null || current === undefined) {
      m.setPodSc("supplementalGroups", "supplementalGroups", [def]);
    }
  }
  validatePod(pod: Pod, out: Violation[]) {
    const groups = podSecurityContext(pod).supplementalGroups ?? null;
    this.groups.validate("spec.securityContext.supplementalGroups", groups, out);
  }
}

/** fsGroup: defaulted when nil under MustRunAs; checked as a 0- or 1-element list. */
export class FsGroupStrategy implements PodMutator, PodValidator {
  constructor(readonly groups: GroupRanges) {}
  mutatePod(m: PodMutation) {
    const def = this.groups.defaultValue;
    if (def === null) return;
    const current = podSecurityContext(m.pod).fsGroup;
    if (current === null || current === undefined) m.setPodSc("fsGroup", "fsGroup", def);
  }
  validatePod(pod: Pod, out: Violation[]) {
    const fsGroup = podSecurityContext(pod).fsGroup;
    this.groups.validate(
      "spec.securityContext.fsGroup",
      fsGroup === null || fsGroup === undefined ? null : [fsGroup],
      out,
    );
  }
}

/** Compiles `runAsGroup` (nil means RunAsAny); null when it checks nothing. */
export function compileRunAsGroup(
  opts: { rule?: string; ranges?: IDRange[] | null } | null | undefined,
): RunAsGroupStrategy | null {
  const g = compileRanges("runAsGroup", "RunAsGroup", opts, true);
  return g && new RunAsGroupStrategy(g);
}

/** Compiles `supplementalGroups`; null for RunAsAny. */
export function compileSupplementalGroups(
  opts: { rule?: string; ranges?: IDRange[] | null } | null | undefined,
): SupplementalGroupsStrategy | null {
  const g = compileRanges("supplementalGroups", "SupplementalGroups", opts, false);
  return g && new SupplementalGroupsStrategy(g);
}

/** Compiles `fsGroup`; null for RunAsAny. */
export function compileFsGroup(
  opts: { rule?: string; ranges?: IDRange[] | null } | null | undefined,
): FsGroupStrategy | null {
  const g = compileRanges("fsGroup", "FSGroup", opts, false);
  return g && new FsGroupStrategy(g);
}
