/** The rules loader: expansion, and the load-time errors and warnings of each target. */
import assert from "node:assert/strict";
import { loadRules } from "../../support/falco/rules.ts";
import { checkLoad } from "../../support/falco/load_check.ts";
import { renderExpr } from "../../support/falco/ast.ts";

const HEADER_CURRENT = `
- required_engine_version: 0.46.0
- required_plugin_versions:
  - name: k8saudit
    version: 0.18.0
    alternatives:
      - name: k8saudit-eks
        version: 0.1.0
  - name: json
    version: 0.7.0
`;

function rule(name: string, condition: string, extra = "") {
  return `
- rule: ${name}
  desc: d
  condition: ${condition}
  output: "x %ka.user.name"
  priority: WARNING
  source: k8s_audit
${extra}`;
}

Deno.test("loader: lists and macros expand (lists of lists, macros of macros)", () => {
  const yaml = `
- list: a_images
  items: [nginx, '"quay.io/x y"']
- list: all_images
  items: [a_images, redis]
- macro: is_pod
  condition: ka.target.resource=pods
- macro: pod_create
  condition: is_pod and ka.verb=create
` + rule("R", "pod_create and ka.req.pod.containers.image.repository in (all_images)");
  for (const mode of ["0.27", "current"] as const) {
    const set = loadRules(yaml, mode);
    assert.deepEqual(set.errors, [], mode);
    assert.equal(
      renderExpr(set.rules[0].expr),
      '((ka.target.resource = pods and ka.verb = create) and ka.req.pod.containers.image.repository in (nginx, "quay.io/x y", redis))',
      mode,
    );
  }
  // an item with a space: current quotes it, 0.27 pastes it raw and breaks the condition
  const spaced = "- list: l\n  items: [a b]\n" + rule("R", "ka.verb in (l)");
  assert.deepEqual(loadRules(spaced, "current").errors, []);
  assert.match(loadRules(spaced, "0.27").errors.join(), /expected a ',' or '\)'/);
});

Deno.test("loader: append and override", () => {
  const yaml = `
- list: l
  items: [a]
- list: l
  items: [b]
  override:
    items: append
- macro: m
  condition: ka.verb=create
- macro: m
  condition: or ka.verb=update
  override:
    condition: append
` + rule("R", "m and ka.target.resource in (l)") + `
- rule: R
  condition: and ka.target.namespace=x
  override:
    condition: append
`;
  const set = loadRules(HEADER_CURRENT + yaml, "current");
  assert.deepEqual(set.errors, []);
  assert.deepEqual(set.warnings, []);
  assert.equal(
    renderExpr(set.rules[0].expr),
    "((ka.verb = create or ka.verb = update) and ka.target.resource in (a, b) and ka.target.namespace = x)",
  );
  const appended = loadRules(
    `
- macro: m
  condition: ka.verb=create
- macro: m
  append: true
  condition: or ka.verb=update
` + rule("R", "m"),
    "current",
  );
  assert.match(
    appended.warnings.join("\n"),
    /LOAD_DEPRECATED_ITEM: Macro m: 'append' key is deprecated/,
  );
  assert.equal(renderExpr(appended.rules[0].expr), "(ka.verb = create or ka.verb = update)");
});

Deno.test("loader: undefined and forward macro references are errors in both targets", () => {
  for (const mode of ["0.27", "current"] as const) {
    assert.match(
      loadRules(rule("R", "nope and ka.verb=create"), mode).errors.join(),
      /Undefined macro 'nope'/,
    );
    const forward = `
- macro: first
  condition: second
- macro: second
  condition: ka.verb=create
` + rule("R", "first");
    assert.match(loadRules(forward, mode).errors.join(), /Undefined macro 'second'/, mode);
  }
});

