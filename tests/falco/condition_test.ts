import assert from "node:assert/strict";
import {
  and,
  cmp,
  exists,
  FALSE,
  field,
  group,
  jsonField,
  macro,
  not,
  or,
  quote,
  render,
  str,
  TRUE,
  UnsafeValueError,
  word,
} from "../../src/falco/condition.ts";

Deno.test("untrusted values are always quoted, and refused when quoting cannot hold them", () => {
  assert.equal(quote("nginx"), '"nginx"');
  assert.equal(quote('a"b'), `'a"b'`);
  assert.equal(quote("a) or (b"), '"a) or (b"');
  for (const bad of ["a\"b'c", "back\\slash", "new\nline", "nul\u0000"]) {
    assert.throws(() => quote(bad), UnsafeValueError, JSON.stringify(bad));
  }
  const c = cmp(field("ka.target.namespace"), "in", [
    str("prod"),
    str("x) or ka.verb exists or (y"),
  ]);
  assert.equal(render(c), 'ka.target.namespace in ("prod","x) or ka.verb exists or (y")');
});

Deno.test("words, fields, macro names and JSON pointers refuse what would change the condition", () => {
  assert.throws(() => word("true or x"), UnsafeValueError);
  assert.throws(() => field("ka.verb exists or evt"), UnsafeValueError);
  assert.throws(() => macro("a and b"), UnsafeValueError);
  assert.throws(() => jsonField(["requestObject", "a]b"]), UnsafeValueError);
  assert.equal(
    render(
      exists(
        jsonField([
          "requestObject",
          "metadata",
          "annotations",
          "seccomp.security.alpha.kubernetes.io/pod",
        ]),
      ),
    ),
    "json.value[/requestObject/metadata/annotations/seccomp.security.alpha.kubernetes.io~1pod] exists",
  );
});

Deno.test("constants fold and precedence is explicit", () => {
  const a = cmp(field("ka.verb"), "=", word("create"));
  const b = exists(field("ka.user.name"));
  const c = macro("m");
  assert.equal(and(a, TRUE), a);
  assert.equal(and(a, FALSE), FALSE);
  assert.equal(or(a, TRUE), TRUE);
  assert.equal(or(FALSE, b), b);
  assert.equal(not(TRUE), FALSE);
  assert.equal(cmp(field("ka.verb"), "in", []), FALSE, "an empty list is never written");
  assert.equal(render(and(c, or(a, b))), "m and (ka.verb=create or ka.user.name exists)");
  assert.equal(render(or(and(a, b), c)), "(ka.verb=create and ka.user.name exists) or m");
  assert.equal(render(not(or(a, b))), "not (ka.verb=create or ka.user.name exists)");
  assert.equal(render(and(c, not(a))), "m and not ka.verb=create");
  assert.equal(render(group(a)), "(ka.verb=create)");
  assert.throws(() => render(TRUE));
});

Deno.test("the generator's errors say what they are", () => {
  assert.equal(new UnsafeValueError("x").name, "UnsafeValueError");
  assert.match(String(new UnsafeValueError("bad value")), /^UnsafeValueError: bad value$/);
});
