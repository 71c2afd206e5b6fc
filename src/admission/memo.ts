/**
 * A bounded memo of PSP admission decisions for pods that differ only in what names them (the
 * replicas of one ReplicaSet, a Job's pods): admission reads the pod's spec, namespace and
 * annotations but never its name, uid, owners or other bookkeeping, so such pods get the same
 * decision except for the parts that carry the pod's own name (the refusal message and the
 * admitted pod's metadata), which are rendered for each pod exactly as `admitPod` renders them.
 *
 * Decisions returned by the memo share their `results` (and, for admitted pods, the unchanged
 * parts of the admitted pod) with the decision first computed; treat them as read-only.
 */
import type { Pod } from "../model/pod.ts";
import {
  type AdmissionDecision,
  type AdmitOptions,
  admitPod,
  type CompiledPolicy,
  podDisplayName,
} from "./admit.ts";
import { goQuote } from "./field_errors.ts";

/** Pod metadata fields that only name or track the pod; PSP admission never reads them. */
const NAME_ONLY_FIELDS: ReadonlySet<string> = new Set([
  "name",
  "generateName",
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "ownerReferences",
  "managedFields",
]);

interface Entry {
  readonly decision: AdmissionDecision;
  /** `goQuote(podDisplayName(pod))` of the pod the decision was computed for. */
  readonly quotedName: string;
}

/**
 * `admitPod` with a least-recently-used memo of at most `maxEntries` decisions, keyed by the
 * candidate PSPs (by identity), whether another usable PSP exists, the options, and the pod
 * without its name-only metadata. Pods holding values JSON cannot tell apart (non-finite
 * numbers, -0, undefined, non-plain objects) are never memoised.
 */
export class AdmissionMemo {
  readonly #entries = new Map<string, Entry>();
  readonly #ids = new WeakMap<CompiledPolicy, number>();
  #nextId = 0;

  /** A memo holding at most `maxEntries` decisions (the least recently used go first). */
  constructor(readonly maxEntries = 4096) {}

  /** Same as `admitPod(pod, candidates, options)`; may return a renamed memoised decision. */
  admit(
    pod: Pod,
    candidates: readonly CompiledPolicy[],
    options: AdmitOptions = {},
  ): AdmissionDecision {
    const podJson = nameFreeJson(pod);
    if (podJson === null || this.maxEntries <= 0) return admitPod(pod, candidates, options);
    const key = `${this.#policiesKey(candidates, options)}\n${podJson}`;
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      const renamed = renamedDecision(hit, pod);
      if (renamed !== null) return renamed;
    }
    const decision = admitPod(pod, candidates, options);
    if (this.#entries.size >= this.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, { decision, quotedName: goQuote(podDisplayName(pod)) });
    return decision;
  }

  #policiesKey(candidates: readonly CompiledPolicy[], options: AdmitOptions): string {
    let key = options.ephemeralContainers ? "e" : "-";
    key += (options.otherPolicies ?? []).some((p) => p.error === null) ? "o" : "-";
    for (const p of candidates) {
      let id = this.#ids.get(p);
      if (id === undefined) this.#ids.set(p, id = this.#nextId++);
      key += `,${id}`;
    }
    return key;
  }
}

/**
 * JSON of the pod without its name-only metadata, or null when JSON would not tell it apart
 * from a different pod (or its metadata is not an object).
 */
function nameFreeJson(pod: Pod): string | null {
  const meta = pod.metadata as Record<string, unknown> | undefined;
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) return null;
  const plainProto = (o: object) => [Object.prototype, null].includes(Object.getPrototypeOf(o));
  let plain = plainProto(pod) && plainProto(meta);
  const kept = Object.fromEntries(Object.entries(meta).filter(([k]) => !NAME_ONLY_FIELDS.has(k)));
  const json = JSON.stringify(
    { ...pod, metadata: kept },
    function (this: Record<string, unknown>, key: string, value: unknown) {
      if (!plain) return null;
      const raw = key === "" ? value : this[key];
      switch (typeof raw) {
        case "string":
        case "boolean":
          return value;
        case "number":
          if (!Number.isFinite(raw) || Object.is(raw, -0)) plain = false;
          return value;
        case "object":
          if (raw !== null && !Array.isArray(raw)) {
            if (!plainProto(raw)) plain = false;
          }
          return value;
        default: // undefined (also array holes), bigint, function, symbol
          plain = false;
          return null;
      }
    },
  );
  return plain ? json : null;
}

/**
 * The decision `admitPod` gives `pod` when it gave `entry.decision` to a pod equal but for its
 * name-only metadata, or null if the memoised message is not in the expected form.
 */
function renamedDecision(entry: Entry, pod: Pod): AdmissionDecision | null {
  const d = entry.decision;
  if (d.verdict === "refused") {
    const quoted = goQuote(podDisplayName(pod));
    if (quoted === entry.quotedName || d.message === undefined) return d;
    // `pods "<name>" is forbidden: ...` (403) or `Pod "<name>" is invalid: ...` (422).
    const prefix = d.reason === "Invalid" ? "Pod " : "pods ";
    const old = prefix + entry.quotedName;
    if (!d.message.startsWith(old)) return null;
    return { ...d, message: prefix + quoted + d.message.slice(old.length) };
  }
  const admitted = d.admitted;
  if (admitted === null) return null;
  // admitPod's stored pod: the pod's own metadata with the admitted annotations (the only
  // metadata admission writes), in the pod's key order.
  return {
    ...d,
    admitted: {
      ...admitted,
      metadata: { ...pod.metadata, annotations: admitted.metadata?.annotations },
    },
  };
}
