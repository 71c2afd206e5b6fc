/**
 * PodSecurityPolicy admission of one pod against candidate PSPs, as the Kubernetes 1.20 API
 * server decides it on pod CREATE (docs/psp-admission.md §5; Kubernetes plugin/pkg/admission/security/
 * podsecuritypolicy/admission.go). Pure: no I/O, inputs are never mutated.
 *
 * Flow: v1 pod defaulting; for every candidate in the admission's order (byte-wise by name), the
 * PSP's defaults then its checks; the first PSP admitting the pod unchanged wins, else the first
 * admitting it with changes, else the pod is refused with every candidate's violations. The
 * admitted pod then goes through the server's post-admission normalisation and the part of core pod
 * validation that PSP defaults can trip (422 Invalid).
 */
import type { Pod } from "../model/pod.ts";
import type { PodSecurityPolicy } from "../model/psp.ts";
import { applyPspDefaults } from "../psp/defaults.ts";
import { goQuote } from "../validation/field.ts";
import type { Violation } from "./violation.ts";
import { type Change, validatedKinds } from "./pod_access.ts";
import { applyPodDefaults } from "./pod_defaults.ts";
import { finalizeAdmittedPod, PSP_ANNOTATION } from "./post_admission.ts";
import { validateStoredPod } from "./pod_validation.ts";
import { type Evaluation, Provider } from "./provider.ts";
import { ProviderError } from "./strategy.ts";

export type { Violation } from "./violation.ts";
export type { Change } from "./pod_access.ts";

/** What one candidate PSP does with the pod. */
export interface PolicyResult {
  policy: string;
  /** True when the PSP admits the pod (possibly with changes). */
  allowed: boolean;
  violations: Violation[];
  changes: Change[];
  /**
   * Set when the PSP cannot be used at all (Kubernetes fails to create its provider, e.g.
   * `MustRunAs requires at least one range`); admission skips such a PSP.
   */
  error?: string;
}

/** The admission's answer for one pod. */
export interface AdmissionDecision {
  /** `changed`: admitted by a PSP that mutates the pod (no candidate admits it unchanged). */
  verdict: "admitted" | "changed" | "refused";
  /** The PSP chosen (the `kubernetes.io/psp` annotation value), null when refused. */
  policy: string | null;
  /** One per candidate PSP, in the admission's order. */
  results: PolicyResult[];
  /**
   * The pod as the API server would store it after admission (null when refused). Copy-on-write:
   * it shares unchanged parts with the input pod, so treat it as read-only.
   */
  admitted: Pod | null;
  /** For refused: the API server's text, exactly as it would print it. */
  message?: string;
  /**
   * For refused: `Forbidden` (403, PSP admission refused the pod) or `Invalid` (422: a PSP admitted
   * it, but its defaults make core pod validation refuse it, e.g. `allowPrivilegeEscalation: false`
   * set on a privileged container). `results` still shows what each PSP did.
   */
  reason?: "Forbidden" | "Invalid";
}

/** A PSP compiled for admission: defaults applied, strategies built once. */
export interface CompiledPolicy {
  readonly name: string;
  /** The provider-creation error when the PSP is unusable, else null. */
  readonly error: string | null;
}

/** Options of `admitPod`. */
export interface AdmitOptions {
  /**
   * PSPs that exist but the requester may not use. Only their existence matters: like the API
   * server, admission reports "no providers available" only when no usable PSP exists at all,
   * and never shows the violations of PSPs the requester may not use.
   */
  readonly otherPolicies?: readonly CompiledPolicy[];
  /**
   * Validate ephemeral containers too, as with the EphemeralContainers feature gate on (the
   * default from Kubernetes 1.23). Off by default, as in 1.20, where PSP defaults are applied to
   * ephemeral containers but never checked.
   */
  readonly ephemeralContainers?: boolean;
}

class Compiled implements CompiledPolicy {
  constructor(
    readonly name: string,
    readonly provider: Provider | null,
    readonly error: string | null,
  ) {}
}

/** Compiles a PSP once for any number of `admitPod` calls (applies `applyPspDefaults` first). */
export function compilePolicy(psp: PodSecurityPolicy): CompiledPolicy {
  const name = psp.metadata?.name ?? "";
  try {
    return new Compiled(name, new Provider(applyPspDefaults(psp)), null);
  } catch (e) {
    if (e instanceof ProviderError) return new Compiled(name, null, e.message);
    throw e;
  }
}

function asCompiled(p: CompiledPolicy): Compiled {
  if (!(p instanceof Compiled)) {
    throw new TypeError("admitPod: candidates must come from compilePolicy");
  }
  return p;
}

/** Go `strings.Compare` order on names (byte-wise; PSP names are ASCII DNS subdomains). */
function byName(a: Compiled, b: Compiled): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Sorted orders of candidate lists seen before, checked element by element before reuse. */
const orderCache = new WeakMap<
  readonly CompiledPolicy[],
  { source: CompiledPolicy[]; sorted: Compiled[] }
>();

