import assert from "node:assert/strict";
import { ListTextError, splitListText } from "../../src/cluster/list_text.ts";
import { fuzzSeed, hostileString, Random, randomPod, randomValue } from "../fuzz/random.ts";

const ROOT = new URL("../../", import.meta.url);

/** What JSON.parse makes of a list, and what the split gives, item texts parsed. */
function both(text: string) {
  const whole = JSON.parse(text);
  const split = splitListText(text);
  return {
    expected: {
      apiVersion: whole.apiVersion,
      kind: whole.kind,
      metadata: whole.metadata,
      items: whole.items ?? [],
    },
    actual: {
      apiVersion: split.apiVersion,
      kind: split.kind,
      metadata: split.metadata,
      items: split.items.map((t) => JSON.parse(t)),
    },
  };
}

Deno.test("splitListText: items of kubectl's pretty List and of the API server's compact answer", async () => {
  const pretty = await Deno.readTextFile(new URL("fixtures/e2e/pods.json", ROOT));
  const parsed = JSON.parse(pretty);
  assert.ok(parsed.items.length > 50);
  for (
    const text of [
      pretty,
      JSON.stringify({
        kind: "PodList",
        apiVersion: "v1",
        metadata: { resourceVersion: "5244", continue: "eyJ2Ijo", remainingItemCount: 3 },
        items: parsed.items,
      }),
    ]
  ) {
    const { expected, actual } = both(text);
    assert.deepEqual(actual, expected);
  }
  // each item text is exactly the item, not more (the split keeps no separators)
  const split = splitListText(pretty);
  assert.ok(split.items.every((t) => t.startsWith("{") && t.endsWith("}")));
});

Deno.test("splitListText: strings with quotes, backslashes and brackets; metadata after items", () => {
  const items = [
    { metadata: { name: 'a"b', annotations: { x: "\\", y: '\\"', z: "}]{[", w: '\\\\"}' } } },
    { metadata: { name: "\u2028ü😀", labels: { 'k"]': "v\\" } }, spec: { a: [[], {}, [1, [2]]] } },
    "a string item",
    42,
    null,
    [1, "]"],
  ];
  const text = `{"items":${JSON.stringify(items)},"metadata":{"continue":"c\\"1"},"kind":"X"}`;
  const { expected, actual } = both(text);
  assert.deepEqual(actual, expected);
  assert.deepEqual(splitListText(text).metadata, { continue: 'c"1' });
});

Deno.test("splitListText: no items, null items, a repeated field (the last counts), whitespace", () => {
  assert.deepEqual(splitListText("{}").items, []);
  assert.deepEqual(splitListText('{"kind":"PodList","items":null}').items, []);
  assert.deepEqual(splitListText(' \n{ "items" : [ ] }\n').items, []);
  const repeated = '{"items":[1,2],"kind":"A","items":[3],"kind":"B"}';
  const { expected, actual } = both(repeated);
  assert.deepEqual(actual, expected);
  assert.deepEqual(actual.items, [3]);
});

Deno.test("splitListText refuses what is not one JSON object of a list's shape", () => {
  for (
    const text of [
      "",
      "<html>502 Bad Gateway</html>",
      "[]",
      '{"items":[]} x',
      '{"items":{}}',
      '{"items":"no"}',
      '{"items":[1,]}',
      '{"items":[1 2]}',
      '{"kind" "PodList"}',
      '{"kind":"PodList",}',
      '{kind:"PodList"}',
      '{"metadata":{"continue":tru}}',
    ]
  ) {
    assert.throws(() => splitListText(text), ListTextError, text);
  }
});

Deno.test("splitListText refuses every cut answer (a connection closed mid-list)", async () => {
  const text = JSON.stringify(
    JSON.parse(await Deno.readTextFile(new URL("fixtures/e2e/pods.json", ROOT))),
  ).slice(0, 8_000);
  const whole = text.slice(0, text.lastIndexOf("},{") + 1) + "]}";
  assert.doesNotThrow(() => JSON.parse(whole));
  assert.doesNotThrow(() => splitListText(whole));
  for (let cut = 0; cut < whole.length; cut++) {
    assert.throws(() => splitListText(whole.slice(0, cut)), ListTextError, `cut at ${cut}`);
  }
});

Deno.test("splitListText agrees with JSON.parse on seeded random lists (compact and indented)", () => {
  const seed = fuzzSeed();
  const r = new Random(seed);
  for (let n = 0; n < 300; n++) {
    const items = Array.from(
      { length: r.int(6) },
      () => r.chance(0.5) ? randomPod(r) : randomValue(r),
    );
    const list: Record<string, unknown> = {
      metadata: { continue: hostileString(r), resourceVersion: String(r.int(1e6)) },
      [hostileString(r)]: randomValue(r),
      items,
      kind: "PodList",
    };
    for (const text of [JSON.stringify(list), JSON.stringify(list, null, r.int(4) + 1)]) {
      const { expected, actual } = both(text);
      assert.deepEqual(actual, expected, `seed ${seed}, case ${n}: ${text.slice(0, 200)}`);
    }
  }
});
