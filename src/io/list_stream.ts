/**
 * `kind: List` documents (`PodList`, `DeploymentList`, any `*List`) split into their items
 * as lines arrive, for streamDocuments (stream.ts), so that the List `kubectl get -o json|yaml`
 * prints is never held whole: each item becomes a document of its own (`json-list-item`,
 * `yaml-list-item`), and a ListEnd closes the List.
 *
 * A List is recognised by its layout, as kubectl prints it: a root mapping whose `items` key
 * (kubectl prints it before `kind`) opens a block sequence (YAML: `items:` at column 0, then
 * `- ` entries at one indentation) or a JSON array whose items each start with a line `{` and
 * end with a line `}` or `},` at one indentation. Whether the document is a List at all is
 * known only at its end (`kind` comes last): the ListEnd carries the document without its
 * items (the skeleton) and whether the layout held throughout (`regular`), and its reader
 * (src/audit/pool.ts) counts the items only when the skeleton reads as a List and every item
 * read on its own; otherwise it reads the whole document again, as it is read when not split
 * (readDocumentLines), so the result is the same for every input.
 */
import { InputError } from "./errors.ts";
import type { DocumentText } from "./stream.ts";

/** The end of a List document whose items were given one by one. */
export interface ListEnd {
  format: "list-end";
  file: string;
  /** Documents of the file before the List. */
  documents: number;
  /** Lines of the file before the List's document, and up to its end. */
  lines: number;
  endLines: number;
  /** The document without its items' lines (YAML: `items:` with no value; JSON: `[]`). */
  skeleton: string;
  /** Whether the skeleton is JSON (its `items` must read as `[]`, else as null). */
  json: boolean;
  /** Items given. */
  items: number;
  /** The layout held to the end (else not every item was given, and some may be cut wrong). */
  regular: boolean;
  /**
   * The whole document's text, when its input cannot be read again (stdin, a pipe), kept
   * aside while it was read (see TextSpill); within the bound every document has (`maxChars`).
   */
  kept?: TextSpill;
}

/** Characters gathered before they are written to a TextSpill's file. */
const SPILL_CHARS = 1 << 20;

/**
 * The text of a List read from input that cannot be read again (stdin, a pipe), kept until
 * the List's end says whether it must be read whole: in a temporary file, removed as soon as
 * it is open (the open file keeps it, and nothing is left behind whatever happens), else
 * (no temporary directory, or a system that cannot remove an open file) in memory. Memory
 * holds at most SPILL_CHARS of it then.
 */
export class TextSpill {
  #file: Deno.FsFile | undefined;
  #bytes = 0;
  #pieces: string[] = [];
  #chars = 0;
  #memory: string[] = [];

  constructor() {
    let path: string | undefined;
    try {
      path = Deno.makeTempFileSync({ prefix: "falco-psp-list-" });
      this.#file = Deno.openSync(path, { read: true, write: true });
      Deno.removeSync(path);
      path = undefined;
    } catch {
      this.#file?.close();
      this.#file = undefined;
      if (path !== undefined) {
        try {
          Deno.removeSync(path);
        } catch { /* gone */ }
      }
    }
  }

  /** Whether the text goes to a file (not memory). */
  get onDisk(): boolean {
    return this.#file !== undefined;
  }

  /** Adds the next line, or lines joined by `\n` (each ends with a line break in the text). */
  add(lines: string): void {
    this.#pieces.push(lines, "\n");
    this.#chars += lines.length + 1;
    if (this.#chars >= SPILL_CHARS) this.#flush();
  }

  #flush(): void {
    const text = this.#pieces.join("");
    this.#pieces = [];
    this.#chars = 0;
    if (!this.#file) {
      this.#memory.push(text);
      return;
    }
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length;) at += this.#file.writeSync(bytes.subarray(at));
    this.#bytes += bytes.length;
  }

  /** The text kept (its file is closed after). */
  text(): string {
    this.#flush();
    const file = this.#file;
    if (!file) return this.#memory.join("");
    try {
      file.seekSync(0, Deno.SeekMode.Start);
      const bytes = new Uint8Array(this.#bytes);
      for (let at = 0; at < bytes.length;) {
        const n = file.readSync(bytes.subarray(at));
        if (n === null) break;
        at += n;
      }
      return new TextDecoder().decode(bytes);
    } finally {
      this.close();
    }
  }

  /** Lets go of the text. */
  close(): void {
    try {
      this.#file?.close();
    } catch { /* closed */ }
    this.#file = undefined;
    this.#memory = [];
    this.#pieces = [];
  }
}

/** Where a List's items begin: JSON or YAML, and the indentation of their lines. */
export interface ListStart {
  json: boolean;
  indent: number;
}

