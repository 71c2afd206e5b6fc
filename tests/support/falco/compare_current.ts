/**
 * libsinsp comparison semantics for plugin string fields (current Falco):
 * sinsp_filter_check::compare_rhs and flt_compare_string
 * (libs/userspace/libsinsp/sinsp_filtercheck.cpp, filter_compare.cpp), path_prefix_search
 * (prefix_search.h) and sinsp_utils::glob_match (fnmatch).
 */

import { re2PosixToRegExp } from "./re2posix.ts";

/** Thrown for a comparison libsinsp refuses at compile time; load checks report these. */
export class FilterCompileError extends Error {}

/** Operators allowed on list fields (flt_is_comparable_any_list). */
export const LIST_FIELD_OPERATORS = ["exists", "in", "intersects"];
/** Operators allowed on string fields (flt_is_comparable_string). */
export const STRING_FIELD_OPERATORS = [
  "=",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "contains",
  "in",
  "exists",
  "icontains",
  "startswith",
  "glob",
  "pmatch",
  "endswith",
  "intersects",
  "iglob",
  "regex",
];

/** The compile-time check of an operator against a field (null when allowed). */
export function operatorError(op: string, isList: boolean): string | null {
  if (op === "exists") return null;
  if (isList) {
    return LIST_FIELD_OPERATORS.includes(op) ? null : `'${op}' operator not supported list filters`;
  }
  return STRING_FIELD_OPERATORS.includes(op)
    ? null
    : `'${op}' operator not supported for string filters`;
}

