/**
 * Reading Kubernetes objects from files, directories and stdin: YAML streams
 * (multi-document), JSON, and `kind: List` / `*List` documents, each object
 * tagged with where it came from (file, document, item, line).
 */
import { Composer, isMap, isSeq, LineCounter, Parser } from "yaml";
import type { CST, Node as YamlNode } from "yaml";
import { InputError, IoError, ioFailureText, type SourceRef } from "./errors.ts";
import { fastParseYaml } from "./yaml_fast.ts";
import { YAML_OPTIONS } from "./yaml_schema.ts";

/** One Kubernetes object read from input. */
export interface LoadedObject {
  object: Record<string, unknown>;
  source: SourceRef;
  /** 1-based line/column of the node at a field path under this object, where known. */
  locate(path: readonly (string | number)[]): { line: number; column: number } | undefined;
}

/** Limits that keep hostile input bounded. */
const MAX_ALIAS_COUNT = 1000;
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
/** Deepest nesting of mappings and sequences accepted (Kubernetes objects stay far below). */
export const MAX_NESTING = 100;
/**
 * Longest single scalar accepted, in characters: 3 MiB is the API server's request size
 * limit, so no Kubernetes object can hold a longer value.
 */
export const MAX_SCALAR_CHARS = 3 * 1024 * 1024;

const INPUT_EXTENSIONS = [".yaml", ".yml", ".json"];

/**
 * Expands the given paths: files as they are, `-` for stdin, and directories to
 * their `.yaml`/`.yml`/`.json` files (sorted; subdirectories only when `recursive`).
 */
export async function expandPaths(paths: readonly string[], recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (p === "-") {
      out.push(p);
      continue;
    }
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(p);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new InputError({ file: p }, undefined, "no such file or directory");
      }
      throw new IoError(ioFailureText("read", p, e));
    }
    if (info.isDirectory) out.push(...await listDirectory(p, recursive));
    else out.push(p);
  }
  return out;
}

/** An input file and how it was named: on the command line, or found in a directory. */
export interface InputFile {
  file: string;
  /** Found by listing a directory (not named by the user). */
  listed: boolean;
}

/** expandPaths, telling the files named from those found in directories. */
export async function expandInputs(
  paths: readonly string[],
  recursive: boolean,
): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const p of paths) {
    const files = await expandPaths([p], recursive);
    const listed = files.length !== 1 || files[0] !== p;
    for (const file of files) out.push({ file, listed });
  }
  return out;
}

async function listDirectory(dir: string, recursive: boolean): Promise<string[]> {
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const out: string[] = [];
  for (const e of entries) {
    const full = `${dir.replace(/\/+$/, "")}/${e.name}`;
    if (e.isDirectory) {
      if (recursive) out.push(...await listDirectory(full, true));
    } else if (INPUT_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))) {
      out.push(full);
    }
  }
  return out;
}

/** Reads a file (or stdin for `-`) as UTF-8 text, refusing binary and invalid UTF-8. */
export async function readText(file: string): Promise<string> {
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = file === "-" ? Deno.stdin.readable : (await Deno.open(file)).readable;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError({ file }, undefined, "no such file or directory");
    }
    throw new IoError(ioFailureText("read", file, e));
  }
  return decodeText(await readAll(stream, file), file);
}

