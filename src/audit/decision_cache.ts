/**
 * Deciding identical pods once (issue 10.2). Replicas of a workload differ only in what names
 * them (name, generateName, uid, labels, owners, node, status, per-pod token volume names): PSP
 * admission and the Pod Security checks read none of that. `decisionKey` writes down exactly
 * what decides a pod's decision and the report's copy of it; `DecisionCache` keeps a bounded
 * number of keys, each with the small value its caller needs to reuse the decision (an id into
 * the decision table, never a decision or a pod: see the budget below).
 *
 * What the key holds (see decisionKey): the candidate PSP names left after RBAC; whether the
 * ServiceAccount plugin's token volume is added, and how; per container (init, regular,
 * ephemeral) its name, securityContext, ports and each volume mount's volume, readOnly and
 * mountPath; the pod's securityContext, hostNetwork/PID/IPC, runtimeClassName; per volume its
 * source keys (null or not), hostPath.path, flexVolume.driver, csi.driver and the whole
 * `projected` source; the annotations (all of them with PSPs, since the admitted pod's are
 * reported; the seccomp and AppArmor ones the Pod Security checks read without). With `--pss`
 * also `os`, `hostUsers`, the volume names and each probe's and lifecycle handler's
 * httpGet/tcpSocket host (a pod's PSS result holds every revision of every check, so no
 * version, and so no namespace, is part of it). Volume names are written as the index of the
 * first volume of that name (mounts point at it), except where a name is read for itself:
 * `--pss` messages, the secret token volume mode, a volume of no known type (its message
 * names it).
 *
 * The pod's own name is not in the key: the messages that carry it are rendered for each pod
 * by the caller (`forbiddenPrefix`, and a 422 is reused only for a pod of the same name).
 *
 * Budget and eviction: at most `entries` keys and `bytes` of key text (2 bytes a character
 * plus ENTRY_OVERHEAD per entry), least recently used first out. Values are small records
 * referring to decisions the decision table holds anyway. (The reverted memo of
 * commit 06b5b4e kept whole decisions, admitted pods sharing the input's objects, and doubled
 * peak RSS.) `FALCO_PSP_DECISION_CACHE=0` turns the cache off (for measuring);
 * `FALCO_PSP_DECISION_CACHE_STATS=1` prints its figures on stderr after the audit.
 */
import { canon, NotKeyable } from "../model/canonical.ts";
import type { Pod } from "../model/pod.ts";
import { goQuote } from "../validation/field.ts";
import { VOLUME_FS_TYPES } from "../admission/volumes.ts";
import {
  PROJECTED_TOKEN_PREFIX,
  type TokenVolumeMode,
} from "../workloads/service_account_token.ts";

/** How much a cache may hold (per thread). */
export interface CacheBudget {
  entries: number;
  bytes: number;
}

/** The default budget per auditing thread: 4096 keys, 8 MiB of key text. */
export const DEFAULT_CACHE_BUDGET: CacheBudget = { entries: 4096, bytes: 8 * 1024 * 1024 };

/** Bytes counted per entry besides its key's text (the map entry and the value record). */
export const ENTRY_OVERHEAD = 96;

/**
 * The budget `FALCO_PSP_DECISION_CACHE` asks for: `0` (or `off`) turns the cache off (null);
 * unset or anything else: the default budget.
 */
export function cacheBudgetFromEnv(
  get: (name: string) => string | undefined = envGet,
): CacheBudget | null {
  const v = get("FALCO_PSP_DECISION_CACHE")?.trim().toLowerCase();
  return v === "0" || v === "off" || v === "false" ? null : DEFAULT_CACHE_BUDGET;
}

/** Whether `FALCO_PSP_DECISION_CACHE_STATS` asks for the cache's figures on stderr. */
export function cacheStatsWanted(get: (name: string) => string | undefined = envGet): boolean {
  const v = get("FALCO_PSP_DECISION_CACHE_STATS")?.trim();
  return v !== undefined && v !== "" && v !== "0";
}

