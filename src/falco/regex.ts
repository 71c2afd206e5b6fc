/**
 * Regular expressions for Falco's `regex` operator (RE2, Falco >= 0.39) built from trusted
 * data: decimal integer ranges (current Falco compares `ka.*`/`json.*` values as strings, so a
 * range check is a regex) and "a string not in this set" (for annotation values inside the
 * JSON text of an object). They use no backslash, so Falco's string quoting cannot change them.
 */

/** An inclusive integer range. */
export interface IntRange {
  min: number | bigint;
  max: number | bigint;
}

const MAX_INT64 = (1n << 63n) - 1n;

function digitClass(lo: number, hi: number): string {
  if (lo === hi) return String(lo);
  if (lo === 0 && hi === 9) return "[0-9]";
  return `[${lo}-${hi}]`;
}

function anyDigits(n: number): string {
  if (n === 0) return "";
  return n === 1 ? "[0-9]" : `[0-9]{${n}}`;
}

/** Alternatives matching every decimal string of the same length between lo and hi (inclusive). */
function sameLength(lo: string, hi: string): string[] {
  if (lo.length === 0) return [""];
  const rest = lo.length - 1;
  const l0 = Number(lo[0]), h0 = Number(hi[0]);
  if (l0 === h0) return sameLength(lo.slice(1), hi.slice(1)).map((s) => lo[0] + s);
  const loRest = lo.slice(1), hiRest = hi.slice(1);
  const loFull = /^0*$/.test(loRest), hiFull = /^9*$/.test(hiRest);
  const out: string[] = [];
  let midLo = l0 + 1, midHi = h0 - 1;
  if (loFull) midLo = l0;
  else out.push(...sameLength(loRest, "9".repeat(rest)).map((s) => lo[0] + s));
  if (hiFull) midHi = h0;
  if (midLo <= midHi) out.push(digitClass(midLo, midHi) + anyDigits(rest));
  if (!hiFull) out.push(...sameLength("0".repeat(rest), hiRest).map((s) => hi[0] + s));
  return out;
}

/** Alternatives matching the decimal form (no leading zeros) of every integer in [lo, hi], lo >= 0. */
function rangeAlternatives(lo: bigint, hi: bigint | undefined): string[] {
  const out: string[] = [];
  const loS = lo.toString();
  const hiS = hi === undefined ? undefined : hi.toString();
  const maxLen = hiS === undefined ? loS.length : hiS.length;
  for (let len = loS.length; len <= maxLen; len++) {
    const first = len === loS.length ? loS : (len === 1 ? "0" : "1" + "0".repeat(len - 1));
    const last = hiS !== undefined && len === hiS.length ? hiS : "9".repeat(len);
    out.push(...sameLength(first, last));
  }
  if (hi === undefined) out.push(`[1-9][0-9]{${loS.length},}`);
  return out;
}

/** Sorted, merged copies of the non-empty ranges, clamped to [0, 2^63-1]. */
function normalizeRanges(ranges: readonly IntRange[]): [bigint, bigint][] {
  const rs = ranges
    .map((r) => [BigInt(r.min), BigInt(r.max)] as [bigint, bigint])
    .map(([a, b]) => [a < 0n ? 0n : a, b > MAX_INT64 ? MAX_INT64 : b] as [bigint, bigint])
    .filter(([a, b]) => a <= b)
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [a, b] of rs) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1n) {
      if (b > last[1]) last[1] = b;
    } else out.push([a, b]);
  }
  return out;
}

/** Alternatives (no anchors) whose union matches the decimal text of an integer inside the ranges. */
export function inRangesAlternatives(ranges: readonly IntRange[]): string[] {
  return normalizeRanges(ranges).flatMap(([a, b]) => rangeAlternatives(a, b));
}

/**
 * A regex group (no anchors) matching the decimal text of an integer inside the ranges.
 * Returns undefined when the ranges are empty (nothing matches).
 */
export function inRangesPattern(ranges: readonly IntRange[]): string | undefined {
  const alts = inRangesAlternatives(ranges);
  return alts.length ? `(${alts.join("|")})` : undefined;
}

/**
 * Alternatives (no anchors) whose union matches the decimal text of a non-negative integer
 * outside the ranges; empty when the ranges cover every non-negative integer.
 */
export function outsideRangesAlternatives(ranges: readonly IntRange[]): string[] {
  const alts: string[] = [];
  let next = 0n;
  for (const [a, b] of normalizeRanges(ranges)) {
    if (a > next) alts.push(...rangeAlternatives(next, a - 1n));
    next = b + 1n;
  }
  if (next <= MAX_INT64) alts.push(...rangeAlternatives(next, undefined));
  return alts;
}

