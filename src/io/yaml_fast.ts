/**
 * A fast path for reading one YAML document: first the block reader of yaml_block.ts (the
 * layout kubectl prints, about three times js-yaml's speed), then js-yaml (a pod document in
 * about an eighth of the time the `yaml` library takes with its line counter, CST bounds check
 * and composer), each reading the documents it is known to read exactly as the `yaml` library
 * path of documents.ts does; undefined ("use the `yaml` library") for everything else. What
 * follows is about js-yaml; the `yaml` library stays authoritative:
 *
 * - plain scalars resolve through the tags the `yaml` library path uses (kubectl's YAML 1.1
 *   scalars, yaml_schema.ts: the tags its Composer tries, in its order, each with its own
 *   `resolve`), so `0755`, `1_000`, `.inf`, `yes`, `~`, `1:20` mean what they mean there;
 * - text where the two readers are not known to agree never reaches js-yaml (`screen`):
 *   anchors, aliases, tags, directives, merge keys, complex and collection keys, reserved
 *   indicators, tabs, `\r`, controls, BOMs and non-ASCII spaces and line breaks, document
 *   markers other than one `---` before and one `...` after the document, empty sequence
 *   entries, block scalar indentation indicators, comment lines after a flow collection, an
 *   escaped line break before a blank line, and lines longer than an implicit key may be
 *   unless they are a short key and a scalar;
 * - whatever js-yaml refuses (duplicate keys, syntax errors, deep nesting) goes to the `yaml`
 *   library, which gives the canonical error; so do results that are not a mapping, that hold
 *   a collection nested MAX_NESTING - 1 deep, a key js-yaml made from a null, or a collection
 *   js-yaml read as a mapping key (and made a string of).
 *
 * The root mapping's position (the first content character) is taken from the screen; where
 * fields are (LoadedObject.locate) is left to the `yaml` library, when asked.
 * tests/io/yaml_fast_test.ts checks the two paths against each other on thousands of
 * generated, hostile and mutated documents.
 */
// @ts-types="npm:@types/js-yaml@4.0.9"
import { FAILSAFE_SCHEMA, load, type LoadOptions, Type } from "js-yaml";
import { type ImplicitTag, implicitTag, resolvePlain } from "./yaml_schema.ts";
import { listenerState, withMaxDepth } from "./library_internals.ts";
import { readBlockYaml } from "./yaml_block.ts";

/** 1-based line and column in a text. */
export interface TextPosition {
  line: number;
  column: number;
}

/** A document read by the fast path: its root mapping and where that starts in the text. */
export interface FastDocument extends TextPosition {
  value: Record<string, unknown>;
  /**
   * With `items` asked for and an `items` sequence of mappings under the root: where each of
   * them starts (the first character of the mapping), in order.
   */
  items?: TextPosition[];
}

/** The bounds the `yaml` library path enforces (documents.ts). */
export interface FastLimits {
  /** Deepest nesting of collections accepted. */
  maxNesting: number;
  /** Longest scalar accepted, in characters of its source. */
  maxScalarChars: number;
}

let matched: ImplicitTag | undefined;
/** js-yaml's implicit type: the first of the `yaml` library's tags whose test matches. */
const yamlCoreScalar = new Type("tag:yaml.org,2002:yaml-core-scalar", {
  kind: "scalar",
  resolve(data: string): boolean {
    matched = implicitTag(data);
    return matched !== undefined;
  },
  construct: (data: string): unknown => resolvePlain(data, matched),
});

const SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [yamlCoreScalar] });

