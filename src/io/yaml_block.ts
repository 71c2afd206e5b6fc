/**
 * The block YAML that `kubectl get -o yaml` prints (and most manifests are written in), read
 * in one pass over its lines, several times faster than js-yaml: block mappings and sequences
 * (a sequence under a key at the key's indentation or deeper, `- key: value` entries), plain
 * scalars (over several lines too, folded, as kubectl wraps long ones) resolved by kubectl's
 * tags (yaml_schema.ts: `0755`, `yes`, `~` mean what they mean there), single- and
 * double-quoted scalars on one line (escapes `\" \\ \n \t \r`), `{}` and `[]`, literal block
 * scalars (`|`, `|-`, `|+`) and comment lines.
 *
 * Anything else is left to the readers after it (readBlockYaml returns undefined): flow
 * collections with content, folded block scalars or indentation indicators, quoted scalars
 * over several lines, comments after content, anchors, aliases, tags, directives,
 * document markers other than one `---` first, quoted, complex or long keys, keys a tag
 * resolves (`on:`, `1:`), `__proto__`, duplicate keys, empty sequence entries, tabs, `\r`,
 * controls and non-ASCII characters, collections nested as deep as the limit, scalars near
 * the length limit. What it reads, it reads as the `yaml` library path of documents.ts does:
 * tests/io/yaml_fast_test.ts compares them on thousands of generated, hostile and mutated
 * documents, and tests/io/yaml_block_test.ts checks what it reads and what it leaves.
 */
import type { FastDocument, FastLimits, TextPosition } from "./yaml_fast.ts";
import { implicitTag, resolvePlain } from "./yaml_schema.ts";

/** Thrown inside the reader to give up on a text (it is caught in readBlockYaml). */
const NOT_BLOCK = new Error("not the block YAML readBlockYaml reads");

/** The longest a line may be up to a key's `:` (an implicit key must be within 1024). */
const MAX_KEY_END = 1000;

const SP = 0x20, QUOTE = 0x22, HASH = 0x23, APOS = 0x27, DASH = 0x2d, DOT = 0x2e, COLON = 0x3a;
const BACKSLASH = 0x5c, BRACKET = 0x5b, BRACE = 0x7b, BAR = 0x7c;

/** Characters a key read here may start with, and hold. */
const KEY_FIRST = new Uint8Array(128);
const KEY_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9_./]/.test(ch)) KEY_FIRST[c] = KEY_CHAR[c] = 1;
}
KEY_CHAR[DASH] = 1;

/**
 * Characters a plain scalar read here may start with: printable ASCII but the indicators
 * (`-` is one only before a space).
 */
const PLAIN_FIRST = new Uint8Array(128);
for (let c = SP + 1; c < 0x7f; c++) PLAIN_FIRST[c] = 1;
for (const ch of ",[]{}#&*!|>'\"%@`?:") PLAIN_FIRST[ch.charCodeAt(0)] = 0;

// The reader's state: the text, and the line it is at (a content line: not blank, not a
// comment), which `advance` moves on.
let text = "";
let length = 0;
/** The current line: where it starts, where it ends (its `\n`, or the text's end). */
let lineStart = 0;
let lineEnd = 0;
/** Its indentation (spaces), and its 0-based number. */
let indent = 0;
let lineNo = 0;
/** No content line is left. */
let eof = false;
/** Collections at this depth (the root is 0) or deeper are the `yaml` library's to refuse. */
let depthLimit = 0;
/** Scalars with a source longer than this are the `yaml` library's to measure. */
let scalarLimit = 0;
/** Item positions are asked for; where the root's `items` sequence's mappings start. */
let wantItems = false;
let itemStarts: TextPosition[] | undefined;

/**
 * Reads one YAML document whose root is a block mapping, as the `yaml` library path of
 * documents.ts reads it, or returns undefined when the text holds anything this reader does
 * not read (see the module's comment). With `items`, also where each item of the root's
 * `items` sequence starts, when they are all mappings.
 */
