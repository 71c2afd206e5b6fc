/**
 * Kubernetes' field errors (`k8s.io/apimachinery/pkg/util/validation/field`): an error at a field
 * path whose text is `<field>: <body>`, the bodies `field.Invalid`, `Required`, `Forbidden`,
 * `Duplicate`, `TooLong`, `NotSupported` build, and the Go value rendering (`%q`, `%v`, `%#v`)
 * the API server's messages show (docs/psp-admission.md §0). The one copy used by PSP validation
 * (src/psp) and admission (src/admission). Pure.
 */
import type { IDRange } from "../model/psp.ts";

/** One error as the API server reports it: `text` is `<field>: <message>`. */
export interface FieldError {
  field: string;
  message: string;
  text: string;
}

/** An error at `field` with the given body. */
export function fieldError(field: string, message: string): FieldError {
  return { field, message, text: `${field}: ${message}` };
}

/** `field.Invalid(path, value, detail)`; `value` is already rendered (see the `go*` helpers). */
export function invalid(field: string, value: string, detail: string): FieldError {
  return fieldError(
    field,
    detail === "" ? `Invalid value: ${value}` : `Invalid value: ${value}: ${detail}`,
  );
}

/** `field.Required(path, detail)`. */
export function required(field: string, detail = ""): FieldError {
  return fieldError(field, detail === "" ? "Required value" : `Required value: ${detail}`);
}

/** `field.Forbidden(path, detail)`. */
export function forbidden(field: string, detail: string): FieldError {
  return fieldError(field, `Forbidden: ${detail}`);
}

/** `field.Duplicate(path, value)`; `value` is already rendered. */
export function duplicate(field: string, value: string): FieldError {
  return fieldError(field, `Duplicate value: ${value}`);
}

/** `field.TooLong(path, value, max)` (1.20's body: bytes, no value shown). */
export function tooLong(field: string, max: number): FieldError {
  return fieldError(field, `Too long: must have at most ${max} bytes`);
}

/** `field.NotSupported(path, value, valid)` for a string value. */
export function notSupported(
  field: string,
  value: string,
  valid: readonly string[],
): FieldError {
  const supported = valid.length ? `: supported values: ${valid.map(goQuote).join(", ")}` : "";
  return fieldError(field, `Unsupported value: ${goQuote(value)}${supported}`);
}

// ---------------------------------------------------------------------------------------------
// Go value rendering

/** How a nil pointer is rendered in an `Invalid value`: the quoted string `"null"`. */
export const GO_NIL = '"null"';

/** Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols, and the ASCII space. */
const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

/**
 * Go's `strconv.Quote` (what `%q` and `%#v` print for a string) of the string the API server
 * holds. A lone UTF-16 surrogate cannot reach the server as such: the server's JSON decoder (like
 * Go's and kubectl's) turns a `\ud800` escape into U+FFFD, a valid and printable rune, which
 * Go then prints as is (`"a\ud800b"` decodes and quotes as `"a\ufffdb"` with the character itself,
 * as go1.19 `fmt.Printf("%q")` shows and a real kube-apiserver v1.20.2 answers; see
 * tests/validation/field_test.ts and fixtures/psp/validation-answers.json).
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const esc = ESCAPES[ch];
    if (esc !== undefined) {
      out += esc;
      continue;
    }
    let cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x20 || cp === 0x7f) out += "\\x" + cp.toString(16).padStart(2, "0");
    else if (cp < 0x7f) out += ch;
    else if (cp === 0xfffd || GO_PRINTABLE.test(ch)) out += String.fromCodePoint(cp);
    else if (cp < 0x10000) out += "\\u" + cp.toString(16).padStart(4, "0");
    else out += "\\U" + cp.toString(16).padStart(8, "0");
  }
  return out + '"';
}

/** `%#v` of a Go string slice of the given element type: `[]core.Capability{"NET_RAW"}`. */
export function goStringSlice(type: string, values: readonly string[] | null | undefined): string {
  if (values === null || values === undefined) return `[]${type}(nil)`;
  return `[]${type}{${values.map(goQuote).join(", ")}}`;
}

/** `%#v` of a `[]core.Capability`. */
export function goCapabilities(list: readonly string[] | null | undefined): string {
  return goStringSlice("core.Capability", list);
}

/** `%#v` of a `[]int64`: `[]int64{5, 15}`, `[]int64{}` or, for nil, `[]int64(nil)`. */
export function goInt64s(list: readonly number[] | null | undefined): string {
  if (list === null || list === undefined) return "[]int64(nil)";
  return `[]int64{${list.join(", ")}}`;
}

/**
 * A `[]policy.IDRange` as Go's fmt prints it with the given verb: `%v` (admission's messages:
 * `[{1 3} {4 4}]`, nil as `[]`) or `%#v` (PSP validation's `Invalid value`:
 * `[]policy.IDRange{policy.IDRange{Min:1, Max:3}}`, nil as `[]policy.IDRange(nil)`).
 */
export function goIdRanges(
  ranges: readonly IDRange[] | null | undefined,
  verb: "%v" | "%#v",
): string {
  if (verb === "%v") return `[${(ranges ?? []).map((r) => `{${r.min} ${r.max}}`).join(" ")}]`;
  if (ranges === null || ranges === undefined) return "[]policy.IDRange(nil)";
  const items = ranges.map((r) => `policy.IDRange{Min:${r.min}, Max:${r.max}}`);
  return `[]policy.IDRange{${items.join(", ")}}`;
}

/**
 * The message of a 422 answer: `<Kind>.<group> "<name>" is invalid: <errors>` (several errors
 * joined as `[a, b]`, duplicates removed, as `ErrorList.ToAggregate` does).
 */
export function invalidObjectMessage(
  kind: string,
  name: string,
  errors: readonly FieldError[],
): string {
  const texts = [...new Set(errors.map((e) => e.text))];
  const body = texts.length === 1 ? texts[0] : `[${texts.join(", ")}]`;
  return `${kind} ${goQuote(name)} is invalid: ${body}`;
}
