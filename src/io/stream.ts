/**
 * Streaming input: files (or stdin) of any size read in chunks, split into lines
 * and documents as they arrive, so that a multi-document YAML file, a JSON-lines
 * file or an audit log of 100,000 objects is never held whole in memory. Each
 * document is parsed on its own (YAML documents with the `yaml` library through
 * parseObjects, JSON lines with JSON.parse after a bounds check), with file,
 * document and line numbers as if the file had been parsed whole.
 */
import {
  expandInputs,
  firstInvalidUtf8,
  type LoadedObject,
  loadObjects,
  MAX_FILE_BYTES,
  MAX_NESTING,
  MAX_SCALAR_CHARS,
  parseObjects,
  parseObjectsWithYaml,
} from "./documents.ts";
import { InputError, IoError, ioFailureText } from "./errors.ts";
import { ListDetector, type ListEnd, ListSplitter } from "./list_stream.ts";

/** Bytes read from the file at a time (the first read, and gzip's). */
const CHUNK_BYTES = 64 * 1024;
/**
 * Bytes read at a time by readTextBatches: larger reads cost fewer calls (a 118 MB List is
 * read in about a fifth of the time 64 KiB reads take); one buffer of it per input open.
 */
const READ_BYTES = 1 << 20;
/**
 * Bytes decoded into one text batch: strings much larger than this outlive V8's young
 * generation (they are kept while their lines are used) and cost more to collect than the
 * reading saves.
 */
const TEXT_BYTES = 64 * 1024;

/** Longest line of a line-oriented input (audit log) accepted, in characters. */
export const MAX_LINE_CHARS = 32 * 1024 * 1024;

/** Options of readLineBatches. */
export interface LineOptions {
  /** Longest line accepted (characters); longer is an InputError naming the line. */
  maxLineChars?: number;
  /** What a line is in the error message about a long one (`line`, `document`). */
  what?: string;
  /** Whether the error about binary data names the line (else only the file, as for a whole file). */
  binaryLine?: boolean;
  /**
   * Awaited before a read that follows a short one (the input had no more at hand: a
   * pipe or a terminal), so that a consumer can finish what it holds before the read
   * blocks.
   */
  beforeWait?: () => Promise<void>;
  /**
   * How many lines the consumer has read so far (every line yielded: it reads all of a batch
   * before it asks for the next), when it counts them: then they are not counted again here
   * (they are only needed for an error's line number).
   */
  linesBefore?: () => number;
}

/** What readLineBatches reads from: a file, stdin, or either decompressed. */
interface Source {
  read(p: Uint8Array): Promise<number | null>;
  close(): void;
}

/** gzip's magic bytes. */
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Opens a file (or stdin for `-`) for reading. Input compressed with gzip (by its first two
 * bytes, whatever its name) is decompressed as it is read (DecompressionStream), so a
 * `.gz` audit log is read directly, in the same bounded memory.
 */
async function open(file: string): Promise<Source> {
  let f: Deno.FsFile | typeof Deno.stdin;
  if (file === "-") f = Deno.stdin;
  else {
    try {
      f = await Deno.open(file);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new InputError({ file }, undefined, "no such file or directory");
      }
      if (e instanceof Deno.errors.IsADirectory) {
        throw new InputError({ file }, undefined, "is a directory, not a file");
      }
      throw new IoError(ioFailureText("read", file, e));
    }
  }
  const close = () => {
    if (file === "-") return;
    try {
      (f as Deno.FsFile).close();
    } catch { /* closed */ }
  };
  // the first bytes decide (a pipe may give fewer than two at first)
  const head = new Uint8Array(CHUNK_BYTES);
  let held = 0;
  try {
    while (held < GZIP_MAGIC.length) {
      const n = await f.read(head.subarray(held));
      if (n === null) break;
      held += n;
    }
  } catch (e) {
    close();
    throw new IoError(ioFailureText("read", file, e));
  }
  const first = head.subarray(0, held);
  if (!GZIP_MAGIC.every((b, i) => first[i] === b)) {
    let pending: Uint8Array | undefined = first.length ? first : undefined;
    return {
      read(p) {
        if (pending) {
          const n = Math.min(p.length, pending.length);
          p.set(pending.subarray(0, n));
          pending = n < pending.length ? pending.subarray(n) : undefined;
          return Promise.resolve(n);
        }
        return f.read(p);
      },
      close,
    };
  }
  const compressed = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(first.slice());
    },
    async pull(controller) {
      const buf = new Uint8Array(CHUNK_BYTES);
      const n = await f.read(buf);
      if (n === null) controller.close();
      else controller.enqueue(buf.subarray(0, n));
    },
  }, { highWaterMark: 0 });
  const gunzip = new DecompressionStream("gzip") as unknown as ReadableWritablePair<
    Uint8Array,
    Uint8Array
  >;
  const reader = compressed.pipeThrough(gunzip).getReader();
  let rest: Uint8Array | undefined;
  return {
    async read(p) {
      while (!rest?.length) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          if (e instanceof TypeError) {
            throw new InputError({ file }, undefined, `not valid gzip data (${e.message})`);
          }
          throw e;
        }
        if (r.done) return null;
        rest = r.value;
      }
      const n = Math.min(p.length, rest.length);
      p.set(rest.subarray(0, n));
      rest = rest.subarray(n);
      return n;
    },
    close() {
      reader.cancel().catch(() => {});
      close();
    },
  };
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < end; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * Reads a file (or stdin for `-`) in chunks and yields its lines (without the
 * `\n`; a `\r` before it stays), in batches: every complete line of one chunk.
 * UTF-8 is decoded strictly (a BOM is dropped); a NUL byte (binary data), an
 * invalid UTF-8 sequence or a line longer than `maxLineChars` is an InputError
 * naming the line. Memory holds one chunk and one line.
 */
