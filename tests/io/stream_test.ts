/**
 * Streaming input (src/io/stream.ts): documents and JSON lines come out as the
 * whole-file reader (parseObjects) gives them — same objects, document numbers,
 * lines and field positions — across chunk boundaries, and bad input fails with
 * the file and the right line.
 */
import assert from "node:assert/strict";
import {
  type LoadedObject,
  MAX_NESTING,
  MAX_SCALAR_CHARS,
  parseObjects,
  parseObjectsWithYaml,
} from "../../src/io/documents.ts";
import { fastParseYaml } from "../../src/io/yaml_fast.ts";
import { InputError } from "../../src/io/errors.ts";
import { runDeno } from "../support/cli.ts";
import {
  jsonProblem,
  NOT_FAST,
  readLines,
  screenJsonItem,
  SPACED_KEY,
  streamObjects,
  YamlSplitter,
} from "../../src/io/stream.ts";
import { seededRandom } from "../fuzz/random.ts";

const LIMITS = { maxNesting: MAX_NESTING, maxScalarChars: MAX_SCALAR_CHARS };
const DIR = await Deno.makeTempDir({ prefix: "stream_test_" });
let n = 0;

async function file(content: string | Uint8Array): Promise<string> {
  const path = `${DIR}/f${n++}.yaml`;
  if (typeof content === "string") await Deno.writeTextFile(path, content);
  else await Deno.writeFile(path, content);
  return path;
}

async function collect(path: string): Promise<LoadedObject[]> {
  const out: LoadedObject[] = [];
  for await (const o of streamObjects(path)) out.push(o);
  return out;
}

