/**
 * JSON parsing that keeps what fastjson keeps: the source order of object keys (JS objects
 * move integer-like keys first) and the source text of numbers (fastjson's MarshalTo
 * writes numbers back verbatim). Values are plain JS values; the extra information lives
 * in WeakMaps keyed by the objects and arrays.
 */

const KEY_ORDER = new WeakMap<object, string[]>();
const RAW_NUMBERS = new WeakMap<object, Map<string, string>>();

/** Parses JSON text, recording key order and raw number text. */
export function parseJsonKeepingText(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const fail = (msg: string): never => {
    throw new SyntaxError(`${msg} at offset ${i}`);
  };
  const str = (): string => {
    // deno-lint-ignore no-control-regex
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(i));
    if (!m) fail("bad string");
    i += m![0].length;
    return JSON.parse(m![0]);
  };
  const value = (owner: object | undefined, key: string): unknown => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: Record<string, unknown> = {};
      const order: string[] = [];
      KEY_ORDER.set(obj, order);
      ws();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        if (text[i++] !== ":") fail("expected ':'");
        const v = value(obj, k);
        if (!Object.prototype.hasOwnProperty.call(obj, k)) order.push(k);
        obj[k] = v;
        ws();
        const sep = text[i++];
        if (sep === "}") return obj;
        if (sep !== ",") fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(arr, String(arr.length)));
        ws();
        const sep = text[i++];
        if (sep === "]") return arr;
        if (sep !== ",") fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    const lit = /^(?:true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/.exec(
      text.slice(i),
    );
    if (!lit) fail("unexpected character");
    i += lit![0].length;
    if (lit![0] === "true") return true;
    if (lit![0] === "false") return false;
    if (lit![0] === "null") return null;
    if (owner) {
      let raws = RAW_NUMBERS.get(owner);
      if (!raws) RAW_NUMBERS.set(owner, raws = new Map());
      raws.set(key, lit![0]);
    }
    return Number(lit![0]);
  };
  const root = value(undefined, "");
  ws();
  if (i !== text.length) fail("trailing text");
  return root;
}

/** Object keys in source order (falls back to JS order for objects built in code). */
export function keysInOrder(obj: Record<string, unknown>): string[] {
  return KEY_ORDER.get(obj) ?? Object.keys(obj);
}

function isPrintable(ch: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch);
}

/** Go strconv.Quote (used by fastjson for strings with `"`, `\` or control characters). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (isPrintable(ch)) out += ch;
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\v") out += "\\v";
    else if (cp < 0x80) out += "\\x" + cp.toString(16).padStart(2, "0");
    else if (cp < 0x10000) out += "\\u" + cp.toString(16).padStart(4, "0");
    else out += "\\U" + cp.toString(16).padStart(8, "0");
  }
  return out + '"';
}

/** fastjson escapeString: plain quotes unless the string needs Go quoting. */
function fastjsonString(s: string): string {
  // deno-lint-ignore no-control-regex
  return /["\\\u0000-\u001f]/.test(s) ? goQuote(s) : `"${s}"`;
}

/** fastjson Value.MarshalTo: compact JSON, source key order, numbers as written. */
export function fastjsonMarshal(v: unknown): string {
  if (typeof v === "string") return fastjsonString(v);
  if (Array.isArray(v)) {
    const raws = RAW_NUMBERS.get(v);
    return "[" + v.map((x, i) => raws?.get(String(i)) ?? fastjsonMarshal(x)).join(",") + "]";
  }
  if (typeof v === "object" && v !== null) {
    const obj = v as Record<string, unknown>;
    const raws = RAW_NUMBERS.get(obj);
    return "{" +
      keysInOrder(obj).map((k) =>
        fastjsonString(k) + ":" + (raws?.get(k) ?? fastjsonMarshal(obj[k]))
      )
        .join(",") +
      "}";
  }
  return JSON.stringify(v);
}
