/**
 * Splitting a List into its items as lines arrive (list_stream.ts, through
 * streamDocumentsAndListItems and parseListItem): each item gives the object, source and field
 * positions that reading the whole document gives for it; the skeleton and ListEnd say what
 * the document was.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { parseObjects } from "../../src/io/documents.ts";
import { type ListEnd, TextSpill } from "../../src/io/list_stream.ts";
import {
  type DocumentText,
  ListItemUnsure,
  parseListItem,
  streamDocumentsAndListItems,
} from "../../src/io/stream.ts";
import { ORACLE_DIR } from "../support/shared.ts";

type Obj = Record<string, unknown>;
const corpus = JSON.parse(
  await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR)),
) as { pods: (Obj & { metadata: Obj })[] };

const list = {
  apiVersion: "v1",
  items: corpus.pods.map((p, i) => ({ ...p, metadata: { ...p.metadata, name: `p${i}` } })),
  kind: "List",
  metadata: { resourceVersion: "" },
};
const TEXTS: [string, string][] = [
  ["json", JSON.stringify(list, null, 4) + "\n"],
  ["yaml", stringify(list, { indentSeq: false, aliasDuplicateObjects: false })],
  ["yaml, items indented", stringify(list, { indentSeq: true, aliasDuplicateObjects: false })],
  ["json, CRLF", (JSON.stringify(list, null, 4) + "\n").replaceAll("\n", "\r\n")],
];

async function split(text: string): Promise<(DocumentText | ListEnd)[]> {
  const file = await Deno.makeTempFile({ suffix: ".txt" });
  try {
    await Deno.writeTextFile(file, text);
    const out: (DocumentText | ListEnd)[] = [];
    for await (const d of streamDocumentsAndListItems(file)) out.push({ ...d, file: "f" });
    return out;
  } finally {
    await Deno.remove(file);
  }
}

/** Field paths whose positions are compared: fields of item N, as SARIF asks for them. */
const PATHS: (string | number)[][] = [
  [],
  ["metadata", "name"],
  ["spec"],
  ["spec", "containers", 0, "image"],
  ["spec", "containers", 0, "securityContext", "privileged"],
  ["spec", "hostNetwork"],
  ["spec", "volumes", 0, "hostPath", "path"],
];

Deno.test("each item of a List, read on its own, has the whole document's object, source and field positions", async () => {
  for (const [what, text] of TEXTS) {
    const whole = parseObjects(text, "f");
    const docs = await split(text);
    const items = docs.filter((d): d is DocumentText => d.format !== "list-end");
    assert.equal(items.length, list.items.length, what);
    let positions = 0;
    for (const [n, doc] of items.entries()) {
      const one = parseListItem(doc);
      assert.deepEqual(one.object, whole[n].object, `${what} item ${n}`);
      assert.deepEqual(one.source, whole[n].source, `${what} item ${n}`);
      for (const path of PATHS) {
        const at = one.locate(path);
        assert.deepEqual(at, whole[n].locate(path), `${what} item ${n} ${path.join(".")}`);
        if (at && path.length) positions++;
      }
    }
    assert.ok(positions > list.items.length * 2, `${what}: ${positions} positions compared`);
    const end = docs[docs.length - 1] as ListEnd;
    assert.equal(end.format, "list-end");
    assert.equal(end.regular, true);
    assert.equal(end.items, list.items.length);
    assert.equal(end.lines, 0);
    assert.equal(end.endLines, text.split("\n").length - 1);
    assert.equal(end.kept, undefined, "a regular file is read again, not kept");
  }
});

Deno.test("the skeleton of a List is the document without its items", async () => {
  const j = (await split(TEXTS[0][1])).at(-1) as ListEnd;
  assert.equal(
    j.skeleton,
    '{\n    "apiVersion": "v1",\n    "items": [\n    ],\n    "kind": "List",\n' +
      '    "metadata": {\n        "resourceVersion": ""\n    }\n}\n',
  );
  const y = (await split(TEXTS[1][1])).at(-1) as ListEnd;
  assert.equal(
    y.skeleton,
    'apiVersion: v1\nitems:\nkind: List\nmetadata:\n  resourceVersion: ""\n',
  );
});

Deno.test("documents that are not kubectl's List layout are not split", async () => {
  const one = JSON.stringify(list.items[0]);
  for (
    const text of [
      `apiVersion: v1\nitems: [${one}]\nkind: List\n`, // flow style
      `{"apiVersion": "v1", "items": [${one}], "kind": "List"}\n`, // one line (JSON lines)
      `apiVersion: v1\nitems:\nkind: List\n`, // items null
      `%YAML 1.2\n---\napiVersion: v1\nitems:\n- ${one}\nkind: List\n`, // directive
      `- a\n- b\n`, // not a mapping
    ]
  ) {
    const docs = await split(text);
    assert.ok(docs.every((d) => d.format === "yaml" || d.format === "json-line"), text);
  }
});

Deno.test("an item that does not read on its own, or reads as no object, is unsure (the whole document decides)", async () => {
  const docs = await split(
    "apiVersion: v1\nitems:\n- &a {x: 1}\n- *a\n- just text\n-\n- a: [1,\n- b: 2\nkind: List\n",
  );
  const items = docs.filter((d): d is DocumentText => d.format === "yaml-list-item");
  assert.equal(items.length, 6);
  // an anchor's own item reads; an alias to another item's, a scalar, null, a cut do not
  assert.deepEqual(parseListItem(items[0]).object, { x: 1 });
  for (const i of [1, 2, 3, 4]) assert.throws(() => parseListItem(items[i]), ListItemUnsure);
  assert.deepEqual(parseListItem(items[5]).object, { b: 2 });
});

Deno.test("TextSpill keeps a List's text in a temporary file already removed, and gives it back whole", async () => {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const before = new Set<string>();
  for await (const e of Deno.readDir(tmp)) before.add(e.name);
  const spill = new TextSpill();
  assert.equal(spill.onDisk, true, "a temporary file (this system can remove an open file)");
  const lines: string[] = [];
  for (let i = 0; i < 60_000; i++) lines.push(`    "line-${i}": "é ü ${"x".repeat(i % 50)}",`);
  for (let i = 0; i < lines.length; i += 7) spill.add(lines.slice(i, i + 7).join("\n"));
  for await (const e of Deno.readDir(tmp)) {
    assert.ok(before.has(e.name) || !e.name.startsWith("falco-psp-list-"), `${e.name} left`);
  }
  assert.equal(spill.text(), lines.join("\n") + "\n");
});

Deno.test("a List from a FIFO (input that cannot be read again) keeps its text for its end", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/fifo`;
    assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
    const text = TEXTS[0][1];
    const writing = Deno.writeTextFile(fifo, text);
    const docs: (DocumentText | ListEnd)[] = [];
    for await (const d of streamDocumentsAndListItems(fifo)) docs.push(d);
    await writing;
    const end = docs.at(-1) as ListEnd;
    assert.equal(end.items, list.items.length);
    assert.equal(end.kept?.text(), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