async function inputError(f: () => Promise<unknown>): Promise<InputError> {
  try {
    await f();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${e}`);
    return e;
  }
  assert.fail("no error");
}

/**
 * Streamed objects (read by the fast YAML path where it can) equal the whole-file parse by the
 * `yaml` library: objects, sources, and positions of fields.
 */
async function assertSameAsWhole(text: string, paths: (string | number)[][] = []) {
  const path = await file(text);
  const streamed = await collect(path);
  // readText drops a BOM before the whole-file parse, as the stream does.
  const whole = parseObjectsWithYaml(text.replace(/^\ufeff/, ""), path);
  assert.deepEqual(streamed.map((o) => o.object), whole.map((o) => o.object));
  assert.deepEqual(streamed.map((o) => o.source), whole.map((o) => o.source));
  for (const p of paths) {
    assert.deepEqual(streamed.map((o) => o.locate(p)), whole.map((o) => o.locate(p)), `at ${p}`);
  }
}

const pod = (name: string, extra = "") =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n    - name: c\n      image: nginx${extra}\n`;

Deno.test("YAML stream: documents, lines and field positions as in a whole-file parse", async () => {
  const text = [
    "# leading comment\n",
    pod("a"),
    "---\n",
    pod("b", "\n      securityContext:\n        privileged: true"),
    "--- # a comment on the marker\n",
    "---\n", // an empty document still counts
    pod("c"),
    "...\n",
    "# between documents\n",
    "%YAML 1.2\n",
    "---\n",
    "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: d}\n    spec: {containers: [{name: c, image: x}]}\n  - " +
    "{apiVersion: v1, kind: Pod, metadata: {name: e}, spec: {containers: []}}\n",
    "--- |\n  a literal block: --- not a marker when indented\n",
    "---\n",
    pod("f"),
    "# trailing comment\n",
  ].join("");
  // The literal block document is a string, not an object: cut it out of the comparison text.
  const bad = text.indexOf("--- |");
  const good = text.slice(0, bad) + text.slice(text.indexOf("---\n", bad + 1));
  await assertSameAsWhole(good, [
    ["metadata", "name"],
    ["spec", "containers", 0, "securityContext", "privileged"],
  ]);
  const path = await file(text);
  const err = await inputError(() => collect(path));
  const literalLine = text.slice(0, bad).split("\n").length;
  assert.equal(err.source.line, literalLine, err.message);
  assert.match(err.message, /expected a Kubernetes object/);
});

Deno.test("YAML stream: across chunk boundaries with multi-byte characters, lines stay right", async () => {
  const docs: string[] = [];
  for (let i = 0; i < 3000; i++) {
    docs.push(pod(`p-${i}`).replace("image: nginx", `image: "nginx-é€😀-${i}"`));
  }
  const text = docs.join("---\n"); // > 64 KiB: several chunks
  assert.ok(new TextEncoder().encode(text).length > 3 * 64 * 1024);
  await assertSameAsWhole(text, [["spec", "containers", 0, "image"]]);
});

Deno.test("YAML stream: pods read by the fast YAML path, as the yaml library reads them", async () => {
  const docs = [
    pod("a"),
    `${pod("b")}  annotations: {}\n  labels:\n    app: "x"\n    tier: 'web'\n`,
    `${pod("c")}      args: [--port, "8080"]\n      env:\n        - name: N\n          value: |\n` +
    `            line one\n            line two\n`,
    `# comment\n${
      pod("d")
    }      ports:\n        - containerPort: 0o17\n          hostPort: 1_000\n`,
  ];
  for (const d of docs) assert.ok(fastParseYaml(d, LIMITS), d);
  await assertSameAsWhole(docs.join("---\n"), [
    [],
    ["metadata", "name"],
    ["spec", "containers", 0, "env", 0, "value"],
    ["spec", "containers", 0, "ports", 0, "hostPort"],
  ]);
  const [c] = (await collect(await file(docs[3]))).map((o) => o.object);
  const container = (c.spec as { containers: Record<string, unknown>[] }).containers[0];
  // read as kubectl reads them (YAML 1.1 integers, src/io/yaml_schema.ts)
  assert.deepEqual(container.ports, [{ containerPort: 15, hostPort: 1000 }]);
});

Deno.test("YAML stream: CRLF line endings and a BOM", async () => {
  await assertSameAsWhole("\ufeff" + (pod("a") + "---\n" + pod("b")).replaceAll("\n", "\r\n"), [
    ["metadata", "name"],
  ]);
});

Deno.test("YAML stream: a syntax error names the document and the line in the file", async () => {
  const text = pod("a") + "---\n" + pod("b") + "---\n" +
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n";
  const path = await file(text);
  const streamed = await inputError(() => collect(path));
  const whole = await inputError(() => Promise.resolve().then(() => parseObjects(text, path)));
  assert.equal(streamed.message, whole.message);
  assert.equal(streamed.source.document, 3);
});

Deno.test("YAML splitter: markers only at column 0 and followed by a space or nothing", () => {
  const s = new YamlSplitter("x");
  const pieces = ["a: 1", "---a: 2", " ---", "--- b: 1", "...", "# c", "---", "c: 1"]
    .map((l) => s.push(l)?.text);
  assert.deepEqual(pieces, [
    undefined,
    undefined,
    undefined,
    "a: 1\n---a: 2\n ---\n",
    "--- b: 1\n...\n",
    undefined,
    undefined,
    undefined,
  ]);
  assert.deepEqual(s.end(), { text: "# c\n---\nc: 1\n", lines: 5 });
});

Deno.test("JSON lines: one object per line, document = line's object number, lazy field positions", async () => {
  const objs = [
    { apiVersion: "v1", kind: "Pod", metadata: { name: "a" }, spec: { containers: [] } },
    { apiVersion: "v1", kind: "Pod", metadata: { name: "b" }, spec: { containers: [] } },
  ];
  const text = `${JSON.stringify(objs[0])}\n\n${JSON.stringify(objs[1])}\r\n`;
  const path = await file(text);
  const got = await collect(path);
  assert.deepEqual(got.map((o) => o.object), objs);
  assert.deepEqual(got.map((o) => o.source), [
    { file: path, document: 1, line: 1, column: 1 },
    { file: path, document: 2, line: 3, column: 1 },
  ]);
  const col = JSON.stringify(objs[1]).indexOf('"b"') + 1;
  assert.deepEqual(got[1].locate(["metadata", "name"]), { line: 3, column: col });
});

Deno.test("JSON lines: a List line is flattened; YAML flow syntax on a line is read as YAML", async () => {
  const list = {
    apiVersion: "v1",
    kind: "List",
    items: [{ apiVersion: "v1", kind: "Pod", metadata: { name: "x" } }],
  };
  const path = await file(
    `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}\n${
      JSON.stringify(list)
    }\n{apiVersion: v1, kind: Pod, metadata: {name: z}}\n`,
  );
  const got = await collect(path);
  assert.deepEqual(got.map((o) => (o.object.metadata as { name: string }).name), ["a", "x", "z"]);
  assert.deepEqual(got.map((o) => [o.source.document, o.source.item, o.source.line]), [
    [1, undefined, 1],
    [2, 0, 2],
    [3, undefined, 3],
  ]);
});

Deno.test("a YAML stream whose first document is a one-line JSON mapping stays a YAML stream", async () => {
  const pods = ['{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}', pod("b")];
  await assertSameAsWhole(`${pods[0]}\n---\n${pods[1]}---\n{}\n`, [["metadata", "name"]]);
  await assertSameAsWhole(`${pods[0]}\n...\n---\n${pods[1]}`, [["metadata", "name"]]);
});

Deno.test("JSON lines: bad lines fail with file, document and line", async () => {
  const good = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}`;
  const cases: [string, RegExp, number][] = [
    [`${good}\n{"kind": "Pod",\n`, /invalid YAML\/JSON/, 2],
    [`${good}\n${good}\n{"kind":"Pod","kind":"Pod"}\n`, /duplicate key "kind"/, 3],
    [`${good}\n[1, 2]\n`, /expected a Kubernetes object/, 2],
    [`${good}\n{"a":${"[".repeat(150)}${"]".repeat(150)}}\n`, /nesting deeper than 100/, 2],
  ];
  for (const [text, message, line] of cases) {
    const path = await file(text);
    const e = await inputError(() => collect(path));
    assert.match(e.message, message);
    assert.equal(e.source.line, line, e.message);
    assert.equal(e.source.file, path);
    assert.equal(e.source.document, line, e.message);
  }
});

Deno.test("bad bytes: invalid UTF-8 names its line (in a later chunk too); NUL is binary data", async () => {
  const enc = new TextEncoder();
  const head = enc.encode(
    Array.from({ length: 5000 }, (_, i) => `# comment line ${i}`).join("\n") + "\n",
  );
  const bytes = new Uint8Array([...head, ...enc.encode("a: caf"), 0xe9, 0x0a]);
  assert.ok(head.length > 64 * 1024);
  let e = await inputError(async () => collect(await file(bytes)));
  assert.equal(e.source.line, 5001, e.message);
  assert.match(e.message, /invalid UTF-8/);
  e = await inputError(async () => collect(await file(new Uint8Array([0x61, 0x3a, 0x00]))));
  assert.match(e.message, /binary data \(NUL byte at offset 2\)/);
  assert.equal(e.source.line, undefined);
});

Deno.test("empty input: blank, and comments only, are errors naming the file", async () => {
  for (const text of ["", "\n  \n", "# only\n---\n# comments\n"]) {
    const path = await file(text);
    const e = await inputError(() => collect(path));
    assert.equal(e.source.file, path);
    assert.match(e.message, /empty input: no Kubernetes objects/);
  }
});

Deno.test("readLines: lines across chunks, a last line without newline, too long a line", async () => {
  const long = "x".repeat(100_000);
  const path = await file(`a\n${long}\r\nlast`);
  const lines: string[] = [];
  for await (const l of readLines(path)) lines.push(l);
  assert.deepEqual(lines, ["a", `${long}\r`, "last"]);
  const e = await inputError(async () => {
    for await (const _ of readLines(path, { maxLineChars: 50_000 })) { /* read */ }
  });
  assert.equal(e.source.line, 2);
  assert.match(e.message, /longer than 50000 characters/);
});

Deno.test("decoding in pieces: characters split by every read and piece boundary, BOMs, U+FFFD", async () => {
  // 2.5 MB of lines of 1- to 4-byte characters, so that the 64 KiB pieces and 1 MiB reads
  // end inside characters of every width; a BOM first (dropped), U+FEFF and a real U+FFFD
  // later (kept)
  const random = seededRandom(10_1);
  const chars = ["a", "é", "中", "😀", "\uFEFF", "\uFFFD", " "];
  const lines: string[] = [];
  for (let bytes = 0; bytes < 2_500_000;) {
    let line = "";
    const n = Math.floor(random() * 120);
    for (let i = 0; i < n; i++) line += chars[Math.floor(random() * chars.length)];
    lines.push(line);
    bytes += new TextEncoder().encode(line).length + 1;
  }
  const path = await file("\uFEFF" + lines.join("\n"));
  const read: string[] = [];
  for await (const l of readLines(path)) read.push(l);
  assert.equal(read.length, lines.length);
  assert.deepEqual(read, lines);
});

Deno.test("bad bytes past the first MiB: the line is named whether the reader or its consumer counts lines", async () => {
  const enc = new TextEncoder();
  const bad = (before: string, after: string, byte: number) =>
    new Uint8Array([...enc.encode(before), byte, ...enc.encode(after)]);
  // JSON lines, a YAML stream, and a kubectl-style List (its items' lines are taken many at
  // a time), each with 20,000 lines before the line with the bad byte
  const pods = Array.from({ length: 2_500 }, (_, i) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `p${i}`, labels: { app: "x".repeat(300) } },
    spec: { containers: [{ name: "c", image: "nginx" }] },
  }));
  const jsonl = pods.map((p) => JSON.stringify(p)).join("\n") + "\n";
  const yaml = pods.map((p) => `---\n${JSON.stringify(p, null, 2)}`).join("\n") + "\n";
  const list = JSON.stringify({ apiVersion: "v1", items: pods, kind: "List" }, null, 4);
  const listHead = list.slice(0, list.lastIndexOf('"name": "c"'));
  for (
    const [text, tail] of [
      [jsonl, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"caf`],
      [yaml, `---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: caf`],
      [listHead, `"name": "caf`],
    ]
  ) {
    assert.ok(enc.encode(text).length > 1 << 20);
    const line = text.split("\n").length + tail.split("\n").length - 1;
    for (const [byte, message] of [[0xe9, /invalid UTF-8/], [0x00, /NUL byte/]] as const) {
      const path = await file(bad(text + tail, '"}}\n', byte));
      const e = await inputError(() => collect(path));
      assert.match(e.message, message);
      // a NUL in a document is named by file only (the whole file is not YAML)
      if (byte !== 0) assert.equal(e.source.line, line, e.message);
      const r = await inputError(async () => {
        for await (const _ of readLines(path)) { /* read */ }
      });
      assert.match(r.message, message);
      assert.equal(r.source.line, line, r.message);
    }
  }
});

