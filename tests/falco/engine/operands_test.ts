/**
 * Current-Falco operands beyond plain fields: val() right-hand sides, transformers, the
 * `regex` operator (RE2, POSIX syntax, full match), libsinsp string unescaping, and the
 * fastjson rendering of non-string json.value results.
 */
import assert from "node:assert/strict";
import { auditEventFromJson } from "../../support/falco/event.ts";
import { evaluate } from "../../support/falco/evaluate.ts";
import { parseCondition } from "../../support/falco/parser.ts";
import { re2PosixToRegExp } from "../../support/falco/re2posix.ts";
import { extractCurrent } from "../../support/falco/extract_current.ts";
import { checkLoad } from "../../support/falco/load_check.ts";
import { goQuote } from "../../support/falco/json_text.ts";

const EVENT = auditEventFromJson(
  '{"auditID":"a","stage":"ResponseComplete","verb":"create","objectRef":{"resource":"pods"},' +
    '"stageTimestamp":"2026-11-28T12:11:59Z","requestObject":{"metadata":{"annotations":' +
    '{"zeta":"1","10":"x","a\\"b":"q\\u0001"}},"spec":{"volumes":[{"name":"logs","hostPath":' +
    '{"path":"/var/log"}}],"containers":[{"name":"app","image":"Nginx:1.25","volumeMounts":' +
    '[{"name":"logs","readOnly":true}],"ports":[{"containerPort":8.0e1}]},{"name":"b","image":"x"}]}}}',
);
const holds = (cond: string) => evaluate(parseCondition(cond, "current"), EVENT, "current");

Deno.test("val(): the right-hand side is another field of the same event", () => {
  assert.equal(
    holds(
      "json.value[/requestObject/spec/containers/0/volumeMounts/0/name]=val(json.value[/requestObject/spec/volumes/0/name])",
    ),
    true,
  );
  assert.equal(
    holds(
      "json.value[/requestObject/spec/containers/0/name]=val(json.value[/requestObject/spec/volumes/0/name])",
    ),
    false,
  );
  // no value on the right: false, whatever the operator
  assert.equal(
    holds("json.value[/requestObject/spec/containers/0/name]!=val(json.value[/nope])"),
    false,
  );
});

Deno.test("transformers: tolower, basename, len (an absent list has no length)", () => {
  assert.equal(holds("tolower(ka.req.pod.containers.image) intersects (nginx:1.25)"), true);
  assert.equal(
    holds("basename(json.value[/requestObject/spec/volumes/0/hostPath/path]) = log"),
    true,
  );
  assert.equal(holds("len(ka.req.pod.containers.image) = 2"), true);
  assert.equal(holds("len(ka.req.pod.containers.image) > 1"), true);
  assert.equal(holds("len(ka.req.pod.containers.privileged) < 5"), false);
  assert.equal(
    holds("len(ka.req.pod.containers.image) > len(ka.req.pod.volumes.hostpath)"),
    true,
  );
});

Deno.test("load check: val() and transformers are typed like libsinsp", () => {
  const rule = (cond: string) =>
    `- rule: R\n  desc: d\n  condition: ${cond}\n  output: o\n  priority: WARNING\n  source: k8s_audit\n`;
  const errs = (cond: string) => checkLoad(rule(cond), "current").errors.join("\n");
  assert.match(
    errs("ka.req.pod.containers.image = val(json.value[/x])"),
    /'=' operator not supported list filters/,
  );
  assert.match(
    errs("ka.req.pod.containers.image intersects val(json.value[/x])"),
    /incompatible type 'string'/,
  );
  assert.match(
    errs("json.value[/a] regex val(json.value[/b])"),
    /doesn't support right-hand side fields/,
  );
  assert.match(
    errs("len(ka.req.pod.containers.image) contains 1"),
    /not supported for numeric filters/,
  );
  assert.match(errs("len(ka.req.pod.containers.image) > two"), /not a valid number/);
  assert.match(errs("tolower(len(ka.req.pod.containers.image)) = x"), /not supported by 'tolower'/);
  assert.equal(errs("len(ka.req.pod.containers.image) >= 1"), "");
});

Deno.test("regex: RE2 POSIX syntax, full match, line-oriented ^ and $", () => {
  assert.equal(re2PosixToRegExp("[0-9]+").test("8080"), true);
  assert.equal(re2PosixToRegExp("[0-9]+").test("80a"), false, "full match (ANCHOR_BOTH)");
  assert.equal(re2PosixToRegExp("a|ab").test("ab"), true, "some alternative spans the text");
  assert.equal(re2PosixToRegExp("[[:digit:]]{2}").test("42"), true);
  assert.equal(re2PosixToRegExp("x.y").test("x\ny"), false, "dot does not match a newline");
  assert.equal(re2PosixToRegExp("a$\n^b").test("a\nb"), true, "^ and $ match at line ends");
  for (const bad of ["(?:a)", "\\d+", "a*?", "\\bword", "(?i)a", "a**", "\\pL", "(a", "\\1"]) {
    assert.throws(() => re2PosixToRegExp(bad), /regex/, bad);
  }
  assert.throws(() => holds('ka.req.pod.containers.image regex "x"'), /not supported list filters/);
  assert.equal(
    holds('json.value[/requestObject/spec/containers/0/image] regex "[A-Z][a-z]+:[0-9.]+"'),
    true,
  );
  assert.match(
    checkLoad(
      "- rule: R\n  desc: d\n  condition: json.value[/a] regex '\\d'\n  output: o\n  priority: WARNING\n  source: k8s_audit\n",
      "current",
    ).errors.join(),
    /unsupported string escape sequence|invalid escape/,
  );
});

Deno.test("quoted strings: libsinsp escapes and the trailing-backslash quirk", () => {
  const v = (text: string) => {
    const e = parseCondition(`ka.verb = ${text}`, "current");
    return e.kind === "check" && e.value?.kind === "value" ? e.value.item.value : undefined;
  };
  assert.equal(v(String.raw`"a\"b"`), 'a"b');
  assert.equal(v(String.raw`'a\/b\tc'`), "a/b\tc");
  assert.throws(() => v(String.raw`"a\'b"`), /invalid \\' escape/);
  assert.throws(() => v(String.raw`"a\d"`), /unsupported string escape sequence: \\d/);
  assert.throws(() => v(String.raw`"a\\"`), /unterminated/);
});

Deno.test("json.value renders non-strings as fastjson does", () => {
  assert.deepEqual(extractCurrent(EVENT, "json.value", "/requestObject/spec/containers/0/ports"), [
    '[{"containerPort":8.0e1}]',
  ]);
  assert.deepEqual(extractCurrent(EVENT, "json.value", "/requestObject/metadata/annotations"), [
    '{"zeta":"1","10":"x","a\\"b":"q\\x01"}',
  ]);
  assert.equal(goQuote("é\u2028\u0000"), '"é\\u2028\\x00"');
});
