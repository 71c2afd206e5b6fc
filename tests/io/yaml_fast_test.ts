/**
 * The fast YAML path (src/io/yaml_fast.ts) against the `yaml` library path it stands in for:
 * parseObjects (fast path first) and parseObjectsWithYaml (the `yaml` library alone) must give
 * the same objects (values, types, key order), sources, document numbers and errors for every
 * text. Texts come from the fixtures, the oracle corpus and random pods and PSPs serialized by
 * `yaml.stringify` under many options, hostile strings as keys and values, hand-written edge
 * cases, and random text mutations of all of these. Seeded (FUZZ_SEED); YAML_FAST_DOCS sets
 * how many generated texts (default 4,000) for a longer local run.
 */
import assert from "node:assert/strict";
import { stringify as stringifyYaml, type ToStringOptions } from "yaml";
import {
  type LoadedObject,
  MAX_NESTING,
  MAX_SCALAR_CHARS,
  parseObjects,
  parseObjectsWithYaml,
  type TextOffset,
} from "../../src/io/documents.ts";
import { InputError } from "../../src/io/errors.ts";
import { YamlSplitter } from "../../src/io/stream.ts";
import { fastParseYaml } from "../../src/io/yaml_fast.ts";
import { fuzzSeed, hostileString, Random, randomPod, randomPsp } from "../fuzz/random.ts";
import { HOSTILE_STRINGS as SHARED_HOSTILE_STRINGS } from "../hostile/strings.ts";
import { ORACLE_DIR } from "../support/shared.ts";

const SEED = fuzzSeed();
const DOCS = Number(Deno.env.get("YAML_FAST_DOCS") ?? 4000);
const LIMITS = { maxNesting: MAX_NESTING, maxScalarChars: MAX_SCALAR_CHARS };
const ROOT = new URL("../../", import.meta.url);

type Obj = Record<string, unknown>;

/** Everything a reader's answer says, as a string: objects (numbers tagged), sources, errors. */
function outcome(read: () => LoadedObject[]): string {
  try {
    const objects = read();
    return JSON.stringify(
      objects.map((o) => ({ object: o.object, source: o.source })),
      (_k, v) => typeof v === "number" ? { number: Object.is(v, -0) ? "-0" : String(v) } : v,
    );
  } catch (e) {
    return e instanceof InputError
      ? `InputError ${e.message}`
      : `${(e as Error).name} ${(e as Error).message}`;
  }
}

/** Compares both readers on a text; returns whether the fast path read it, or a mismatch. */
function compare(text: string, at: TextOffset = {}): { fast: boolean; mismatch?: string } {
  const slow = outcome(() => parseObjectsWithYaml(text, "f.yaml", at));
  const both = outcome(() => parseObjects(text, "f.yaml", at));
  const fast = fastParseYaml(text, LIMITS) !== undefined;
  if (slow === both) return { fast };
  return {
    fast,
    mismatch: `text ${JSON.stringify(text).slice(0, 2000)}\n  yaml: ${
      slow.slice(0, 600)
    }\n  fast: ${both.slice(0, 600)}`,
  };
}

/** Runs `compare` over texts, collecting distinct mismatches; returns the count of fast reads. */
function differential(texts: Iterable<string>, label: string): { total: number; fast: number } {
  const mismatches: string[] = [];
  let total = 0, fast = 0;
  for (const text of texts) {
    total++;
    const r = compare(text);
    if (r.fast) fast++;
    if (r.mismatch && mismatches.length < 10) mismatches.push(r.mismatch);
  }
  console.log(`${label}: ${total} texts, ${fast} read by the fast path, seed ${SEED}`);
  assert.deepEqual(mismatches, [], `${label}, FUZZ_SEED=${SEED}`);
  return { total, fast };
}

// --- Sources of documents -------------------------------------------------------------------

const corpus = JSON.parse(await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR))) as {
  pods: Obj[];
  psps: Obj[];
};

