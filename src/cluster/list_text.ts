/**
 * Items of list answers from the API server. The text of a list answer (`{"kind":"PodList","apiVersion":"v1",
 * "metadata":{...},"items":[...]}`) split into its items' JSON texts without parsing them:
 * a listing's items can then be parsed where they are audited (a worker thread), and this
 * thread reads only the list's own fields. The split checks the structure (every string,
 * object and array closed, one object at the top level), so a cut or non-JSON answer is
 * refused here; whether each item is valid JSON is up to whoever parses it. An item, once
 * parsed, becomes the object the commands read (`listItem`, `clusterObject`).
 */
import type { LoadedObject } from "../io/documents.ts";
import type { SourceRef } from "../io/errors.ts";

/** A list answer: its own fields, parsed, and each item's JSON text. */
export interface ListText {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: unknown;
  /** Each item's JSON text, in order. */
  items: string[];
}

/** The text is not a JSON object of the list's shape. */
export class ListTextError extends Error {
  constructor(readonly offset: number, detail: string) {
    super(`${detail} at offset ${offset}`);
    this.name = "ListTextError";
  }
}

/** The list's fields that are parsed; everything else is skipped. */
const PARSED = new Set(["apiVersion", "kind", "metadata"]);

const QUOTE = 34;
const BACKSLASH = 92;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** Index after the string that opens at `i` (a quote). */
function skipString(s: string, i: number): number {
  for (;;) {
    const j = s.indexOf('"', i + 1);
    if (j < 0) throw new ListTextError(i, "unterminated string");
    let k = j - 1;
    while (s.charCodeAt(k) === BACKSLASH) k--;
    // an even number of backslashes before the quote: it closes the string
    if ((j - 1 - k) % 2 === 0) return j + 1;
    i = j;
  }
}

/** Index after the JSON value that starts at `i`. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipString(s, i);
  if (c === 123 || c === 91) {
    // Brackets are balanced by count, not kind: a mismatch inside is left to the parser.
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === QUOTE) j = skipString(s, j) - 1;
      else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        if (--depth === 0) return j + 1;
      }
    }
    throw new ListTextError(i, "unterminated object or array");
  }
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 44 || d === 125 || d === 93 || isSpace(d)) break;
    j++;
  }
  if (j === i) throw new ListTextError(i, "value expected");
  return j;
}

function expect(s: string, i: number, char: string): number {
  i = skipSpace(s, i);
  if (s[i] !== char) throw new ListTextError(i, `'${char}' expected`);
  return i + 1;
}

/** Splits the items of an array that opens at `i`; returns the index after it. */
function splitArray(s: string, i: number, items: string[]): number {
  i = skipSpace(s, i + 1);
  if (s[i] === "]") return i + 1;
  for (;;) {
    i = skipSpace(s, i);
    const end = skipValue(s, i);
    items.push(s.slice(i, end));
    i = skipSpace(s, end);
    if (s[i] === "]") return i + 1;
    if (s[i] !== ",") throw new ListTextError(i, "',' or ']' expected");
    i++;
  }
}

/**
 * Splits a list answer. `items` may be missing or null (no items); any other value that is
 * not an array is refused, as is a text that is not one JSON object.
 */
export function splitListText(text: string): ListText {
  const out: ListText = { items: [] };
  let i = expect(text, 0, "{");
  i = skipSpace(text, i);
  if (text[i] === "}") i++;
  else {
    for (;;) {
      i = skipSpace(text, i);
      if (text.charCodeAt(i) !== QUOTE) throw new ListTextError(i, "field name expected");
      const keyEnd = skipString(text, i);
      const key = JSON.parse(text.slice(i, keyEnd)) as string;
      i = skipSpace(text, expect(text, keyEnd, ":"));
      // a repeated field counts once, with its last value (as JSON.parse reads it)
      if (key === "items") out.items = [];
      if (key === "items" && text[i] === "[") i = splitArray(text, i, out.items);
      else {
        const end = skipValue(text, i);
        if (key === "items" && text.slice(i, end) !== "null") {
          throw new ListTextError(i, "items is not an array");
        }
        if (PARSED.has(key)) {
          try {
            out[key as "kind"] = JSON.parse(text.slice(i, end));
          } catch (e) {
            throw new ListTextError(i, (e as Error).message);
          }
        }
        i = end;
      }
      i = skipSpace(text, i);
      if (text[i] === "}") {
        i++;
        break;
      }
      if (text[i] !== ",") throw new ListTextError(i, "',' or '}' expected");
      i++;
    }
  }
  i = skipSpace(text, i);
  if (i !== text.length) throw new ListTextError(i, "text after the object");
  return out;
}

/** A list item as an object: the list's apiVersion and item kind, then the item's fields. */
export function listItem(
  list: { apiVersion?: string; kind?: string },
  item: unknown,
): Record<string, unknown> {
  return { apiVersion: list.apiVersion, kind: list.kind, ...(item as Record<string, unknown>) };
}

/**
 * The key a restarted listing recognises an object by: its kind and uid, else its
 * namespace/name (see ClusterClient.rawPages).
 */
export function restartKey(object: Record<string, unknown>): string {
  const meta = (object.metadata ?? {}) as Record<string, unknown>;
  const id = typeof meta.uid === "string" && meta.uid
    ? meta.uid
    : `${meta.namespace ?? ""}/${meta.name ?? ""}`;
  return `${object.kind}\n${id}`;
}

/** Where every object read from a cluster comes from. */
export const CLUSTER_SOURCE: SourceRef = { file: "cluster" };

/** Wraps a cluster object as a LoadedObject (no file positions). */
export function clusterObject(object: Record<string, unknown>): LoadedObject {
  return { object, source: CLUSTER_SOURCE, locate: () => undefined };
}
