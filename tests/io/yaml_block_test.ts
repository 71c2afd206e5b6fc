/**
 * The block YAML reader (src/io/yaml_block.ts) against the `yaml` library path it stands in
 * for: on the layouts kubectl and people write (the oracle and real-world corpora, written as
 * `kubectl get -o yaml` writes them and as documents and Lists), on what it must leave to the
 * other readers, and on seeded mutations of those texts aimed at its line structure
 * (indentation, entries, scalars of every style, literal blocks, comments, markers). Wherever
 * it reads a text, parseObjects (which tries it first) must give what parseObjectsWithYaml
 * gives: objects (values, types, key order), sources, item positions, errors.
 */
import assert from "node:assert/strict";
import { stringify as stringifyYaml } from "yaml";
import {
  type LoadedObject,
  MAX_NESTING,
  MAX_SCALAR_CHARS,
  parseObjects,
  parseObjectsWithYaml,
} from "../../src/io/documents.ts";
import { InputError } from "../../src/io/errors.ts";
import { readBlockYaml } from "../../src/io/yaml_block.ts";
import { fuzzCases, fuzzSeed, Random } from "../fuzz/random.ts";
import { ORACLE_DIR, sharedOrIgnore } from "../support/shared.ts";

const SEED = fuzzSeed();
const LIMITS = { maxNesting: MAX_NESTING, maxScalarChars: MAX_SCALAR_CHARS };
const REALWORLD = sharedOrIgnore("oracle/realworld/corpus.json", import.meta.url);

type Obj = Record<string, unknown>;
const corpus = JSON.parse(await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR))) as {
  pods: Obj[];
  psps: Obj[];
};

/** Everything a reader's answer says, as a string: objects (numbers tagged), sources, errors. */
function outcome(read: () => LoadedObject[]): string {
  try {
    return JSON.stringify(
      read().map((o) => ({ object: o.object, source: o.source })),
      (_k, v) => typeof v === "number" ? { number: Object.is(v, -0) ? "-0" : String(v) } : v,
    );
  } catch (e) {
    return e instanceof InputError ? `InputError ${e.message}` : `${e}`;
  }
}

/**
 * Compares parseObjects with parseObjectsWithYaml on each text (as a document, and as the
 * piece of a stream); returns how many the block reader read, and the mismatches.
 */
function differential(texts: readonly string[]): { read: number; mismatches: string[] } {
  let read = 0;
  const mismatches: string[] = [];
  for (const text of texts) {
    if (readBlockYaml(text, LIMITS, { items: true }) !== undefined) read++;
    for (const at of [{}, { documents: 2, lines: 9 }]) {
      const slow = outcome(() => parseObjectsWithYaml(text, "f.yaml", at));
      const fast = outcome(() => parseObjects(text, "f.yaml", at));
      if (slow !== fast && mismatches.length < 8) {
        mismatches.push(
          `text ${JSON.stringify(text).slice(0, 1500)}\n  yaml: ${slow.slice(0, 500)}\n` +
            `  block: ${fast.slice(0, 500)}`,
        );
      }
    }
  }
  return { read, mismatches };
}

/** An object as `kubectl get -o yaml` writes it (sequences at their key's indentation). */
const kubectl = (o: unknown) => stringifyYaml(o, { indentSeq: false });

/** Objects as one List, as kubectl writes it. */
const kubectlList = (items: unknown[]) =>
  kubectl({ apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } });

/** The object texts users have: each object both ways, and Lists of them. */
function layouts(objects: Obj[]): string[] {
  const texts = objects.flatMap((o) => [kubectl(o), stringifyYaml(o), `---\n${kubectl(o)}`]);
  for (let i = 0; i < objects.length; i += 10) texts.push(kubectlList(objects.slice(i, i + 10)));
  return texts;
}

Deno.test("block YAML: the oracle corpus as kubectl writes it is read, as the yaml library reads it", () => {
  const texts = layouts([...corpus.pods, ...corpus.psps]);
  const { read, mismatches } = differential(texts);
  assert.deepEqual(mismatches, []);
  console.log(`oracle corpus: ${read} of ${texts.length} texts read by the block reader`);
  // the corpus is plain block YAML but for a few hostile values (non-ASCII, multi-line)
  assert.ok(read >= texts.length * 0.9, `${read} of ${texts.length}`);
});

Deno.test({
  name:
    "block YAML: the real-world corpus as kubectl writes it is read, as the yaml library reads it",
  ignore: REALWORLD.ignore,
  fn: async () => {
    const real = JSON.parse(await Deno.readTextFile(REALWORLD.url)) as { pods: Obj[]; psps: Obj[] };
    const texts = layouts([...real.pods, ...real.psps]);
    const { read, mismatches } = differential(texts);
    assert.deepEqual(mismatches, []);
    console.log(`real-world corpus: ${read} of ${texts.length} texts read by the block reader`);
    assert.ok(read >= texts.length * 0.9, `${read} of ${texts.length}`);
  },
});

