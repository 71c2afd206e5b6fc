/**
 * `runtimeClass` (docs/psp-admission.md §2.18): a nil runtimeClassName gets the default (if any); a set
 * name must be allowed (`*` allows any; an empty list allows only nil).
 */
import type { Pod } from "../model/pod.ts";
import type { RuntimeClassStrategyOptions } from "../model/psp.ts";
import { goQuote, invalid } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import type { PodMutation } from "./pod_access.ts";
import type { PodMutator, PodValidator } from "./strategy.ts";

/** The compiled runtimeClass strategy of one PSP. */
export class RuntimeClassStrategy implements PodMutator, PodValidator {
  readonly #allowed: ReadonlySet<string>;
  readonly #allowAll: boolean;
  readonly #default: string | null;
  constructor(opts: RuntimeClassStrategyOptions) {
    this.#allowed = new Set(opts.allowedRuntimeClassNames ?? []);
    this.#allowAll = this.#allowed.has("*");
    this.#default = opts.defaultRuntimeClassName ?? null;
  }
  mutatePod(m: PodMutation) {
    const current = m.pod.spec?.runtimeClassName;
    if ((current === null || current === undefined) && this.#default !== null) {
      m.setRuntimeClassName("runtimeClass", this.#default);
    }
  }
  validatePod(pod: Pod, out: Violation[]) {
    const name = pod.spec?.runtimeClassName;
    if (name === null || name === undefined || this.#allowAll || this.#allowed.has(name)) return;
    out.push(raisedBy("runtimeClass", invalid("spec.runtimeClassName", goQuote(name), "")));
  }
}

/** Compiles the strategy; null when the PSP has no runtimeClass (unrestricted). */
export function compileRuntimeClass(
  opts: RuntimeClassStrategyOptions | null | undefined,
): RuntimeClassStrategy | null {
  return opts ? new RuntimeClassStrategy(opts) : null;
}