Deno.test("jsonProblem: escaped quotes and keys, many keys, long strings", () => {
  assert.equal(jsonProblem(`{"a":"x\\"y","b":"\\\\","c":1}`), undefined);
  assert.match(jsonProblem(`{"a":1,"\\u0061":2}`)!.detail, /duplicate key "a"/);
  assert.equal(jsonProblem(`{"a":{"a":1},"b":[{"a":1},{"a":2}]}`), undefined);
  const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
  assert.equal(jsonProblem(JSON.stringify(many)), undefined);
  const dup = JSON.stringify(many).replace(/}$/, `,"k3":0}`);
  assert.equal(jsonProblem(dup)!.offset, dup.lastIndexOf(`"k3"`));
  assert.match(
    jsonProblem(JSON.stringify({ a: "x".repeat(3 * 1024 * 1024) }))!.detail,
    /single value of 3145730/,
  );
});

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("gzip: compressed input is read directly (recognised by its magic bytes), as the text", async () => {
  // > 64 KiB of lines with a line across chunk boundaries, compressed
  const lines = Array.from(
    { length: 5000 },
    (_, i) => `{"n": ${i}, "pad": "${"x".repeat(i % 97)}"}`,
  );
  const text = lines.join("\n") + "\n";
  const plain = await file(text);
  const gz = await file(await gzip(text)); // named .yaml: the bytes decide, not the name
  const read = async (path: string) => {
    const out: string[] = [];
    for await (const l of readLines(path)) out.push(l);
    return out;
  };
  assert.deepEqual(await read(gz), await read(plain));
  assert.deepEqual((await read(gz)).length, 5000);
  // YAML documents too, with the same document numbers and lines
  const yaml = `${pod("a")}---\n${pod("b")}`;
  const objs = await collect(await file(await gzip(yaml)));
  assert.deepEqual(objs.map((o) => [o.source.document, o.source.line]), [[1, 1], [2, 10]]);
});