export async function* readLineBatches(
  file: string,
  opts: LineOptions = {},
): AsyncGenerator<string[]> {
  for await (const text of readTextBatches(file, opts)) {
    const lines = text.split("\n");
    if (text.endsWith("\n")) lines.pop();
    yield lines;
  }
}

/**
 * readLineBatches' batches as text: every complete line of one chunk, each with its `\n`
 * (the input's last line without one, if it has none), so that a reader can take many lines
 * at once (a List's items). Same decoding, limits and errors.
 */
export async function* readTextBatches(
  file: string,
  opts: LineOptions = {},
): AsyncGenerator<string> {
  const max = opts.maxLineChars ?? MAX_LINE_CHARS;
  const f = await open(file);
  const buf = new Uint8Array(READ_BYTES);
  /** Lines completed before the current chunk (counted here when not by the consumer). */
  let counted = 0;
  const linesBefore = opts.linesBefore ?? (() => counted);
  /** Offset in the input of the next bytes decoded. */
  let offset = 0;
  /** Bytes at buf's start that the last read left: the start of a character not complete. */
  let carry = 0;
  /** The start of a line not complete yet, in pieces. */
  let pending: string[] = [];
  let pendingChars = 0;
  const tooLong = (line: number) =>
    new InputError(
      { file, line },
      undefined,
      `${opts.what ?? "line"} longer than ${max} characters`,
    );
  let short = false;
  try {
    while (true) {
      let n: number | null;
      if (short && opts.beforeWait) await opts.beforeWait();
      try {
        n = await f.read(buf.subarray(carry));
      } catch (e) {
        if (e instanceof InputError) throw e;
        throw new IoError(ioFailureText("read", file, e));
      }
      short = n !== null && n < buf.length - carry;
      const end = carry + (n ?? 0);
      // decoded up to the last whole character (at the end of the input: all of it), in
      // pieces of about TEXT_BYTES
      const whole = n === null ? end : wholeCharacters(buf, end);
      let from = 0;
      do {
        const bytes = buf.subarray(
          from,
          whole - from > TEXT_BYTES ? wholeCharacters(buf, from + TEXT_BYTES) : whole,
        );
        from += bytes.length;
        const text = decodeChunk(bytes, offset === 0);
        offset += bytes.length;
        const last = text.lastIndexOf("\n");
        if (last < 0) {
          if (text.length) {
            pending.push(text);
            pendingChars += text.length;
            if (pendingChars > max) throw tooLong(linesBefore() + 1);
          }
          continue;
        }
        // the lines this piece completes, each checked against the limit
        if (pendingChars + text.indexOf("\n") > max) throw tooLong(linesBefore() + 1);
        let lines = 1;
        if (text.length > max) {
          for (let start = text.indexOf("\n") + 1; start <= last; lines++) {
            const nl = text.indexOf("\n", start);
            if (nl - start > max) throw tooLong(linesBefore() + lines + 1);
            start = nl + 1;
          }
        } else if (opts.linesBefore === undefined) {
          for (let nl = text.indexOf("\n") + 1; nl <= last; lines++) {
            nl = text.indexOf("\n", nl) + 1;
          }
        }
        const body = last === text.length - 1 ? text : text.slice(0, last + 1);
        const done = pending.length ? pending.join("") + body : body;
        pending = last === text.length - 1 ? [] : [text.slice(last + 1)];
        pendingChars = text.length - last - 1;
        if (pendingChars > max) {
          if (opts.linesBefore !== undefined) {
            // counted only now (the consumer has not read these lines yet)
            lines = 0;
            for (let nl = 0; nl <= last; lines++) nl = text.indexOf("\n", nl) + 1;
          }
          throw tooLong(linesBefore() + lines + 1);
        }
        counted += lines;
        yield done;
      } while (from < whole);
      if (n === null) {
        if (pending.length) yield pending.join("");
        return;
      }
      buf.copyWithin(0, whole, end);
      carry = end - whole;
    }
  } finally {
    f.close();
  }

  /**
   * The text of whole characters at `offset` of the input (`first`: at its start, where a
   * BOM is dropped); a NUL byte or bytes that are not UTF-8 are an InputError naming the line.
   */
  function decodeChunk(bytes: Uint8Array, first: boolean): string {
    const bom = first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    const body = bom ? bytes.subarray(3) : bytes;
    let text = decoder.decode(body);
    const line = (at: number) => linesBefore() + 1 + countNewlines(bytes, at);
    if (text.includes("\0")) {
      const nul = bytes.indexOf(0);
      throw new InputError(
        opts.binaryLine === false ? { file } : { file, line: line(nul) },
        undefined,
        `binary data (NUL byte at offset ${offset + nul}), not YAML or JSON`,
      );
    }
    // the lenient decoder made U+FFFD of what is not UTF-8; a real U+FFFD is left as it is
    if (text.includes("\uFFFD")) {
      try {
        text = strictDecoder.decode(body);
      } catch {
        const bad = firstInvalidUtf8(bytes);
        throw new InputError(
          { file, line: line(bad) },
          undefined,
          `invalid UTF-8 near byte offset ${offset + bad}`,
        );
      }
    }
    return text;
  }
}