/** Fixture YAML files, each split into documents as the stream reader splits them. */
async function fixtureDocuments(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: URL) => {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
    entries.sort((a, b) => a.name < b.name ? -1 : 1);
    for (const e of entries) {
      if (e.isDirectory) await walk(new URL(`${e.name}/`, dir));
      else if (/\.ya?ml$/.test(e.name)) {
        let text: string;
        try {
          text = new TextDecoder("utf-8", { fatal: true }).decode(
            await Deno.readFile(new URL(e.name, dir)),
          );
        } catch {
          continue; // the invalid UTF-8 fixture
        }
        out.push(text);
        const splitter = new YamlSplitter("f.yaml");
        for (const line of text.split("\n")) {
          const piece = splitter.push(line);
          if (piece) out.push(piece.text);
        }
        const last = splitter.end();
        if (last) out.push(last.text);
      }
    }
  };
  await walk(new URL("fixtures/", ROOT));
  return out;
}

/** The injection suite's hostile strings, and YAML's own: scalars the core schema resolves, odd spaces, keys. */
const HOSTILE_STRINGS: readonly string[] = [
  ...SHARED_HOSTILE_STRINGS,
  "a:b",
  "x# y",
  "--- a",
  "Null",
  "NULL",
  "True",
  "yes",
  "Yes",
  "on",
  "y",
  "n",
  "1.",
  ".5",
  "+12",
  "-0",
  "0x_1",
  "0o17",
  "012",
  "1_000",
  "12e3",
  "1:30",
  "-.Inf",
  ".NaN",
  "a  b",
  "😀",
  "\u00a0",
  "\ufeff",
  "*.example.com",
  "x ".repeat(60),
  "k".repeat(1100),
  "__proto__",
  "constructor",
  "<<",
  "=",
];

/** yaml.stringify options worth varying (each picked at random). */
function stringifyOptions(r: Random): ToStringOptions {
  const opts: ToStringOptions = {
    indent: r.pick([2, 2, 4, 1, 3]),
    indentSeq: r.chance(0.5),
    lineWidth: r.pick([80, 0, 10, 20, 40]),
    minContentWidth: r.pick([20, 0, 5]),
  };
  if (r.chance(0.3)) {
    opts.defaultStringType = r.pick(
      [
        "PLAIN",
        "QUOTE_DOUBLE",
        "QUOTE_SINGLE",
        "BLOCK_LITERAL",
        "BLOCK_FOLDED",
      ] as const,
    );
  }
  if (r.chance(0.2)) {
    opts.defaultKeyType = r.pick(["PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE"] as const);
  }
  if (r.chance(0.3)) opts.collectionStyle = r.pick(["block", "flow"] as const);
  if (r.chance(0.2)) opts.flowCollectionPadding = r.chance(0.5);
  if (r.chance(0.2)) opts.singleQuote = r.pick([true, false, null]);
  if (r.chance(0.2)) opts.doubleQuotedAsJSON = r.chance(0.5);
  if (r.chance(0.2)) opts.doubleQuotedMinMultiLineLength = r.pick([0, 10, 40]);
  if (r.chance(0.2)) opts.blockQuote = r.pick([true, false, "literal", "folded"] as const);
  if (r.chance(0.2)) opts.nullStr = r.pick(["null", "~", "", "Null"]);
  if (r.chance(0.1)) opts.trueStr = r.pick(["true", "True", "TRUE"]);
  if (r.chance(0.1)) opts.simpleKeys = true;
  return opts;
}

/** A text for an object: yaml.stringify (varied) or JSON, with markers and comments around. */
function serialize(r: Random, obj: unknown): string {
  let text: string;
  if (r.chance(0.15)) text = JSON.stringify(obj, null, r.pick([0, 2, 4])) + "\n";
  else {
    try {
      text = stringifyYaml(obj, stringifyOptions(r));
    } catch {
      text = stringifyYaml(obj);
    }
  }
  if (r.chance(0.3)) text = r.pick(["---\n", "--- # start\n", "# lead\n---\n", "\n\n"]) + text;
  if (r.chance(0.1)) text += r.pick(["...\n", "# tail\n", "\n\n", "... # end\n"]);
  if (r.chance(0.1)) text = text.replace(/\n/, r.pick(["  # after\n", " #x\n"]));
  return text;
}