/**
 * A regex group (no anchors) matching the decimal text of a non-negative integer outside the
 * ranges. Returns undefined when the ranges cover every non-negative integer.
 */
export function outsideRangesPattern(ranges: readonly IntRange[]): string | undefined {
  const alts = outsideRangesAlternatives(ranges);
  return alts.length ? `(${alts.join("|")})` : undefined;
}

/** A full-match regex for the decimal text of an integer inside the ranges. */
export function anchoredInRanges(ranges: readonly IntRange[]): string | undefined {
  const p = inRangesPattern(ranges);
  return p === undefined ? undefined : `^${p}$`;
}

/** Characters a literal may use in these patterns (each written as itself or in a class). */
const LITERAL = /^[A-Za-z0-9._/:@+-]*$/;

function literalChar(c: string): string {
  return /[A-Za-z0-9_/:@-]/.test(c) ? c : `[${c}]`;
}

/** A regex matching the literal text exactly (special characters in classes, no backslash). */
export function literalPattern(text: string): string {
  if (!LITERAL.test(text)) throw new Error(`cannot write ${JSON.stringify(text)} as a pattern`);
  return [...text].map(literalChar).join("");
}

interface TrieNode {
  terminal: boolean;
  children: Map<string, TrieNode>;
}

function trieOf(allowed: readonly string[]): TrieNode {
  const root: TrieNode = { terminal: false, children: new Map() };
  for (const s of allowed) {
    if (!LITERAL.test(s)) throw new Error(`cannot write ${JSON.stringify(s)} as a pattern`);
    let n = root;
    for (const c of s) {
      let child = n.children.get(c);
      if (!child) n.children.set(c, child = { terminal: false, children: new Map() });
      n = child;
    }
    n.terminal = true;
  }
  return root;
}

/** The alternatives a trie node contributes itself (not its children's). */
function localAlternatives(n: TrieNode): string[] {
  const excluded = [...n.children.keys()].sort();
  const cls = excluded.filter((c) => c !== "-").join("") + (excluded.includes("-") ? "-" : "");
  return [...(n.terminal ? [] : ['"']), `[^"${cls}][^"]*"`];
}

/** The node's language as one factored pattern: `a|b|c(...)|d(...)`. */
function factored(n: TrieNode): string {
  const alts = localAlternatives(n);
  for (const [c, child] of [...n.children].sort()) {
    const sub = factored(child);
    alts.push(literalChar(c) + (sub.includes("|") ? `(${sub})` : sub));
  }
  return alts.join("|");
}

/**
 * A regex group (no anchors) matching the characters of a JSON string body (up to its
 * closing `"`, which the group also matches) whose text is NOT one of `allowed`. The body
 * is taken to contain no `"`.
 */
export function notOneOfStringPattern(allowed: readonly string[]): string {
  return `(${factored(trieOf(allowed))})`;
}

/**
 * Alternatives whose union is `notOneOfStringPattern(allowed)`'s language, each at most
 * `budget` bytes (subtrees too long for one alternative are split at their children).
 * Undefined when some piece cannot be made that short (an allowed string nearly as long as
 * the budget).
 */
export function notOneOfStringAlternatives(
  allowed: readonly string[],
  budget: number,
): string[] | undefined {
  const out: string[] = [];
  const walk = (n: TrieNode, prefix: string): boolean => {
    const whole = factored(n);
    const one = prefix + (whole.includes("|") ? `(${whole})` : whole);
    if (one.length <= budget) {
      out.push(one);
      return true;
    }
    for (const local of localAlternatives(n)) {
      if (prefix.length + local.length > budget) return false;
      out.push(prefix + local);
    }
    for (const [c, child] of [...n.children].sort()) {
      if (!walk(child, prefix + literalChar(c))) return false;
    }
    return true;
  };
  return walk(trieOf(allowed), "") ? out : undefined;
}

/**
 * Full-match regexes `head(a|b|...)tail` that together (joined by `or`) match what
 * `head(<every alternative>)tail` matches, each at most `limit` bytes (Falco's limit on one
 * value). Undefined when one alternative alone does not fit. Alternatives are ASCII.
 */
export function splitAlternation(
  head: string,
  alternatives: readonly string[],
  tail: string,
  limit: number,
): string[] | undefined {
  const budget = limit - head.length - tail.length - 2;
  const out: string[] = [];
  let group: string[] = [];
  let size = -1;
  for (const alt of alternatives) {
    if (alt.length > budget) return undefined;
    if (group.length && size + 1 + alt.length > budget) {
      out.push(`${head}(${group.join("|")})${tail}`);
      group = [];
      size = -1;
    }
    group.push(alt);
    size += 1 + alt.length;
  }
  if (group.length) out.push(`${head}(${group.join("|")})${tail}`);
  return out;
}
