/**
 * Violations in the API server's words: Kubernetes' `field.Error` (`<path>: <body>`) and the Go
 * value rendering its `ErrorBody` uses (docs/psp-admission.md §0).
 */
import type { IDRange } from "../model/psp.ts";

/** One violation: `text` is the API server's full line, `field: message`. */
export interface Violation {
  field: string;
  message: string;
  text: string;
}

/** Builds a violation from a field path and the error body. */
export function violation(field: string, message: string): Violation {
  return { field, message, text: `${field}: ${message}` };
}

/** `field.Invalid(path, value, detail)`; `value` is already rendered (see the `go*` helpers). */
export function invalid(field: string, value: string, detail: string): Violation {
  return violation(
    field,
    detail === "" ? `Invalid value: ${value}` : `Invalid value: ${value}: ${detail}`,
  );
}

/** `field.Required(path, detail)`. */
export function required(field: string, detail = ""): Violation {
  return violation(field, detail === "" ? "Required value" : `Required value: ${detail}`);
}

/** `field.Forbidden(path, detail)`. */
export function forbidden(field: string, detail: string): Violation {
  return violation(field, `Forbidden: ${detail}`);
}

/** How a nil pointer is rendered in an `Invalid value`: the quoted string `"null"`. */
export const GO_NIL = '"null"';

/** Renders a string the way Go's `%q` (strconv.Quote) does. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) {
      out += "\\x" + cp.toString(16).padStart(2, "0");
    } else if (cp < 0x80 || isGoPrintable(ch)) {
      out += ch;
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      out += "\\ufffd"; // lone surrogate: Go would see invalid UTF-8 and print U+FFFD
    } else if (cp < 0x10000) {
      out += "\\u" + cp.toString(16).padStart(4, "0");
    } else {
      out += "\\U" + cp.toString(16).padStart(8, "0");
    }
  }
  return out + '"';
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
function isGoPrintable(ch: string): boolean {
  return PRINTABLE.test(ch);
}

/** Go `%#v` of a `[]int64`: `[]int64{5, 15}`, `[]int64{}` or, for nil, `[]int64(nil)`. */
export function goInt64s(list: readonly number[] | null | undefined): string {
  if (list === null || list === undefined) return "[]int64(nil)";
  return `[]int64{${list.join(", ")}}`;
}

/** Go `%#v` of a `[]core.Capability`. */
export function goCapabilities(list: readonly string[] | null | undefined): string {
  if (list === null || list === undefined) return "[]core.Capability(nil)";
  return `[]core.Capability{${list.map(goQuote).join(", ")}}`;
}

/** Go `%v` of `[]policy.IDRange`: `[{1 3} {4 4}]`. */
export function goIdRanges(ranges: readonly IDRange[] | null | undefined): string {
  return `[${(ranges ?? []).map((r) => `{${r.min} ${r.max}}`).join(" ")}]`;
}