function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no env permission: the defaults
  }
}

/** A cache's figures (plain data; summed over threads by `addStats`). */
export interface CacheStats {
  /** Pods looked up, and those decided by a cached entry. */
  lookups: number;
  hits: number;
  /** Entries and bytes held now, and the most held at once. */
  entries: number;
  bytes: number;
  peakBytes: number;
  evictions: number;
  /** Caches summed (threads). */
  caches: number;
  budget: CacheBudget;
}

/** The sum of two caches' figures (budgets are per cache). */
export function addStats(a: CacheStats | undefined, b: CacheStats): CacheStats {
  if (!a) return { ...b };
  return {
    lookups: a.lookups + b.lookups,
    hits: a.hits + b.hits,
    entries: a.entries + b.entries,
    bytes: a.bytes + b.bytes,
    peakBytes: a.peakBytes + b.peakBytes,
    evictions: a.evictions + b.evictions,
    caches: a.caches + b.caches,
    budget: b.budget,
  };
}

/** One line saying what the cache did. */
export function formatCacheStats(s: CacheStats | undefined): string {
  if (!s) return "decision cache: off";
  const pct = s.lookups ? ((100 * s.hits) / s.lookups).toFixed(1) : "0.0";
  const mb = (n: number) => (n / (1024 * 1024)).toFixed(2);
  return `decision cache: ${s.lookups} pods, ${s.hits} hits (${pct}%), ${s.entries} entries, ` +
    `${mb(s.bytes)} MB of keys (peak ${mb(s.peakBytes)} MB), ${s.evictions} evicted; budget ` +
    `${s.budget.entries} entries and ${mb(s.budget.bytes)} MB per thread, ${s.caches} thread` +
    (s.caches === 1 ? "" : "s");
}

/**
 * A least-recently-used map from decision keys to small values, within a budget of entries
 * and key bytes. Keys over 1/64 of the byte budget are not kept.
 */
export class DecisionCache<V> {
  readonly #map = new Map<string, V>();
  readonly #budget: CacheBudget;
  #bytes = 0;
  #peak = 0;
  #lookups = 0;
  #hits = 0;
  #evictions = 0;

  constructor(budget: CacheBudget = DEFAULT_CACHE_BUDGET) {
    this.#budget = budget;
  }