/** Decodes bytes as UTF-8 (BOM stripped); binary data and invalid UTF-8 are input errors. */
export function decodeText(bytes: Uint8Array, file: string): string {
  if (bytes.length > MAX_FILE_BYTES) {
    throw new InputError({ file }, undefined, `file larger than ${MAX_FILE_BYTES} bytes`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new InputError(
      { file },
      undefined,
      `binary data (NUL byte at offset ${nul}), not YAML or JSON`,
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
    throw new InputError({ file, line }, undefined, `invalid UTF-8 near byte offset ${offset}`);
  }
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (one linear pass). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number, min: number;
    if (b >= 0xc2 && b <= 0xdf) [n, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [n, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return bytes.length;
}

/**
 * Reads a whole stream, stopping early (so /dev/zero or a disk image is not read to the end)
 * at the first NUL byte (binary data) or beyond MAX_FILE_BYTES. Leaving the loop early cancels
 * the stream, which closes the file.
 */
async function readAll(stream: ReadableStream<Uint8Array>, file: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const c of stream) {
      const nul = c.indexOf(0);
      if (nul >= 0) {
        throw new InputError(
          { file },
          undefined,
          `binary data (NUL byte at offset ${size + nul}), not YAML or JSON`,
        );
      }
      size += c.length;
      if (size > MAX_FILE_BYTES) {
        throw new InputError({ file }, undefined, `file larger than ${MAX_FILE_BYTES} bytes`);
      }
      chunks.push(c);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new IoError(ioFailureText("read", file, e));
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Where a piece of a larger stream starts (for parsing one document of a stream at a time). */
export interface TextOffset {
  /** Documents before this text in its file (numbers continue from here). */
  documents?: number;
  /** Lines before this text in its file. */
  lines?: number;
  /** A text without objects is not an error (the file may have others). */
  allowEmpty?: boolean;
  /**
   * The text is item N of a List's `items`, read on its own (stream.ts): its root is one
   * object (a List there is not flattened), its source names the item, and it is nested two
   * levels deep (the List's mapping and its `items`) for the nesting limit.
   */
  item?: number;
  /** Read the root as one object, even a List (not flattened into its items). */
  whole?: boolean;
}

/** Levels of nesting above a text (a List's item lies under its mapping and `items`). */
function nestingAbove(at: TextOffset): number {
  return at.item === undefined ? 0 : 2;
}

/** Whether a mapping is a List whose items are flattened (`kind: List`, `PodList`...). */
function isList(obj: Record<string, unknown>): boolean {
  return typeof obj.kind === "string" && obj.kind.endsWith("List") && Array.isArray(obj.items);
}

/** A List kind at the root of a YAML or JSON text (a hint: the fast path then finds items). */
const LIST_KIND = /^kind: *["']?\w*List\b|"kind" *: *"\w*List"/m;

/**
 * Parses YAML or JSON text into Kubernetes objects. Lists (`kind: List` or any
 * kind ending in `List` with an `items` array) are flattened, each item keeping
 * its index. Empty documents are skipped; a document that is not a mapping is an
 * error; syntax errors name the line and column (offset by `at` for a piece of a stream).
 *
 * A text holding one object, or one List of objects, is read by the fast path
 * (yaml_fast.ts), which gives the same objects and sources; their `locate` reads the text
 * with the `yaml` library when first called. Everything else is read by parseObjectsWithYaml.
 */
export function parseObjects(text: string, file: string, at: TextOffset = {}): LoadedObject[] {
  const flatten = at.item === undefined && !at.whole;
  const above = nestingAbove(at);
  const fast = fastParseYaml(
    text,
    above ? { ...LIMITS, maxNesting: MAX_NESTING - above } : LIMITS,
    { items: flatten && LIST_KIND.test(text) },
  );
  if (!fast) return parseObjectsWithYaml(text, file, at);
  const document = 1 + (at.documents ?? 0);
  const lines = at.lines ?? 0;
  let located: LoadedObject[] | undefined;
  const locateAt = (index: number) => (path: readonly (string | number)[]) => {
    try {
      located ??= parseObjectsWithYaml(text, file, at);
    } catch {
      return undefined; // the fast path read it; a position is only a nicety
    }
    return located[index]?.locate(path);
  };
  if (!flatten || !isList(fast.value)) {
    const source = {
      file,
      document,
      ...(at.item !== undefined ? { item: at.item } : {}),
      line: fast.line + lines,
      column: fast.column,
    };
    return [{ object: fast.value, source, locate: locateAt(0) }];
  }
  const starts = fast.items;
  const items = fast.value.items as unknown[];
  if (!starts || !items.every((o) => typeof o === "object" && o !== null && !Array.isArray(o))) {
    return parseObjectsWithYaml(text, file, at);
  }
  return items.map((object, item) => ({
    object: object as Record<string, unknown>,
    source: { file, document, item, line: starts[item].line + lines, column: starts[item].column },
    locate: locateAt(item),
  }));
}

const LIMITS = { maxNesting: MAX_NESTING, maxScalarChars: MAX_SCALAR_CHARS };

/**
 * parseObjects with the `yaml` library alone: the reader that defines what every text means
 * (the fast path gives the same objects for the texts it reads).
 */
export function parseObjectsWithYaml(
  text: string,
  file: string,
  at: TextOffset = {},
): LoadedObject[] {
  const lineCounter = new LineCounter();
  const pos = (offset: number | undefined) => {
    if (offset === undefined) return undefined;
    const p = lineCounter.linePos(offset);
    return { line: p.line + (at.lines ?? 0), column: p.col };
  };
  const parser = new Parser(lineCounter.addNewLine);
  // merge keys (`<<: *base`) as kubectl's YAML 1.1 reader supports them
  const composer = new Composer(YAML_OPTIONS);
  const list = Array.from(
    composer.compose(boundedTokens(parser.parse(text), nestingAbove(at), (
      document,
      offset,
      detail,
      start,
    ) => {
      const where = { file, document: document + (at.documents ?? 0) };
      const template = templateIn(text, start, offset, text.length);
      if (template) throw templateError(where, template, pos);
      throw new InputError({ ...where, ...pos(offset) }, undefined, detail);
    })),
  );
  const out: LoadedObject[] = [];
  let sawObject = false;
  list.forEach((doc, i) => {
    const document = i + 1 + (at.documents ?? 0);
    const err = doc.errors[0];
    if (err) {
      // an unclosed quote is reported where it opens (the library reports where the text ends)
      const unclosed = err.code === "MISSING_CHAR" && /^Missing closing/.test(err.message)
        ? quoteStart(text, err.pos?.[0])
        : undefined;
      const template = templateIn(text, doc.range[0], err.pos?.[0] ?? doc.range[0], doc.range[2]);
      if (template) throw templateError({ file, document }, template, pos);
      const p = pos(unclosed ?? err.pos?.[0]);
      const message = /call stack/i.test(err.message)
        ? `nesting too deep to read (more than ${MAX_NESTING} levels are refused)`
        : err.message.split("\n")[0];
      throw new InputError({ file, document, ...p }, undefined, `invalid YAML/JSON: ${message}`);
    }
    if (doc.contents === null) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const p = pos(doc.contents.range?.[0]);
      const message = (e as Error).message;
      throw new InputError(
        { file, document, ...p },
        undefined,
        /alias count/i.test(message)
          ? `YAML aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT}; an alias bomb?)`
          : /call stack/i.test(message)
          ? `nesting too deep to read (more than ${MAX_NESTING} levels are refused)`
          : message,
      );
    }
    if (value === null || value === undefined) return;
    sawObject = true;
    const root = doc.contents;
    const start = pos(root.range?.[0]);
    if (!isMap(root) || typeof value !== "object" || Array.isArray(value)) {
      throw new InputError(
        { file, document, ...start },
        undefined,
        "expected a Kubernetes object (a mapping with apiVersion and kind)",
      );
    }
    const obj = value as Record<string, unknown>;
    const locateIn =
      (node: YamlNode | null | undefined) => (path: readonly (string | number)[]) => {
        let cur: unknown = node;
        let best = node?.range?.[0];
        for (const key of path) {
          if (isMap(cur)) {
            const pair = cur.items.find((p) => (p.key as { value?: unknown })?.value === key);
            if (!pair) break;
            cur = pair.value;
            const k = pair.key as YamlNode;
            best = (cur as YamlNode | null)?.range?.[0] ?? k.range?.[0] ?? best;
          } else if (isSeq(cur) && typeof key === "number") {
            cur = cur.items[key];
            if (!cur) break;
            best = (cur as YamlNode).range?.[0] ?? best;
          } else break;
        }
        return pos(best);
      };
    if (at.item === undefined && !at.whole && isList(obj)) {
      const itemsNode = root.get("items", true);
      (obj.items as unknown[]).forEach((item, j) => {
        const node = isSeq(itemsNode) ? itemsNode.items[j] as YamlNode : undefined;
        const source = { file, document, item: j, ...pos(node?.range?.[0]) };
        if (item === null || typeof item !== "object" || Array.isArray(item)) {
          throw new InputError(source, `items[${j}]`, "expected a Kubernetes object");
        }
        out.push({ object: item as Record<string, unknown>, source, locate: locateIn(node) });
      });
      return;
    }
    const item = at.item !== undefined ? { item: at.item } : {};
    out.push({
      object: obj,
      source: { file, document, ...item, ...start },
      locate: locateIn(root),
    });
  });
  if (!sawObject && !at.allowEmpty) {
    throw new InputError(
      { file },
      undefined,
      "empty input: no Kubernetes objects (only blank documents or comments)",
    );
  }
  return out;
}

/**
 * An unrendered template expression where YAML would read its `{` as a flow collection (at the
 * start of a line or a value: after `:`, `-`, `,`, `[`, `{`, `?`): Helm/Go `{{ ... }}`, Jinja
 * `{% ... %}`. Inside a scalar (`description: Pod {{ $labels.pod }}`, `"{{ $value }}"`) it is
 * text, as in alerting rules.
 */
const TEMPLATE = /(?<=^[ \t]*|[:\-,[{?][ \t]*)(?:\{\{.*?\}\}|\{%.*?%\})/gm;

/**
 * The first template expression of a document that failed to read: on the line of the
 * failure, else the first from `start` up to `end`. Undefined when there is none.
 */
function templateIn(
  text: string,
  start: number,
  failure: number,
  end: number,
): { offset: number; expression: string } | undefined {
  const lineStart = text.lastIndexOf("\n", failure - 1) + 1;
  const lineEnd = text.indexOf("\n", failure);
  const found = (from: number, to: number) => {
    TEMPLATE.lastIndex = from;
    const m = TEMPLATE.exec(text);
    return m && m.index < to ? { offset: m.index, expression: m[0] } : undefined;
  };
  return found(Math.max(start, lineStart), lineEnd < 0 ? text.length : lineEnd) ??
    found(start, end);
}

/** The error for an unrendered template: where it is, and what to do. */
function templateError(
  where: SourceRef,
  template: { offset: number; expression: string },
  pos: (offset: number) => { line: number; column: number } | undefined,
): InputError {
  const expression = template.expression.length > 60
    ? `${template.expression.slice(0, 57)}...`
    : template.expression;
  return new InputError(
    { ...where, ...pos(template.offset) },
    undefined,
    `an unrendered template (${JSON.stringify(expression)}), not YAML yet: render it first ` +
      "(`helm template`, `kubectl kustomize`) and give the output",
  );
}

/**
 * Where the quoted scalar that runs to `end` (an unclosed one) opens: the offset of its quote,
 * from the parser's tokens; undefined when none is found.
 */
function quoteStart(text: string, end: number | undefined): number | undefined {
  if (end === undefined) return undefined;
  let found: number | undefined;
  for (const token of new Parser().parse(text)) {
    const stack: CST.Token[] = token.type === "document" && token.value ? [token.value] : [];
    while (stack.length) {
      const t = stack.pop()!;
      if (t.type === "double-quoted-scalar" || t.type === "single-quoted-scalar") {
        if (t.offset <= end && end <= t.offset + t.source.length) found ??= t.offset;
      } else if ("items" in t && Array.isArray(t.items)) {
        for (const item of t.items as CST.CollectionItem[]) {
          if (item.value) stack.push(item.value);
          if (item.key) stack.push(item.key);
        }
      }
    }
  }
  return found;
}

/**
 * Passes the parser's tokens through, refusing (via `fail`, with the 1-based document number
 * and the offending offset) nesting deeper than MAX_NESTING (counting `above`, the levels above
 * the text) and scalars longer than
 * MAX_SCALAR_CHARS before the composer, whose recursion and string handling they would
 * exhaust, and collection keys (which no JSON object has). The walk is iterative.
 */
function* boundedTokens(
  tokens: Iterable<CST.Token>,
  above: number,
  fail: (document: number, offset: number, detail: string, documentStart: number) => never,
): Generator<CST.Token> {
  let document = 0;
  for (const token of tokens) {
    if (token.type === "document") {
      document++;
      const fail_ = (offset: number, detail: string) =>
        fail(document, offset, detail, token.offset);
      const stack: [CST.Token, number][] = token.value ? [[token.value, above]] : [];
      while (stack.length) {
        const [t, depth] = stack.pop()!;
        if (t.type === "block-map" || t.type === "block-seq" || t.type === "flow-collection") {
          if (depth >= MAX_NESTING) {
            fail_(
              t.offset,
              `nesting deeper than ${MAX_NESTING} levels (no Kubernetes object is that deep)`,
            );
          }
          for (const item of t.items as CST.CollectionItem[]) {
            if (item.value) stack.push([item.value, depth + 1]);
            if (!item.key) continue;
            if (
              item.key.type === "block-map" || item.key.type === "block-seq" ||
              item.key.type === "flow-collection"
            ) {
              fail_(
                item.key.offset,
                "a mapping key that is a collection (keys are strings)",
              );
            }
            stack.push([item.key, depth + 1]);
          }
        } else if ("source" in t && t.source.length > MAX_SCALAR_CHARS) {
          fail_(
            t.offset,
            `a single value of ${t.source.length} characters (more than ${MAX_SCALAR_CHARS}, the API server's request size limit)`,
          );
        }
      }
    }
    yield token;
  }
}

/** Reads every object from the given paths (files, directories, `-`). */
export async function loadObjects(
  paths: readonly string[],
  opts: { recursive?: boolean } = {},
): Promise<LoadedObject[]> {
  const files = await expandPaths(paths, opts.recursive ?? false);
  const out: LoadedObject[] = [];
  for (const f of files) {
    const text = await readText(f);
    if (text.trim() === "") {
      throw new InputError({ file: f }, undefined, "empty input: no Kubernetes objects");
    }
    for (const o of parseObjects(text, f)) out.push(o); // no spread: files may hold 100k objects
  }
  return out;
}