/** Longest line read as is: an implicit key and its `:` must lie within 1024 characters. */
const MAX_LINE = 1000;
/** A long line that is safe: a short plain key, then a scalar that is not a flow collection. */
const LONG_LINE_OK = /^ *(?:- +)*[A-Za-z0-9][-A-Za-z0-9_./]{0,200}: +[^ \[{]/;

const SP = 0x20, HASH = 0x23, DASH = 0x2d, DOT = 0x2e;

/**
 * Whether a character before one of `&*!@%?` and backtick makes it the start of a token
 * (a node's anchor, alias, tag, a reserved indicator, a directive, a complex key).
 */
function startsToken(prev: number): boolean {
  switch (prev) {
    case -1: // start of a line
    case SP:
    case 0x5b: // [
    case 0x5d: // ]
    case 0x7b: // {
    case 0x7d: // }
    case 0x2c: // ,
    case 0x3a: // :
    case DASH:
    case 0x3f: // ?
    case 0x7c: // |
    case 0x3e: // >
      return true;
  }
  return false;
}

/**
 * Whether a non-ASCII character (at `i`) may read differently: a control, a space or line
 * break other than ` ` and `\n`, a BOM, a non-character, a surrogate that is not half of a pair.
 */
function oddNonAscii(text: string, i: number, c: number): boolean {
  if (c <= 0xa0) return true; // DEL, C1 controls (NEL), no-break space
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = text.charCodeAt(i + 1);
    return !(d >= 0xdc00 && d <= 0xdfff);
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const d = text.charCodeAt(i - 1);
    return !(d >= 0xd800 && d <= 0xdbff);
  }
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff || c === 0xfffe ||
    c === 0xffff;
}

/** ASCII characters the screen looks at (controls, indicators); the others are content. */
const NOTABLE = new Uint8Array(128);
for (let c = 0; c < SP; c++) NOTABLE[c] = 1;
for (const c of "&*!@`%?#<[{]}-|>") NOTABLE[c.charCodeAt(0)] = 1;
NOTABLE[0x7f] = 1;

/** Where a document starts, from the screen; `flow` when it holds a flow collection. */
interface Screened {
  line: number;
  column: number;
  flow: boolean;
}

/**
 * Where the one document of `text` starts (1-based line and column of its first content
 * character), or undefined when the text holds anything the fast path does not read.
 */
function screen(text: string): Screened | undefined {
  let line = 0;
  let first: Screened | undefined;
  let started = false; // a `---` line was seen
  let ended = false; // a `...` line was seen
  let escapedBreak = false; // the line before ends with a backslash
  let flow = false; // a flow collection was seen
  let blockScalar = false; // a block scalar's header was seen
  for (let start = 0; start < text.length; line++) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    let i = start;
    while (i < end && text.charCodeAt(i) === SP) i++;
    if (i === end) { // blank
      // js-yaml reads an escaped line break before a blank line in a double-quoted scalar
      // another way
      if (escapedBreak) return undefined;
      // a last line of spaces without a line break: block scalars may end differently
      if (end === text.length && end > start) return undefined;
      // spaces on a blank line in a block scalar: js-yaml does not refuse more of them before
      // the first content line than the content's indentation, as the `yaml` library does
      if (blockScalar && end > start) return undefined;
      start = end + 1;
      continue;
    }
    escapedBreak = text.charCodeAt(end - 1) === 0x5c; // \
    const c0 = text.charCodeAt(start);
    if (
      i === start && (c0 === DASH || c0 === DOT) && text.startsWith(c0 === DASH ? "---" : "...", i)
    ) {
      // a document marker, or a plain scalar that starts like one: only `---` before the
      // document and `...` after it, each alone or with a comment
      let j = start + 3;
      while (j < end && text.charCodeAt(j) === SP) j++;
      if (j === start + 3 && j < end) return undefined;
      if (j < end && text.charCodeAt(j) !== HASH) return undefined;
      if (c0 === DASH) {
        if (started || first || ended) return undefined;
        started = true;
      } else {
        if (!first || ended) return undefined;
        ended = true;
      }
      i = j; // scan the comment's characters too
    } else if (text.charCodeAt(i) === HASH) {
      // a comment line in a flow collection: the `yaml` library refuses some (at column 1)
      if (flow) return undefined;
    } else {
      if (ended) return undefined;
      if (text.charCodeAt(i) === 0x3a /* : */) return undefined; // empty or collection key
      first ??= { line: line + 1, column: i - start + 1, flow: false };
      if (end - start > MAX_LINE && !LONG_LINE_OK.test(text.slice(start, end))) return undefined;
    }
    let prev = i === start ? -1 : SP;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7e) {
        if (oddNonAscii(text, i, c)) return undefined;
      } else if (NOTABLE[c] === 1) {
        switch (c) {
          case 0x26: // &
          case 0x2a: // *
          case 0x21: // !
          case 0x40: // @
          case 0x60: // `
          case 0x25: // %
          case 0x3f: // ?
            if (startsToken(prev)) return undefined;
            break;
          case HASH: // a comment right after a quote or an indicator
            if (prev > SP && (startsToken(prev) || prev === 0x22 || prev === 0x27)) {
              return undefined;
            }
            break;
          case 0x3c: // <
            if (text.charCodeAt(i + 1) === 0x3c) return undefined; // merge key
            break;
          case DASH: // an empty sequence entry (js-yaml may take the next line into it)
            if (prev === SP || prev === -1) {
              let j = i + 1;
              while (j < end && text.charCodeAt(j) === SP) j++;
              if (j === end || (j > i + 1 && text.charCodeAt(j) === HASH)) return undefined;
            }
            break;
          case 0x7c: // |
          case 0x3e: // >
            // a block scalar's indentation indicator: js-yaml counts from another column in
            // a compact sequence entry
            if (startsToken(prev)) {
              blockScalar = true;
              for (let j = i + 1; j < end; j++) {
                const h = text.charCodeAt(j);
                if (h >= 0x30 && h <= 0x39) return undefined;
                if (h !== 0x2b && h !== DASH) break;
              }
            }
            break;
          case 0x5b: // [
          case 0x7b: // {
            if (startsToken(prev)) flow = true;
            break;
          case 0x5d: // ]
          case 0x7d: { // }
            let j = i + 1;
            while (text.charCodeAt(j) === SP) j++;
            if (text.charCodeAt(j) === 0x3a) return undefined; // a collection as a key
            break;
          }
          default: // tab, \r, controls
            return undefined;
        }
      }
      prev = c;
    }
    start = end + 1;
  }
  if (first) first.flow = flow;
  return first;
}

