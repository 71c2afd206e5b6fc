/**
 * Capabilities: `defaultAddCapabilities`, `requiredDropCapabilities`, `allowedCapabilities`
 * (docs/psp-admission.md §2.2; Kubernetes pkg/security/podsecuritypolicy/capabilities).
 * Comparisons are exact and case-sensitive; there is no `CAP_` normalisation.
 */
import type { Capabilities } from "../model/pod.ts";
import type { PodSecurityPolicySpec } from "../model/psp.ts";
import { GO_NIL, goCapabilities, goQuote, invalid } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import {
  type ContainerKind,
  containersOf,
  type ContainerView,
  type PodMutation,
} from "./pod_access.ts";
import type { ContainerMutator, ContainerValidator } from "./strategy.ts";

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted, deduplicated, nil when empty (Kubernetes' `capabilityFromStringSlice(set.List())`). */
function sortedOrNil(set: Set<string>): string[] | null {
  return set.size === 0 ? null : [...set].sort(byteOrder);
}

/**
 * Kubernetes' capabilities `Generate`: adds the default adds the container does not drop and the
 * required drops. Returns the container's own capabilities object when nothing is added (order,
 * duplicates and nil kept), else a new sorted one.
 */
export function generateCapabilities(
  defaultAdd: readonly string[],
  requiredDrop: readonly string[],
  caps: Capabilities | null,
): Capabilities | null {
  const containerAdd = new Set(caps?.add ?? []);
  const containerDrop = new Set(caps?.drop ?? []);
  const combinedAdd = new Set(containerAdd);
  for (const c of defaultAdd) if (!containerDrop.has(c)) combinedAdd.add(c);
  const combinedDrop = new Set(containerDrop);
  for (const c of requiredDrop) combinedDrop.add(c);
  if (combinedAdd.size === containerAdd.size && combinedDrop.size === containerDrop.size) {
    return caps;
  }
  const out: Capabilities = {};
  const add = sortedOrNil(combinedAdd);
  const drop = sortedOrNil(combinedDrop);
  if (add) out.add = add;
  if (drop) out.drop = drop;
  return out;
}

/** The compiled capabilities strategy of one PSP. */
export class CapabilitiesStrategy implements ContainerMutator, ContainerValidator {
  readonly #defaultAdd: readonly string[];
  readonly #requiredDrop: readonly string[];
  readonly #defaultAddSet: ReadonlySet<string>;
  readonly #allowed: ReadonlySet<string>;
  readonly #allowAll: boolean;

  constructor(spec: PodSecurityPolicySpec) {
    this.#defaultAdd = spec.defaultAddCapabilities ?? [];
    this.#requiredDrop = spec.requiredDropCapabilities ?? [];
    this.#defaultAddSet = new Set(this.#defaultAdd);
    this.#allowed = new Set(spec.allowedCapabilities ?? []);
    this.#allowAll = this.#allowed.has("*");
  }

  mutateContainer(m: PodMutation, kind: ContainerKind, index: number) {
    if (this.#defaultAdd.length === 0 && this.#requiredDrop.length === 0) return;
    const caps = containersOf(m.pod, kind)[index].securityContext?.capabilities ?? null;
    const generated = generateCapabilities(this.#defaultAdd, this.#requiredDrop, caps);
    if (generated !== caps) {
      m.setContainerSc(
        this.#defaultAdd.length > 0 ? "defaultAddCapabilities" : "requiredDropCapabilities",
        kind,
        index,
        "capabilities",
        generated,
      );
    }
  }

  validateContainer(c: ContainerView, out: Violation[]) {
    const caps = c.sc?.capabilities ?? null;
    if (caps === null) {
      if (this.#defaultAdd.length === 0 && this.#requiredDrop.length === 0) return;
      out.push(
        raisedBy(
          this.#defaultAdd.length > 0 ? "defaultAddCapabilities" : "requiredDropCapabilities",
          invalid(
            `${c.scPath}.capabilities`,
            GO_NIL,
            "required capabilities are not set on the securityContext",
          ),
        ),
      );
      return;
    }
    if (this.#allowAll) return;
    for (const cap of caps.add ?? []) {
      if (!this.#defaultAddSet.has(cap) && !this.#allowed.has(cap)) {
        out.push(
          raisedBy(
            "allowedCapabilities",
            invalid(`${c.scPath}.capabilities.add`, goQuote(cap), "capability may not be added"),
          ),
        );
      }
    }
    if (this.#requiredDrop.length === 0) return;
    const drops = new Set(caps.drop ?? []);
    for (const req of this.#requiredDrop) {
      if (!drops.has(req)) {
        out.push(raisedBy(
          "requiredDropCapabilities",
          invalid(
            `${c.scPath}.capabilities.drop`,
            goCapabilities(caps.drop),
            `${req} is required to be dropped but was not found`,
          ),
        ));
      }
    }
  }
}

/** Compiles the capabilities strategy (always active: any added capability must be allowed). */
export function compileCapabilities(spec: PodSecurityPolicySpec): CapabilitiesStrategy {
  return new CapabilitiesStrategy(spec);
}
