import assert from "node:assert/strict";
import { indentLines, jsonChunks, LazyArray } from "../../src/report/stream.ts";

Deno.test("jsonChunks joins to exactly JSON.stringify(value, null, 2)", () => {
  const values: unknown[] = [
    null,
    1,
    "a\nb",
    [],
    {},
    [1, undefined, { a: [] }],
    { a: undefined, b: { c: [1, { d: "x" }], e: {} }, f: null, 'g"h': [[1, 2], []] },
    { deep: { er: { than: { the: { depth: [1, 2, { x: 1 }] } } } } },
  ];
  for (const v of values) {
    for (const depth of [0, 1, 2, 4, 9]) {
      assert.equal(
        [...jsonChunks(v, depth)].join(""),
        JSON.stringify(v, null, 2),
        `depth ${depth}`,
      );
    }
  }
});

Deno.test("LazyArray elements are produced while rendering, one chunk per element at most", () => {
  let produced = 0;
  function* items() {
    for (let i = 0; i < 3; i++) {
      produced++;
      yield { i, s: "x".repeat(10) };
    }
  }
  const gen = jsonChunks({ a: 1, list: new LazyArray(items) }, 1);
  const chunks: string[] = [];
  for (const c of gen) {
    chunks.push(c);
    if (produced === 1) assert.ok(!chunks.join("").includes('"i": 1'));
  }
  const eager = { a: 1, list: [...items()] };
  assert.equal(chunks.join(""), JSON.stringify(eager, null, 2));
  assert.equal([...jsonChunks(new LazyArray(() => []))].join(""), "[]");
});

Deno.test("indentLines leaves empty lines empty", () => {
  assert.equal(indentLines("a\n\nb\n", "  "), "  a\n\n  b\n");
  // Only \n ends a line: \r, U+2028 and U+2029 inside a quoted YAML string stay as they are.
  assert.equal(
    indentLines('x: "a\u2028b\u2029c\rd"\ny: 1', "  "),
    '  x: "a\u2028b\u2029c\rd"\n  y: 1',
  );
});