/** Change of JSON nesting over one line (strings skipped), or undefined for an unclosed string. */
function jsonDepthChange(line: string): number | undefined {
  let d = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      for (; j < line.length; j++) {
        const q = line.charCodeAt(j);
        if (q === 0x5c /* \ */) j++;
        else if (q === 0x22) break;
      }
      if (j >= line.length) return undefined;
      i = j;
    } else if (c === 0x7b || c === 0x5b) d++;
    else if (c === 0x7d || c === 0x5d) d--;
  }
  return d;
}

const YAML_ROOT_KEY = /^[A-Za-z_"'][^:#]*:(?:[ \t]|\r?$)/;
const YAML_ITEMS = /^items:[ \t]*(?:#.*)?\r?$/;
const YAML_ENTRY = /^( *)-(?: |\r?$)/;
const JSON_ITEMS = /^\s*"items"\s*:\s*\[\s*$/;
/** A line break followed by a line that does not start with a space (or by the end). */
const NOT_INDENTED = /\n(?! )/g;

/**
 * Watches the lines of one YAML document (or JSON text) from its start, and says at which
 * line a List's items begin, if they do. Other documents are never recognised: their first
 * content line is not `{` or a root key, or no `items` key opening a block sequence or a JSON
 * array of mappings comes.
 */
export class ListDetector {
  #state: "start" | "json" | "yaml" | "json-items" | "yaml-items" | "no" = "start";
  #depth = 0;

  /** The next line of the document; a ListStart when it is the first line of the first item. */
  push(line: string): ListStart | undefined {
    switch (this.#state) {
      case "no":
        return undefined;
      case "start": {
        const t = line.trim();
        if (t === "" || t.startsWith("#")) return undefined;
        if (line.startsWith("---")) {
          const rest = line.slice(3).trim();
          if (rest !== "" && !rest.startsWith("#")) this.#state = "no";
          return undefined;
        }
        if (t === "{") {
          this.#state = "json";
          this.#depth = 1;
        } else if (YAML_ROOT_KEY.test(line)) {
          this.#state = YAML_ITEMS.test(line) ? "yaml-items" : "yaml";
        } else this.#state = "no";
        return undefined;
      }
      case "json": {
        if (this.#depth === 1 && JSON_ITEMS.test(line)) {
          this.#state = "json-items";
          return undefined;
        }
        const d = jsonDepthChange(line);
        if (d === undefined) this.#state = "no";
        else {
          this.#depth += d;
          if (this.#depth <= 0) this.#state = "no";
        }
        return undefined;
      }
      case "json-items": {
        this.#state = "no";
        if (line.trim() !== "{") return undefined;
        return { json: true, indent: line.indexOf("{") };
      }
      case "yaml":
        if (YAML_ITEMS.test(line)) this.#state = "yaml-items";
        return undefined;
      case "yaml-items": {
        const t = line.trim();
        if (t === "" || t.startsWith("#")) return undefined;
        this.#state = "no";
        const m = YAML_ENTRY.exec(line);
        return m ? { json: false, indent: m[1].length } : undefined;
      }
    }
  }
}

/** What a ListSplitter starts from: the List's document up to its first item. */
export interface ListHead {
  file: string;
  /** Documents of the file before the List. */
  documents: number;
  /** Lines of the document before the first item, and where the document starts. */
  header: string[];
  firstLine: number;
  /** Characters of the document so far (counted as YamlSplitter counts them). */
  chars: number;
  /** The most characters a document may have. */
  maxChars: number;
  /** Keep the whole text (input that cannot be read again). */
  keep: boolean;
}

/**
 * Splits a List's document, from its first item line on, into its items: each item's lines
 * as they are (YAML: the entry's `-` made a space, so the item is a mapping at its own column;
 * JSON: the comma after its `}` dropped), so that lines and columns inside the item are those
 * of the file. Holds one item's lines, and the skeleton (the lines that are not items').
 */
export class ListSplitter {
  readonly #head: ListHead;
  readonly #json: boolean;
  readonly #indent: number;
  #item: string[] = [];
  #itemLine = 0;
  #items = 0;
  #lineNo: number;
  #chars: number;
  /** YAML: items, trailer; JSON: in an item, between items, trailer; `failed` once irregular. */
  #phase: "items" | "between" | "trailer" | "failed";
  /** JSON: the item before ended with `},`. */
  #comma = true;
  readonly #skeleton: string[];
  /**
   * JSON: the text the open item's lines lie in one after another so far (see push), where
   * they start, and where its next line must start; undefined once they do not.
   */
  #src: string | undefined;
  #srcStart = 0;
  #srcNext = 0;
  /** The whole text, when kept. */
  readonly #kept: TextSpill | undefined;
  #open: string;
  #close: string;

  constructor(head: ListHead, start: ListStart) {
    this.#head = head;
    this.#json = start.json;
    this.#indent = start.indent;
    this.#lineNo = head.firstLine + head.header.length;
    this.#chars = head.chars;
    this.#skeleton = [...head.header];
    this.#kept = head.keep ? new TextSpill() : undefined;
    for (const line of head.keep ? head.header : []) this.#kept!.add(line);
    this.#phase = start.json ? "between" : "items";
    this.#open = " ".repeat(start.indent) + "{";
    this.#close = " ".repeat(start.indent) + "}";
  }

  /**
   * Adds the document's next line; returns the item it completes, if any. `text` and `at`:
   * where the line is, if it is in a text (so that a JSON item whose lines all lie one after
   * another in one text is a slice of it, not a copy).
   */
  push(line: string, text?: string, at = 0): DocumentText | undefined {
    this.#count(line);
    const out = this.#json ? this.#pushJson(line, text, at) : this.#pushYaml(line);
    this.#lineNo++;
    return out;
  }

  /** The open item's next `chars` characters are at `at` of `text` (see #src). */
  #follow(text: string | undefined, at: number, chars: number): void {
    if (this.#src !== undefined && text === this.#src && at === this.#srcNext) {
      this.#srcNext += chars;
    } else this.#src = undefined;
  }

  /**
   * Takes, in one piece, the lines of `text` (whole lines) from `pos` on that push would add
   * to the open item one by one: JSON, up to the item's closing line or a document marker;
   * YAML (items at column 0 only), the lines that start with a space. `markers`: `text` may
   * hold a document marker line (else it is not looked for). Returns where it stopped and how many
   * lines it took, or undefined when the line at `pos` is not such a line (push decides).
   */
  take(
    text: string,
    pos: number,
    markers = true,
  ): { pos: number; lines: number } | undefined {
    if (this.#phase !== "items" || (!this.#json && this.#indent !== 0)) return undefined;
    if (text.charCodeAt(pos) !== 0x20 || (this.#json && text.startsWith(this.#close, pos))) {
      return undefined;
    }
    // `stop`: the `\n` that ends the last line taken
    let stop: number;
    /** Lines taken, when counted on the way. */
    let counted = 0;
    if (this.#json) {
      // up to the closing line, or a document marker (a JSON item's other lines are its own):
      // line by line (searching for the closing line's text is slow in indented text)
      const close = this.#close;
      const at = this.#indent + 1;
      stop = -1;
      let last = -1;
      let breaks = 0;
      for (let nl = text.indexOf("\n", pos); nl >= 0; nl = text.indexOf("\n", nl + 1)) {
        if (text.charCodeAt(nl + at) === 0x7d /* } */ && text.startsWith(close, nl + 1)) {
          stop = nl;
          break;
        }
        last = nl;
        breaks++;
      }
      // no closing line: up to the last line break (the text's last line is not complete)
      if (stop < 0) stop = last;
      else breaks++;
      if (stop < pos) return undefined;
      counted = breaks;
      if (markers) {
        const piece = text.slice(pos, stop);
        const dashes = piece.indexOf("\n---");
        const dots = piece.indexOf("\n...");
        if (dashes >= 0) stop = pos + dashes;
        if (dots >= 0 && pos + dots < stop) stop = pos + dots;
        if (dashes >= 0 || dots >= 0) counted = 0;
      }
    } else {
      NOT_INDENTED.lastIndex = pos;
      const m = NOT_INDENTED.exec(text);
      // no match: the text ends with a last line without a line break (push takes it)
      stop = m ? m.index : text.lastIndexOf("\n");
      if (stop < pos) return undefined;
    }
    const piece = text.slice(pos, stop);
    // counted in `text` (flat), not in `piece` (a slice of it, slower to search)
    let lines = counted;
    if (lines === 0) {
      lines = 1;
      for (
        let nl = text.indexOf("\n", pos);
        nl >= 0 && nl < stop;
        nl = text.indexOf("\n", nl + 1)
      ) {
        lines++;
      }
    }
    this.#kept?.add(piece);
    this.#grow(stop + 1 - pos);
    this.#item.push(piece);
    if (this.#json) this.#follow(text, pos, stop + 1 - pos);
    this.#lineNo += lines;
    const end = stop + 1;
    return { pos: end, lines };
  }

  /** The end of the document: its last item, if one is open, and the ListEnd. */
  end(): { item?: DocumentText; end: ListEnd } {
    let item: DocumentText | undefined;
    if (this.#phase === "items" && !this.#json) item = this.#emit();
    else if (this.#phase !== "trailer") this.#phase = "failed";
    const regular = this.#phase !== "failed";
    return {
      ...(item ? { item } : {}),
      end: {
        format: "list-end",
        file: this.#head.file,
        documents: this.#head.documents,
        lines: this.#head.firstLine,
        endLines: this.#lineNo,
        skeleton: regular ? this.#skeleton.join("\n") + "\n" : "",
        json: this.#json,
        items: this.#items,
        regular,
        ...(this.#kept ? { kept: this.#kept } : {}),
      },
    };
  }

  #count(line: string): void {
    this.#kept?.add(line);
    this.#grow(line.length + 1);
  }

  /** Counts characters of the document, refusing more than a document may have. */
  #grow(chars: number): void {
    this.#chars += chars;
    if (this.#chars > this.#head.maxChars) {
      throw new InputError(
        { file: this.#head.file, line: this.#head.firstLine + 1 },
        undefined,
        `a YAML document larger than ${this.#head.maxChars} characters`,
      );
    }
  }

  #pushYaml(line: string): DocumentText | undefined {
    if (this.#phase === "trailer") {
      this.#skeleton.push(line);
      return undefined;
    }
    if (this.#phase === "failed") return undefined;
    const n = this.#indent;
    let i = 0;
    while (line.charCodeAt(i) === 0x20) i++;
    // most lines: inside the item, indented more than its entry's `-`
    if (i > n) {
      this.#item.push(line);
      return undefined;
    }
    const c = line.charCodeAt(i);
    if (i === n && c === 0x2d /* - */) {
      const next = line.charCodeAt(n + 1);
      if (
        n + 1 === line.length || next === 0x20 ||
        (next === 0x0d && n + 2 === line.length)
      ) {
        const done = this.#item.length ? this.#emit() : undefined;
        this.#itemLine = this.#lineNo;
        this.#item.push(`${line.slice(0, n)} ${line.slice(n + 1)}`);
        return done;
      }
    }
    if (i === line.length || c === 0x23 /* # */ || c === 0x09 || c === 0x0d) {
      const rest = line.slice(i).trim();
      if (rest === "" || rest.startsWith("#")) {
        this.#item.push(line);
        return undefined;
      }
    }
    // a line at the sequence's indentation or less that is not an entry: the root's next key
    const done = this.#emit();
    if (i !== 0) this.#phase = "failed";
    else {
      this.#phase = "trailer";
      this.#skeleton.push(line);
    }
    return done;
  }

  #pushJson(line: string, text: string | undefined, at: number): DocumentText | undefined {
    if (this.#phase === "trailer") {
      this.#skeleton.push(line);
      return undefined;
    }
    if (this.#phase === "failed") return undefined;
    const l = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (this.#phase === "items") {
      if (l === this.#close || l === this.#close + ",") {
        this.#comma = l.length > this.#close.length;
        this.#phase = "between";
        this.#follow(text, at, 0);
        if (this.#src !== undefined && l === line) {
          // the item's lines, one slice of the text (without the `,` and the line break)
          this.#item = [];
          return this.#emitText(this.#src.slice(this.#srcStart, at + this.#close.length));
        }
        this.#item.push(
          this.#comma ? line.slice(0, this.#close.length) + line.slice(l.length) : line,
        );
        return this.#emit();
      }
      this.#item.push(line);
      this.#follow(text, at, line.length + 1);
      return undefined;
    }
    // between items
    if (l === this.#open && this.#comma) {
      this.#itemLine = this.#lineNo;
      this.#item.push(line);
      this.#phase = "items";
      this.#src = text;
      this.#srcStart = at;
      this.#srcNext = at + line.length + 1;
      return undefined;
    }
    const t = l.trim();
    if ((t === "]" || t === "],") && !this.#comma && this.#items > 0) {
      this.#phase = "trailer";
      this.#skeleton.push(line);
      return undefined;
    }
    this.#phase = "failed";
    return undefined;
  }

  #emit(): DocumentText | undefined {
    const lines = this.#item;
    this.#item = [];
    if (lines.length === 0) return undefined;
    lines.push(""); // the last line's break, in the same copy (a `+ "\n"` would copy it again)
    return this.#emitText(lines.join("\n"));
  }

  #emitText(text: string): DocumentText {
    return {
      file: this.#head.file,
      format: this.#json ? "json-list-item" : "yaml-list-item",
      text,
      lines: this.#itemLine,
      documents: this.#head.documents,
      item: this.#items++,
    };
  }
}