/** Puts hostile strings into an object as values and keys. */
function withHostile(r: Random, base: Obj): Obj {
  const obj = structuredClone(base);
  const objectAt = (o: Obj, key: string): Obj => {
    const v = o[key];
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Obj;
    return (o[key] = {});
  };
  const meta = objectAt(obj, "metadata");
  const h = () => r.chance(0.7) ? r.pick(HOSTILE_STRINGS) : hostileString(r, 4);
  for (let n = 1 + r.int(3); n > 0; n--) {
    switch (r.int(5)) {
      case 0:
        meta.name = h();
        break;
      case 1:
        objectAt(meta, "annotations")[h()] = h();
        break;
      case 2:
        objectAt(meta, "labels")[r.chance(0.5) ? "app" : h()] = h();
        break;
      case 3:
        obj[h()] = r.chance(0.5) ? h() : [h(), { [h()]: h() }];
        break;
      default:
        meta.namespace = r.chance(0.5) ? h() : [h()];
    }
  }
  return obj;
}

const SNIPPETS = [
  "- ",
  ": ",
  ":",
  "? ",
  "?",
  "&a ",
  "*a",
  "!!str ",
  "!",
  "|",
  "|-",
  "|+",
  ">",
  ">-",
  "|2",
  "'",
  '"',
  "{",
  "}",
  "[",
  "]",
  ",",
  "#",
  " #",
  "---\n",
  "--- ",
  "...\n",
  "\t",
  "\r",
  "<<: *a\n",
  "%YAML 1.2\n",
  "\\",
  "\\x41",
  "\\u00e9",
  "\\N",
  "\ufeff",
  "\u00a0",
  "~",
  "null",
  "0o17",
  "\n",
  "  ",
  "@",
  "`",
  "%",
  "- - ",
  "{}",
  "[]",
  "a: ",
];

/** Applies 1..4 random text mutations. */
function mutateText(r: Random, text: string): string {
  let t = text;
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(t.length + 1);
    switch (r.int(9)) {
      case 0:
        t = t.slice(0, at) + r.pick(SNIPPETS) + t.slice(at);
        break;
      case 1:
        t = t.slice(0, at) + t.slice(at + 1 + r.int(4));
        break;
      case 2:
        t = t.slice(0, at) + t.charAt(at) + t.slice(at); // duplicate a character
        break;
      case 3:
        t = t.slice(0, at) + r.pick(HOSTILE_STRINGS) + t.slice(at + r.int(2));
        break;
      case 4: { // trailing spaces, or a blank or comment line, at a random line
        const lines = t.split("\n");
        const i = r.int(lines.length);
        const what = r.int(3);
        if (what === 0) lines[i] += " ".repeat(1 + r.int(3));
        else lines.splice(i, 0, what === 1 ? " ".repeat(r.int(8)) : `${" ".repeat(r.int(8))}# c`);
        t = lines.join("\n");
        break;
      }
      default: {
        const lines = t.split("\n");
        const i = r.int(lines.length);
        const j = r.int(lines.length);
        const what = r.int(5);
        if (what === 0) lines.splice(j, 0, lines[i]);
        else if (what === 1) lines.splice(i, 1);
        else if (what === 2) [lines[i], lines[j]] = [lines[j], lines[i]];
        else if (what === 3) lines[i] = " ".repeat(r.int(7)) + lines[i].trimStart();
        else lines[i] = lines[i].slice(0, r.int(lines[i].length + 1));
        t = lines.join("\n");
      }
    }
  }
  return t;
}

