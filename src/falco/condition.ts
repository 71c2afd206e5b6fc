/**
 * Typed builders for Falco rule conditions. Every condition is built as a small tree and
 * rendered in one place, so untrusted values (image names, namespaces, paths, profile names)
 * are always quoted, and anything that cannot be represented safely is refused
 * (`UnsafeValueError`) instead of being pasted into the condition.
 */

/** A value that cannot be written into a Falco condition without changing its meaning. */
export class UnsafeValueError extends Error {
  override name = "UnsafeValueError";
}

/**
 * Falco's limit on one value of a condition (a string, a regex, one item of a list), in
 * bytes: libsinsp parses each into a 256-byte buffer with a terminating byte, and refuses a
 * longer one with LOAD_ERR_COMPILE_CONDITION "filter parameter too long" (measured on Falco
 * 0.44.1 and on a 0.45 build, docs/falco.md §9), which refuses the whole file.
 */
export const MAX_VALUE_BYTES = 255;

/** A condition would hold a value longer than Falco accepts (`MAX_VALUE_BYTES`). */
export class ValueTooLongError extends Error {
  override name = "ValueTooLongError";
}

const UTF8 = new TextEncoder();

/** The bytes a value takes in Falco (UTF-8). */
export function valueBytes(text: string): number {
  return UTF8.encode(text).length;
}

/** A Falco field, with an optional argument (`json.value[/a/b]`, `ka.req.pod.containers.image[0]`). */
export interface Field {
  readonly name: string;
  readonly arg?: string;
}

/** A right-hand side value of a comparison. */
export type Value =
  /** A string from anywhere (untrusted): always quoted. */
  | { readonly kind: "str"; readonly text: string }
  /** A word written by this program (`true`, `pods`, `create`, a capability name checked by us). */
  | { readonly kind: "word"; readonly text: string }
  /** A single-quoted constant of this program (falcoctl wrote `fd.typechar='f'`). */
  | { readonly kind: "sq"; readonly text: string }
  /** A reference to a Falco list defined in the same file. */
  | { readonly kind: "list"; readonly name: string }
  /** Another field's value (`val(field)`, Falco >= 0.38). */
  | { readonly kind: "val"; readonly field: Field };

/** A condition tree. */
export type Cond =
  | { readonly k: "true" }
  | { readonly k: "false" }
  | { readonly k: "cmp"; readonly field: Field; readonly op: string; readonly values: Value[] }
  | { readonly k: "exists"; readonly field: Field }
  | { readonly k: "and"; readonly xs: Cond[] }
  | { readonly k: "or"; readonly xs: Cond[] }
  | { readonly k: "not"; readonly x: Cond }
  | { readonly k: "group"; readonly x: Cond }
  | { readonly k: "macro"; readonly name: string };

/** Always true (folded away when rendering inside and/or). */
export const TRUE: Cond = { k: "true" };
/** Always false (folded away when rendering inside and/or). */
export const FALSE: Cond = { k: "false" };