/**
 * The number of collections in a js-yaml result (each added to `seen` if given), or -1 when
 * one is at depth `max` or deeper or has a key that js-yaml made from a null.
 */
function collections(value: unknown, depth: number, max: number, seen?: Set<object>): number {
  if (value === null || typeof value !== "object") return 0;
  if (depth >= max) return -1;
  seen?.add(value);
  let n = 1;
  if (Array.isArray(value)) {
    for (const item of value) {
      const k = collections(item, depth + 1, max, seen);
      if (k < 0) return -1;
      n += k;
    }
    return n;
  }
  for (const key in value) {
    // js-yaml names a null key "null", the `yaml` library "" (and an empty key is null)
    if (key === "null") return -1;
    const k = collections((value as Record<string, unknown>)[key], depth + 1, max, seen);
    if (k < 0) return -1;
    n += k;
  }
  return n;
}

/**
 * The collections js-yaml composed while reading a text (its listener adds them; a node that
 * js-yaml first tries as a block mapping's key closes twice, one right after the other).
 */
const composed: unknown[] = [];

/**
 * Where each mapping js-yaml composed at depth 3 (the items of a sequence under the root)
 * starts, by the mapping, when asked for. js-yaml calls the listener when it opens an item of
 * a sequence at its first character (after the `-` or `,` and any space, line break or
 * comment); an item's own node closes with the item as its result.
 */
let itemStarts: Map<object, TextPosition> | undefined;
let openedAt: TextPosition = { line: 0, column: 0 };

/**
 * For a text longer than a scalar may be: where each open node opened, by depth, and whether
 * a scalar node spanned more than `longestScalar` characters (its source, and any space and
 * comments before it: more than the `yaml` library path counts, never less).
 */
let longestScalar = Infinity;
const openedAtOffset: number[] = [];
let tooLong = false;

const LOAD_OPTIONS: LoadOptions = {
  schema: SCHEMA,
  onWarning: (e) => {
    throw e;
  },
  // Every collection js-yaml reads must be in the result: one that is not was a mapping key
  // (js-yaml makes a string of it, the `yaml` library path refuses it).
  listener: (event, s) => {
    const state = listenerState(s);
    if (longestScalar !== Infinity) {
      if (state.depth === undefined) tooLong = true; // a js-yaml without depths: not measured
      else if (event === "open") openedAtOffset[state.depth] = state.position;
      else if (
        state.kind === "scalar" && state.position - openedAtOffset[state.depth] > longestScalar
      ) tooLong = true;
    }
    if (itemStarts && state.depth === 3) {
      if (event === "open") {
        openedAt = { line: state.line + 1, column: state.position - state.lineStart + 1 };
      } else if (state.kind === "mapping" && typeof state.result === "object") {
        itemStarts.set(state.result as object, openedAt);
      }
    }
    if (
      event === "close" && (state.kind === "mapping" || state.kind === "sequence") &&
      state.result !== composed[composed.length - 1]
    ) {
      composed.push(state.result);
    }
  },
};