Deno.test("gzip: corrupt or truncated data is an input error naming the file", async () => {
  const whole = await gzip("a: 1\n".repeat(10000));
  const truncated = await file(whole.subarray(0, whole.length - 20));
  const e = await inputError(async () => {
    for await (const _ of readLines(truncated)) { /* read all */ }
  });
  assert.equal(e.source.file, truncated);
  assert.match(e.message, /not valid gzip data/);
  assert.equal(e.exitCode, 2);
});

Deno.test("gzip: an audit log .gz gives the same report as the log itself, in one thread and in workers", async () => {
  const log = new URL("../../fixtures/audit/oracle-audit.jsonl", import.meta.url).pathname;
  const gz = `${DIR}/audit.jsonl.gz`;
  await Deno.writeFile(gz, await gzip(await Deno.readTextFile(log)));
  const run = async (path: string, jobs: string) => {
    const r = await runDeno([
      "run",
      "-A",
      "main.ts",
      "audit-pods",
      "--psp-file",
      "fixtures/audit/oracle-psps.json",
      "--audit-log",
      path,
      "-j",
      jobs,
      "-o",
      "json",
    ], { cwd: new URL("../../", import.meta.url).pathname, env: { KUBECONFIG: "/nonexistent" } });
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    return r.stdout.replaceAll(path, "LOG");
  };
  const expected = await run(log, "1");
  assert.ok(JSON.parse(expected).items.length > 0);
  assert.equal(await run(gz, "1"), expected);
  assert.equal(await run(gz, "2"), expected);
});

