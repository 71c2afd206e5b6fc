/**
 * Pod creations out of a Kubernetes audit log (audit.k8s.io Events, one JSON
 * object per line, as the API server's log backend writes them). Every `create`
 * of core `pods` (no subresource) that carries its `requestObject` becomes a pod
 * subject, with the namespace from `objectRef` and the requesting user from the
 * event (`impersonatedUser` when set). ReplicaSet and Job creations give the
 * owner edges that group pods under their Deployment or CronJob. The file is
 * streamed line by line (never held whole).
 */
import { InputError } from "../io/errors.ts";
import { jsonProblem, MAX_LINE_CHARS, readLines as streamLines } from "../io/stream.ts";
import { controllerOf, DEFAULT_NAMESPACE, extractFromObject, type OwnerEdge } from "./extract.ts";
import type { PodSubject, Requester } from "./subject.ts";

/** Counts of events that were read but not audited. */
export interface AuditLogStats {
  /** Pod creations logged without requestObject (audit level Metadata). */
  withoutRequestObject: number;
  /** Further stages of a request already audited (same auditID). */
  duplicates: number;
}

/**
 * Reads an audit log (or stdin for `-`) line by line, in chunks, decoding UTF-8
 * strictly; lines longer than MAX_LINE_CHARS are refused (see io/stream.ts).
 */
