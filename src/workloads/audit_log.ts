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
  const seen = new Set<string>();
  const withoutObject = new Set<string>();
  let lineNo = 0;
  let events = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (line.trim() === "") continue;
    events++;
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
    if (edge) onEdge(edge);
    if (
      event.verb !== "create" || !isRecord(ref) || ref.resource !== "pods" ||
      (ref.apiGroup !== undefined && ref.apiGroup !== "") ||
      (ref.subresource !== undefined && ref.subresource !== "")
    ) continue;
    const id = typeof event.auditID === "string" ? event.auditID : undefined;
    if (!isRecord(event.requestObject)) {
      if (id === undefined) stats.withoutRequestObject++;
      else if (!seen.has(id)) withoutObject.add(id);
      continue;
    }
    if (id !== undefined) {
      if (seen.has(id)) {
        stats.duplicates++;
        continue;
      }
      seen.add(id);
      withoutObject.delete(id);
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
    const { subject } = extractFromObject(
      { object: obj, source, locate: () => undefined },
      namespace,
    );
    if (!subject) continue;
    yield { ...subject, requester: requesterOf(event) };
  }
  if (events === 0) throw new InputError({ file }, undefined, "empty input: no audit events");
  stats.withoutRequestObject += withoutObject.size;
}