/** Pieces of lines for random YAML-like texts (valid or not, often almost valid). */
const LINE_PIECES = [
  "k: v",
  "k: 1",
  "k:",
  "k: |",
  "k: |-",
  "k: >",
  "k: >+",
  "- v",
  "- k: v",
  "-",
  "- - v",
  "text",
  "more text",
  "k: a b",
  'k: "a',
  'b"',
  "k: 'a",
  "b'",
  'k: "a\\',
  "k: [a,",
  "b]",
  "k: {a: 1,",
  "b: 2}",
  "k: [a, b]",
  "k: {}",
  "# c",
  "k: v # c",
  "k: null",
  "k: ~",
  "k: 0o17",
  '"k": v',
  "'k': v",
  "k: v: w",
  "k: -",
  "...",
  "---",
];

/** A random text of lines made of LINE_PIECES at random indentations. */
function lineSoup(r: Random): string {
  const lines = ["a:"];
  for (let n = 1 + r.int(10); n > 0; n--) {
    lines.push(" ".repeat(r.pick([0, 1, 2, 2, 2, 3, 4, 4, 6])) + r.pick(LINE_PIECES));
  }
  return lines.join("\n") + r.pick(["\n", "\n", "", "\n\n"]);
}

/** A List of pods and PSPs, as `kubectl get -o yaml` writes one (or with other keys first). */
function randomList(r: Random): Obj {
  const items = Array.from({ length: r.int(4) }, () => {
    const item = r.chance(0.5) ? r.pick(corpus.pods) : randomPod(r);
    return r.chance(0.2) ? withHostile(r, item) : item;
  });
  const kind = r.pick(["List", "PodList", "PodSecurityPolicyList"]);
  return r.chance(0.7)
    ? { apiVersion: "v1", items, kind, metadata: { resourceVersion: "" } }
    : { kind, apiVersion: "v1", metadata: {}, items };
}

/** The generated texts: serialized objects (corpus, random, hostile) and mutations of them. */
function* generated(r: Random, fixtures: readonly string[], count: number): Generator<string> {
  for (let i = 0; i < count; i++) {
    let base: string;
    const source = r.int(12);
    if (source === 0) base = r.pick(fixtures);
    else if (source === 10) base = lineSoup(r);
    else if (source === 11) base = serialize(r, randomList(r));
    else {
      let obj: Obj = source <= 2
        ? r.pick(corpus.pods)
        : source === 3
        ? r.pick(corpus.psps)
        : source <= 5
        ? randomPod(r)
        : source === 6
        ? randomPsp(r)
        : withHostile(r, r.pick(corpus.pods));
      if (source !== 9 && r.chance(0.2)) obj = withHostile(r, obj);
      base = serialize(r, obj);
    }
    yield r.chance(0.4) ? mutateText(r, base) : base;
  }
}

// --- Hand-written edge cases ----------------------------------------------------------------

const POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";