const FIELD_NAME = /^[a-z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+$/;
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;
const LIST_OPS = new Set(["in", "intersects", "pmatch"]);
const OPS = new Set([
  "=",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "in",
  "intersects",
  "pmatch",
  "contains",
  "startswith",
  "endswith",
  "regex",
]);

/** A field by name (a constant of this program). */
export function field(name: string, arg?: string): Field {
  if (!FIELD_NAME.test(name)) throw new UnsafeValueError(`not a Falco field name: ${name}`);
  if (arg !== undefined && !/^[A-Za-z0-9_./~:-]+$/.test(arg)) {
    throw new UnsafeValueError(`field argument cannot be written safely: ${JSON.stringify(arg)}`);
  }
  return { name, arg };
}

/** Escapes one RFC 6901 JSON pointer segment. */
function pointerSegment(seg: string | number): string {
  return String(seg).replaceAll("~", "~0").replaceAll("/", "~1");
}

/** `json.value[<pointer>]` (or `jevt.value[...]` for Falco 0.27) for a JSON path in the event. */
export function jsonField(path: readonly (string | number)[], name = "json.value"): Field {
  return field(name, "/" + path.map(pointerSegment).join("/"));
}

/** An untrusted string value (quoted when rendered). */
export function str(text: string): Value {
  return { kind: "str", text };
}

/** A word this program wrote (rendered bare). */
export function word(text: string): Value {
  if (!/^[A-Za-z0-9_.:/*<-]+$/.test(text)) {
    throw new UnsafeValueError(`not a bare word: ${JSON.stringify(text)}`);
  }
  return { kind: "word", text };
}

/** A single-quoted constant written by this program. */
export function sq(text: string): Value {
  if (!/^[A-Za-z0-9_]+$/.test(text)) throw new UnsafeValueError(`not a constant: ${text}`);
  return { kind: "sq", text };
}

/** A reference to a list of this file. */
export function listRef(name: string): Value {
  if (!IDENTIFIER.test(name)) throw new UnsafeValueError(`not a list name: ${name}`);
  return { kind: "list", name };
}

/** `val(field)`: compares against another field of the same event. */
export function valOf(f: Field): Value {
  return { kind: "val", field: f };
}

/** A comparison. A list operator with no values is folded (`in ()` is never written). */
export function cmp(f: Field, op: string, values: Value | readonly Value[]): Cond {
  if (!OPS.has(op)) throw new Error(`unknown operator ${op}`);
  const vs = Array.isArray(values) ? [...values] : [values as Value];
  if (LIST_OPS.has(op) && vs.length === 0) return FALSE;
  if (!LIST_OPS.has(op) && vs.length !== 1) throw new Error(`${op} takes one value`);
  return { k: "cmp", field: f, op, values: vs };
}

/** `field exists`. */
export function exists(f: Field): Cond {
  return { k: "exists", field: f };
}

/** A reference to a macro of this file. */
export function macro(name: string): Cond {
  if (!IDENTIFIER.test(name)) throw new UnsafeValueError(`not a macro name: ${name}`);
  return { k: "macro", name };
}

/** Conjunction, with constants folded. */
export function and(...xs: Cond[]): Cond {
  const out: Cond[] = [];
  for (const x of xs) {
    if (x.k === "false") return FALSE;
    if (x.k === "true") continue;
    if (x.k === "and") out.push(...x.xs);
    else out.push(x);
  }
  if (out.length === 0) return TRUE;
  if (out.length === 1) return out[0];
  return { k: "and", xs: out };
}

/** Disjunction, with constants folded. */
export function or(...xs: Cond[]): Cond {
  const out: Cond[] = [];
  for (const x of xs) {
    if (x.k === "true") return TRUE;
    if (x.k === "false") continue;
    if (x.k === "or") out.push(...x.xs);
    else out.push(x);
  }
  if (out.length === 0) return FALSE;
  if (out.length === 1) return out[0];
  return { k: "or", xs: out };
}

/** Negation, with constants folded. */
export function not(x: Cond): Cond {
  if (x.k === "true") return FALSE;
  if (x.k === "false") return TRUE;
  return { k: "not", x };
}

/** Explicit parentheses around a condition (only to reproduce falcoctl's text). */
export function group(x: Cond): Cond {
  return { k: "group", x };
}

/** Every value a condition compares with, in order (the walk both guards below share). */
export function comparedValues(c: Cond): Value[] {
  const out: Value[] = [];
  const visit = (x: Cond): void => {
    switch (x.k) {
      case "cmp":
        out.push(...(x.values as Value[]));
        return;
      case "and":
      case "or":
        x.xs.forEach(visit);
        return;
      case "not":
      case "group":
        visit(x.x);
        return;
      default:
        return;
    }
  };
  visit(c);
  return out;
}

/**
 * Every value of a condition longer than Falco accepts (`MAX_VALUE_BYTES`): the generator's
 * guard, checked before anything is rendered.
 */
export function overlongValues(c: Cond): string[] {
  return comparedValues(c).flatMap((v) =>
    v.kind !== "list" && v.kind !== "val" && valueBytes(v.text) > MAX_VALUE_BYTES ? [v.text] : []
  );
}

/** Describes an over-long value for messages (its size and its start). */
export function describeOverlong(text: string): string {
  return `a value of ${valueBytes(text)} bytes (${
    JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text)
  }) exceeds the ${MAX_VALUE_BYTES} bytes Falco accepts in one value of a condition`;
}

/** Renders a quoted Falco string; refuses what the Falco parsers could read differently. */
export function quote(text: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(text)) {
    throw new UnsafeValueError(
      `value cannot be written safely in a Falco condition: ${JSON.stringify(text)}`,
    );
  }
  if (!text.includes('"')) return `"${text}"`;
  if (!text.includes("'")) return `'${text}'`;
  throw new UnsafeValueError(
    `value cannot be written safely in a Falco condition: ${JSON.stringify(text)}`,
  );
}

function renderField(f: Field): string {
  return f.arg === undefined ? f.name : `${f.name}[${f.arg}]`;
}

function renderValue(v: Value): string {
  switch (v.kind) {
    case "str":
      return quote(v.text);
    case "word":
      return v.text;
    case "sq":
      return `'${v.text}'`;
    case "list":
      return v.name;
    case "val":
      return `val(${renderField(v.field)})`;
  }
}

function renderCmp(c: Extract<Cond, { k: "cmp" }>): string {
  const f = renderField(c.field);
  if (LIST_OPS.has(c.op)) return `${f} ${c.op} (${c.values.map(renderValue).join(",")})`;
  if (/^[a-z]+$/.test(c.op)) return `${f} ${c.op} ${renderValue(c.values[0])}`;
  return `${f}${c.op}${renderValue(c.values[0])}`;
}

/**
 * Renders a condition as Falco text. Constants must have been folded away: a condition that
 * is constant as a whole is refused (a rule that never or always fires is a generator bug).
 */
export function render(c: Cond): string {
  const long = overlongValues(c);
  if (long.length) throw new ValueTooLongError(describeOverlong(long[0]));
  return renderTree(c);
}

function renderTree(c: Cond): string {
  switch (c.k) {
    case "true":
    case "false":
      throw new Error(`constant condition (${c.k}) cannot be rendered`);
    case "cmp":
      return renderCmp(c);
    case "exists":
      return `${renderField(c.field)} exists`;
    case "macro":
      return c.name;
    case "group":
      return `(${renderTree(c.x)})`;
    case "not":
      return `not ${atom(c.x)}`;
    case "and":
      return c.xs.map((x) => (x.k === "or" ? `(${renderTree(x)})` : atom(x, true))).join(" and ");
    case "or":
      return c.xs.map((x) => (x.k === "and" ? `(${renderTree(x)})` : atom(x, true))).join(" or ");
  }
}

/** Renders a child, in parentheses unless it is a single comparison, macro or group. */
function atom(x: Cond, allowNot = false): string {
  if (x.k === "cmp" || x.k === "exists" || x.k === "macro" || x.k === "group") return renderTree(x);
  if (x.k === "not" && allowNot) return renderTree(x);
  return `(${renderTree(x)})`;
}
