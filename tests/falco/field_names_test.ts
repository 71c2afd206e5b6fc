import assert from "node:assert/strict";
import { and, cmp, field, not, str, word } from "../../src/falco/condition.ts";
import { fieldLikeConstant, mayReadAsField } from "../../src/falco/field_names.ts";
import { checkLoad } from "../support/falco/mod.ts";

Deno.test("mayReadAsField: field names of the rule's source, spaces ignored, transformers", () => {
  for (
    const v of ["ka.verb", " ka.verb ", "ka .verb", "json.value[/a]", "jevt.rawtime", "evt.num"]
  ) {
    assert.ok(mayReadAsField(v, "k8s_audit"), v);
  }
  for (const v of ["proc.name", "container.image", "evt.arg.a-b/c", "k8s.pod.label.app/x"]) {
    assert.ok(mayReadAsField(v, "syscall"), v);
  }
  for (const v of ["tolower(x)", "val(ka.verb)", "len( a )"]) {
    assert.ok(mayReadAsField(v, "k8s_audit") && mayReadAsField(v, "syscall"), v);
  }
  const data = [
    "nginx",
    "ka.verbnull:0",
    "ka.verb/x",
    "docker.io/library/nginx",
    "k8s.gcr.io/pause",
    "localhost/ka.verb",
    "kaverb",
  ];
  for (const v of data) assert.ok(!mayReadAsField(v, "k8s_audit"), v);
  assert.ok(!mayReadAsField("proc.name", "k8s_audit"), "not a k8s_audit field");
  assert.ok(!mayReadAsField("ka.verb", "syscall"), "not a syscall field");
});

Deno.test("fieldLikeConstant: finds what the test Falco engine warns about, nothing else", () => {
  const cond = (v: string) =>
    and(
      cmp(field("ka.verb"), "=", word("create")),
      not(cmp(field("ka.target.name"), "in", [str("a"), str(v)])),
    );
  const load = (v: string) =>
    checkLoad(
      `- required_engine_version: 0.46.0\n- rule: r\n  desc: d\n  condition: 'ka.verb=create and not ka.target.name in ("a", "${v}")'\n  output: o\n  priority: INFO\n  source: k8s_audit\n`,
      "current",
    ).warnings.filter((w) => w.includes("misused"));
  for (
    const v of ["ka.verb", "ka.req.pod.containers.image[0]", "json.obj", "nginx", "ka.verbnull:0"]
  ) {
    const found = fieldLikeConstant(cond(v), "k8s_audit");
    assert.equal(found !== undefined, load(v).length > 0, v);
    if (found !== undefined) assert.equal(found, v);
  }
});
