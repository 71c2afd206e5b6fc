/**
 * `seLinux`: RunAsAny or MustRunAs with fixed options (docs/psp-admission.md §2.6; Kubernetes
 * pkg/security/podsecuritypolicy/selinux).
 */
import type { Pod } from "../model/pod.ts";
import type { SELinuxOptions, SELinuxStrategyOptions } from "../model/psp.ts";
import { goQuote, invalid, required } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import {
  type ContainerKind,
  containersOf,
  type ContainerView,
  effectiveSeLinux,
  type PodMutation,
  podSecurityContext,
} from "./pod_access.ts";
import {
  type ContainerMutator,
  type ContainerValidator,
  type PodMutator,
  type PodValidator,
  ProviderError,
} from "./strategy.ts";

/**
 * SELinux levels are equal when identical, or when both are `sens:cats` with the same
 * sensitivity and the same sorted comma-separated categories (`s0:c6,c0` == `s0:c0,c6`).
 */
export function equalSeLinuxLevels(expected: string, actual: string): boolean {
  if (expected === actual) return true;
  const e = expected.indexOf(":");
  const a = actual.indexOf(":");
  if (e < 0 || a < 0) return false;
  if (expected.slice(0, e) !== actual.slice(0, a)) return false;
  const ec = expected.slice(e + 1).split(",").sort();
  const ac = actual.slice(a + 1).split(",").sort();
  return ec.length === ac.length && ec.every((c, i) => c === ac[i]);
}

/** MustRunAs: defaults the pod's options when nil; checks pod and every container's options. */
export class SeLinuxMustRunAs
  implements PodMutator, ContainerMutator, PodValidator, ContainerValidator {
  readonly #options: SELinuxOptions;
  constructor(options: SELinuxOptions) {
    // Only non-empty fields: the API omits empty strings, and a missing field reads as "".
    const o: SELinuxOptions = {};
    if (options.user) o.user = options.user;
    if (options.role) o.role = options.role;
    if (options.type) o.type = options.type;
    if (options.level) o.level = options.level;
    this.#options = Object.freeze(o);
  }

  mutatePod(m: PodMutation) {
    const current = podSecurityContext(m.pod).seLinuxOptions;
    if (current === null || current === undefined) {
      m.setPodSc("seLinux", "seLinuxOptions", { ...this.#options });
    }
  }

  mutateContainer(m: PodMutation, kind: ContainerKind, index: number) {
    // Only when the effective value is nil, which the pod-level default above makes impossible.
    const c = containersOf(m.pod, kind)[index];
    if (effectiveSeLinux(c.securityContext ?? null, podSecurityContext(m.pod)) === null) {
      m.setContainerSc("seLinux", kind, index, "seLinuxOptions", { ...this.#options });
    }
  }

  validatePod(pod: Pod, out: Violation[]) {
    this.#validate(
      "spec.securityContext.seLinuxOptions",
      podSecurityContext(pod).seLinuxOptions,
      out,
    );
  }

  validateContainer(c: ContainerView, out: Violation[]) {
    this.#validate(c, effectiveSeLinux(c.sc, c.podSc), out);
  }

  /** `where` is the pod path, or the container whose path is built only on error. */
  #validate(
    where: string | ContainerView,
    actual: SELinuxOptions | null | undefined,
    out: Violation[],
  ) {
    const path = () => typeof where === "string" ? where : `${where.scPath}.seLinuxOptions`;
    if (actual === null || actual === undefined) {
      out.push(raisedBy("seLinux", required(path())));
      return;
    }
    const want = this.#options;
    const level = actual.level ?? "";
    if (!equalSeLinuxLevels(want.level ?? "", level)) {
      out.push(
        raisedBy(
          "seLinux",
          invalid(`${path()}.level`, goQuote(level), `must be ${want.level ?? ""}`),
        ),
      );
    }
    for (const key of ["role", "type", "user"] as const) {
      const v = actual[key] ?? "";
      if (v !== (want[key] ?? "")) {
        out.push(
          raisedBy(
            "seLinux",
            invalid(`${path()}.${key}`, goQuote(v), `must be ${want[key] ?? ""}`),
          ),
        );
      }
    }
  }
}

/** Compiles the seLinux strategy; null for RunAsAny. */
export function compileSeLinux(opts: SELinuxStrategyOptions | undefined): SeLinuxMustRunAs | null {
  const rule = opts?.rule ?? "";
  switch (rule) {
    case "RunAsAny":
      return null;
    case "MustRunAs":
      if (!opts?.seLinuxOptions) throw new ProviderError("MustRunAs requires SELinuxOptions");
      return new SeLinuxMustRunAs(opts.seLinuxOptions);
    default:
      throw new ProviderError(`Unrecognized SELinuxContext strategy type ${rule}`);
  }
}