const EDGE_CASES: string[] = [
  POD,
  `---\n${POD}`,
  `# c\n\n---  # c\n${POD}...\n`,
  `${POD}...\n# after\n`,
  `${POD}...\nkind: x\n`,
  `--- ${POD}`,
  `--- {a: 1}\n`,
  `---\n---\n${POD}`,
  `${POD}---\n${POD}`,
  `  ${POD.replaceAll("\n", "\n  ")}`,
  "a:\n  b\n  c\n",
  "a: b\n  c\n\n  d\n",
  "a: b\n c: d\n",
  "a: 'b\n  c'\n",
  'a: "b\\\n  c"\n',
  'a: "b  \n\n  c"\n',
  "a: |\n  x\n  y\n",
  "a: |-\n  x\n\n",
  "a: |+\n  x\n\n\n",
  "a: >+\n  x\n  y\n\n  z\n\n",
  "a: >\n  x\n    y\n  z\n",
  "a: |2\n    x\n  y\n",
  "a: |2\n   x\n",
  "a: |1\n  x\n",
  "a: |\n\n  x\n",
  "a: |\n  \n  x\n",
  "a: >-\n\n\n",
  "a: |\n",
  "a: |\nb: c\n",
  "a: | # c\n  x\n",
  "a: |-2\n   x\n",
  "a:\n",
  "a:\nb:\n",
  "a: \nb: 1",
  "a: # c\n  b: 1\n",
  "a: b # c\n",
  "a: b# c\n",
  'a: "b"# c\n',
  'a: "b" # c\n',
  "a: b #c\n#d\n",
  "a: {b: 1, c: [2, 3]}\n",
  "a: {b: 1,\n  c: 2}\n",
  "a: {b: 1,\nc: 2}\n",
  "a: [b,\n  c]\n",
  "a: [b,\nc]\n",
  "a: [b, c,]\n",
  "a: {b: 1,}\n",
  "a: [b: c]\n",
  "a: [b: c, d]\n",
  "a: {b}\n",
  "a: {b: }\n",
  'a: {"b":c}\n',
  "a: {b:c}\n",
  "a: [a:b]\n",
  '{"a": 1, "b": [1, 2]}\n',
  '{"a":1}\n',
  "{a: 1}\n",
  "{a: 1\n}\n",
  "{a: 1}\nb: 2\n",
  "a: 0o17\nb: 1_000\nc: +12\nd: .5\ne: 1.\nf: 0x_1\ng: 12e3\nh: NULL\ni: True\nj: y\nk: yes\nl: on\n",
  "a: 0x1F\nb: -0\nc: 1e3\nd: 012\ne: .inf\nf: -.INF\ng: .nan\nh: ~\ni: 0o8\nj: 0xG\n",
  "a: 1.0\nb: 1.50\nc: -1.5e-3\nd: 1E3\ne: +.5\nf: -.5\ng: 00\nh: 09\ni: 1__0\nj: 0b1\n",
  "a: 123456789012345678901234567890\nb: 0x123456789abcdef012\nc: 1e400\n",
  "1: a\n2.0: b\ntrue: c\n0x10: d\n",
  "~: a\n",
  "null: a\n",
  "'null': a\n",
  ": a\n",
  "? a\n: b\n",
  "[a]: b\n",
  "{a: 1}: b\n",
  "a: 1\na: 2\n",
  "a: 1\n'a': 2\n",
  "1: a\n'1': b\n",
  ".nan: a\n.NaN: b\n",
  "__proto__: a\nb: 1\n",
  "__proto__: {x: 1}\n",
  "constructor: a\ntoString: b\nhasOwnProperty: c\n",
  `${"k".repeat(1100)}: v\n`,
  `${"k".repeat(1020)}: v\n`,
  `${"k".repeat(1030)}: ${"v".repeat(10)}\n`,
  `a: ${"v".repeat(2000)}\n`,
  `a: "${"v".repeat(2000)}"\n`,
  `"${"k".repeat(1100)}": v\n`,
  `{${"k".repeat(1100)}: v}\n`,
  `a: [${"k".repeat(1100)}: v]\n`,
  "a: b: c\n",
  "a:\n- b\n- c\n",
  "a:\n  - b\n  -  c\n",
  "a:\n- b\n -c\n",
  "- a\n",
  "a\n",
  "'a'\n",
  "a: b\n- c\n",
  "a:\n  b: 1\n c: 2\n",
  "a:\n  b: 1\n   c: 2\n",
  "a: &x 1\nb: *x\n",
  "a: !!str 1\n",
  "<<: {a: 1}\n",
  "%YAML 1.2\n---\na: 1\n",
  "a: 1\r\n",
  "a:\t1\n",
  "\ufeffa: 1\n",
  "a: b\u00a0\n",
  "a: \u2028\n",
  "a: x\u0085y\n",
  'a: "\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\\e\\0\\a\\/\\ "\n',
  'a: "\\q"\n',
  "a: 'it''s'\n",
  "a: '''\n",
  'a: "\n',
  "a: @x\n",
  "a: `x`\n",
  "a: %x\n",
  "a: x%\n",
  "a: -x\n",
  "a: :x\n",
  "a: ?x\n",
  "a: x?\n",
  "a: ,x\n",
  "a: x,y\n",
  "a: [x\n",
  "a: ]x\n",
  "a: }x\n",
  "a: x]\n",
  "a: x}\n",
  "a: #x\n",
  "a: -\n",
  "a: - b\n",
  "a: --- b\n",
  "a:\n---\n",
  "- - - a\n",
  "a: 日本\nb: é\n😀: x\n",
  "a: '\n\n  b\n'\n",
  "a: b\n\n\n",
  "\n\n\na: b\n",
  "#only\n",
  "",
  "---\n",
  "...\n",
  "a: 1\n...\n...\n",
  "a: [[[[1]]]]\n",
  "a: " + "[".repeat(MAX_NESTING + 1) + "]".repeat(MAX_NESTING + 1) + "\n",
  "a: " + "[".repeat(MAX_NESTING - 1) + "]".repeat(MAX_NESTING - 1) + "\n",
  "a: " + "[".repeat(MAX_NESTING - 3) + "]".repeat(MAX_NESTING - 3) + "\n",
  "a: " + "{a: ".repeat(MAX_NESTING) + "1" + "}".repeat(MAX_NESTING) + "\n",
  Array.from({ length: MAX_NESTING + 1 }, (_, i) => `${" ".repeat(i)}a:`).join("\n") + " 1\n",
  "kind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Pod\n",
  "kind: List\nitems:\n  - kind: Pod\n  -\n    kind: Pod\n  - # c\n    kind: Pod\n",
  "kind: List\nitems:\n- {kind: Pod}\n- kind: Pod\n",
  "kind: List\nitems: [{kind: Pod}, {kind: Pod}]\n",
  "kind: List\nitems:\n  [{kind: Pod}]\n",
  "kind: List\nitems:\n  [\n    {kind: Pod},\n  # c\n    {kind: Pod}]\n",
  "{kind: List, items: [{kind: Pod}, {kind: Pod}]}\n",
  '{"kind": "PodList", "items": [{"kind": "Pod"},\n {"kind": "Pod"}]}\n',
  "kind: List\nitems:\n- kind: Pod\n- []\n",
  "kind: List\nitems:\n- kind: Pod\n- x\n",
  "kind: List\nitems:\n- kind: Pod\n-\n",
  "items:\n- a: 1\n  b:\n  - c: 2\nkind: List\n",
  "apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n- kind: Pod\n  spec:\n    x: |\n      - kind: y\n",
  "kind: PodList\nitems: []\n",
  "kind: PodList\nitems: x\n",
  "kind: List\nitems:\n- 1\n",
  "metadata: {name: a}\nkind: PodList\n",
  "spec:\n  kind: ConfigMapList\n  items: [a]\nkind: Pod\n",
];