Deno.test("loader, current: list fields take only exists/in/intersects; unknown fields fail", () => {
  const pmatch = checkLoad(
    HEADER_CURRENT + rule("R", "ka.req.pod.volumes.hostpath pmatch (/var/log)"),
    "current",
  );
  assert.match(pmatch.errors.join(), /'pmatch' operator not supported list filters/);
  const eq = checkLoad(
    HEADER_CURRENT + rule("R", "ka.req.pod.containers.privileged = true"),
    "current",
  );
  assert.match(eq.errors.join(), /'=' operator not supported list filters/);
  const single = checkLoad(
    HEADER_CURRENT + rule("R", "ka.req.pod.fs_group pmatch (/x)"),
    "current",
  );
  assert.deepEqual(single.errors, []);
  const unknown = checkLoad(HEADER_CURRENT + rule("R", "ka.req.pod.nope exists"), "current");
  assert.match(unknown.errors.join(), /nonexistent field ka\.req\.pod\.nope/);
  const index = checkLoad(
    HEADER_CURRENT + rule("R", "ka.req.pod.containers.privileged[x] exists"),
    "current",
  );
  assert.match(index.errors.join(), /index argument must be a number/);
  const output = checkLoad(
    HEADER_CURRENT + rule("R", "ka.verb=create").replace("%ka.user.name", "%ka.user.nope"),
    "current",
  );
  assert.match(output.errors.join(), /LOAD_ERR_COMPILE_OUTPUT/);
});

Deno.test("loader, current: <NA> comparisons, unused macros and lists warn", () => {
  const r = checkLoad(
    HEADER_CURRENT + `
- list: unused_list
  items: [a]
- macro: unused_macro
  condition: ka.verb=create
` + rule("R", 'not ka.req.pod.volumes.volume_type in (configMap, "<NA>")'),
    "current",
  );
  assert.deepEqual(r.errors, []);
  const codes = r.warnings.map((w) => w.split(":")[0]).sort();
  assert.deepEqual(codes, ["LOAD_UNSAFE_NA_CHECK", "LOAD_UNUSED_LIST", "LOAD_UNUSED_MACRO"]);
});

Deno.test("loader, current: engine version and plugin requirements per Falco release", () => {
  const tooNew = checkLoad(
    HEADER_CURRENT.replace("0.46.0", "0.60.0") + rule("R", "ka.verb=create"),
    "current",
  );
  assert.deepEqual(tooNew.errors, [
    "Falco 0.43: Rules require engine version 0.60.0, but engine version is 0.58.0",
  ]);
  const plugin = checkLoad(
    HEADER_CURRENT.replace("version: 0.18.0", "version: 0.19.0") + rule("R", "ka.verb=create"),
    "current",
  );
  assert.equal(plugin.errors.length, 3);
  assert.match(
    plugin.errors[0],
    /Plugin requirement not satisfied, must load one of: k8saudit \(>= 0\.19\.0\)/,
  );
  const container = checkLoad(
    HEADER_CURRENT + "  - name: container\n    version: 0.7.0\n" + rule("R", "ka.verb=create"),
    "current",
  );
  assert.deepEqual(container.errors.map((e) => e.split(":")[0]), ["Falco 0.43"]);
  const integer = checkLoad(
    HEADER_CURRENT.replace("0.46.0", "15") + rule("R", "ka.verb=create"),
    "current",
  );
  assert.deepEqual([integer.errors, integer.warnings], [[], []]);
  const bare = checkLoad(rule("R", "ka.verb=create"), "current");
  assert.deepEqual(bare.errors, []);
  assert.equal(bare.requirements.length, 2, bare.requirements.join("\n"));
});

Deno.test("loader, current: syscall rules — evttype, evt.dir and %container.info", () => {
  const sys = (cond: string, output = "x %proc.name") =>
    HEADER_CURRENT + `
- rule: S
  desc: d
  condition: ${cond}
  output: "${output}"
  priority: WARNING
  source: syscall
`;
  assert.deepEqual(
    checkLoad(sys("evt.type=container and container.privileged=true"), "current").warnings,
    [],
  );
  assert.match(
    checkLoad(sys("container.privileged=true"), "current").warnings.join(),
    /LOAD_NO_EVTTYPE/,
  );
  assert.match(
    checkLoad(sys("not evt.type=open and proc.name=x"), "current").warnings.join(),
    /LOAD_NO_EVTTYPE/,
  );
  const old = checkLoad(
    sys("evt.type in (execve, setuid) and evt.dir=< and user.uid=0", "x %container.info"),
    "current",
  );
  assert.equal(old.warnings.length, 2);
  assert.match(
    old.warnings.join("\n"),
    /Falco 0\.43: .*evt\.dir[\s\S]*Falco 0\.43: .*%container\.info/,
  );
});

