/**
 * What the project relies on in its YAML libraries without their promise
 * (src/io/library_internals.ts), checked against the installed versions: a library update that
 * changes any of it fails here, loudly, naming what changed.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/js-yaml@4.0.9"
import { load, type LoadOptions } from "js-yaml";
import { Composer, Document, Parser } from "yaml";
import {
  type JsYamlListenerState,
  listenerState,
  withMaxDepth,
} from "../../src/io/library_internals.ts";
import { KUBECTL_SCALAR_TAGS, YAML_OPTIONS } from "../../src/io/yaml_schema.ts";
import { fastParseYaml } from "../../src/io/yaml_fast.ts";

const LIST = `apiVersion: v1
kind: List
items:
- kind: Pod
  metadata: {name: a}
-   kind: Pod
    metadata: {name: b}
`;

Deno.test("js-yaml's listener state: kind, result, depth, position, line, lineStart", () => {
  const events: { event: string; state: JsYamlListenerState }[] = [];
  const options: LoadOptions = {
    listener: (event, s) => {
      const st = listenerState(s);
      events.push({ event, state: { ...st } });
    },
  };
  const value = load(LIST, options) as { items: unknown[] };
  const fields = ["kind", "result", "depth", "position", "line", "lineStart"];
  assert.ok(events.some((e) => e.event === "close"), "js-yaml calls its listener");
  for (const { state } of events.filter((e) => e.event === "close")) {
    for (const f of fields) {
      assert.ok(f in state, `js-yaml's listener state has no '${f}' any more`);
    }
    for (const f of ["depth", "position", "line", "lineStart"] as const) {
      assert.equal(typeof state[f], "number", `js-yaml's listener state.${f} is not a number`);
    }
  }
  // the items of the root's `items` open at depth 3 where their first character is
  const opened = events.filter((e) => e.event === "open" && e.state.depth === 3).map((e) => [
    e.state.line + 1,
    e.state.position - e.state.lineStart + 1,
  ]);
  assert.deepEqual(opened.slice(0, 2), [[4, 3], [6, 5]], "where js-yaml opens sequence items");
  // and close with the item itself as the result, kind mapping
  const closed = events.filter((e) =>
    e.event === "close" && e.state.depth === 3 && e.state.kind === "mapping"
  ).map((e) => e.state.result);
  assert.ok(closed.includes(value.items[0]) && closed.includes(value.items[1]));
  // what yaml_fast.ts makes of it
  const fast = fastParseYaml(LIST, { maxNesting: 100, maxScalarChars: 1 << 20 }, { items: true });
  assert.deepEqual(fast?.items, [{ line: 4, column: 3 }, { line: 6, column: 5 }]);
});

Deno.test("js-yaml's maxDepth option bounds its recursion", () => {
  const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
  assert.doesNotThrow(() => load(`x: ${nested(5)}`, withMaxDepth({}, 20)));
  assert.throws(
    () => load(`x: ${nested(50)}`, withMaxDepth({}, 20)),
    "js-yaml no longer honours maxDepth",
  );
});

Deno.test("the yaml library's Composer with YAML_OPTIONS tries exactly KUBECTL_SCALAR_TAGS, in order", () => {
  const tags = new Document(null, YAML_OPTIONS).schema.tags as unknown as {
    default?: unknown;
    test?: RegExp;
  }[];
  const implicit = tags.filter((t) => t.default === true && t.test !== undefined);
  assert.equal(implicit.length, KUBECTL_SCALAR_TAGS.length);
  implicit.forEach((t, i) => assert.equal(t, KUBECTL_SCALAR_TAGS[i], `tag ${i}`));
  // and the Composer resolves a plain scalar through them
  const [doc] = new Composer(YAML_OPTIONS).compose(new Parser().parse("v: 0755\n"));
  assert.deepEqual(doc.toJS(), { v: 493 });
});