/**
 * UTF-8 decoders: the lenient one (fast: a chunk that is whole characters, decoded on its own)
 * and the strict one, which says whether a U+FFFD the lenient one gave was in the input.
 * Neither drops a BOM (readTextBatches drops one at the input's start).
 */
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * How many of the first `end` bytes of `bytes` are whole UTF-8 characters: all but the start
 * of a character the next read completes (a lead byte and fewer continuation bytes than it
 * announces, at the end). Invalid bytes count as whole (the decoder finds them).
 */
function wholeCharacters(bytes: Uint8Array, end: number): number {
  let i = end - 1;
  while (i >= 0 && end - i <= 3 && (bytes[i] & 0xc0) === 0x80) i--;
  if (i < 0) return end;
  const b = bytes[i];
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return end - i >= need ? end : i;
}

/** Yields the lines of a file one at a time (see readLineBatches). */
export async function* readLines(file: string, opts: LineOptions = {}): AsyncGenerator<string> {
  for await (const batch of readLineBatches(file, opts)) yield* batch;
}

/**
 * A problem with one JSON text that JSON.parse accepts but a Kubernetes object
 * reader must not: a duplicate key, nesting deeper than MAX_NESTING, a string
 * longer than MAX_SCALAR_CHARS. `offset` is where it starts. One linear pass;
 * the text must be valid JSON.
 */
export function jsonProblem(
  text: string,
  maxNesting = MAX_NESTING,
): { offset: number; detail: string } | undefined {
  // Keys of each open mapping (null for a sequence); a few keys are compared one by one.
  const stack: (string[] | Set<string> | null)[] = [];
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20) continue; // white space (most of a pretty-printed text)
    if (c === 0x22 /* " */) {
      // The closing quote: the next one not preceded by an odd number of backslashes.
      let j = text.indexOf('"', i + 1);
      while (j > 0 && text.charCodeAt(j - 1) === 0x5c) {
        let b = j - 1;
        while (text.charCodeAt(b) === 0x5c) b--;
        if ((j - 1 - b) % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      if (j < 0) return undefined; // not valid JSON; JSON.parse has said so
      // Counted with the quotes, as the YAML reader counts a quoted scalar.
      if (j - i + 1 > MAX_SCALAR_CHARS) {
        return {
          offset: i,
          detail: `a single value of ${
            j - i + 1
          } characters (more than ${MAX_SCALAR_CHARS}, the API server's request size limit)`,
        };
      }
      const keys = stack[stack.length - 1];
      if (keyNext && keys) {
        const raw = text.slice(i + 1, j);
        const key = raw.includes("\\") ? JSON.parse(`"${raw}"`) as string : raw;
        if (Array.isArray(keys) ? keys.includes(key) : keys.has(key)) {
          return { offset: i, detail: `duplicate key ${JSON.stringify(key)} in a mapping` };
        }
        if (!Array.isArray(keys)) keys.add(key);
        else if (keys.length < 16) keys.push(key);
        else stack[stack.length - 1] = new Set([...keys, key]);
      }
      keyNext = false;
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxNesting) {
        return {
          offset: i,
          detail: `nesting deeper than ${maxNesting} levels (no Kubernetes object is that deep)`,
        };
      }
      stack.push(c === 0x7b ? [] : null);
      keyNext = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      keyNext = stack[stack.length - 1] !== null && stack.length > 0;
    }
  }
  return undefined;
}

/** A line holding a YAML document marker (`---` or `...` at column 0, then a space or nothing). */
function marker(line: string): "start" | "end" | undefined {
  const c = line.charCodeAt(0);
  if (c !== 0x2d && c !== 0x2e) return undefined;
  const m = c === 0x2d ? "---" : "...";
  if (!line.startsWith(m)) return undefined;
  const next = line.charCodeAt(3);
  if (line.length > 3 && next !== 0x20 && next !== 0x09 && next !== 0x0d) return undefined;
  return c === 0x2d ? "start" : "end";
}

/** Whether YAML text holds more than blank lines, comments and directives. */
function hasContent(lines: readonly string[]): boolean {
  for (const l of lines) {
    const t = l.trimStart();
    if (t === "" || t.startsWith("#")) continue;
    if (t.startsWith("%") && t.length === l.length) continue;
    return true;
  }
  return false;
}