/**
 * LOAD_OPTIONS without the listener, for texts where it has nothing to find: no flow
 * collection (so no collection can be a key: `?` keys never pass the screen, and a block
 * collection cannot be an implicit key), no scalar that may be too long, no item positions
 * asked. A listener call per node opened and closed is a tenth of js-yaml's time.
 */
const LOAD_OPTIONS_PLAIN: LoadOptions = { schema: SCHEMA, onWarning: LOAD_OPTIONS.onWarning };

/** The load options with a recursion bound, made once per bound (documents.ts has one). */
const boundOptions = new Map<number, [listening: LoadOptions, plain: LoadOptions]>();

function loadOptions(listen: boolean, maxDepth: number): LoadOptions {
  let o = boundOptions.get(maxDepth);
  if (o === undefined) {
    o = [withMaxDepth(LOAD_OPTIONS, maxDepth), withMaxDepth(LOAD_OPTIONS_PLAIN, maxDepth)];
    boundOptions.set(maxDepth, o);
  }
  return listen ? o[0] : o[1];
}

/**
 * Reads one YAML document whose root is a mapping, exactly as the `yaml` library path of
 * documents.ts would read it, or returns undefined: the `yaml` library must decide (another
 * kind of document, an error, or text the fast path does not read). With `items`, also where
 * each item of the root's `items` sequence starts (for a List, whose items are its objects).
 */
export function fastParseYaml(
  text: string,
  limits: FastLimits,
  opts: { items?: boolean } = {},
): FastDocument | undefined {
  // the block YAML kubectl prints, read without js-yaml
  return readBlockYaml(text, limits, opts) ?? readWithJsYaml(text, limits, opts);
}

/** fastParseYaml with js-yaml alone (the texts the block reader leaves come here). */
export function readWithJsYaml(
  text: string,
  limits: FastLimits,
  opts: { items?: boolean } = {},
): FastDocument | undefined {
  const at = screen(text);
  if (!at) return undefined;
  composed.length = 0;
  itemStarts = opts.items ? new Map() : undefined;
  // a scalar can be too long only in a longer text: then each one's span is measured (with
  // a margin for where the two readers end a scalar: a line break, trailing spaces)
  longestScalar = text.length > limits.maxScalarChars
    ? Math.max(0, limits.maxScalarChars - 1024)
    : Infinity;
  tooLong = false;
  const listen = at.flow || itemStarts !== undefined || longestScalar !== Infinity;
  try {
    let value: unknown;
    try {
      // js-yaml 4.2+ bounds its recursion (every node counts, scalars too); deeper input is
      // refused below anyway
      value = load(text, loadOptions(listen, limits.maxNesting + 2));
    } catch {
      return undefined;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    if (tooLong) return undefined;
    // Every collection in the result was composed (and counted), except the mapping js-yaml
    // makes of each `key: value` entry of a flow sequence: without flow collections, equal
    // counts mean no composed collection is missing from the result; with them, each is
    // looked up.
    const seen = at.flow ? new Set<object>() : undefined;
    const n = collections(value, 0, limits.maxNesting - 1, seen);
    if (n < 0) return undefined;
    if (seen) {
      for (const c of composed) if (!seen.has(c as object)) return undefined;
    } else if (listen && n !== composed.length) return undefined;
    const doc: FastDocument = {
      value: value as Record<string, unknown>,
      line: at.line,
      column: at.column,
    };
    const items = (value as Record<string, unknown>).items;
    if (itemStarts && Array.isArray(items)) {
      const starts = items.map((item) => itemStarts!.get(item));
      if (starts.every((p) => p !== undefined)) doc.items = starts as TextPosition[];
    }
    return doc;
  } finally {
    composed.length = 0;
    itemStarts = undefined;
    longestScalar = Infinity;
    openedAtOffset.length = 0;
  }
}