// --- Tests ----------------------------------------------------------------------------------

Deno.test("fast YAML path: hand-written edge cases read exactly as the yaml library reads them", () => {
  differential(EDGE_CASES, "edge cases");
  // each also as the piece of a stream (offset lines and documents)
  const mismatches = EDGE_CASES.map((t) => compare(t, { documents: 3, lines: 7 }).mismatch)
    .filter((m) => m !== undefined);
  assert.deepEqual(mismatches, []);
});

Deno.test("fast YAML path: fixtures, corpus, random and hostile documents and mutations agree", async () => {
  const fixtures = await fixtureDocuments();
  assert.ok(fixtures.length > 100, `fixture documents: ${fixtures.length}`);
  differential(fixtures, "fixture documents");
  const { total, fast } = differential(generated(new Random(SEED), fixtures, DOCS), "generated");
  // the fast path must really be taken for most of them, else this test shows nothing
  assert.ok(fast > total / 3, `only ${fast} of ${total} texts read by the fast path`);
});

Deno.test("fast YAML path: hostile strings as keys and values, in every quoting style", () => {
  const r = new Random(SEED + 1);
  const texts: string[] = [];
  const base = corpus.pods[0];
  for (const h of HOSTILE_STRINGS) {
    for (const type of ["PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE", "BLOCK_LITERAL"] as const) {
      const obj = structuredClone(base);
      const meta = obj.metadata as Obj;
      meta.name = h;
      meta.annotations = { [h]: h, a: `x${h}`, b: `${h}y` };
      obj[h.slice(0, 50) || "k"] = [h];
      for (const lineWidth of [80, 15]) {
        texts.push(stringifyYaml(obj, { defaultStringType: type, lineWidth, minContentWidth: 0 }));
      }
      texts.push(
        stringifyYaml(obj, { defaultStringType: type, defaultKeyType: "PLAIN", lineWidth: 0 }),
      );
    }
    texts.push(stringifyYaml({ a: h }, { collectionStyle: "flow" }));
    texts.push(`a: ${h}\n`, `${h}: a\n`, `a: [${h}]\n`, `a: {${h}: b}\n`, `- ${h}\n`);
    texts.push(`a: "${h}"\n`, `a: '${h}'\n`, `a: |\n  ${h}\n`, `a: x ${h}\n`, `a: ${h} x\n`);
    texts.push(mutateText(r, `a: ${h}\n`));
  }
  differential(texts, "hostile strings");
});