export function readBlockYaml(
  source: string,
  limits: FastLimits,
  opts: { items?: boolean } = {},
): FastDocument | undefined {
  text = source;
  length = source.length;
  lineEnd = -1;
  lineNo = -1;
  eof = false;
  depthLimit = limits.maxNesting - 1;
  scalarLimit = limits.maxScalarChars - 1024;
  wantItems = opts.items === true;
  itemStarts = undefined;
  try {
    advance(true);
    if (eof) return undefined;
    if (indent === 0 && lineEnd === lineStart + 3 && text.startsWith("---", lineStart)) {
      advance();
      if (eof) return undefined;
    }
    const line = lineNo + 1;
    const column = indent + 1;
    if (entryAt(lineStart + indent)) return undefined;
    const value = mapping(indent, lineStart + indent, 0);
    if (!eof) return undefined; // a line left of the root mapping: not one mapping
    const doc: FastDocument = { value, line, column };
    if (itemStarts !== undefined) doc.items = itemStarts;
    return doc;
  } catch {
    // NOT_BLOCK, or a tag refusing a scalar: the `yaml` library path decides
    return undefined;
  } finally {
    text = "";
    itemStarts = undefined;
  }
}

/**
 * Moves to the next content line, passing blank and comment lines; sets `eof` at the text's
 * end. A document marker is not read here (`first`: the document's first line, where `---`
 * may be).
 */
function advance(first = false): void {
  let p = lineEnd + 1;
  lineNo++;
  while (p < length) {
    let e = text.indexOf("\n", p);
    if (e < 0) e = length;
    const i = spacesEnd(p, e);
    if (i < e) {
      const c = text.charCodeAt(i);
      if (c === HASH) printable(i, e);
      else {
        if (
          i === p && (c === DASH || c === DOT) &&
          (text.startsWith("---", p) || text.startsWith("...", p)) &&
          (e === p + 3 || text.charCodeAt(p + 3) === SP) &&
          !(first && c === DASH && e === p + 3)
        ) throw NOT_BLOCK;
        lineStart = p;
        lineEnd = e;
        indent = i - p;
        return;
      }
    }
    p = e + 1;
    lineNo++;
  }
  eof = true;
  lineStart = lineEnd = length;
  indent = 0;
}

/** Refuses a character that is not printable ASCII in text[from, to). */
function printable(from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < SP || c > 0x7e) throw NOT_BLOCK;
  }
}

/** Where the spaces from `i` end, at `end` at most. */
function spacesEnd(i: number, end: number): number {
  while (i < end && text.charCodeAt(i) === SP) i++;
  return i;
}

/** Whether text[from, lineEnd) holds only spaces. */
function blankTo(from: number): boolean {
  return spacesEnd(from, lineEnd) === lineEnd;
}

/** Whether a sequence entry (`-` then a space or the line's end) is at `i` of the line. */
function entryAt(i: number): boolean {
  return text.charCodeAt(i) === DASH && (i + 1 === lineEnd || text.charCodeAt(i + 1) === SP);
}

/** Where the `:` of a key read here (`key:` then a space or the line's end) at `i` is, or -1. */
function keyEnd(i: number): number {
  const c0 = text.charCodeAt(i);
  if (c0 >= 128 || KEY_FIRST[c0] === 0) return -1;
  let j = i + 1;
  for (; j < lineEnd; j++) {
    const c = text.charCodeAt(j);
    if (c >= 128 || KEY_CHAR[c] === 0) break;
  }
  if (text.charCodeAt(j) !== COLON) return -1;
  return j + 1 === lineEnd || text.charCodeAt(j + 1) === SP ? j : -1;
}

/**
 * The block mapping whose first key is at `keyAt` of the current line, its keys at column
 * `at`; ends at the first content line left of them (or the text's end).
 */
function mapping(at: number, keyAt: number, depth: number): Record<string, unknown> {
  if (depth >= depthLimit) throw NOT_BLOCK;
  const object: Record<string, unknown> = {};
  for (;;) {
    const colon = keyEnd(keyAt);
    if (colon < 0 || colon - lineStart > MAX_KEY_END) throw NOT_BLOCK;
    const key = text.slice(keyAt, colon);
    if (key === "__proto__" || Object.hasOwn(object, key) || implicitTag(key) !== undefined) {
      throw NOT_BLOCK;
    }
    const i = spacesEnd(colon + 1, lineEnd);
    object[key] = i === lineEnd ? below(at, depth, key) : inline(i, at, depth + 1);
    if (eof || indent < at) return object;
    if (indent > at) throw NOT_BLOCK;
    keyAt = lineStart + at;
  }
}

/**
 * The value of a key at column `at` with nothing after its `:`: a collection on the lines
 * below (a sequence may be at the key's column), else null.
 */