/** One YAML document's text and where it starts in its file. */
export interface DocumentPiece {
  text: string;
  /** Lines before it in the file. */
  lines: number;
}

/**
 * Splits a YAML stream, line by line, into one text per document: a new one
 * begins at a `---` line and ends after a `...` line (both at column 0, where
 * the YAML spec forbids them inside a document). Comments and directives
 * before a `---` stay with the document they precede.
 */
export class YamlSplitter {
  #lines: string[] = [];
  #chars = 0;
  #first = 0;
  #lineNo = 0;

  /** `lines`: lines of the file before the first one pushed. */
  constructor(readonly file: string, readonly maxChars = MAX_FILE_BYTES, lines = 0) {
    this.#first = this.#lineNo = lines;
  }

  /** Adds the next line; returns the document it completes, if any. */
  push(line: string): DocumentPiece | undefined {
    const m = marker(line);
    let done: DocumentPiece | undefined;
    if (m === "start" && hasContent(this.#lines)) done = this.#take();
    this.#lines.push(line);
    this.#chars += line.length + 1;
    this.#lineNo++;
    if (this.#chars > this.maxChars) {
      throw new InputError(
        { file: this.file, line: this.#first + 1 },
        undefined,
        `a YAML document larger than ${this.maxChars} characters`,
      );
    }
    if (m === "end") return done ?? this.#take();
    return done;
  }

  /** Whether the document so far holds more than blank lines, comments and directives. */
  hasContent(): boolean {
    return hasContent(this.#lines);
  }

  /**
   * Takes the document's lines so far (for a ListSplitter to go on with), with the lines
   * before it and its characters; the next line pushed starts a document after them.
   */
  takeLines(): { lines: string[]; first: number; chars: number } {
    const out = { lines: this.#lines, first: this.#first, chars: this.#chars };
    this.#first = this.#lineNo;
    this.#lines = [];
    this.#chars = 0;
    return out;
  }

  /** The last document at the end of input, if it holds more than comments. */
  end(): DocumentPiece | undefined {
    return hasContent(this.#lines) ? this.#take() : undefined;
  }

  #take(): DocumentPiece {
    const piece = { text: this.#lines.join("\n") + "\n", lines: this.#first };
    this.#first = this.#lineNo;
    this.#lines = [];
    this.#chars = 0;
    return piece;
  }
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** A line of JSON holding one mapping, parsed; undefined when it is not. */
function jsonMapping(line: string): Record<string, unknown> | undefined {
  let i = 0;
  let j = line.length - 1;
  while (i <= j && isJsonSpace(line.charCodeAt(i))) i++;
  while (j >= i && isJsonSpace(line.charCodeAt(j))) j--;
  if (line.charCodeAt(i) !== 0x7b /* { */ || line.charCodeAt(j) !== 0x7d /* } */) return undefined;
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON line as a Kubernetes object, or undefined when the YAML reader must decide. */
function fastJsonObject(line: string): Record<string, unknown> | undefined {
  const value = jsonMapping(line);
  const kind = value?.kind;
  if (typeof kind === "string" && kind.endsWith("List")) return undefined; // flattened by parseObjects
  return value;
}

/**
 * One document of a streamed file, not parsed yet: a YAML document's text, or one
 * line of a JSON-lines file. Plain data (it can be posted to a worker); parseDocument
 * turns it into objects anywhere.
 */
export interface DocumentText {
  file: string;
  /**
   * `audit-event`: a line of an audit log (workloads/audit_log.ts reads it, not parseDocument).
   * `json-list-item`, `yaml-list-item`: one item of a List (list_stream.ts), its lines as in
   * the file (see parseListItem).
   */
  format: "yaml" | "json-line" | "audit-event" | "json-list-item" | "yaml-list-item";
  text: string;
  /** Lines of the file before it. */
  lines: number;
  /** Documents of the file before it. */
  documents: number;
  /** A List's item: its index in `items`. */
  item?: number;
  /**
   * Its file was found in a directory and `--strict` is off: a document that is not a
   * Kubernetes object, or only part of one, is skipped with a warning (extractDocument).
   */
  lenient?: boolean;
}

/**
 * Splits one file (or stdin) into its documents as it is read: a YAML stream of any
 * number of documents, or JSON lines (one object per line, recognised when the first
 * line that is not blank or a comment is a whole JSON object). One document is in
 * memory at a time. `blank` is set when the file held nothing but blank lines (for the
 * empty-input message); `beforeWait` is readLineBatches' option.
 */
export function streamDocuments(
  file: string,
  state: { blank: boolean; beforeWait?: () => Promise<void> } = { blank: true },
): AsyncGenerator<DocumentText> {
  return splitDocuments(file, state, false) as AsyncGenerator<DocumentText>;
}

/**
 * streamDocuments, except that a List document (as `kubectl get -o json|yaml` prints one,
 * see list_stream.ts) is given item by item as it is read, each item a document of its own
 * (`json-list-item`, `yaml-list-item`), and then a ListEnd, which says whether the items are
 * the List's objects or the whole document must be read again (readDocumentLines). Memory
 * holds one item and the List's lines that are not items', except for input that cannot be
 * read again (stdin, pipes, FIFOs): there the List's whole text is also kept for the ListEnd,
 * within the bound of a document (MAX_FILE_BYTES characters, as when it is not split).
 */
export function streamDocumentsAndListItems(
  file: string,
  state: { blank: boolean; beforeWait?: () => Promise<void> } = { blank: true },
): AsyncGenerator<DocumentText | ListEnd> {
  return splitDocuments(file, state, true);
}

/** Whether a path is a regular file, which can be read again (not stdin, a pipe, a device). */
async function rereadable(file: string): Promise<boolean> {
  if (file === "-") return false;
  try {
    return (await Deno.stat(file)).isFile;
  } catch {
    return false; // open() says what is wrong with it
  }
}

async function* splitDocuments(
  file: string,
  state: { blank: boolean; beforeWait?: () => Promise<void> },
  lists: boolean,
): AsyncGenerator<DocumentText | ListEnd> {
  let mode: "unknown" | "yaml" | "json" = "unknown";
  let splitter = new YamlSplitter(file);
  let documents = 0;
  let lineNo = 0;
  state.blank = true;
  const keep = lists && !await rereadable(file);
  let detector = new ListDetector();
  let list: ListSplitter | undefined;
  const yamlPiece = (piece: DocumentPiece): DocumentText => ({
    file,
    format: "yaml",
    text: piece.text,
    lines: piece.lines,
    documents: documents++,
  });
  function* finishList(): Generator<DocumentText | ListEnd> {
    const { item, end } = list!.end();
    list = undefined;
    detector = new ListDetector();
    documents++;
    if (item) yield item;
    yield end;
  }
  for await (
    const text of readTextBatches(file, {
      maxLineChars: MAX_FILE_BYTES,
      what: "document line",
      binaryLine: false,
      beforeWait: state.beforeWait,
      linesBefore: () => lineNo,
    })
  ) {
    // whether a line of the text may be a document marker (`---`, `...`)
    const markers = text.startsWith("---") || text.startsWith("...") ||
      text.includes("\n---") || text.includes("\n...");
    for (let pos = 0; pos < text.length;) {
      const at = pos;
      if (list !== undefined) {
        // the lines inside a List's item, many at once
        const took = list.take(text, pos, markers);
        if (took) {
          pos = took.pos;
          lineNo += took.lines;
          continue;
        }
      }
      let nl = text.indexOf("\n", pos);
      if (nl < 0) nl = text.length;
      const line = text.slice(pos, nl);
      pos = nl + 1;
      lineNo++;
      if (list !== undefined) {
        // in a List's document: any line but a document marker is the List's
        const c = line.charCodeAt(0);
        if ((c !== 0x2d && c !== 0x2e) || marker(line) === undefined) {
          const item = list.push(line, text, at);
          if (item) yield item;
          continue;
        }
      }
      if (mode === "unknown") {
        const t = line.trim();
        if (t !== "") state.blank = false;
        if (t !== "" && !t.startsWith("#")) {
          mode = jsonMapping(line) ? "json" : "yaml";
        }
      }
      if (mode === "json") {
        const m = marker(line);
        if (m === "end") continue; // the document on the line before is complete anyway
        if (m === "start") {
          // A YAML stream whose first document is a one-line flow mapping (`{}`): YAML from here.
          mode = "yaml";
          splitter = new YamlSplitter(file, MAX_FILE_BYTES, lineNo - 1);
        }
      }
      if (mode === "json") {
        const t = line.trimStart();
        if (t === "" || t.startsWith("#")) continue;
        // A lone `\r` (of a CRLF line end) is not a line break to the YAML reader.
        const text = line.endsWith("\r") ? line.slice(0, -1) : line;
        yield { file, format: "json-line", text, lines: lineNo - 1, documents: documents++ };
        continue;
      }
      const m = marker(line);
      if (list) {
        if (m === "end") {
          list.push(line);
          yield* finishList();
          splitter = new YamlSplitter(file, MAX_FILE_BYTES, lineNo);
          continue;
        }
        // `---`: the next document starts with this line
        yield* finishList();
        splitter = new YamlSplitter(file, MAX_FILE_BYTES, lineNo - 1);
      }
      if (lists) {
        if (m === "start" && splitter.hasContent()) detector = new ListDetector();
        const start = m === "end" ? undefined : detector.push(line);
        if (start) {
          const head = splitter.takeLines();
          list = new ListSplitter({
            file,
            documents,
            header: head.lines,
            firstLine: head.first,
            chars: head.chars,
            maxChars: MAX_FILE_BYTES,
            keep,
          }, start);
          const item = list.push(line);
          if (item) yield item;
          continue;
        }
      }
      const piece = splitter.push(line);
      if (piece) yield yamlPiece(piece);
      if (m === "end") detector = new ListDetector();
    }
  }
  if (mode !== "json") {
    if (list) yield* finishList();
    else {
      const piece = splitter.end();
      if (piece) yield yamlPiece(piece);
    }
  }
}

/**
 * Lines `from` (0-based) up to `to` of a file, joined as YamlSplitter joins a document's: the
 * text of a List document streamed item by item, read again when it must be read whole.
 */
export async function readDocumentLines(file: string, from: number, to: number): Promise<string> {
  const lines: string[] = [];
  let lineNo = 0;
  for await (
    const batch of readLineBatches(file, {
      maxLineChars: MAX_FILE_BYTES,
      what: "document line",
      binaryLine: false,
      linesBefore: () => lineNo,
    })
  ) {
    for (const line of batch) {
      if (lineNo >= from && lineNo < to) lines.push(line);
      lineNo++;
    }
    if (lineNo >= to) break;
  }
  return lines.join("\n") + "\n";
}

/** The error for a file that held no Kubernetes object. */
export function emptyInputError(file: string, blank: boolean): InputError {
  return new InputError(
    { file },
    undefined,
    blank
      ? "empty input: no Kubernetes objects"
      : "empty input: no Kubernetes objects (only blank documents or comments)",
  );
}

/**
 * The Kubernetes objects of one streamed document, with file, document and line
 * numbers as if the file had been parsed whole (none for a blank YAML document).
 * JSON-lines objects locate their fields lazily (by parsing their line again when asked).
 */
export function parseDocument(doc: DocumentText): LoadedObject[] {
  const { file, text } = doc;
  if (doc.format === "audit-event") throw new Error("an audit event is read by readAuditLine");
  if (doc.format === "json-list-item" || doc.format === "yaml-list-item") {
    return [parseListItem(doc)];
  }
  if (doc.format === "yaml") {
    return parseObjects(text, file, {
      documents: doc.documents,
      lines: doc.lines,
      allowEmpty: true,
    });
  }
  const at = doc.lines + 1;
  const document = doc.documents + 1;
  const obj = fastJsonObject(text);
  if (!obj) {
    // Not plain JSON (YAML flow syntax, a List, a syntax error): the YAML reader decides.
    return parseObjects(text, file, { documents: doc.documents, lines: doc.lines });
  }
  const problem = jsonProblem(text);
  if (problem) {
    throw new InputError(
      { file, document, line: at, column: problem.offset + 1 },
      undefined,
      problem.detail,
    );
  }
  let located: LoadedObject | undefined;
  return [{
    object: obj,
    source: { file, document, line: at, column: 1 },
    locate(path) {
      try {
        // Positions come from the yaml library (the fast path of parseObjects would defer to it).
        located ??= parseObjectsWithYaml(text, file, {
          documents: doc.documents,
          lines: doc.lines,
        })[0];
      } catch {
        return undefined; // JSON.parse read it; a position is only a nicety
      }
      return located?.locate(path);
    },
  }];
}

/**
 * A List's item read on its own could not be taken for what it is in the whole List (it does
 * not read alone, or reads but is not a Kubernetes object, or the fast JSON reading was not
 * sure): the List's document must be read whole. Not an InputError: it is no answer.
 */
export class ListItemUnsure extends Error {
  constructor(readonly item: number) {
    super(`item ${item} of a List must be read with its whole document`);
  }
}

/**
 * Characters where JSON.parse and the YAML readers may read a JSON text differently, or
 * that need a look the fast JSON reading does not take: controls (`\r` and tabs too), DEL and
 * C1 controls, non-ASCII spaces and line breaks, BOMs, non-characters, surrogates.
 */
const JSON_ODD =
  // deno-lint-ignore no-control-regex
  /[\x00-\x09\x0b-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\ufffe\uffff\ud800-\udfff]/;

/** Keys of every mapping of a parsed JSON value, or -1 when collections nest `max` deep. */
function keysIn(value: unknown, depth: number, max: number): number {
  if (typeof value !== "object" || value === null) return 0;
  if (depth >= max) return -1;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) {
      const k = keysIn(v, depth + 1, max);
      if (k < 0) return -1;
      n += k;
    }
    return n;
  }
  for (const key in value) {
    const k = keysIn((value as Record<string, unknown>)[key], depth + 1, max);
    if (k < 0) return -1;
    n += k + 1;
  }
  return n;
}

/** An exponent of three or more digits: out of range, YAML keeps the text, JSON.parse not. */
const JSON_BIG_EXPONENT = /[0-9][eE][-+]?[0-9]{3}/;
/** A long line that keeps its key short (the YAML readers limit an implicit key to 1024). */
const JSON_LONG_LINE_OK = /^ *"[^"\\]{0,900}": /;

/** screenJsonItem: the item must be read by the YAML readers. */
export const NOT_FAST = -1;
/** screenJsonItem: a key (or a string) is followed by white space before a `:`. */
export const SPACED_KEY = -2;

function isLineSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a;
}

/** ASCII characters screenJsonItem looks at (the others it passes over). */
const SCREENED = new Uint8Array(0x80);
for (let c = 0; c < 0x20; c++) SCREENED[c] = 1;
for (const c of '"-<_eE\x7f') SCREENED[c.charCodeAt(0)] = 1;

/**
 * Whether the `-0` at `i` of a text without JSON_ODD characters is a number (an integer zero
 * to YAML, negative zero to JSON.parse): where `/[:[,]\s*-0\s*[,\]}\n]/` matches it.
 */
function negativeZeroAt(text: string, i: number): boolean {
  let j = i - 1;
  while (isLineSpace(text.charCodeAt(j))) j--;
  const before = text.charCodeAt(j);
  if (before !== 0x3a /* : */ && before !== 0x5b /* [ */ && before !== 0x2c /* , */) return false;
  let k = i + 2;
  while (text.charCodeAt(k) === 0x20) k++;
  const after = text.charCodeAt(k);
  return after === 0x2c || after === 0x5d /* ] */ || after === 0x7d /* } */ || after === 0x0a;
}

/**
 * One pass over a JSON List item's text for what fastJsonItem must know before JSON.parse:
 * NOT_FAST where it holds a JSON_ODD character, a JSON_BIG_EXPONENT, a merge key (`<<`), a
 * `"__proto__"` key, a `-0` number (negativeZeroAt), or a line over 1000 characters that is not
 * JSON_LONG_LINE_OK; else SPACED_KEY where a `"` is followed by white space and a `:`; else the
 * number of `":` (a key's end, or an escaped quote before a colon). One pass instead of one
 * per expression: the rare ones are run only where the pass saw what they look for. An ASCII
 * text (most) is looked at as bytes (TextEncoder.encodeInto), faster than character by character.
 */
export function screenJsonItem(text: string): number {
  const n = text.length;
  if (n > SCREEN_BYTES_MAX) return screenChars(text);
  if (screenBytes.length < n) screenBytes = new Uint8Array(Math.max(n, screenBytes.length * 2));
  const { read, written } = screenEncoder.encodeInto(text, screenBytes);
  // not ASCII (a character took more than one byte, or did not fit): character by character
  if (read !== n || written !== n) return screenChars(text);
  const b = screenBytes;
  let marks = 0;
  let spaced = false;
  let exponent = false;
  let special = false;
  let negativeZero = false;
  let lineStart = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (SCREENED[c] === 0) continue;
    if (c === 0x0a) {
      if (i - lineStart > 1000 && !JSON_LONG_LINE_OK.test(text.slice(lineStart, i))) {
        return NOT_FAST;
      }
      lineStart = i + 1;
    } else if (c < 0x20 || c === 0x7f) return NOT_FAST; // JSON_ODD's ASCII characters
    else if (c === 0x22 /* " */) {
      const next = i + 1 < n ? b[i + 1] : 0;
      if (next === 0x3a /* : */) marks++;
      else if (!spaced && (next === 0x20 || next === 0x0a)) {
        // JSON_SPACED_KEY's white space is only these in ASCII without JSON_ODD
        let j = i + 2;
        while (j < n && (b[j] === 0x20 || b[j] === 0x0a)) j++;
        if (j < n && b[j] === 0x3a) spaced = true;
      }
    } else if (c === 0x2d /* - */) {
      if (b[i + 1] === 0x30 /* 0 */ && i + 1 < n && negativeZeroAt(text, i)) negativeZero = true;
    } else if (c === 0x65 || c === 0x45 /* e E */) {
      const p = i > 0 ? b[i - 1] : 0;
      if (p >= 0x30 && p <= 0x39) exponent = true;
    } else if (i + 1 < n && b[i + 1] === c) special = true; // `<<`, `__`
  }
  if (n - lineStart > 1000 && !JSON_LONG_LINE_OK.test(text.slice(lineStart))) return NOT_FAST;
  if (
    (exponent && JSON_BIG_EXPONENT.test(text)) || negativeZero ||
    (special && (text.includes("<<") || text.includes('"__proto__"')))
  ) return NOT_FAST;
  return spaced ? SPACED_KEY : marks;
}

/** Texts longer than this are screened character by character (no buffer that large). */
const SCREEN_BYTES_MAX = 1 << 20;
const screenEncoder = new TextEncoder();
let screenBytes = new Uint8Array(1 << 14);

/** screenJsonItem character by character (a text that is not ASCII). */
function screenChars(text: string): number {
  const n = text.length;
  let marks = 0;
  let spaced = false;
  let wide = false;
  let exponent = false;
  let special = false;
  let negativeZero = false;
  let lineStart = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x7f) {
      wide = true; // JSON_ODD decides
      continue;
    }
    if (SCREENED[c] === 0) continue;
    if (c === 0x0a) {
      if (i - lineStart > 1000 && !JSON_LONG_LINE_OK.test(text.slice(lineStart, i))) {
        return NOT_FAST;
      }
      lineStart = i + 1;
    } else if (c < 0x20) return NOT_FAST; // JSON_ODD's controls
    else if (c === 0x22 /* " */) {
      const next = text.charCodeAt(i + 1);
      if (next === 0x3a /* : */) marks++;
      else if (!spaced && isLineSpace(next)) {
        // JSON_SPACED_KEY's white space is only these when the text has no JSON_ODD
        let j = i + 2;
        while (isLineSpace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === 0x3a) spaced = true;
      }
    } else if (c === 0x2d /* - */) {
      if (text.charCodeAt(i + 1) === 0x30 /* 0 */ && negativeZeroAt(text, i)) negativeZero = true;
    } else if (c === 0x65 || c === 0x45 /* e E */) {
      const p = text.charCodeAt(i - 1);
      if (p >= 0x30 && p <= 0x39) exponent = true;
    } else if (text.charCodeAt(i + 1) === c) special = true; // `<<`, `__`
  }
  if (n - lineStart > 1000 && !JSON_LONG_LINE_OK.test(text.slice(lineStart))) return NOT_FAST;
  if (
    (wide && JSON_ODD.test(text)) || (exponent && JSON_BIG_EXPONENT.test(text)) ||
    negativeZero || (special && (text.includes("<<") || text.includes('"__proto__"')))
  ) return NOT_FAST;
  return spaced ? SPACED_KEY : marks;
}

/**
 * A JSON List item read with JSON.parse, when that gives what the YAML readers give for it in
 * its List (see parseListItem), else undefined.
 */
function fastJsonItem(doc: DocumentText): LoadedObject | undefined {
  const { text, file } = doc;
  const marks = screenJsonItem(text);
  if (marks === NOT_FAST) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  // What jsonProblem looks for (the item lies two levels deep in its List), told cheaply when
  // every key is right before its `:` and the text has as many `":` as the value has keys: a
  // key read twice would leave the value fewer (a `":` in a string sends it to jsonProblem).
  const keys = keysIn(value, 0, MAX_NESTING - 2);
  if (keys < 0 || text.length > MAX_SCALAR_CHARS || marks !== keys) {
    if (jsonProblem(text, MAX_NESTING - 2)) return undefined;
  }
  const at = { documents: doc.documents, lines: doc.lines, item: doc.item };
  let located: LoadedObject | undefined;
  return {
    object: value as Record<string, unknown>,
    source: {
      file,
      document: doc.documents + 1,
      item: doc.item,
      line: doc.lines + 1,
      column: text.indexOf("{") + 1,
    },
    locate(path) {
      try {
        located ??= parseObjectsWithYaml(text, file, at)[0];
      } catch {
        return undefined;
      }
      return located?.locate(path);
    },
  };
}

/**
 * One item of a List streamed item by item (list_stream.ts): its object, with its source and
 * field positions as the whole List gives them (the item's lines are the file's, so lines and
 * columns are). The item is read as the whole document's reader reads it (parseObjects, with
 * the nesting of the List above it; JSON items with JSON.parse where that gives the same);
 * anything else (an error, not a mapping) is a ListItemUnsure: the whole document decides.
 */
export function parseListItem(doc: DocumentText): LoadedObject {
  const item = doc.item ?? 0;
  if (doc.format === "json-list-item") {
    const fast = fastJsonItem(doc);
    if (fast) return fast;
  }
  try {
    const out = parseObjects(doc.text, doc.file, {
      documents: doc.documents,
      lines: doc.lines,
      item,
    });
    if (out.length === 1) return out[0];
  } catch {
    // the whole document gives the error, if there is one
  }
  throw new ListItemUnsure(item);
}

/**
 * Streams the Kubernetes objects of one file (or stdin): streamDocuments, then
 * parseDocument for each. Objects come out as parseObjects would give them for the
 * whole file (same document numbers, lines and errors), one document in memory at a
 * time. A file without objects is an InputError.
 */
export async function* streamObjects(file: string): AsyncGenerator<LoadedObject> {
  const state = { blank: true };
  let objects = 0;
  for await (const doc of streamDocuments(file, state)) {
    const out = parseDocument(doc);
    objects += out.length;
    yield* out;
  }
  if (objects === 0) throw emptyInputError(file, state.blank);
}

/**
 * The objects of the given paths (files, directories, `-`) as loadObjects reads them, except in
 * files found in directories (unless `strict`): there a document that cannot be read as
 * Kubernetes objects (a syntax error, an unrendered template, not a mapping), and a file with
 * none, is skipped with one warning (`onSkip`: file, document, why) instead of ending the run,
 * as repositories hold kustomize patches, Helm charts and other YAML beside their objects.
 */
export async function loadObjectsFrom(
  paths: readonly string[],
  opts: { recursive?: boolean; strict?: boolean; onSkip: (warning: string) => void },
): Promise<LoadedObject[]> {
  const out: LoadedObject[] = [];
  for (const { file, listed } of await expandInputs(paths, opts.recursive ?? false)) {
    if (!listed || opts.strict) {
      for (const o of await loadObjects([file])) out.push(o);
      continue;
    }
    const state = { blank: true };
    let read = 0;
    for await (const doc of streamDocuments(file, state)) {
      try {
        for (const o of parseDocument(doc)) {
          out.push(o);
          read++;
        }
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        opts.onSkip(`${e.message} (skipped; --strict makes this an error)`);
        read++;
      }
    }
    if (read === 0) {
      opts.onSkip(
        `${emptyInputError(file, state.blank).message} (skipped; --strict makes this an error)`,
      );
    }
  }
  return out;
}