Deno.test("fast YAML path: ordinary pod and PSP documents are read by it", () => {
  const pods = [...corpus.pods, ...corpus.psps].map((o) => stringifyYaml(o));
  const missed = pods.filter((t) => fastParseYaml(t, LIMITS) === undefined);
  assert.deepEqual(missed.filter((t) => !/\*|&|!/.test(t)), []);
  assert.ok(missed.length < pods.length / 4, `${missed.length} of ${pods.length} missed`);
  const stream = `# pods\n---\n${POD}  namespace: default\nspec:\n  containers:\n  - name: c\n` +
    `    image: nginx:1.25\n    securityContext: {privileged: true}\n`;
  const fast = fastParseYaml(stream, LIMITS);
  assert.ok(fast);
  assert.deepEqual(fast.value.spec, {
    containers: [{ name: "c", image: "nginx:1.25", securityContext: { privileged: true } }],
  });
  assert.deepEqual([fast.line, fast.column], [3, 1]);
  const list = stringifyYaml({ apiVersion: "v1", items: corpus.pods.slice(0, 5), kind: "List" });
  const read = fastParseYaml(list, LIMITS, { items: true });
  assert.ok(read?.items);
  const slow = parseObjectsWithYaml(list, "f.yaml");
  assert.deepEqual(read.items, slow.map((o) => ({ line: o.source.line, column: o.source.column })));
  assert.deepEqual(read.items[1], { line: 12, column: 5 });
});

Deno.test("fast YAML path: a text longer than a scalar may be is read when no scalar is", () => {
  // scalars are measured with a margin of 1024 characters: here at most 76
  const limits = { maxNesting: MAX_NESTING, maxScalarChars: 1100 };
  const ok = Array.from({ length: 40 }, (_, i) => `k${i}: ${"x".repeat(30)}\n`).join("") +
    `b: |\n  ${"y".repeat(30)}\nc: [${"z".repeat(30)}]\n`;
  assert.ok(ok.length > 1100);
  assert.ok(fastParseYaml(ok, limits));
  for (
    const long of [
      `a: ${"x".repeat(80)}\n`,
      `a: "${"x".repeat(78)}"\n`,
      `a: |\n${"  y\n".repeat(30)}b: 1\n`,
      `a: x\n${"  y\n".repeat(30)}`,
      `${"k".repeat(80)}: v\n`,
    ]
  ) assert.equal(fastParseYaml(ok + long, limits), undefined, long);
});