  /**
   * The value of `key` (made the most recently used), counted as a lookup; undefined when
   * there is none or `accept` refuses it.
   */
  get(key: string, accept?: (v: V) => boolean): V | undefined {
    this.#lookups++;
    const v = this.#map.get(key);
    if (v === undefined || (accept && !accept(v))) return undefined;
    this.#hits++;
    // Most recently used last: Map keeps insertion order.
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  /** Keeps `value` for `key`, evicting the least recently used entries over the budget. */
  set(key: string, value: V): void {
    const size = key.length * 2 + ENTRY_OVERHEAD;
    if (size > this.#budget.bytes / 64 || this.#budget.entries < 1) return;
    if (this.#map.delete(key)) this.#bytes -= size;
    while (
      this.#map.size > 0 &&
      (this.#map.size >= this.#budget.entries || this.#bytes + size > this.#budget.bytes)
    ) {
      const oldest = this.#map.keys().next().value!;
      this.#map.delete(oldest);
      this.#bytes -= oldest.length * 2 + ENTRY_OVERHEAD;
      this.#evictions++;
    }
    this.#map.set(key, value);
    this.#bytes += size;
    if (this.#bytes > this.#peak) this.#peak = this.#bytes;
  }

  /** Counts a pod that was not looked up (no key could be written for it). */
  skip(): void {
    this.#lookups++;
  }

  stats(): CacheStats {
    return {
      lookups: this.#lookups,
      hits: this.#hits,
      entries: this.#map.size,
      bytes: this.#bytes,
      peakBytes: this.#peak,
      evictions: this.#evictions,
      caches: 1,
      budget: this.#budget,
    };
  }
}

/** What besides the pod decides a decision, constant over an audit. */
export interface KeyContext {
  /** PSPs are audited (else only the Pod Security Standards). */
  psp: boolean;
  /** `--pss` is on. */
  pss: boolean;
}

/** A pod's own part of the key's context. */
export interface PodKeyContext {
  /** The candidate PSP names after RBAC, as one string (see `allowedKey`). */
  allowed: string;
  /** The token volume the ServiceAccount plugin adds ("none": the pod is not changed). */
  tokenVolume: TokenVolumeMode;
}

const ALLOWED_KEYS = new WeakMap<readonly string[], string>();

/** A string equal for equal lists of PSP names (cached per list object). */
export function allowedKey(allowed: readonly string[]): string {
  let k = ALLOWED_KEYS.get(allowed);
  if (k === undefined) ALLOWED_KEYS.set(allowed, k = JSON.stringify(allowed));
  return k;
}

/** `o[k]` when `o` is an object, else undefined (as `o?.[k]` reads a primitive's own fields). */
function field(o: unknown, k: string): unknown {
  return o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined;
}

/** `o[k]` when `o` is not null or undefined (a primitive has no such fields: undefined). */
function optional(o: unknown, k: string): unknown {
  return o == null ? undefined : field(o, k);
}

/** The volume sources admission knows (admission's table); a volume with none keeps its raw name. */
const KNOWN_SOURCES = new Set(VOLUME_FS_TYPES.map(([source]) => source));
const PSS_ANNOTATION_PREFIXES = [
  "container.apparmor.security.beta.kubernetes.io/",
  "container.seccomp.security.alpha.kubernetes.io/",
];
const PSS_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";

function hasKnownSource(v: Record<string, unknown>): boolean {
  for (const k in v) if (KNOWN_SOURCES.has(k) && v[k] != null) return true;
  return false;
}

/** A probe's or lifecycle handler's hosts (what the Pod Security check reads of it). */
function handlerHosts(h: unknown): string {
  if (h == null || typeof h !== "object") return h == null ? "-" : "p";
  return canon(optional(field(h, "httpGet"), "host")) +
    canon(optional(field(h, "tcpSocket"), "host"));
}

function volumesKey(
  volumes: unknown,
  rawNames: boolean,
  projectedToken: boolean,
  secretToken: boolean,
  alias: Map<unknown, number>,
): string {
  if (!Array.isArray(volumes)) return canon(volumes);
  let s = "[";
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i];
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      s += `${canon(v)};`;
      continue;
    }
    const rec = v as Record<string, unknown>;
    const name = rec.name;
    // Only string names are aliased: a Map takes NaN for NaN, `===` (the mounts' match) not.
    const aliased = !rawNames && typeof name === "string";
    if (aliased && !alias.has(name)) alias.set(name, i);
    if (!aliased || !hasKnownSource(rec)) s += canon(name);
    else s += `#${alias.get(name)}`;
    if (projectedToken) {
      s += typeof name === "string" && name.startsWith(PROJECTED_TOKEN_PREFIX) ? "K" : "k";
    }
    s += "{";
    for (const k in rec) {
      if (k === "name") continue;
      const val = rec[k];
      s += `${JSON.stringify(k)}${val === null ? "N" : val === undefined ? "U" : ""}`;
      switch (k) {
        case "hostPath":
          s += canon(optional(val, "path"));
          break;
        case "flexVolume":
        case "csi":
          s += canon(optional(val, "driver"));
          break;
        case "projected":
          s += canon(val);
          break;
        case "secret":
          if (secretToken) s += canon(optional(val, "secretName"));
          break;
      }
      s += ",";
    }
    s += "};";
  }
  return s + "]";
}

function containersKey(
  containers: unknown,
  rawNames: boolean,
  pss: boolean,
  alias: Map<unknown, number>,
): string {
  if (!Array.isArray(containers)) return canon(containers);
  let s = "[";
  for (const c of containers) {
    if (c === null || typeof c !== "object" || Array.isArray(c)) {
      s += `${canon(c)};`;
      continue;
    }
    const rec = c as Record<string, unknown>;
    s += `${canon(rec.name)}${canon(rec.securityContext)}${canon(rec.ports)}`;
    const mounts = rec.volumeMounts;
    if (Array.isArray(mounts)) {
      s += "[";
      for (const m of mounts) {
        if (m === null || typeof m !== "object") {
          s += `${canon(m)};`;
          continue;
        }
        const name = field(m, "name");
        const to = rawNames || typeof name !== "string"
          ? canon(name)
          : alias.has(name)
          ? `#${alias.get(name)}`
          : "-";
        s += `${to}${canon(field(m, "readOnly"))}${canon(field(m, "mountPath"))};`;
      }
      s += "]";
    } else s += canon(mounts);
    if (pss) {
      const lc = rec.lifecycle;
      s += `P${handlerHosts(rec.livenessProbe)}${handlerHosts(rec.readinessProbe)}${
        handlerHosts(rec.startupProbe)
      }${
        lc == null
          ? "-"
          : handlerHosts(optional(lc, "postStart")) + handlerHosts(optional(lc, "preStop"))
      }`;
    }
    s += ";";
  }
  return s + "]";
}

function annotationsKey(annotations: unknown, all: boolean): string {
  if (all || annotations === null || typeof annotations !== "object") return canon(annotations);
  let s = "{";
  for (const k in annotations as Record<string, unknown>) {
    if (
      k === PSS_POD_ANNOTATION || PSS_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))
    ) s += `${JSON.stringify(k)}:${canon((annotations as Record<string, unknown>)[k])},`;
  }
  return s + "}";
}