function admissionOrder(candidates: readonly CompiledPolicy[]): readonly Compiled[] {
  const cached = orderCache.get(candidates);
  if (
    cached !== undefined && cached.source.length === candidates.length &&
    cached.source.every((p, i) => p === candidates[i])
  ) return cached.sorted;
  let sorted = true;
  for (let i = 0; i < candidates.length; i++) {
    asCompiled(candidates[i]);
    if (i > 0 && byName(candidates[i - 1] as Compiled, candidates[i] as Compiled) > 0) {
      sorted = false;
    }
  }
  const result = sorted
    ? candidates as Compiled[]
    : (candidates as Compiled[]).slice().sort(byName);
  // Sorted lists too: a list seen again (a PolicySet's) is not checked PSP by PSP again.
  orderCache.set(candidates, { source: [...candidates], sorted: result });
  return result;
}

/** The name the API server uses in messages: name, else generateName, else `Unknown`. */
function podDisplayName(pod: Pod): string {
  return pod.metadata?.name || pod.metadata?.generateName || "Unknown";
}

/** `pods "<name>" is forbidden: PodSecurityPolicy: <reason>`. */
function forbiddenMessage(pod: Pod, reason: string): string {
  return `pods ${goQuote(podDisplayName(pod))} is forbidden: PodSecurityPolicy: ${reason}`;
}

function listText(violations: readonly Violation[]): string {
  return `[${violations.map((v) => v.text).join(" ")}]`;
}

/**
 * Decides whether PSP admission admits the pod on CREATE, given the PSPs the requester (or the
 * pod's service account) may use. Pure; never mutates `pod`.
 */
export function admitPod(
  pod: Pod,
  candidates: readonly CompiledPolicy[],
  options: AdmitOptions = {},
): AdmissionDecision {
  const ordered = admissionOrder(candidates);
  const kinds = validatedKinds(options.ephemeralContainers ?? false);
  const defaulted = applyPodDefaults(pod);
  const results: PolicyResult[] = [];
  let unchanged: { policy: Compiled; ev: Evaluation } | null = null;
  let mutated: { policy: Compiled; ev: Evaluation } | null = null;
  let usable = false;

  for (const policy of ordered) {
    if (policy.provider === null) {
      results.push({
        policy: policy.name,
        allowed: false,
        violations: [],
        changes: [],
        error: policy.error!,
      });
      continue;
    }
    usable = true;
    const ev = policy.provider.evaluate(defaulted, kinds);
    const allowed = ev.violations.length === 0;
    results.push({ policy: policy.name, allowed, violations: ev.violations, changes: ev.changes });
    if (!allowed) continue;
    if (ev.changes.length === 0) unchanged ??= { policy, ev };
    else mutated ??= { policy, ev };
  }

  if (!usable && !(options.otherPolicies ?? []).some((p) => asCompiled(p).provider !== null)) {
    return refused(
      results,
      forbiddenMessage(pod, "no providers available to validate pod request"),
    );
  }
  const chosen = unchanged ?? mutated;
  if (chosen === null) {
    let list = "";
    for (const r of results) {
      for (const v of r.violations) list = list === "" ? v.text : `${list} ${v.text}`;
    }
    return refused(results, forbiddenMessage(pod, `unable to admit pod: [${list}]`));
  }

  // The server's validating phase (`validatingPhase`) always passes here in 1.20: the chosen
  // PSP's defaults are idempotent, `procMount` normalisation only touches pods every PSP refuses,
  // and the seccomp sync keeps every profile PSP reads (only docker/default becomes
  // runtime/default, which PSPs always allow together). The oracle test checks this invariant.
  const stored = finalizeAdmittedPod(chosen.ev.pod, chosen.policy.name, kinds);
  const invalid = validateStoredPod(stored, kinds);
  if (invalid.length > 0) {
    const errs = invalid.length === 1
      ? invalid[0].text
      : `[${invalid.map((v) => v.text).join(", ")}]`;
    return {
      verdict: "refused",
      policy: null,
      results,
      admitted: null,
      message: `Pod ${goQuote(podDisplayName(pod))} is invalid: ${errs}`,
      reason: "Invalid",
    };
  }
  return {
    verdict: chosen === unchanged ? "admitted" : "changed",
    policy: chosen.policy.name,
    results,
    admitted: stored,
  };
}

function refused(results: PolicyResult[], message: string): AdmissionDecision {
  return {
    verdict: "refused",
    policy: null,
    results,
    admitted: null,
    message,
    reason: "Forbidden",
  };
}

/**
 * The server's validating phase on a stored pod (Kubernetes' `Validate` with the pod's
 * `kubernetes.io/psp` annotation as hint): the hinted PSP first, then the rest by name; passes when
 * one admits the pod without changes. Returns null when it passes, else the API server's 403 text
 * (PSPs that would only change the pod are skipped silently, as in Kubernetes).
 */
export function validatingPhase(
  pod: Pod,
  candidates: readonly CompiledPolicy[],
  options: AdmitOptions = {},
): string | null {
  const kinds = validatedKinds(options.ephemeralContainers ?? false);
  const hint = pod.metadata?.annotations?.[PSP_ANNOTATION];
  const ordered = admissionOrder(candidates);
  const first = ordered.filter((p) => p.name === hint);
  const errors: Violation[] = [];
  for (const policy of [...first, ...ordered.filter((p) => p.name !== hint)]) {
    if (policy.provider === null) continue;
    const ev = policy.provider.evaluate(applyPodDefaults(pod), kinds);
    if (ev.violations.length > 0) errors.push(...ev.violations);
    else if (ev.changes.length === 0) return null;
  }
  return forbiddenMessage(pod, `unable to validate pod: ${listText(errors)}`);
}
