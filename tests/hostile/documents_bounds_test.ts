/**
 * The bounds src/io/documents.ts puts on hostile input, in-process: nesting depth, scalar
 * size, collection keys, empty streams, and the linear scan for the first invalid UTF-8 byte
 * (checked against the platform's decoder on seeded random bytes).
 */
import assert from "node:assert/strict";
import {
  decodeText,
  firstInvalidUtf8,
  MAX_NESTING,
  MAX_SCALAR_CHARS,
  parseObjects,
} from "../../src/io/documents.ts";
import { InputError } from "../../src/io/errors.ts";
import { Random } from "../fuzz/random.ts";
import { withinCeiling } from "../support/ceiling.ts";

function refuses(text: string, message: RegExp, where?: RegExp): void {
  assert.throws(() => parseObjects(text, "in.yaml"), (e: unknown) => {
    assert.ok(e instanceof InputError, `not an InputError: ${e}`);
    assert.equal(e.exitCode, 2);
    assert.match(e.message, message);
    if (where) assert.match(e.message, where);
    return true;
  });
}

/** A Pod whose labels hold `inner` at the given depth below the document root. */
function nested(depth: number, style: "flow-seq" | "flow-map" | "block"): string {
  // root mapping (1) > metadata (2) > labels (3) > ... ; `depth` counts collections
  const extra = depth - 3;
  let value: string;
  if (style === "flow-seq") value = "[".repeat(extra) + "x" + "]".repeat(extra);
  else if (style === "flow-map") value = "{a: ".repeat(extra) + "x" + "}".repeat(extra);
  else {
    value = "";
    for (let i = 0; i < extra; i++) value += `\n${"  ".repeat(i + 3)}a:`;
    value += " x";
  }
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    deep: ${value}\n`;
}

for (const style of ["flow-seq", "flow-map", "block"] as const) {
  Deno.test(`nesting (${style}): ${MAX_NESTING} levels are read, one more is refused with its line`, () => {
    assert.equal(parseObjects(nested(MAX_NESTING, style), "in.yaml").length, 1);
    refuses(
      nested(MAX_NESTING + 1, style),
      /nesting deeper than 100 levels/,
      /^in\.yaml \(document 1, line \d+:\d+\)/,
    );
  });
}

Deno.test("nesting: the second document is named, and 100,000 levels fail fast", () => {
  refuses(
    `kind: A\n---\nkind: B\nx: ${"[".repeat(100_000)}`,
    /nesting deeper/,
    /\(document 2, line 4:/,
  );
});

Deno.test("scalar size: MAX_SCALAR_CHARS is read, one more character is refused", () => {
  const head = "apiVersion: v1\nkind: ConfigMap\ndata:\n  big: ";
  const ok = parseObjects(`${head}${"x".repeat(MAX_SCALAR_CHARS)}\n`, "in.yaml");
  assert.equal((ok[0].object.data as { big: string }).big.length, MAX_SCALAR_CHARS);
  refuses(
    `${head}"${"x".repeat(MAX_SCALAR_CHARS)}"\n`,
    /a single value of 3145730 characters/,
    /\(document 1, line 4:8\)/,
  );
  refuses(`${head}|\n${"    y\n".repeat(MAX_SCALAR_CHARS / 5)}`, /a single value of/);
});

Deno.test("collection keys are refused with their position; merge keys work as in kubectl", () => {
  refuses("kind: Pod\n? [a, b]\n: 1\n", /mapping key that is a collection/, /line 2:3/);
  refuses("kind: Pod\nx: {[a]: 1}\n", /mapping key that is a collection/, /line 2:5/);
  const [o] = parseObjects(
    "kind: Pod\nbase: &b {rule: RunAsAny}\nspec:\n  runAsUser:\n    <<: *b\n",
    "in.yaml",
  );
  assert.deepEqual((o.object.spec as Record<string, unknown>).runAsUser, { rule: "RunAsAny" });
});

Deno.test("streams without any object are empty input; an empty List is not", () => {
  for (const text of ["", "\n\n", "# c\n", "---\n---\n", "# a\n---\n# b\n", "~\n", "null\n"]) {
    refuses(text, /empty input/);
  }
  assert.deepEqual(parseObjects("apiVersion: v1\nkind: List\nitems: []\n", "in.yaml"), []);
});

/** Reference: where the platform decoder puts its first replacement character, in bytes. */
function referenceOffset(bytes: Uint8Array): number {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  const i = text.indexOf("\ufffd");
  return i < 0 ? bytes.length : new TextEncoder().encode(text.slice(0, i)).length;
}

Deno.test("firstInvalidUtf8 agrees with the platform decoder on 20,000 seeded random byte strings", () => {
  const r = new Random(7);
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef];
  const more = [0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90];
  for (let n = 0; n < 20_000; n++) {
    const bytes = Uint8Array.from(
      { length: 1 + r.int(12) },
      () => r.chance(0.7) ? r.pick([...interesting, ...more]) : r.int(256),
    );
    // a literal U+FFFD (EF BF BD) in the input would confuse the reference
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    if (hex.includes("efbfbd")) continue;
    assert.equal(firstInvalidUtf8(bytes), referenceOffset(bytes), `bytes ${hex}`);
  }
});

Deno.test("invalid UTF-8 after 20 MB is found in linear time with the right line", () => {
  const valid = new TextEncoder().encode(`${"é".repeat(10_000_000)}\nkind: Pod\n`);
  const bytes = new Uint8Array(valid.length + 2);
  bytes.set(valid);
  bytes.set([0xed, 0xa0], valid.length); // a UTF-16 surrogate, invalid in UTF-8
  // a scan that is not linear would not finish within the ceiling on 20 MB
  withinCeiling("decodeText of 20 MB", () =>
    assert.throws(
      () => decodeText(bytes, "big.yaml"),
      (e: unknown) =>
        e instanceof InputError &&
        e.message === "big.yaml (line 3): invalid UTF-8 near byte offset 20000011",
    ));
});
