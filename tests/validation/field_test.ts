import assert from "node:assert/strict";
import {
  duplicate,
  forbidden,
  goCapabilities,
  goIdRanges,
  goInt64s,
  goQuote,
  goStringSlice,
  invalid,
  invalidObjectMessage,
  notSupported,
  required,
  tooLong,
} from "../../src/validation/field.ts";

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
  assert.equal(duplicate("x[1]", '"a"').text, 'x[1]: Duplicate value: "a"');
  assert.equal(tooLong("x", 63).text, "x: Too long: must have at most 63 bytes");
  assert.equal(
    notSupported("spec.seLinux.rule", "Any", ["MustRunAs", "RunAsAny"]).text,
    'spec.seLinux.rule: Unsupported value: "Any": supported values: "MustRunAs", "RunAsAny"',
  );
  assert.equal(notSupported("x", "", []).text, 'x: Unsupported value: ""');
});

Deno.test("field errors: a 422 message joins several errors in brackets, once each", () => {
  const a = required("a");
  const b = forbidden("b", "no");
  assert.equal(invalidObjectMessage("Pod", "p", [a]), 'Pod "p" is invalid: a: Required value');
  assert.equal(
    invalidObjectMessage("PodSecurityPolicy.extensions", "p", [a, b, a]),
    'PodSecurityPolicy.extensions "p" is invalid: [a: Required value, b: Forbidden: no]',
  );
});

Deno.test("field errors: Go value rendering", () => {
  assert.equal(goInt64s(null), "[]int64(nil)");
  assert.equal(goInt64s([]), "[]int64{}");
  assert.equal(goInt64s([5, 15, 25]), "[]int64{5, 15, 25}");
  assert.equal(goCapabilities(["NET_RAW"]), '[]core.Capability{"NET_RAW"}');
  assert.equal(goCapabilities(undefined), "[]core.Capability(nil)");
  assert.equal(goStringSlice("string", ["a", "b"]), '[]string{"a", "b"}');
  assert.equal(goStringSlice("string", null), "[]string(nil)");
});

Deno.test("field errors: goIdRanges prints %v and %#v as Go's fmt does", () => {
  // go1.19: fmt.Printf("%v %#v", r, r) with r := []policy.IDRange{{1, 3}, {4, 4}}
  const r = [{ min: 1, max: 3 }, { min: 4, max: 4 }];
  assert.equal(goIdRanges(r, "%v"), "[{1 3} {4 4}]");
  assert.equal(
    goIdRanges(r, "%#v"),
    "[]policy.IDRange{policy.IDRange{Min:1, Max:3}, policy.IDRange{Min:4, Max:4}}",
  );
  assert.equal(goIdRanges([], "%v"), "[]");
  assert.equal(goIdRanges(null, "%v"), "[]");
  assert.equal(goIdRanges([], "%#v"), "[]policy.IDRange{}");
  assert.equal(goIdRanges(undefined, "%#v"), "[]policy.IDRange(nil)");
});

Deno.test("field errors: goQuote follows strconv.Quote", () => {
  assert.equal(goQuote("hostPath"), '"hostPath"');
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote("\n\t\x07\x00\x7f"), '"\\n\\t\\a\\x00\\x7f"');
  assert.equal(goQuote("ünïcode ✓"), '"ünïcode ✓"');
  assert.equal(goQuote("\u00a0\u2028"), '"\\u00a0\\u2028"');
  assert.equal(goQuote("\u{e0001}"), '"\\U000e0001"');
  assert.equal(goQuote("t\tn\n\u0001\u007f"), '"t\\tn\\n\\x01\\x7f"');
  assert.equal(goQuote("é ü 日本"), '"é ü 日本"');
  assert.equal(goQuote("\u200b\u202e"), '"\\u200b\\u202e"');
  assert.equal(goQuote("\u{1f600}"), '"\u{1f600}"');
});

Deno.test("field errors: a lone surrogate quotes as the U+FFFD the API server decodes it to", () => {
  // The server only ever holds what its JSON decoder made of the request: a `\ud800` escape
  // (the only way a lone surrogate reaches it from kubectl or from this tool's JSON) decodes to
  // U+FFFD, which is printable, so `%q` shows the character itself. Go 1.19, the same decoding:
  //   json.Unmarshal([]byte(`"a\ud800b"`), &s); fmt.Printf("%q %x", s, s)  =>  "a\ufffdb" 61efbfbd62
  // where the quoted output holds the three bytes of U+FFFD, not the six characters `\ufffd`.
  // A real kube-apiserver v1.20.2 answers the same (fixtures/psp/validation-answers.json,
  // quote-lone-surrogate, checked by tests/psp/validate_test.ts): `Invalid value: "a\ufffdb"`.
  const decoded = JSON.parse('"a\\ud800b"') as string;
  assert.equal(decoded.length, 3);
  assert.equal(goQuote(decoded), '"a\ufffdb"');
  assert.equal(goQuote("\udc00\ud800"), '"\ufffd\ufffd"');
  assert.equal(goQuote("\ufffd"), '"\ufffd"');
  // A well-formed pair is one rune.
  assert.equal(goQuote("\ud83d\ude00"), '"\u{1f600}"');
});