function below(at: number, depth: number, key: string): unknown {
  advance();
  if (eof || indent < at) return null;
  const track = wantItems && depth === 0 && key === "items";
  if (entryAt(lineStart + indent)) return sequence(indent, depth + 1, track);
  if (indent === at) return null; // the mapping's next key
  return mapping(indent, lineStart + indent, depth + 1);
}

/**
 * The block sequence whose entries are at column `at`, from the current line; `track`:
 * note where its items start (the root's `items`).
 */
function sequence(at: number, depth: number, track: boolean): unknown[] {
  if (depth >= depthLimit) throw NOT_BLOCK;
  const items: unknown[] = [];
  let starts: TextPosition[] | undefined = track ? [] : undefined;
  for (;;) {
    const i = spacesEnd(lineStart + at + 1, lineEnd);
    if (i === lineEnd || entryAt(i)) throw NOT_BLOCK; // an empty entry, or `- - x`
    if (keyEnd(i) >= 0) {
      starts?.push({ line: lineNo + 1, column: i - lineStart + 1 });
      items.push(mapping(i - lineStart, i, depth + 1));
    } else {
      if (starts && text.charCodeAt(i) === BRACE) {
        starts.push({ line: lineNo + 1, column: i - lineStart + 1 });
      } else starts = undefined;
      items.push(inline(i, at, depth + 1));
    }
    if (eof || indent < at) break;
    if (indent > at) throw NOT_BLOCK;
    if (!entryAt(lineStart + at)) break; // the next key of the mapping the sequence is in
  }
  if (starts) itemStarts = starts;
  return items;
}

/**
 * A value that starts at `i` of the current line, in a collection at column `at` (at `depth`
 * if it is one); moves on to the next content line, which must not be right of `at`.
 */
function inline(i: number, at: number, depth: number): unknown {
  const c = text.charCodeAt(i);
  let value: unknown;
  if (c === QUOTE) value = doubleQuoted(i);
  else if (c === APOS) value = singleQuoted(i);
  else if (c === BRACE || c === BRACKET) {
    if (text.charCodeAt(i + 1) !== c + 2 || !blankTo(i + 2) || depth >= depthLimit) {
      throw NOT_BLOCK; // `}` and `]` are `{` and `[` + 2
    }
    value = c === BRACE ? {} : [];
  } else if (c === BAR) return literal(i, at);
  else return plain(i, at);
  advance();
  if (!eof && indent > at) throw NOT_BLOCK; // more of the scalar, or not YAML
  return value;
}

/**
 * A plain scalar from `i` of the current line, in a collection at column `at`: the line's
 * rest, and the lines below indented more than `at` (folded: a line break is a space, blank
 * lines are line breaks), resolved by kubectl's tags; moves on to the next content line.
 */
function plain(i: number, at: number): unknown {
  const c0 = text.charCodeAt(i);
  if (c0 >= 128 || PLAIN_FIRST[c0] === 0) throw NOT_BLOCK;
  if (c0 === DASH && (i + 1 === lineEnd || text.charCodeAt(i + 1) === SP)) throw NOT_BLOCK;
  let value = text.slice(i, plainEnd(i));
  // the lines below that continue it
  let p = lineEnd + 1;
  let n = lineNo;
  let blanks = 0;
  while (p < length) {
    let e = text.indexOf("\n", p);
    if (e < 0) e = length;
    const k = spacesEnd(p, e);
    if (k === e) blanks++;
    else {
      const c = text.charCodeAt(k);
      if (k - p <= at) {
        if (c !== HASH && (k > p || (c !== DASH && c !== DOT))) {
          // the next content line (not a comment or a marker): found already
          const resolved = resolvePlain(value);
          lineStart = p;
          lineEnd = e;
          indent = k - p;
          lineNo = n + 1;
          return resolved;
        }
        break;
      }
      if (c === HASH) break; // a comment line ends it (advance passes it)
      // a line a plain scalar may not go on with
      if (c >= 128 || PLAIN_FIRST[c] === 0 || (c === DASH && text.charCodeAt(k + 1) === SP)) {
        throw NOT_BLOCK;
      }
      lineEnd = e;
      const piece = text.slice(k, plainEnd(k));
      value += blanks ? "\n".repeat(blanks) + piece : " " + piece;
      blanks = 0;
      lineNo = n + 1;
      if (e - i >= scalarLimit) throw NOT_BLOCK;
    }
    p = e + 1;
    n++;
  }
  const resolved = resolvePlain(value);
  advance();
  if (!eof && indent > at) throw NOT_BLOCK; // not YAML
  return resolved;
}