/** screenJsonItem's answer as the expressions it stands for give it (each on the whole text). */
function screenByExpressions(text: string): number {
  const odd =
    // deno-lint-ignore no-control-regex
    /[\x00-\x09\x0b-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\ufffe\uffff\ud800-\udfff]/;
  if (
    odd.test(text) || /[0-9][eE][-+]?[0-9]{3}/.test(text) || text.includes("<<") ||
    text.includes('"__proto__"') || /[:[,]\s*-0\s*[,\]}\n]/.test(text)
  ) return NOT_FAST;
  for (const line of text.split("\n")) {
    if (line.length > 1000 && !/^ *"[^"\\]{0,900}": /.test(line)) return NOT_FAST;
  }
  if (/"\s+:/.test(text)) return SPACED_KEY;
  return text.split('":').length - 1;
}

Deno.test("screenJsonItem gives what its expressions give (4,000 seeded texts with odd pieces, ASCII or not)", () => {
  const rand = seededRandom(20261208);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const base = JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web-0", labels: { app: "web", "pod-template-hash": "5d8f-0" } },
      spec: {
        containers: [{ name: "c", image: "nginx:1.0", ports: [{ containerPort: 80 }] }],
        hostNetwork: false,
        securityContext: { runAsUser: 1000, fsGroup: 0 },
      },
    },
    null,
    4,
  );
  const pieces = [
    "-0",
    ", -0]",
    ":-0\n",
    ": -0 }",
    "[-0 ,",
    ":\n  -0  \n",
    ",  -0   ]",
    "-0\u007f",
    "-00",
    "- 0",
    "<<",
    "<",
    "__proto__",
    '"__proto__"',
    "__",
    '" :',
    '"\n    :',
    '"  \n :',
    '":',
    '\\":',
    "1e999",
    "9e777",
    "0E-100",
    "2E+123",
    "3e-12",
    "e123",
    "\t",
    "\r",
    "\u0000",
    "\u007f",
    "\u00a0",
    "\u00e9",
    "\u2028",
    "\u3000",
    "\ufeff",
    "\ud83d\ude00",
    "\ud800",
    "\u4e2d",
    '"' + "k".repeat(950) + '": ',
    '"k": ' + "v".repeat(1100),
    '    "' + "x".repeat(200) + '": "' + "y".repeat(900) + '"',
    "x".repeat(1001),
    "\n",
    " ",
    '"',
  ];
  let fast = 0;
  let spaced = 0;
  let ascii = 0;
  for (let n = 0; n < 4000; n++) {
    let text = base + "\n";
    for (let k = Math.floor(rand() * 5); k > 0; k--) {
      const at = Math.floor(rand() * text.length);
      text = text.slice(0, at) + pick(pieces) + text.slice(at);
    }
    const want = screenByExpressions(text);
    assert.equal(screenJsonItem(text), want, JSON.stringify(text));
    // deno-lint-ignore no-control-regex
    if (/^[\x00-\x7f]*$/.test(text)) ascii++;
    if (want >= 0) fast++;
    if (want === SPACED_KEY) spaced++;
  }
  // every kind of answer was compared
  assert.ok(fast > 300 && spaced > 30, `${fast} fast, ${spaced} spaced`);
  // both ways of screening (bytes for ASCII, characters otherwise) were compared
  assert.ok(ascii > 1000 && ascii < 3000, `${ascii} ASCII texts`);
});
