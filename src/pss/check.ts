/**
 * The shape of one Pod Security Standards check and the helpers the checks share, after the
 * upstream library's policy package (k8s.io/pod-security-admission/policy: checks.go,
 * helpers.go, visitor.go). A check reads the pod's metadata and spec and answers allowed, or
 * forbidden with a short reason and a detail, in the API server's words.
 */
import type { Level } from "./api.ts";

/** What a check reads of a container's securityContext. */
export interface PssSecurityContext {
  privileged?: boolean | null;
  allowPrivilegeEscalation?: boolean | null;
  runAsNonRoot?: boolean | null;
  runAsUser?: number | null;
  procMount?: string | null;
  capabilities?: { add?: string[] | null; drop?: string[] | null } | null;
  seLinuxOptions?: SELinuxOptionsView | null;
  seccompProfile?: { type?: string } | null;
  appArmorProfile?: { type?: string } | null;
  windowsOptions?: { hostProcess?: boolean | null } | null;
}

/** The SELinux options a check reads. */
export interface SELinuxOptionsView {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

/** What a check reads of a pod's securityContext. */
export interface PssPodSecurityContext {
  runAsNonRoot?: boolean | null;
  runAsUser?: number | null;
  seLinuxOptions?: SELinuxOptionsView | null;
  seccompProfile?: { type?: string } | null;
  appArmorProfile?: { type?: string } | null;
  windowsOptions?: { hostProcess?: boolean | null } | null;
  sysctls?: { name: string; value?: string }[] | null;
}

/** A probe or lifecycle handler: only the `host` of httpGet / tcpSocket matters. */
export interface HandlerView {
  httpGet?: { host?: string } | null;
  tcpSocket?: { host?: string } | null;
}

/** What a check reads of a container (init and ephemeral containers alike). */
export interface PssContainer {
  name: string;
  ports?: { hostPort?: number; containerPort?: number }[] | null;
  securityContext?: PssSecurityContext | null;
  livenessProbe?: HandlerView | null;
  readinessProbe?: HandlerView | null;
  startupProbe?: HandlerView | null;
  lifecycle?: { postStart?: HandlerView | null; preStop?: HandlerView | null } | null;
}

/** What a check reads of a pod spec. */
export interface PssPodSpec {
  containers?: PssContainer[] | null;
  initContainers?: PssContainer[] | null;
  ephemeralContainers?: PssContainer[] | null;
  hostNetwork?: boolean | null;
  hostPID?: boolean | null;
  hostIPC?: boolean | null;
  hostUsers?: boolean | null;
  os?: { name?: string } | null;
  securityContext?: PssPodSecurityContext | null;
  volumes?: ({ name: string } & Record<string, unknown>)[] | null;
}

/** What a check reads of a pod's metadata. */
export interface PssMetadata {
  annotations?: Record<string, string> | null;
}

/** One check's answer: allowed, or forbidden with the API server's reason and detail. */
export type CheckResult =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: string; readonly detail: string };

/** The allowed result (shared, immutable). */
export const ALLOWED: CheckResult = Object.freeze({ allowed: true });

/** Forbidden with `reason` and `detail`. */
export function forbid(reason: string, detail: string): CheckResult {
  return { allowed: false, reason, detail };
}

/** A check's logic at one policy version. */
export type CheckPodFn = (meta: PssMetadata, spec: PssPodSpec) => CheckResult;

/** One revision of a check: from policy version 1.`minVersion` on (until the next revision). */
export interface VersionedCheck {
  readonly minVersion: number;
  readonly check: CheckPodFn;
  /** Baseline check IDs this restricted revision replaces at the restricted level. */
  readonly overrides?: readonly string[];
}

/** A check: its ID, level, and revisions in strictly increasing minimum versions. */
export interface Check {
  readonly id: string;
  readonly level: Exclude<Level, "privileged">;
  readonly versions: readonly VersionedCheck[];
}

/** Calls `visit` with every init container, container and ephemeral container, in that order. */
export function visitContainers(spec: PssPodSpec, visit: (c: PssContainer) => void): void {
  visitList(spec.initContainers, visit);
  visitList(spec.containers, visit);
  visitList(spec.ephemeralContainers, visit);
}

function visitList(list: PssContainer[] | null | undefined, visit: (c: PssContainer) => void) {
  if (!Array.isArray(list)) return;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c && typeof c === "object") visit(c);
  }
}

/** `singular` when count is 1, else `plural`. */
export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** `"a", "b"` (no escaping, as upstream's joinQuote); "" for none. */
export function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? "" : `"${items.join(`", "`)}"`;
}

/** `container "a"` / `containers "a", "b"`: how every check names the containers at fault. */
export function containersNamed(names: readonly string[]): string {
  return `${pluralize("container", "containers", names.length)} ${joinQuote(names)}`;
}

/** The distinct items, sorted (Go's `sets.String.List()`). */
export function sortedSet(items: readonly string[]): string[] {
  if (items.length < 2) return [...items];
  return [...new Set(items)].sort(compareGo);
}

/** Go's string order (bytes of UTF-8, which is code point order). */
export function compareGo(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  // UTF-16 order is code point order unless a surrogate meets a unit above it.
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x < 0xd800 || x > 0xdfff) && (y < 0xd800 || y > 0xdfff)) return x < y ? -1 : 1;
    break;
  }
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : 1;
}

/** Go's `%q` of a string (strconv.Quote): the one in src/validation/field.ts. */
export { goQuote } from "../validation/field.ts";

/** True for a JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