/**
 * Where the plain scalar text from `i` to the current line's end ends (after its last
 * character that is not a space); refuses what a plain scalar may not hold.
 */
function plainEnd(i: number): number {
  let last = i;
  for (let j = i; j < lineEnd; j++) {
    const c = text.charCodeAt(j);
    if (c === SP) {
      if (text.charCodeAt(j + 1) === HASH) throw NOT_BLOCK; // a comment
      continue;
    }
    if (c < SP || c > 0x7e) throw NOT_BLOCK;
    if (c === COLON && (j + 1 === lineEnd || text.charCodeAt(j + 1) === SP)) throw NOT_BLOCK;
    last = j;
  }
  if (last - i >= scalarLimit) throw NOT_BLOCK;
  return last + 1;
}

/** A double-quoted scalar on one line, then nothing but spaces. */
function doubleQuoted(i: number): string {
  let escaped = false;
  let j = i + 1;
  for (; j < lineEnd; j++) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) break;
    if (c < SP || c > 0x7e) throw NOT_BLOCK;
    if (c === BACKSLASH) {
      const e = text.charCodeAt(j + 1);
      // the escapes JSON and YAML read alike
      if (e !== QUOTE && e !== BACKSLASH && e !== 0x6e && e !== 0x74 && e !== 0x72) {
        throw NOT_BLOCK;
      }
      escaped = true;
      j++;
    }
  }
  if (j >= lineEnd || !blankTo(j + 1) || j - i >= scalarLimit) throw NOT_BLOCK;
  return escaped ? JSON.parse(text.slice(i, j + 1)) as string : text.slice(i + 1, j);
}

/** A single-quoted scalar on one line (`''` is a quote), then nothing but spaces. */
function singleQuoted(i: number): string {
  let escaped = false;
  let j = i + 1;
  for (;; j++) {
    if (j >= lineEnd) throw NOT_BLOCK;
    const c = text.charCodeAt(j);
    if (c === APOS) {
      if (text.charCodeAt(j + 1) !== APOS) break;
      escaped = true;
      j++;
    } else if (c < SP || c > 0x7e) throw NOT_BLOCK;
  }
  if (!blankTo(j + 1) || j - i >= scalarLimit) throw NOT_BLOCK;
  const body = text.slice(i + 1, j);
  return escaped ? body.replaceAll("''", "'") : body;
}

/**
 * A literal block scalar whose header (`|`, `|-`, `|+`) is at `i`, in a collection at column
 * `at`: its lines are those below indented more than `at`, as deep as the first; moves on to
 * the next content line after them.
 */
function literal(i: number, at: number): string {
  let chomp = 0; // -1 strip, 0 clip, 1 keep
  const h = text.charCodeAt(i + 1);
  if (h === DASH) chomp = -1;
  else if (h === 0x2b /* + */) chomp = 1;
  if (!blankTo(chomp === 0 ? i + 1 : i + 2)) throw NOT_BLOCK;
  const from = lineEnd + 1;
  const lines: string[] = [];
  let content = -1; // the content's indentation, once known
  let blankBefore = 0; // the most spaces on a blank line before the first content line
  let blanks = 0; // blank lines not followed by content yet
  let p = from;
  let n = lineNo;
  while (p < length) {
    const e = text.indexOf("\n", p);
    if (e < 0) throw NOT_BLOCK; // a last line without a line break: its end is not read here
    const k = spacesEnd(p, e);
    if (k === e) {
      if (content < 0) blankBefore = Math.max(blankBefore, e - p);
      else if (e - p > content) throw NOT_BLOCK; // spaces that are content
      blanks++;
    } else {
      const lineIndent = k - p;
      if (content < 0) {
        if (lineIndent <= at || blankBefore > lineIndent) throw NOT_BLOCK; // empty, or not YAML
        content = lineIndent;
      } else if (lineIndent < content) break;
      printable(k, e);
      for (; blanks > 0; blanks--) lines.push("");
      lines.push(text.slice(p + content, e));
    }
    p = e + 1;
    n++;
  }
  if (content < 0 || p - from >= scalarLimit) throw NOT_BLOCK;
  // on to the line at `p` (content of the collections around, a comment, or the end)
  lineEnd = p - 1;
  lineNo = n;
  advance();
  if (!eof && indent > at) throw NOT_BLOCK;
  const body = lines.join("\n");
  return chomp < 0 ? body : chomp === 0 ? body + "\n" : body + "\n".repeat(blanks + 1);
}