Deno.test("block YAML: a List's item positions are those the yaml library gives", () => {
  const text = kubectlList(corpus.pods.slice(0, 12));
  const block = readBlockYaml(text, LIMITS, { items: true });
  assert.ok(block?.items, "the List is read with its items' positions");
  const slow = parseObjectsWithYaml(text, "f.yaml");
  assert.deepEqual(
    block.items,
    slow.map((o) => ({ line: o.source.line, column: o.source.column })),
  );
  // an item that is not a mapping: no positions (the `yaml` library path decides the List)
  const mixed = "apiVersion: v1\nitems:\n- a: 1\n- x\nkind: List\n";
  assert.equal(readBlockYaml(mixed, LIMITS, { items: true })?.items, undefined);
  // a List's item read on its own (as streamed: the entry's `-` made a space)
  const item = "  apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n";
  assert.deepEqual(readBlockYaml(item, LIMITS), {
    value: { apiVersion: "v1", kind: "Pod", metadata: { name: "a" } },
    line: 1,
    column: 3,
  });
});

Deno.test("block YAML: literal blocks, quotes, kubectl's scalars and comment lines are read", () => {
  const texts = [
    "a: |\n  x\n  y\nb: 1\n",
    "a: |-\n  x\n\n  y\n\n\nb: 1\n",
    "a: |+\n  x\n\n\nb: 1\n",
    "a: |\n\n  x\n    indented\nb: |\n  z\n",
    "a:\n- |\n  x\n- y\n",
    "a:\n  - |-\n    x\n  - y\n",
    "a: 'it''s'\nb: \"q\\\"\\\\\\n\\t\\r\"\nc: ''\nd: \"\"\n",
    "a: 0755\nb: yes\nc: ~\nd: 1_000\ne: .inf\nf: -0\ng: 0x1F\nh: 1e3\ni: 1.2.3\nj: null\nk:\n",
    "# head\na: 1\n  # indented comment\nb:\n# between\n  c: 2\n",
    "---\na: {}\nb: []\nc: [ ]\n",
    "a: x:y\nb: http://h:80/p#f\nc: a#b\nd: -x\ne: foo[1]\nf: a, b\ng: --\n",
    "a:\n- b: 1\n  c:\n  - d\n  e: 2\n- f: 3\n",
    "a: x\n  continued\n\n   and on\nb:\n- y\n  z\n- w\n", // plain scalars over lines
    "a: wrapped\n  # a comment ends it\nb: 1\n",
  ];
  const { read, mismatches } = differential(texts);
  assert.deepEqual(mismatches, []);
  // the `[ ]` is left to the others; every other text is read here
  assert.equal(read, texts.length - 1);
});

Deno.test("block YAML: what it does not read is left to the other readers", () => {
  const left = [
    "a: {b: 1}\n", // flow collections with content
    "a: [1]\n",
    "a: >\n  folded\n", // folded, indentation indicators, comments on headers
    "a: |2\n   x\n",
    "a: | # c\n  x\n",
    "a: x\n  # c\n  continued\n", // a plain scalar after a comment, multi-line quotes
    "a: 'x\n  y'\n",
    'a: "x\n  y"\n',
    "a: x # comment\n", // comments after content
    "a: 'x' # comment\n",
    "a: &x 1\nb: *x\n", // anchors, aliases, tags, merge keys
    "a: !!str 1\n",
    "<<: {a: 1}\n",
    "%YAML 1.1\n---\na: 1\n", // directives, markers
    "a: 1\n...\n",
    "a: 1\n---\nb: 2\n",
    '"a": 1\n', // quoted, complex, resolved, special and duplicate keys
    "? a\n: 1\n",
    "on: 1\n",
    "1: a\n",
    "__proto__: 1\n",
    "a: 1\na: 2\n",
    "a b: 1\n",
    `${"k".repeat(1001)}: 1\n`,
    "a:\n-\n- x\n", // empty entries, nested entries
    "a:\n- - x\n",
    "- a\n", // not a mapping
    "a:\tb\n", // tabs, \r, controls, non-ASCII
    "a: b\r\n",
    "a: b\x07\n",
    "a: caf\u00e9\n",
    'a: "\\x41"\n', // escapes beyond JSON's
    'a: "\\u0041"\n',
    "a: |\n  x\n  \t\n",
    "a: |\n  x", // a literal block at the end without a line break
    "a: |\n   \n  x\n", // more spaces on a blank line than the content
    "a:\n  b: 1\n c: 2\n", // indentation the yaml library refuses
    "a: 1\n b: 2\n",
    "a: b: c\n",
    "a: x:\n",
    "a: - x\n",
  ];
  for (const text of left) {
    assert.equal(readBlockYaml(text, LIMITS), undefined, JSON.stringify(text));
  }
  // and the other readers agree with the yaml library on them
  assert.deepEqual(differential(left).mismatches, []);
  // limits: nesting as deep as the yaml library path allows, scalars near the length bound
  let deep = "a: 1\n";
  for (let i = 0; i < MAX_NESTING; i++) deep = `k:\n${deep.replace(/^/gm, "  ")}`;
  assert.equal(readBlockYaml(deep, LIMITS), undefined);
  const small = { maxNesting: MAX_NESTING, maxScalarChars: 1100 };
  assert.equal(readBlockYaml(`a: ${"x".repeat(80)}\n`, small), undefined);
  assert.ok(readBlockYaml(`a: ${"x".repeat(70)}\n`, small));
});

