/**
 * What a per-field rule builder gets: the PSP, how to name macros and rules for it, and
 * where to report warnings, uncovered fields and bounded (per-index) checks.
 */
import type { PodSecurityPolicy } from "../model/psp.ts";
import type { Cond } from "./condition.ts";
import type { Scope } from "./scope.ts";

/** A field or annotation the rules cannot check, with the reason. */
export interface Uncovered {
  policy: string;
  field: string;
  reason: string;
}

/** A macro a field rule needs. */
export interface MacroDef {
  name: string;
  cond: Cond;
}

/** Per-PSP naming and reporting for rule builders. */
export class PspContext {
  readonly warnings: string[] = [];
  readonly uncovered: Uncovered[] = [];
  /** JSON array paths checked element by element, with the number of elements checked. */
  readonly bounds = new Map<string, { path: (string | number)[]; count: number }>();

  constructor(
    readonly psp: PodSecurityPolicy,
    /** The PSP name as shown in outputs (validated). */
    readonly name: string,
    /** The name prefix ("" for --no-prefix). */
    readonly prefix: string,
    readonly scope: Scope,
  ) {}

  /** A list or macro name: `<prefix>_psp_<suffix>` (`psp_<suffix>` without prefix). */
  id(suffix: string): string {
    return this.prefix ? `${this.prefix}_psp_${suffix}` : `psp_${suffix}`;
  }

  /** `PSP <prefix> <kind> (<label>)` plus an optional ` K8s Audit` / ` System Activity`. */
  ruleName(kind: string, label: string, suffix?: "K8s Audit" | "System Activity"): string {
    const head = this.prefix ? `PSP ${this.prefix} ${kind}` : `PSP ${kind}`;
    return `${head} (${label})${suffix ? ` ${suffix}` : ""}`;
  }

  /** Records a field that no rule checks. */
  uncover(field: string, reason: string): void {
    this.uncovered.push({ policy: this.psp.metadata?.name ?? "", field, reason });
  }

  /** Indices 0..count-1 of a JSON array checked one by one; the bound is remembered. */
  indices(path: (string | number)[], count: number): number[] {
    const key = path.join("/");
    const prev = this.bounds.get(key);
    if (!prev || prev.count > count) this.bounds.set(key, { path, count });
    return Array.from({ length: count }, (_, i) => i);
  }
}
