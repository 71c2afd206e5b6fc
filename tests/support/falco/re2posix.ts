/**
 * Falco's `regex` operator compiles its value with `re2::RE2(value, re2::RE2::POSIX)`
 * (libsinsp sinsp_filtercheck.cpp add_filter_value) and matches with ANCHOR_BOTH. POSIX
 * options mean RE2 parse flags without LikePerl: no Perl classes (\d \s \w), no \b, no
 * Perl extensions ((?:...), (?i), \A, \z, \Q, non-greedy *?), no \pN Unicode groups; `^`
 * and `$` match at line boundaries (one_line is false); `.` does not match a newline.
 *
 * This module checks a pattern against that syntax (throwing the way RE2 refuses it) and
 * translates it to an equivalent JavaScript RegExp that full-matches.
 */

/** A pattern RE2 (POSIX syntax) would refuse. */
export class Re2SyntaxError extends Error {}

const POSIX_CLASSES: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\u{0}-\\u{7f}",
  blank: "\\t ",
  cntrl: "\\u{0}-\\u{1f}\\u{7f}",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

function lit(c: string): string {
  return /[A-Za-z0-9]/.test(c) ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  f: "\f",
  t: "\t",
  n: "\n",
  r: "\r",
  v: "\v",
};

/** Translates an RE2 POSIX-syntax pattern to a full-matching JavaScript RegExp. */
export function re2PosixToRegExp(pattern: string): RegExp {
  const chars = [...pattern];
  let i = 0;
  let out = "";
  let depth = 0;
  // whether the previous item can take a repetition operator, and whether it already has one
  let canRepeat = false;
  let repeated = false;

  const fail = (msg: string): never => {
    throw new Re2SyntaxError(`${msg} in regex ${JSON.stringify(pattern)}`);
  };

  const escape = (): string => {
    const c = chars[i + 1];
    if (c === undefined) fail("trailing \\");
    i += 2;
    if (/[0-7]/.test(c)) {
      if (c !== "0") fail(`invalid escape sequence: \\${c}`); // backreferences
      let oct = "0";
      while (oct.length < 3 && /[0-7]/.test(chars[i] ?? "")) oct += chars[i++];
      return lit(String.fromCodePoint(parseInt(oct, 8)));
    }
    if (c === "x") {
      let hex = "";
      if (chars[i] === "{") {
        i++;
        while (chars[i] !== undefined && chars[i] !== "}") hex += chars[i++];
        if (chars[i] !== "}" || !/^[0-9A-Fa-f]{1,6}$/.test(hex)) {
          fail("invalid escape sequence: \\x");
        }
        i++;
      } else {
        hex = (chars[i] ?? "") + (chars[i + 1] ?? "");
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) fail("invalid escape sequence: \\x");
        i += 2;
      }
      return lit(String.fromCodePoint(parseInt(hex, 16)));
    }
    if (c in SIMPLE_ESCAPES) return lit(SIMPLE_ESCAPES[c]);
    if (/[A-Za-z0-9]/.test(c) || c.codePointAt(0)! > 0x7f) {
      fail(`invalid escape sequence: \\${c}`); // \d \s \w \b \A \z \Q \pN ... need Perl flags
    }
    return lit(c); // escaped punctuation is literal, in and out of classes
  };

  const bracket = (): string => {
    i++; // '['
    let negate = false;
    if (chars[i] === "^") {
      negate = true;
      i++;
    }
    let body = "";
    let first = true;
    for (;;) {
      const c = chars[i];
      if (c === undefined) fail("missing closing ]");
      if (c === "]" && !first) {
        i++;
        break;
      }
      first = false;
      if (c === "[" && chars[i + 1] === ":") {
        const m = /^\[:(\^?)([a-z]*):\]/.exec(chars.slice(i).join(""));
        if (!m) fail("invalid character class range");
        const cls = POSIX_CLASSES[m![2]];
        if (cls === undefined) fail(`invalid character class range: [:${m![2]}:]`);
        if (m![1] === "^") fail("negated POSIX classes are not translated by the test engine");
        body += cls;
        i += m![0].length;
        continue;
      }
      let lo: string;
      if (c === "\\") lo = escape();
      else {
        lo = lit(c);
        i++;
      }
      if (chars[i] === "-" && chars[i + 1] !== undefined && chars[i + 1] !== "]") {
        i++;
        let hi: string;
        if (chars[i] === "\\") hi = escape();
        else {
          hi = lit(chars[i]);
          i++;
        }
        body += `${lo}-${hi}`;
      } else body += lo;
    }
    // classes match \n unless negated... RE2 ClassNL is set: negated classes may match \n
    return negate ? `[^${body}]` : `[${body}]`;
  };

  while (i < chars.length) {
    const c = chars[i];
    if ("*+?".includes(c)) {
      if (!canRepeat) fail(`missing argument to repetition operator: ${c}`);
      if (repeated) fail(`bad repetition operator: ${c}`);
      out += c;
      repeated = true;
      i++;
      continue;
    }
    if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(chars.slice(i).join(""));
      if (m) {
        if (!canRepeat) fail(`missing argument to repetition operator: ${m[0]}`);
        if (repeated) fail(`bad repetition operator: ${m[0]}`);
        const lo = Number(m[1]);
        const hi = m[3] === undefined || m[3] === "" ? undefined : Number(m[3]);
        if (lo > 1000 || (hi !== undefined && (hi > 1000 || hi < lo))) {
          fail(`bad repetition operator: ${m[0]}`);
        }
        out += m[0];
        i += m[0].length;
        repeated = true;
        continue;
      }
      out += lit(c);
      i++;
      canRepeat = true;
      repeated = false;
      continue;
    }
    repeated = false;
    if (c === "(") {
      if (chars[i + 1] === "?") {
        fail("missing argument to repetition operator: ? (Perl syntax is off)");
      }
      out += "(";
      depth++;
      i++;
      canRepeat = false;
      continue;
    }
    if (c === ")") {
      if (depth === 0) fail("unexpected )");
      depth--;
      out += ")";
      i++;
      canRepeat = true;
      continue;
    }
    if (c === "|") {
      out += "|";
      i++;
      canRepeat = false;
      continue;
    }
    if (c === "^") {
      out += "(?:^|(?<=\\n))";
      i++;
      canRepeat = true;
      continue;
    }
    if (c === "$") {
      out += "(?:$|(?=\\n))";
      i++;
      canRepeat = true;
      continue;
    }
    if (c === ".") {
      out += "[^\\n]";
      i++;
      canRepeat = true;
      continue;
    }
    if (c === "[") {
      out += bracket();
      canRepeat = true;
      continue;
    }
    if (c === "\\") {
      out += escape();
      canRepeat = true;
      continue;
    }
    out += lit(c);
    i++;
    canRepeat = true;
  }
  if (depth !== 0) fail("missing )");
  return new RegExp(`^(?:${out})$`, "u");
}
