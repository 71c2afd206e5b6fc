import assert from "node:assert/strict";
import {
  anchoredInRanges,
  inRangesAlternatives,
  inRangesPattern,
  literalPattern,
  notOneOfStringAlternatives,
  notOneOfStringPattern,
  outsideRangesPattern,
  splitAlternation,
} from "../../src/falco/regex.ts";

/** A deterministic pseudo-random generator (so failures reproduce). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function inside(n: number, ranges: { min: number; max: number }[]): boolean {
  return ranges.some((r) => r.min <= n && n <= r.max);
}

Deno.test("range regexes agree with arithmetic on random ranges and numbers", () => {
  const rand = rng(42);
  const pick = (max: number) => Math.floor(rand() * max);
  for (let round = 0; round < 200; round++) {
    const scale = [10, 100, 1000, 70000, 3_000_000][round % 5];
    const ranges = Array.from({ length: 1 + pick(3) }, () => {
      const a = pick(scale), b = pick(scale);
      return { min: Math.min(a, b), max: Math.max(a, b) };
    });
    const inRx = new RegExp(`^${inRangesPattern(ranges)}$`);
    const outPattern = outsideRangesPattern(ranges);
    const outRx = outPattern === undefined ? undefined : new RegExp(`^${outPattern}$`);
    const samples = [
      0,
      1,
      9,
      10,
      ...ranges.flatMap((r) => [r.min - 1, r.min, r.max, r.max + 1]),
      ...Array.from({ length: 60 }, () => pick(scale * 3)),
    ].filter((n) => n >= 0);
    for (const n of samples) {
      const want = inside(n, ranges);
      assert.equal(inRx.test(String(n)), want, `${n} in ${JSON.stringify(ranges)}`);
      assert.equal(
        outRx?.test(String(n)) ?? false,
        !want,
        `${n} outside ${JSON.stringify(ranges)}`,
      );
    }
  }
});

Deno.test("range regexes: edge cases", () => {
  assert.equal(inRangesPattern([]), undefined, "no range matches nothing");
  assert.equal(inRangesPattern([{ min: 10, max: 1 }]), undefined, "min > max matches nothing");
  assert.equal(outsideRangesPattern([{ min: 0, max: 2 ** 63 }]), undefined, "everything allowed");
  const rx = new RegExp(anchoredInRanges([{ min: 1, max: 65535 }])!);
  assert.ok(rx.test("65535") && rx.test("1"));
  assert.ok(!rx.test("0") && !rx.test("65536") && !rx.test("01") && !rx.test("-1") && !rx.test(""));
  const out = new RegExp(`^${outsideRangesPattern([{ min: 1000, max: 2000 }])}$`);
  assert.ok(out.test("123456789012345678") && out.test("0") && out.test("2001"));
  assert.ok(!out.test("1500"));
});

Deno.test("notOneOfStringPattern matches exactly the JSON string bodies outside the set", () => {
  const allowed = ["runtime/default", "localhost/k8s-nginx", "localhost/k8s"];
  const rx = new RegExp(`^"${notOneOfStringPattern(allowed)}$`);
  for (const a of allowed) assert.ok(!rx.test(`"${a}"`), a);
  for (
    const s of [
      "",
      "runtime",
      "runtime/defaults",
      "localhost/k8s-",
      "unconfined",
      "localhost/k8s-nginx2",
      "Runtime/default",
    ]
  ) {
    assert.ok(rx.test(`"${s}"`), s);
  }
  const none = new RegExp(`^"${notOneOfStringPattern([])}$`);
  assert.ok(none.test('""') && none.test('"x"'));
  const onlyEmpty = new RegExp(`^"${notOneOfStringPattern([""])}$`);
  assert.ok(!onlyEmpty.test('""') && onlyEmpty.test('"x"'));
});

Deno.test("patterns use no backslash and refuse characters they cannot write", () => {
  assert.ok(!literalPattern("a.b/c:d-e+f").includes("\\"));
  assert.ok(new RegExp(`^${literalPattern("a.b")}$`).test("a.b"));
  assert.ok(!new RegExp(`^${literalPattern("a.b")}$`).test("axb"));
  assert.throws(() => literalPattern('a"b'));
  assert.throws(() => notOneOfStringPattern(["a]b"]));
  assert.ok(!outsideRangesPattern([{ min: 5, max: 7 }])!.includes("\\"));
});

Deno.test("split patterns: every piece fits the budget and together they match the same strings", () => {
  const rand = rng(7);
  const pick = (n: number) => Math.floor(rand() * n);
  const word = (len: number) => Array.from({ length: len }, () => "ab/-.x"[pick(6)]).join("");
  for (let round = 0; round < 60; round++) {
    const allowed = Array.from({ length: 1 + pick(30) }, () => word(1 + pick(25)));
    const budget = 30 + pick(120);
    const pieces = notOneOfStringAlternatives(allowed, budget);
    const whole = new RegExp(`^"${notOneOfStringPattern(allowed)}$`);
    if (pieces === undefined) {
      // only when some allowed string's pattern is nearly as long as the budget (a piece
      // is its prefix plus one character class and `[^"]*"`)
      assert.ok(allowed.some((a) => literalPattern(a).length + 20 > budget), `round ${round}`);
      continue;
    }
    for (const p of pieces) assert.ok(p.length <= budget, `round ${round}: ${p}`);
    const head = '^.*"k":"';
    const split = splitAlternation(head, pieces, ".*$", head.length + budget + 6)!;
    for (const v of split) assert.ok(v.length <= head.length + budget + 6);
    const rxs = split.map((v) => new RegExp(v));
    const samples = [...allowed, ...allowed.map((a) => a + "x"), ...allowed.map((a) => a.slice(1))]
      .concat(Array.from({ length: 40 }, () => word(pick(27))));
    for (const s of samples) {
      const expected = whole.test(`"${s}"`);
      assert.equal(expected, !allowed.includes(s), `round ${round}: ${s}`);
      assert.equal(rxs.some((r) => r.test(`{"k":"${s}"}`)), expected, `round ${round}: ${s}`);
    }
  }
  const ranges = Array.from({ length: 300 }, (_, i) => ({ min: 7 * i, max: 7 * i + 2 }));
  const split = splitAlternation("^", inRangesAlternatives(ranges), "$", 255)!;
  assert.ok(split.length > 1 && split.every((v) => v.length <= 255));
  const rxs = split.map((v) => new RegExp(v));
  for (let n = 0; n < 2200; n++) {
    assert.equal(rxs.some((r) => r.test(String(n))), inside(n, ranges), String(n));
  }
  assert.equal(splitAlternation("^", ["x".repeat(254)], "$", 255), undefined);
});
