/**
 * Rendering large documents piece by piece: a report over 100,000 pods can be
 * larger than one JavaScript string may be, so renderers yield chunks and the
 * shell writes them as they come. Pure generators; joined, the chunks are the
 * whole document.
 */

/** An array whose elements are produced while rendering (never held all at once). */
export class LazyArray<T = unknown> {
  constructor(readonly items: () => Iterable<T>) {}
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof LazyArray);
}

function indentRest(text: string, indent: string): string {
  return indent === "" ? text : text.replaceAll("\n", `\n${indent}`);
}

/**
 * Yields the JSON text of `value` with 2-space indentation, identical to
 * `JSON.stringify(value, null, 2)` (undefined members skipped, undefined array
 * elements as null), descending `depth` levels before stringifying whole
 * values, so that no chunk holds more than one element of a big array.
 * LazyArray values are rendered as arrays at any depth. With `memo`, an object
 * stringified whole is rendered once per indentation and reused when it comes
 * again (reports share one results list among the items with the same decision).
 */
export function* jsonChunks(
  value: unknown,
  depth = 4,
  indent = "",
  memo?: WeakMap<object, { indent: string; text: string }>,
): Generator<string> {
  if (value instanceof LazyArray || (Array.isArray(value) && depth > 0)) {
    const inner = indent + "  ";
    let first = true;
    for (const el of value instanceof LazyArray ? value.items() : value) {
      yield first ? `[\n${inner}` : `,\n${inner}`;
      first = false;
      yield* jsonChunks(el === undefined ? null : el, depth - 1, inner, memo);
    }
    yield first ? "[]" : `\n${indent}]`;
    return;
  }
  if (isPlainObject(value) && depth > 0) {
    const inner = indent + "  ";
    let first = true;
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === "function") continue;
      yield `${first ? "{\n" : ",\n"}${inner}${JSON.stringify(k)}: `;
      first = false;
      yield* jsonChunks(v, depth - 1, inner, memo);
    }
    yield first ? "{}" : `\n${indent}}`;
    return;
  }
  if (memo && typeof value === "object" && value !== null) {
    const known = memo.get(value);
    if (known?.indent === indent) {
      yield known.text;
      return;
    }
    const text = indentRest(JSON.stringify(value, null, 2) ?? "null", indent);
    memo.set(value, { indent, text });
    yield text;
    return;
  }
  yield indentRest(JSON.stringify(value, null, 2) ?? "null", indent);
}

/**
 * Prefixes every non-empty line with `indent`. Lines end at `\n` only: YAML text
 * may hold `\r`, U+2028 and U+2029 inside quoted strings, which a multiline `^`
 * would take for line ends.
 */
export function indentLines(text: string, indent: string): string {
  return text.replace(/(^|\n)(?=[^\n])/g, `$1${indent}`);
}