/** Scalars and value shapes mutations put in a line's place (tricky for a line reader). */
const VALUES = [
  "|",
  "|-",
  "|+",
  ">",
  "'a''b'",
  "'a",
  '"a\\nb"',
  '"a\\"',
  '"x" y',
  "x: y",
  "x #y",
  "#x",
  "- x",
  "-",
  "--",
  "---",
  "...",
  "{}",
  "[]",
  "{a: 1}",
  "~",
  "0755",
  "yes",
  "NO",
  "1e3",
  "0x1F",
  ".inf",
  "-.5",
  "+1",
  "?x",
  ":x",
  "a:b",
  "@x",
  "%x",
  "`x`",
  "! x",
  "&a x",
  "*a",
  "'",
  '"',
  "",
  "  ",
  "x  ",
  "__proto__",
  "a,b",
];

/** One random edit of a text's lines, aimed at the block reader's structure. */
function mutateLines(r: Random, lines: string[]): void {
  const i = r.int(lines.length);
  const line = lines[i] ?? "";
  const indent = line.length - line.trimStart().length;
  const pad = " ".repeat(indent);
  switch (r.int(12)) {
    case 0: // indentation off by one or two either way
      lines[i] = " ".repeat(Math.max(0, indent + r.pick([-2, -1, 1, 2]))) + line.trimStart();
      break;
    case 1: { // another value after a key, or in an entry
      const m = /^( *(?:- )?[^:]+:) /.exec(line) ?? /^( *-) /.exec(line);
      if (m) lines[i] = `${m[1]} ${r.pick(VALUES)}`;
      break;
    }
    case 2: // a literal block under a key, with blank lines and indentation of its own
      lines.splice(
        i,
        1,
        `${pad}k${r.int(9)}: ${r.pick(["|", "|-", "|+"])}`,
        ...Array.from(
          { length: 1 + r.int(4) },
          () =>
            r.pick(["", " ", `${pad}  x`, `${pad}    y z`, `${pad}  #c`, `${pad} w`, `${pad}   `]),
        ),
      );
      break;
    case 3: // a blank line, spaces, a comment line
      lines.splice(i, 0, r.pick(["", "   ", `${pad}# c`, "#", `${pad}  # c`]));
      break;
    case 4: // a document marker
      lines.splice(i, 0, r.pick(["---", "...", "--- x", "---  "]));
      break;
    case 5: // a line twice (duplicate keys), or gone
      if (r.chance(0.5)) lines.splice(i, 0, line);
      else lines.splice(i, 1);
      break;
    case 6: // an entry where a key was, or a key where an entry was
      lines[i] = line.includes("- ") ? line.replace("- ", "  ") : `${pad}- ${line.trimStart()}`;
      break;
    case 7: // a key with nothing, then something deeper
      lines.splice(i, 0, `${pad}n${r.int(9)}:`, `${pad}${r.pick(["", " ", "  ", "- "])}v: 1`);
      break;
    case 8: // a character of the line replaced by one that matters to YAML
      if (line.length) {
        const at = r.int(line.length);
        lines[i] = line.slice(0, at) + r.pick([":", "#", " ", "'", '"', "-", "|", "{", "\t"]) +
          line.slice(at + 1);
      }
      break;
    case 9: // trailing spaces
      lines[i] = line + " ".repeat(1 + r.int(3));
      break;
    case 10: // a key the tags resolve, or a quoted one
      lines[i] = line.replace(/^( *(?:- )?)[A-Za-z]\w*:/, `$1${r.pick(["on", "1", '"q"', "y"])}:`);
      break;
    default: // the end without a line break
      lines.push(r.pick(["x: |", "x: 1", "  y"]));
      lines.push("\u0000END");
  }
}

Deno.test("block YAML: seeded mutations of kubectl's layout read as the yaml library reads them", () => {
  const r = new Random(SEED);
  const base = layouts([...corpus.pods.slice(0, 60), ...corpus.psps.slice(0, 20)]);
  const texts: string[] = [];
  const cases = fuzzCases(3000);
  for (let n = 0; n < cases; n++) {
    const lines = r.pick(base).split("\n");
    for (let k = 1 + r.int(3); k > 0; k--) mutateLines(r, lines);
    let text = lines.join("\n");
    const end = text.indexOf("\n\u0000END");
    if (end >= 0) text = text.slice(0, end);
    texts.push(text);
  }
  const { read, mismatches } = differential(texts);
  console.log(`mutations: ${read} of ${texts.length} read by the block reader, seed ${SEED}`);
  assert.deepEqual(mismatches, [], `FUZZ_SEED=${SEED}`);
  // most mutations keep a text the block reader reads, else this shows little
  assert.ok(read > texts.length / 5, `only ${read} of ${texts.length} read`);
});
