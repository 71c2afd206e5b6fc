/**
 * AppArmor, driven by PSP annotations (docs/psp-admission.md §2.20; Kubernetes
 * pkg/security/podsecuritypolicy/apparmor/strategy.go).
 */
import type { PodSecurityPolicy } from "../model/psp.ts";
import { APPARMOR_ALLOWED_PROFILES, APPARMOR_DEFAULT_PROFILE } from "../model/psp.ts";
import { forbidden, goQuote } from "../validation/field.ts";
import { raisedBy, type Violation } from "./violation.ts";
import {
  type ContainerKind,
  containersOf,
  type ContainerView,
  type PodMutation,
} from "./pod_access.ts";
import type { ContainerMutator, ContainerValidator } from "./strategy.ts";

/** Prefix of the per-container AppArmor annotation (`<prefix><container name>`). */
const APPARMOR_CONTAINER_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

/** Defaults each container's profile annotation; checks it against the allowed list if any. */
export class AppArmorStrategy implements ContainerMutator, ContainerValidator {
  readonly #default: string;
  readonly #allowed: ReadonlySet<string> | null;
  readonly #allowedText: string;

  constructor(annotations: Readonly<Record<string, string>>) {
    this.#default = annotations[APPARMOR_DEFAULT_PROFILE] ?? "";
    const raw = annotations[APPARMOR_ALLOWED_PROFILES];
    this.#allowed = raw === undefined ? null : new Set(raw.split(","));
    this.#allowedText = raw ?? "";
  }

  /** True when this strategy can neither change nor reject anything. */
  get inert(): boolean {
    return this.#default === "" && this.#allowed === null;
  }

  mutateContainer(m: PodMutation, kind: ContainerKind, index: number) {
    if (this.#default === "") return;
    const key = APPARMOR_CONTAINER_ANNOTATION_PREFIX +
      (containersOf(m.pod, kind)[index].name ?? "");
    if ((m.pod.metadata?.annotations?.[key] ?? "") !== "") return;
    m.setAnnotation("apparmor", key, this.#default);
  }

  validateContainer(c: ContainerView, out: Violation[]) {
    if (this.#allowed === null) return;
    const key = APPARMOR_CONTAINER_ANNOTATION_PREFIX + (c.container.name ?? "");
    const profile = c.pod.metadata?.annotations?.[key] ?? "";
    if (profile === "") {
      if (this.#allowed.size > 0) {
        out.push(
          raisedBy(
            "apparmor",
            forbidden(`pod.metadata.annotations[${key}]`, "AppArmor profile must be set"),
          ),
        );
      }
      return;
    }
    if (!this.#allowed.has(profile)) {
      out.push(raisedBy(
        "apparmor",
        forbidden(
          `pod.metadata.annotations[${key}]`,
          `${profile} is not an allowed profile. Allowed values: ${goQuote(this.#allowedText)}`,
        ),
      ));
    }
  }
}

/** Compiles the AppArmor strategy from the PSP's annotations; null when unconstrained and no default. */
export function compileAppArmor(psp: PodSecurityPolicy): AppArmorStrategy | null {
  const s = new AppArmorStrategy(psp.metadata?.annotations ?? {});
  return s.inert ? null : s;
}
