/**
 * Parser for Falco rule conditions, in the two dialects the engine imitates.
 *
 * "current" follows libsinsp's filter grammar (libs/userspace/libsinsp/filter/parser.cpp):
 * field names need a dot (`[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+`), a field
 * argument is `[bare]` or `["quoted"]`, bare values are `[^()"'\s=,]+`, identifiers without
 * a dot are macro references, `and`/`or`/`not` are keywords.
 * "0.27" follows Falco 0.27's Lua grammar (engine/lua/parser.lua): same shape, bare values
 * `[^ (),=]+` (quotes allowed), the index is any text up to the first `]`, the operator set
 * is smaller (no regex, iglob, bcontains, bstartswith) and quoted strings keep their escapes.
 */
import type { CheckExpr, Expr, FieldRef, Mode, RhsValue, ValueItem } from "./ast.ts";

/** A syntax error with the offset where parsing stopped. */
export class ConditionSyntaxError extends Error {
  constructor(message: string, readonly pos: number, readonly text: string) {
    super(`${message} at offset ${pos} of "${text}"`);
  }
}

const UNARY_OPS = ["exists"];
const LIST_OPS = ["intersects", "in", "pmatch"];
const SYMBOL_OPS = ["==", "=", "!=", "<=", ">=", "<", ">"];
const WORD_OPS: Record<Mode, string[]> = {
  "0.27": ["contains", "icontains", "glob", "startswith", "endswith"],
  current: [
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "glob",
    "iglob",
    "regex",
  ],
};

/** Field transformers of libsinsp 0.20 (Falco 0.40); current dialect only. */
export const TRANSFORMERS = ["tolower", "toupper", "b64", "basename", "len"];

/** Every binary/unary operator the dialect's grammar accepts. */
export function supportedOperators(mode: Mode): string[] {
  return [...SYMBOL_OPS, ...WORD_OPS[mode], ...LIST_OPS, ...UNARY_OPS];
}

const IDENT_START = /[A-Za-z]/;
const IDENT_REST = /[A-Za-z0-9_]/;
const BLANK = /[ \t\n\r\f\v]/;

/** Parses one condition into an AST; throws ConditionSyntaxError. */
export function parseCondition(text: string, mode: Mode): Expr {
  const p = new Parser(text, mode);
  const expr = p.parseOr();
  p.skipBlank();
  if (!p.atEnd()) p.fail("unexpected token");
  return expr;
}

class Parser {
  pos = 0;
  depth = 0;
  constructor(readonly text: string, readonly mode: Mode) {}