Deno.test("loader, 0.27: engine version, evttype warnings, unknown events and json operators", () => {
  assert.match(
    loadRules("- required_engine_version: 8\n" + rule("R", "ka.verb=create"), "0.27").errors.join(),
    /Rules require engine version 8, but engine version is 7/,
  );
  assert.match(
    loadRules('- required_engine_version: "5"\n', "0.27").errors.join(),
    /must be a number/,
  );
  const sys = (cond: string) => `
- rule: S
  desc: d
  condition: ${cond}
  output: "x %proc.name"
  priority: WARNING
`;
  assert.deepEqual(
    loadRules(sys("evt.type=container and container.privileged=true"), "0.27").warnings,
    [],
  );
  assert.match(loadRules(sys("container.privileged=true"), "0.27").warnings.join(), /no-evttype/);
  assert.match(
    loadRules(sys("container.id != host and evt.type=container"), "0.27").warnings.join(),
    /trailing-evttype/,
  );
  assert.match(
    loadRules(sys("evt.type=bogus"), "0.27").errors.join(),
    /Unknown event\/syscall "bogus"/,
  );
  assert.match(
    loadRules(rule("R", "ka.verb glob cr*"), "0.27").errors.join(),
    /unsupported comparison operator glob/,
  );
  assert.match(
    loadRules(rule("R", "ka.req.pod.fs_group[0] exists"), "0.27").errors.join(),
    /forbids an index/,
  );
  assert.match(
    loadRules(rule("R", "jevt.value exists"), "0.27").errors.join(),
    /requires an index/,
  );
});

Deno.test("loader: bad YAML and bad items are errors", () => {
  assert.match(loadRules("- rule: [", "current").errors.join(), /YAML parse error/);
  assert.match(loadRules("rule: x", "current").errors.join(), /not yaml array of objects/);
  assert.match(
    loadRules("- rule: R\n  condition: ka.verb=x\n", "current").errors.join(),
    /no mapping for key 'output'/,
  );
  assert.match(
    loadRules(rule("R", "ka.verb=x").replace("WARNING", "LOUD"), "current").errors.join(),
    /Invalid priority/,
  );
  assert.match(loadRules("- foo: bar\n", "0.27").errors.join(), /Unknown rule object/);
  assert.match(loadRules("- foo: bar\n", "current").warnings.join(), /LOAD_UNKNOWN_ITEM/);
});

Deno.test("load check, current: stale plugin pointers after a unary check are flagged", () => {
  const r = checkLoad(
    HEADER_CURRENT +
      rule("R", "ka.req.pod.fs_group exists and ka.verb=create and ka.req.pod.fs_group=5") +
      rule("S", "json.value[/a] exists and json.value[/a]=1 and json.value[/b]=2") +
      rule("T", "json.value[/a] exists and ka.verb=create and json.value[/a]=1"),
    "current",
  );
  assert.deepEqual([r.errors, r.warnings], [[], []]);
  assert.equal(r.hazards.length, 1);
  assert.match(
    r.hazards[0],
    /^rule R: ka\.req\.pod\.fs_group is read by `ka\.req\.pod\.fs_group exists`/,
  );
});

Deno.test("load check, current: the filter compiler's value warnings", () => {
  const w = (cond: string) =>
    checkLoad(HEADER_CURRENT + rule("R", cond), "current").warnings.map((x) =>
      x.replace(/^.*rule R: /, "")
    );
  assert.deepEqual(w('json.value[/a] regex "^abc.*"'), [
    "regex check with '^abc.*' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'",
  ]);
  // libsinsp only skips a trailing `.*` when it ends the pattern (a final `$` counts)
  assert.deepEqual(w('json.value[/a] regex "^abc.*$"'), []);
  assert.deepEqual(w('json.value[/a] regex "^a[bc]$"'), []);
  assert.deepEqual(w("json.value[/a] = ka.verb"), [
    "'ka.verb' may be a valid field misused as a const string value",
  ]);
  assert.deepEqual(w('ka.verb in (create, "tolower(ka.verb)")'), [
    "'tolower(ka.verb)' may be a valid field transformer misused as a const string value",
  ]);
});
