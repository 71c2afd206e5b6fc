import assert from "node:assert/strict";
import {
  forbidden,
  goCapabilities,
  goIdRanges,
  goInt64s,
  goQuote,
  invalid,
  required,
} from "../../src/admission/field_errors.ts";

Deno.test("field errors: bodies as field.Error renders them", () => {
  assert.deepEqual(invalid("a.b", "true", "nope"), {
    field: "a.b",
    message: "Invalid value: true: nope",
    text: "a.b: Invalid value: true: nope",
  });
  assert.equal(
    invalid("spec.runtimeClassName", '"bad"', "").text,
    'spec.runtimeClassName: Invalid value: "bad"',
  );
  assert.equal(required("x").text, "x: Required value");
  assert.equal(required("x", "must be true").text, "x: Required value: must be true");
  assert.equal(forbidden("x", "no").text, "x: Forbidden: no");
});

Deno.test("field errors: Go value rendering", () => {
  assert.equal(goInt64s(null), "[]int64(nil)");
  assert.equal(goInt64s([]), "[]int64{}");
  assert.equal(goInt64s([5, 15, 25]), "[]int64{5, 15, 25}");
  assert.equal(goCapabilities(["NET_RAW"]), '[]core.Capability{"NET_RAW"}');
  assert.equal(goCapabilities(undefined), "[]core.Capability(nil)");
  assert.equal(goIdRanges([{ min: 1, max: 3 }, { min: 4, max: 4 }]), "[{1 3} {4 4}]");
  assert.equal(goIdRanges([]), "[]");
});

Deno.test("field errors: goQuote follows strconv.Quote", () => {
  assert.equal(goQuote("hostPath"), '"hostPath"');
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote("\n\t\x07\x00\x7f"), '"\\n\\t\\a\\x00\\x7f"');
  assert.equal(goQuote("ünïcode ✓"), '"ünïcode ✓"');
  assert.equal(goQuote("\u00a0\u2028"), '"\\u00a0\\u2028"');
  assert.equal(goQuote("\u{e0001}"), '"\\U000e0001"');
});