Deno.test("fast YAML path: a List longer than a scalar may be, as kubectl get -o yaml writes it", () => {
  // each corpus pod as an item of a block sequence, its name made unique
  const written = corpus.pods.map((p) =>
    stringifyYaml({ ...p, metadata: { ...p.metadata as Obj, name: "NAME" } })
      .trimEnd().split("\n").map((l, i) => (i ? "  " : "- ") + l).join("\n") + "\n"
  );
  const parts = ["apiVersion: v1\nitems:\n"];
  let items = 0;
  for (let size = 0; size < MAX_SCALAR_CHARS + 100_000; items++) {
    const item = written[items % written.length].replace("NAME", `pod-${items}`);
    parts.push(item);
    size += item.length;
  }
  parts.push('kind: List\nmetadata:\n  resourceVersion: ""\n');
  const text = parts.join("");
  assert.ok(text.length > MAX_SCALAR_CHARS);
  assert.ok(fastParseYaml(text, LIMITS, { items: true })?.items);
  const fast = parseObjects(text, "list.yaml", { documents: 2, lines: 5 });
  const slow = parseObjectsWithYaml(text, "list.yaml", { documents: 2, lines: 5 });
  assert.equal(fast.length, items);
  assert.deepEqual(fast.map((o) => o.object), slow.map((o) => o.object));
  assert.deepEqual(fast.map((o) => o.source), slow.map((o) => o.source));
  assert.deepEqual(fast[7].locate(["metadata", "name"]), slow[7].locate(["metadata", "name"]));
});

Deno.test("fast YAML path: objects locate their fields as the yaml library path does", () => {
  const text = `# c\n---\n${POD}spec:\n  containers:\n  - name: c\n    image: "x"\n`;
  const at = { documents: 4, lines: 10 };
  const [fast] = parseObjects(text, "f.yaml", at);
  const [slow] = parseObjectsWithYaml(text, "f.yaml", at);
  assert.deepEqual(fast.source, slow.source);
  assert.deepEqual(fast.source, { file: "f.yaml", document: 5, line: 13, column: 1 });
  for (
    const path of [[], ["metadata", "name"], ["spec", "containers", 0, "image"], ["nope"], [
      "spec",
      "containers",
      3,
    ]]
  ) {
    assert.deepEqual(fast.locate(path), slow.locate(path), JSON.stringify(path));
  }
  assert.deepEqual(fast.locate(["spec", "containers", 0, "image"]), { line: 20, column: 12 });
});

Deno.test("fast YAML path: errors keep the yaml library's text and position", () => {
  const cases: [string, string][] = [
    [
      "kind: Pod\nkind: Pod\n",
      "(document 1, line 2:1): invalid YAML/JSON: Map keys must be unique",
    ],
    [
      "a:\n  b: 1\n c: 2\n",
      "(document 1, line 3:1): invalid YAML/JSON: All mapping items must start at the same column",
    ],
    [
      "a:\n\tb: 1\n",
      "(document 1, line 2:1): invalid YAML/JSON: Tabs are not allowed as indentation",
    ],
    [
      "a: " + "[".repeat(200) + "]".repeat(200) + "\n",
      "(document 1, line 1:103): nesting deeper than 100 levels (no Kubernetes object is that deep)",
    ],
    [
      "- a\n",
      "(document 1, line 1:1): expected a Kubernetes object (a mapping with apiVersion and kind)",
    ],
  ];
  for (const [text, message] of cases) {
    const slow = outcome(() => parseObjectsWithYaml(text, "f.yaml"));
    assert.equal(slow, `InputError f.yaml ${message}`);
    assert.equal(outcome(() => parseObjects(text, "f.yaml")), slow);
    assert.equal(fastParseYaml(text, LIMITS), undefined);
  }
  const bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" +
    ["b", "c", "d", "e", "f", "g"].map((n, i) =>
      `${n}: &${n} [${Array(10).fill(`*${"abcdefg"[i]}`).join(", ")}]`
    ).join("\n") + "\n";
  assert.match(outcome(() => parseObjects(bomb, "f.yaml")), /alias bomb/);
});