export function readLines(file: string): AsyncGenerator<string> {
  return streamLines(file, { maxLineChars: MAX_LINE_CHARS });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function requesterOf(event: Record<string, unknown>): Requester | undefined {
  const u = isRecord(event.impersonatedUser) ? event.impersonatedUser : event.user;
  if (!isRecord(u) || typeof u.username !== "string") return undefined;
  const groups = Array.isArray(u.groups)
    ? u.groups.filter((g): g is string => typeof g === "string")
    : [];
  return { user: u.username, groups };
}

/** Kinds whose creation in the log tells which controller owns later pods' owners. */
const OWNED_RESOURCES: Record<string, { kind: string; groups: string[] }> = {
  replicasets: { kind: "ReplicaSet", groups: ["apps", "extensions"] },
  jobs: { kind: "Job", groups: ["batch"] },
};

/**
 * The ownership edge in a ReplicaSet or Job creation (a Deployment's or
 * CronJob's controller creating it), so their pods group under the top workload.
 */
function controllerEdge(event: Record<string, unknown>): OwnerEdge | undefined {
  const ref = event.objectRef;
  if (event.verb !== "create" || !isRecord(ref) || !isRecord(event.requestObject)) return undefined;
  const owned = OWNED_RESOURCES[String(ref.resource)];
  if (!owned || !owned.groups.includes(String(ref.apiGroup)) || ref.subresource) return undefined;
  const meta = event.requestObject.metadata;
  const namespace = typeof ref.namespace === "string" ? ref.namespace : "";
  const name = isRecord(meta) && typeof meta.name === "string" && meta.name
    ? meta.name
    : typeof ref.name === "string"
    ? ref.name
    : "";
  const owner = controllerOf(meta, namespace);
  if (!owner || !name || !namespace) return undefined;
  return { child: { kind: owned.kind, namespace, name }, owner };
}

/** What one non-blank line of an audit log is to audit-pods (see readAuditLine). */
export interface AuditLine {
  /** The ownership edge of a ReplicaSet or Job creation. */
  edge?: OwnerEdge;
  /** A create of core pods (no subresource). */
  podCreation?: {
    /** The event's auditID (the stages of one request share it). */
    id?: string;
    /** Whether the event carries the pod (audit level Request or RequestResponse). */
    hasObject: boolean;
    /** The pod subject (with the requester); absent when there is no pod to audit. */
    subject?: PodSubject;
    /** Why the pod could not be taken (a wrongly typed field); thrown unless a duplicate. */
    error?: InputError;
  };
}

/**
 * Reads one non-blank line (`lineNo`, 1-based) of an audit log: a line that is not
 * a JSON audit event (or has a duplicate key, a huge value, deep nesting) is an
 * InputError naming the file and line. Which events repeat an earlier one is for the
 * caller to tell (AuditLogTally); `known(id)` says an auditID's pod was already read, so
 * that a later stage of the request is not read again (no `subject`, no `error`).
 */
export function readAuditLine(
  raw: string,
  file: string,
  lineNo: number,
  known: (id: string) => boolean = () => false,
): AuditLine {
  const line = lineNo === 1 ? raw.replace(/^\uFEFF/, "") : raw;
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch (e) {
    throw new InputError(
      { file, line: lineNo },
      undefined,
      `not a JSON audit event: ${(e as Error).message}`,
    );
  }
  const problem = jsonProblem(line);
  if (problem) {
    throw new InputError(
      { file, line: lineNo, column: problem.offset + 1 },
      undefined,
      problem.detail,
    );
  }
  if (
    !isRecord(event) || event.kind !== "Event" || typeof event.apiVersion !== "string" ||
    !event.apiVersion.startsWith("audit.k8s.io/")
  ) {
    throw new InputError(
      { file, line: lineNo },
      undefined,
      "expected an audit.k8s.io Event (kind: Event), one per line",
    );
  }
  const ref = event.objectRef;
  const edge = controllerEdge(event);
  const out: AuditLine = edge ? { edge } : {};
  if (
    event.verb !== "create" || !isRecord(ref) || ref.resource !== "pods" ||
    (ref.apiGroup !== undefined && ref.apiGroup !== "") ||
    (ref.subresource !== undefined && ref.subresource !== "")
  ) return out;
  const id = typeof event.auditID === "string" ? event.auditID : undefined;
  if (!isRecord(event.requestObject) || (id !== undefined && known(id))) {
    out.podCreation = {
      ...(id !== undefined ? { id } : {}),
      hasObject: isRecord(event.requestObject),
    };
    return out;
  }
  const namespace = typeof ref.namespace === "string" && ref.namespace !== ""
    ? ref.namespace
    : DEFAULT_NAMESPACE;
  const obj = { ...event.requestObject } as Record<string, unknown>;
  obj.kind ??= "Pod";
  obj.apiVersion ??= "v1";
  const meta = isRecord(obj.metadata) ? { ...obj.metadata } : {};
  meta.namespace = namespace;
  if (!meta.name && typeof ref.name === "string" && ref.name !== "") meta.name = ref.name;
  obj.metadata = meta;
  const source = { file, line: lineNo };
  const creation: NonNullable<AuditLine["podCreation"]> = {
    ...(id !== undefined ? { id } : {}),
    hasObject: true,
  };
  try {
    const { subject } = extractFromObject(
      { object: obj, source, locate: () => undefined },
      namespace,
    );
    if (subject) creation.subject = { ...subject, requester: requesterOf(event) };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    creation.error = e;
  }
  out.podCreation = creation;
  return out;
}

/**
 * What the lines of one audit log add up to, in order: which pod creations to
 * audit (the first stage of each request that carries the pod) and the counts of
 * the others.
 */
export class AuditLogTally {
  readonly #seen = new Set<string>();
  readonly #withoutObject = new Set<string>();
  #events = 0;

  constructor(readonly file: string, readonly stats: AuditLogStats) {}

  /**
   * Takes the next line; returns whether its pod is to be audited. Throws the line's
   * extraction error when it is.
   */
  /** Whether a pod creation with this auditID was taken already (later ones are duplicates). */
  has(id: string): boolean {
    return this.#seen.has(id);
  }

  take(line: {
    podCreation?: { id?: string; hasObject: boolean; subject?: unknown; error?: Error };
  }): boolean {
    this.#events++;
    const c = line.podCreation;
    if (!c) return false;
    if (!c.hasObject) {
      if (c.id === undefined) this.stats.withoutRequestObject++;
      else if (!this.#seen.has(c.id)) this.#withoutObject.add(c.id);
      return false;
    }
    if (c.id !== undefined) {
      if (this.#seen.has(c.id)) {
        this.stats.duplicates++;
        return false;
      }
      this.#seen.add(c.id);
      this.#withoutObject.delete(c.id);
    }
    if (c.error) throw c.error;
    return c.subject !== undefined;
  }

  /** After the last line: a log without events is an InputError; counts are final. */
  end(): void {
    if (this.#events === 0) {
      throw new InputError({ file: this.file }, undefined, "empty input: no audit events");
    }
    this.stats.withoutRequestObject += this.#withoutObject.size;
    this.#withoutObject.clear();
  }
}

/**
 * Yields a pod subject for every pod creation in an audit log. Blank lines are
 * skipped; a line that is not a JSON audit event (or has a duplicate key, a
 * huge value, deep nesting), and a log without events, is an InputError naming
 * the file (and line). `stats` is filled in as the log is read.
 */
export async function* auditLogSubjects(
  file: string,
  stats: AuditLogStats = { withoutRequestObject: 0, duplicates: 0 },
  lines: AsyncIterable<string> = readLines(file),
  onEdge: (edge: OwnerEdge) => void = () => {},
): AsyncGenerator<PodSubject> {
  const tally = new AuditLogTally(file, stats);
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    if (raw.trim() === "") continue;
    const line = readAuditLine(raw, file, lineNo, (id) => tally.has(id));
    if (line.edge) onEdge(line.edge);
    if (tally.take(line)) yield line.podCreation!.subject!;
  }
  tally.end();
}