/**
 * The key of everything that decides `pod`'s decision and the report's copy of it (see the
 * module's doc), or null when the pod holds values no key stands for (then it is decided
 * without the cache).
 */
export function decisionKey(pod: Pod, ctx: KeyContext, own: PodKeyContext): string | null {
  try {
    const spec = pod.spec as unknown as Record<string, unknown>;
    const token = own.tokenVolume;
    const secretToken = token === "secret";
    // Names are read for themselves by --pss messages and the secret token volume's naming.
    const rawNames = ctx.pss || secretToken;
    const alias = new Map<unknown, number>();
    let s = `${own.allowed}\n${token}\n`;
    if (ctx.pss) s += `${canon(spec.os)}${canon(spec.hostUsers)}\n`;
    s += annotationsKey(field(pod.metadata, "annotations"), ctx.psp) + "\n";
    if (token !== "none") {
      s += canon(spec.automountServiceAccountToken);
      if (secretToken) s += canon(spec.serviceAccountName) + canon(spec.serviceAccount);
      s += "\n";
    }
    s += `${canon(spec.securityContext)}${canon(spec.hostNetwork)}${canon(spec.hostPID)}${
      canon(spec.hostIPC)
    }${canon(spec.runtimeClassName)}\n`;
    s += volumesKey(spec.volumes, rawNames, token === "projected", secretToken, alias) + "\n";
    for (const kind of ["initContainers", "containers", "ephemeralContainers"]) {
      s += containersKey(spec[kind], rawNames, ctx.pss, alias) + "\n";
    }
    return s;
  } catch (e) {
    if (e instanceof NotKeyable) return null;
    throw e;
  }
}

/** The name the API server's messages give a pod: name, else generateName, else `Unknown`. */
export function podDisplayName(pod: Pod): string {
  return pod.metadata?.name || pod.metadata?.generateName || "Unknown";
}

/** The start of a 403's message for `pod`: `pods "<name>" is forbidden: `. */
export function forbiddenPrefix(pod: Pod): string {
  return `pods ${goQuote(podDisplayName(pod))} is forbidden: `;
}