/** fnmatch(pattern, text, flags) with flags 0 or FNM_CASEFOLD. */
export function fnmatch(pattern: string, text: string, caseFold = false): boolean {
  const p = caseFold ? pattern.toLowerCase() : pattern;
  const t = caseFold ? text.toLowerCase() : text;
  const memo = new Map<string, boolean>();
  const match = (pi: number, ti: number): boolean => {
    const key = pi + ":" + ti;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let result: boolean;
    if (pi === p.length) result = ti === t.length;
    else {
      const c = p[pi];
      if (c === "*") result = match(pi + 1, ti) || (ti < t.length && match(pi, ti + 1));
      else if (c === "?") result = ti < t.length && match(pi + 1, ti + 1);
      else if (c === "[") {
        const bracket = matchBracket(p, pi, t[ti]);
        if (bracket === undefined) result = ti < t.length && t[ti] === "[" && match(pi + 1, ti + 1);
        else result = ti < t.length && bracket.matched && match(bracket.end, ti + 1);
      } else if (c === "\\" && pi + 1 < p.length) {
        result = ti < t.length && t[ti] === p[pi + 1] && match(pi + 2, ti + 1);
      } else result = ti < t.length && t[ti] === c && match(pi + 1, ti + 1);
    }
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

function matchBracket(
  p: string,
  start: number,
  ch: string | undefined,
): { matched: boolean; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  let matched = false;
  let first = true;
  while (i < p.length && (first || p[i] !== "]")) {
    first = false;
    let lo = p[i];
    if (lo === "\\" && i + 1 < p.length) lo = p[++i];
    if (p[i + 1] === "-" && i + 2 < p.length && p[i + 2] !== "]") {
      let hi = p[i + 2];
      i += 2;
      if (hi === "\\" && i + 1 < p.length) hi = p[++i];
      if (ch !== undefined && ch >= lo && ch <= hi) matched = true;
    } else if (ch === lo) matched = true;
    i++;
  }
  if (i >= p.length) return undefined; // no closing bracket: '[' is literal
  return { matched: negate ? !matched : matched, end: i + 1 };
}

function components(path: string): string[] {
  return ["root", ...path.split("/").filter((c) => c.length > 0)];
}

/** path_prefix_search::match: some search path is a component prefix (glob-aware) of `path`. */
export function pathPrefixMatch(searchPaths: string[], path: string): boolean {
  const value = components(path);
  return searchPaths.some((sp) => {
    const prefix = components(sp);
    if (prefix.length > value.length) return false;
    return prefix.every((c, i) => (/[?*[]/.test(c) ? fnmatch(c, value[i]) : c === value[i]));
  });
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function strcmp(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) if (ea[i] !== eb[i]) return ea[i] - eb[i];
  return ea.length - eb.length;
}

/**
 * Compares extracted plugin values with the right-hand side as libsinsp does:
 * no value means false for every operator (`exists` included).
 */
export function compareCurrent(
  values: string[] | undefined,
  isList: boolean,
  op: string,
  rhs: string[],
): boolean {
  if (!values || values.length === 0) return false;
  if (op === "exists") return true;
  const err = operatorError(op, isList);
  if (err) throw new FilterCompileError(err);
  const set = new Set(rhs);
  if (isList) {
    if (op === "in") return values.every((v) => set.has(v));
    return values.some((v) => set.has(v)); // intersects
  }
  if (values.length > 1) {
    throw new Error(
      `non-list filter expected to extract a single value, but ${values.length} were found`,
    );
  }
  const v = values[0];
  const r = rhs[0];
  switch (op) {
    case "=":
    case "==":
      return strcmp(v, r) === 0;
    case "!=":
      return strcmp(v, r) !== 0;
    case "<":
      return strcmp(v, r) < 0;
    case "<=":
      return strcmp(v, r) <= 0;
    case ">":
      return strcmp(v, r) > 0;
    case ">=":
      return strcmp(v, r) >= 0;
    case "contains":
      return v.includes(r);
    case "icontains":
      return asciiLower(v).includes(asciiLower(r));
    case "startswith":
      return v.startsWith(r);
    case "endswith":
      return v.endsWith(r);
    case "glob":
      return fnmatch(r, v);
    case "iglob":
      return fnmatch(r, v, true);
    case "in":
    case "intersects":
      return set.has(v);
    case "pmatch":
      return pathPrefixMatch(rhs, v);
    case "regex":
      return re2PosixToRegExp(r).test(v);
  }
  throw new FilterCompileError(`'${op}' operator not supported for string filters`);
}

/** The libsinsp type of a (possibly transformed) plugin field: string or uint64, list or not. */
export interface FieldType {
  type: "string" | "uint64";
  list: boolean;
}

/** Type after transformers (innermost first), or an error text for an invalid combination. */
export function transformedType(base: FieldType, transformers: string[]): FieldType | string {
  let t = base;
  for (const name of [...transformers].reverse()) {
    if (name === "len") {
      t = { type: "uint64", list: false };
      continue;
    }
    if (t.type !== "string") {
      return `can't add field transformer: type 'uint64' is not supported by '${name}' transformer`;
    }
  }
  return t;
}

function base64Decode(s: string): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: false }).decode(
      Uint8Array.from(atob(s), (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
}

/**
 * Applies transformers (outermost first in `transformers`) to extracted values; `undefined`
 * when a transformer fails (the extraction then yields nothing).
 */
export function applyTransformers(
  values: string[],
  base: FieldType,
  transformers: string[],
): string[] | undefined {
  let cur = values;
  let list = base.list;
  for (const name of [...transformers].reverse()) {
    switch (name) {
      case "tolower":
        cur = cur.map(asciiLower);
        break;
      case "toupper":
        cur = cur.map((s) => s.replace(/[a-z]/g, (c) => c.toUpperCase()));
        break;
      case "basename":
        cur = cur.map((s) => s.slice(s.lastIndexOf("/") + 1));
        break;
      case "b64": {
        const out: string[] = [];
        for (const s of cur) {
          const d = base64Decode(s);
          if (d === undefined) return undefined;
          out.push(d);
        }
        cur = out;
        break;
      }
      case "len":
        cur = [String(list ? cur.length : new TextEncoder().encode(cur[0]).length)];
        list = false;
        break;
      default:
        throw new FilterCompileError(`unknown transformer ${name}`);
    }
  }
  return cur;
}

/** Numeric operators allowed on uint64 fields (flt_is_comparable_numeric). */
const NUMERIC_OPERATORS = ["=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects", "exists"];

/** Compile-time operator check for a typed field. */
export function typedOperatorError(op: string, t: FieldType): string | null {
  if (t.type === "string") return operatorError(op, t.list);
  if (t.list) return operatorError(op, true);
  return NUMERIC_OPERATORS.includes(op)
    ? null
    : `'${op}' operator not supported for numeric filters`;
}

function parseU64(s: string): bigint {
  if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(s)) {
    throw new FilterCompileError(`filter value '${s}' is not a valid number`);
  }
  return BigInt(s);
}

/** compareCurrent for a typed (possibly transformed) left-hand side. */
export function compareTyped(values: string[], t: FieldType, op: string, rhs: string[]): boolean {
  if (t.type === "string") return compareCurrent(values, t.list, op, rhs);
  if (values.length === 0) return false;
  if (op === "exists") return true;
  const err = typedOperatorError(op, t);
  if (err) throw new FilterCompileError(err);
  const nums = rhs.map(parseU64);
  const v = parseU64(values[0]);
  switch (op) {
    case "=":
    case "==":
      return v === nums[0];
    case "!=":
      return v !== nums[0];
    case "<":
      return v < nums[0];
    case "<=":
      return v <= nums[0];
    case ">":
      return v > nums[0];
    case ">=":
      return v >= nums[0];
    default: // in, intersects
      return nums.includes(v);
  }
}