  fail(message: string): never {
    throw new ConditionSyntaxError(message, this.pos, this.text);
  }
  atEnd(): boolean {
    return this.pos >= this.text.length;
  }
  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? "";
  }
  skipBlank(): boolean {
    const start = this.pos;
    while (!this.atEnd() && BLANK.test(this.peek())) this.pos++;
    return this.pos > start;
  }
  /** Matches a keyword followed by a blank, `(` or the end (when allowed). */
  keyword(word: string, allowEnd = false): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    const next = this.text[this.pos + word.length];
    if (next === undefined ? !allowEnd : !(BLANK.test(next) || next === "(")) return false;
    this.pos += word.length;
    return true;
  }

  parseOr(): Expr {
    this.enter();
    this.skipBlank();
    const children = [this.parseAnd()];
    for (;;) {
      const save = this.pos;
      this.skipBlank();
      if (this.keyword("or")) {
        this.skipBlank();
        children.push(this.parseAnd());
      } else {
        this.pos = save;
        break;
      }
    }
    this.depth--;
    return children.length === 1 ? children[0] : { kind: "or", children };
  }

  parseAnd(): Expr {
    const children = [this.parseNot()];
    for (;;) {
      const save = this.pos;
      this.skipBlank();
      if (this.keyword("and")) {
        this.skipBlank();
        children.push(this.parseNot());
      } else {
        this.pos = save;
        break;
      }
    }
    return children.length === 1 ? children[0] : { kind: "and", children };
  }

  parseNot(): Expr {
    this.skipBlank();
    if (this.keyword("not")) {
      this.skipBlank();
      return { kind: "not", child: this.parseNot() };
    }
    return this.parseCheck();
  }

  enter(): void {
    if (++this.depth > 1000) this.fail("exceeded max depth limit of 1000");
  }

  parseCheck(): Expr {
    this.skipBlank();
    if (this.peek() === "(") {
      this.pos++;
      const inner = this.parseOr();
      this.skipBlank();
      if (this.peek() !== ")") this.fail("expected a ')' token");
      this.pos++;
      return inner;
    }
    const start = this.pos;
    const transformer = this.lexTransformer();
    if (transformer !== undefined) {
      const ref = this.parseTransformerChain(transformer);
      const check: CheckExpr = {
        kind: "check",
        field: ref.field,
        op: "",
        pos: start,
        transformers: ref.transformers,
      };
      if (ref.arg !== undefined) check.arg = ref.arg;
      this.parseCondition(check);
      return check;
    }
    const name = this.lexDottedName();
    if (name === undefined) this.fail("expected a field, a macro or '('");
    if (!name.includes(".")) {
      if (["and", "or", "not"].includes(name)) {
        this.pos = start;
        this.fail(`unexpected keyword '${name}'`);
      }
      return { kind: "macro", name, pos: start };
    }
    const check: CheckExpr = { kind: "check", field: name, op: "", pos: start };
    if (this.peek() === "[") check.arg = this.lexFieldArg();
    this.parseCondition(check);
    return check;
  }

  /** `tolower(` and friends (current dialect); returns the transformer name. */
  lexTransformer(): string | undefined {
    if (this.mode !== "current") return undefined;
    for (const t of TRANSFORMERS) {
      if (this.text.startsWith(t + "(", this.pos)) {
        this.pos += t.length + 1;
        return t;
      }
    }
    return undefined;
  }

  /** After `name(`: a field or a nested transformer, then `)`. */
  parseTransformerChain(name: string): FieldRef {
    this.skipBlank();
    const inner = this.lexTransformer();
    let ref: FieldRef;
    if (inner !== undefined) ref = this.parseTransformerChain(inner);
    else ref = this.parseFieldRef(`expected a field within '${name}' transformer`);
    this.skipBlank();
    if (this.peek() !== ")") this.fail("expected a ')' token closing the transformer");
    this.pos++;
    return { ...ref, transformers: [name, ...ref.transformers] };
  }

  /** A dotted field name with its optional `[arg]`. */
  parseFieldRef(message: string): FieldRef {
    const name = this.lexDottedName();
    if (name === undefined || !name.includes(".")) this.fail(message);
    const ref: FieldRef = { field: name, transformers: [] };
    if (this.peek() === "[") ref.arg = this.lexFieldArg();
    return ref;
  }

  /** `val(field)` or a transformed field on the right-hand side (current dialect). */
  tryRhsField(): RhsValue | undefined {
    if (this.mode !== "current") return undefined;
    if (this.text.startsWith("val(", this.pos)) {
      this.pos += 4;
      this.skipBlank();
      const ref = this.parseFieldRef("expected a field within 'val' transformer");
      this.skipBlank();
      if (this.peek() !== ")") this.fail("expected a ')' token closing the transformer");
      this.pos++;
      return { kind: "field", ref };
    }
    const t = this.lexTransformer();
    if (t !== undefined) return { kind: "field", ref: this.parseTransformerChain(t) };
    return undefined;
  }

  /** `[a-zA-Z][a-zA-Z0-9_]*` segments joined by dots. */
  lexDottedName(): string | undefined {
    const start = this.pos;
    const segment = (): boolean => {
      if (!IDENT_START.test(this.peek())) return false;
      this.pos++;
      while (IDENT_REST.test(this.peek())) this.pos++;
      return true;
    };
    if (!segment()) return undefined;
    while (this.peek() === "." && IDENT_START.test(this.peek(1))) {
      this.pos++;
      segment();
    }
    return this.text.slice(start, this.pos);
  }

  lexFieldArg(): string {
    this.pos++; // '['
    if (this.mode === "0.27") {
      const end = this.text.indexOf("]", this.pos);
      if (end < 0) this.fail("unterminated field index");
      const arg = this.text.slice(this.pos, end);
      this.pos = end + 1;
      return arg;
    }
    let arg: string;
    if (this.peek() === '"' || this.peek() === "'") {
      arg = this.lexQuoted().value;
    } else {
      const start = this.pos;
      while (!this.atEnd() && !/[\][\"'\s]/.test(this.peek())) this.pos++;
      if (this.pos === start) this.fail("expected a field argument");
      arg = this.text.slice(start, this.pos);
    }
    if (this.peek() !== "]") this.fail("expected a ']' token");
    this.pos++;
    return arg;
  }

  parseCondition(check: CheckExpr): void {
    this.skipBlank();
    for (const op of UNARY_OPS) {
      if (this.keyword(op, true) || this.matchesAtEndOrClose(op)) {
        check.op = op;
        return;
      }
    }
    for (const op of LIST_OPS) {
      if (this.keyword(op)) {
        check.op = op;
        this.skipBlank();
        check.value = this.peek() === "(" ? this.parseListValue() : this.tryRhsField() ??
          this.parseListName();
        return;
      }
    }
    for (const op of SYMBOL_OPS) {
      if (this.text.startsWith(op, this.pos)) {
        this.pos += op.length;
        check.op = op;
        this.skipBlank();
        check.value = this.tryRhsField() ?? { kind: "value", item: this.parseValue() };
        return;
      }
    }
    for (const op of WORD_OPS[this.mode]) {
      if (this.text.startsWith(op, this.pos) && BLANK.test(this.text[this.pos + op.length] ?? "")) {
        this.pos += op.length;
        check.op = op;
        this.skipBlank();
        check.value = this.tryRhsField() ?? { kind: "value", item: this.parseValue() };
        return;
      }
    }
    this.fail(`expected an operator after field '${check.field}'`);
  }

  /** `exists` directly followed by `)` (e.g. `(x exists)`). */
  matchesAtEndOrClose(op: string): boolean {
    if (!this.text.startsWith(op, this.pos) || this.text[this.pos + op.length] !== ")") {
      return false;
    }
    this.pos += op.length;
    return true;
  }

  /** `x in list_name` without parentheses (current dialect): a one-item list to expand. */
  parseListName(): RhsValue {
    if (this.mode === "current") {
      const name = this.lexDottedName();
      if (name !== undefined && !name.includes(".")) {
        return { kind: "list", items: [{ value: name, quoted: false }] };
      }
    }
    this.fail("expected a '(' token");
  }

  parseListValue(): RhsValue {
    if (this.peek() !== "(") {
      this.fail("expected a '(' token");
    }
    this.pos++;
    const items: ValueItem[] = [];
    this.skipBlank();
    if (this.peek() === ")") {
      if (this.mode === "0.27") this.fail("empty list");
      this.pos++;
      return { kind: "list", items };
    }
    for (;;) {
      this.skipBlank();
      items.push(this.parseValue());
      this.skipBlank();
      if (this.peek() === ",") {
        this.pos++;
        continue;
      }
      if (this.peek() === ")") {
        this.pos++;
        return { kind: "list", items };
      }
      this.fail("expected a ',' or ')' token");
    }
  }

  parseValue(): ValueItem {
    const c = this.peek();
    if (c === '"' || c === "'") return this.lexQuoted();
    const start = this.pos;
    const stop = this.mode === "0.27" ? /[\s(),=]/ : /[\s()"'=,]/;
    while (!this.atEnd() && !stop.test(this.peek())) this.pos++;
    if (this.pos === start) this.fail("expected a value");
    return { value: this.text.slice(start, this.pos), quoted: false };
  }

  lexQuoted(): ValueItem {
    const quote = this.peek();
    const start = this.pos;
    if (this.mode === "0.27") {
      // Lua grammar: escapes are captured verbatim
      this.pos++;
      let out = "";
      for (;;) {
        if (this.atEnd()) this.fail("unterminated quoted string");
        const c = this.peek();
        if (c === quote) {
          this.pos++;
          return { value: out, quoted: true };
        }
        if (c === "\\" && this.pos + 1 < this.text.length) {
          out += c + this.peek(1);
          this.pos += 2;
          continue;
        }
        out += c;
        this.pos++;
      }
    }
    // libsinsp lex_quoted_str: ends at a delimiter whose previous character is not '\\'
    this.pos++;
    let prev = "";
    for (;;) {
      if (this.atEnd()) {
        this.pos = start;
        this.fail("unterminated quoted string");
      }
      const c = this.peek();
      this.pos++;
      if (c === quote && prev !== "\\") break;
      prev = c;
    }
    return { value: this.unescape(this.text.slice(start, this.pos), quote), quoted: true };
  }

  /** libsinsp filter/escaping.cpp unescape_str (the token includes both quotes). */
  unescape(token: string, quote: string): string {
    let res = "";
    let escaped = false;
    for (let i = 1; i < token.length - 1; i++) {
      const c = token[i];
      if (!escaped) {
        if (c === "\\") escaped = true;
        else res += c;
        continue;
      }
      switch (c) {
        case "b":
          res += "\b";
          break;
        case "f":
          res += "\f";
          break;
        case "n":
          res += "\n";
          break;
        case "r":
          res += "\r";
          break;
        case "t":
          res += "\t";
          break;
        case " ":
        case "\\":
          res += "\\";
          break;
        case "/":
          res += "/";
          break;
        case '"':
        case "'":
          if (c !== quote) this.fail(`invalid \\${c} escape in ${quote}-quoted string`);
          res += c;
          break;
        default:
          this.fail(`unsupported string escape sequence: \\${c}`);
      }
      escaped = false;
    }
    return res;
  }
}
