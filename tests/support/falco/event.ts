/** A Kubernetes audit event as both Falco targets ingest it. */
import { parseJsonKeepingText } from "./json_text.ts";

/** One audit event: its JSON, its text and its timestamp (from `stageTimestamp`). */
export interface AuditEvent {
  json: unknown;
  raw: string;
  /** Nanoseconds since the epoch, parsed from `stageTimestamp` (0 if absent). */
  timestampNs: bigint;
}

/** Parses an RFC 3339 UTC timestamp with up to nanosecond precision into epoch ns. */
export function parseTimestampNs(text: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) throw new Error(`cannot parse timestamp ${JSON.stringify(text)}`);
  const seconds = BigInt(Date.parse(m[1] + "Z") / 1000);
  const frac = BigInt((m[2] ?? "").padEnd(9, "0"));
  return seconds * 1_000_000_000n + frac;
}

/** Builds an AuditEvent from one JSON line (an `Event` object). */
export function auditEventFromJson(raw: string): AuditEvent {
  const json = parseJsonKeepingText(raw) as { stageTimestamp?: unknown } | null;
  const stage = typeof json?.stageTimestamp === "string" ? json.stageTimestamp : undefined;
  return { json, raw, timestampNs: stage ? parseTimestampNs(stage) : 0n };
}

/** Builds an AuditEvent from an object (serialised compactly, as the API server does). */
export function auditEventFromObject(obj: unknown): AuditEvent {
  return auditEventFromJson(JSON.stringify(obj));
}
