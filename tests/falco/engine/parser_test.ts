import assert from "node:assert/strict";
import { parseCondition } from "../../support/falco/parser.ts";
import { renderExpr } from "../../support/falco/ast.ts";

Deno.test("parser: seed conditions parse into fields, operators, lists and macros", () => {
  const e = parseCondition(
    "(psp_ka_enabled and psp_kevt and psp_ka_pod and ka.verb=create and ka.req.pod.containers.image.repository in (psp_images))",
    "0.27",
  );
  assert.equal(
    renderExpr(e),
    "(psp_ka_enabled and psp_kevt and psp_ka_pod and ka.verb = create and ka.req.pod.containers.image.repository in (psp_images))",
  );
  const s = parseCondition('jevt.value[/stage] in ("ResponseComplete")', "current");
  assert.deepEqual(s, {
    kind: "check",
    field: "jevt.value",
    arg: "/stage",
    op: "in",
    value: { kind: "list", items: [{ value: "ResponseComplete", quoted: true }] },
    pos: 0,
  });
});

Deno.test("parser: precedence is not > and > or, parentheses group", () => {
  const e = parseCondition("a.b=1 or not c.d exists and e.f!=2", "current");
  assert.equal(renderExpr(e), "(a.b = 1 or (not c.d exists and e.f != 2))");
  assert.equal(
    renderExpr(parseCondition("not (a.b=1 or c.d=2)", "current")),
    "not (a.b = 1 or c.d = 2)",
  );
});

Deno.test("parser: unary exists at the end and before a parenthesis", () => {
  assert.equal(
    renderExpr(parseCondition("(ka.target.subresource exists)", "current")),
    "ka.target.subresource exists",
  );
  assert.equal(
    renderExpr(parseCondition("not ka.target.subresource exists and ka.verb=create", "0.27")),
    "(not ka.target.subresource exists and ka.verb = create)",
  );
});

Deno.test("parser: quoted values, escapes and the 0.27 raw escapes", () => {
  const cur = parseCondition(String.raw`proc.name="a \"b\" c"`, "current");
  assert.equal(
    cur.kind === "check" && cur.value?.kind === "value" && cur.value.item.value,
    'a "b" c',
  );
  const old = parseCondition(String.raw`proc.name="a \"b\""`, "0.27");
  assert.equal(
    old.kind === "check" && old.value?.kind === "value" && old.value.item.value,
    String.raw`a \"b\"`,
  );
  const single = parseCondition("fd.typechar='f' and fd.num>=0", "0.27");
  assert.equal(renderExpr(single), '(fd.typechar = "f" and fd.num >= 0)');
});

Deno.test("parser: operators differ by dialect", () => {
  assert.doesNotThrow(() => parseCondition("ka.verb regex 'cre.*'", "current"));
  assert.throws(() => parseCondition("ka.verb regex 'cre.*'", "0.27"), /expected an operator/);
  assert.doesNotThrow(() => parseCondition("ka.verb in ()", "current"));
  assert.throws(() => parseCondition("ka.verb in ()", "0.27"), /empty list/);
});

Deno.test("parser: syntax errors are reported, not guessed around", () => {
  assert.throws(() => parseCondition("ka.verb = ", "current"), /expected a value/);
  assert.throws(() => parseCondition("(ka.verb=create", "current"), /expected a '\)'/);
  assert.throws(() => parseCondition("ka.verb create", "current"), /expected an operator/);
  assert.throws(() => parseCondition('ka.verb = "x', "current"), /unterminated/);
  assert.throws(() => parseCondition("ka.verb=a b", "current"), /unexpected token/);
  assert.throws(() => parseCondition("ka.verb in (a b)", "current"), /expected a ',' or '\)'/);
});

Deno.test("parser: a macro name is an identifier without a dot; a dotted name is a field", () => {
  const m = parseCondition("my_macro", "current");
  assert.deepEqual(m, { kind: "macro", name: "my_macro", pos: 0 });
  assert.throws(() => parseCondition("my.macro", "current"), /expected an operator/);
});
