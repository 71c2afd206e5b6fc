import assert from "node:assert/strict";
import {
  decodeText,
  expandPaths,
  loadObjects,
  parseObjects,
  parseObjectsWithYaml,
} from "../../src/io/documents.ts";
import { InputError } from "../../src/io/errors.ts";
import { withinCeiling } from "../support/ceiling.ts";

Deno.test("parseObjects reads a multi-document YAML stream with document numbers and lines", () => {
  const text =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n";
  const objs = parseObjects(text, "pods.yaml");
  assert.deepEqual(objs.map((o) => (o.object.metadata as { name: string }).name), ["a", "b"]);
  assert.equal(objs[0].source.document, 1);
  assert.equal(objs[1].source.document, 3);
  assert.equal(objs[1].source.line, 6);
  assert.deepEqual(objs[1].locate(["metadata", "name"]), { line: 8, column: 18 });
});

Deno.test("parseObjects flattens kind: List and *List documents, keeping item indexes", () => {
  const text = JSON.stringify({
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicyList",
    items: [{ kind: "PodSecurityPolicy", metadata: { name: "x" } }, {
      kind: "PodSecurityPolicy",
      metadata: { name: "y" },
    }],
  });
  const objs = parseObjects(text, "list.json");
  assert.equal(objs.length, 2);
  assert.equal(objs[1].source.item, 1);
  assert.equal((objs[1].object.metadata as { name: string }).name, "y");
});

Deno.test("parseObjects names file, document and line of a syntax error", () => {
  const text = "kind: Pod\n---\nkind: Pod\nmetadata: [unclosed\n";
  assert.throws(() => parseObjects(text, "bad.yaml"), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /^bad\.yaml \(document 2, line \d+/);
    assert.equal(e.exitCode, 2);
    return true;
  });
});

Deno.test("parseObjects refuses duplicate keys and non-mapping documents", () => {
  assert.throws(() => parseObjects("kind: Pod\nkind: Pod\n", "dup.yaml"), /dup\.yaml.*document 1/);
  assert.throws(() => parseObjects("- a\n- b\n", "seq.yaml"), /expected a Kubernetes object/);
});

Deno.test("parseObjects bounds YAML alias expansion (billion laughs)", () => {
  let text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  let prev = "a";
  for (const n of ["b", "c", "d", "e", "f", "g", "h", "i"]) {
    text += `${n}: &${n} [${Array(10).fill(`*${prev}`).join(", ")}]\n`;
    prev = n;
  }
  // refused before expanding 10^9 nodes (which would not finish within the ceiling)
  withinCeiling(
    "parseObjects of a billion-laughs document",
    () => assert.throws(() => parseObjects(text, "bomb.yaml"), InputError),
  );
});

Deno.test("decodeText refuses binary data and invalid UTF-8, strips nothing else", () => {
  assert.throws(() => decodeText(new Uint8Array([0x6b, 0x00, 0x01]), "bin"), /binary data/);
  assert.throws(
    () => decodeText(new Uint8Array([0x61, 0x0a, 0xff, 0xfe]), "latin"),
    /invalid UTF-8.*offset 2/,
  );
  assert.equal(decodeText(new TextEncoder().encode("kind: Pod"), "ok"), "kind: Pod");
});

Deno.test("expandPaths lists YAML/JSON files of a directory, recursing only with -R", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/b.yaml`, "kind: Pod\n");
    await Deno.writeTextFile(`${dir}/a.json`, "{}");
    await Deno.writeTextFile(`${dir}/notes.txt`, "x");
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/c.yml`, "kind: Pod\n");
    assert.deepEqual(await expandPaths([dir], false), [`${dir}/a.json`, `${dir}/b.yaml`]);
    assert.deepEqual(await expandPaths([dir], true), [
      `${dir}/a.json`,
      `${dir}/b.yaml`,
      `${dir}/sub/c.yml`,
    ]);
    await assert.rejects(
      expandPaths([`${dir}/missing.yaml`], false),
      /missing\.yaml: no such file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadObjects calls an empty file an error naming it", async () => {
  const f = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await assert.rejects(
      loadObjects([f]),
      (e: unknown) => e instanceof InputError && e.message.includes(f),
    );
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("parseObjects reports an unclosed quote where it opens, not where the text ends", () => {
  const cases: [string, number, number][] = [
    ['apiVersion: v1\nkind: Pod\nmetadata:\n  name: "a\nspec:\n  containers: []\n', 4, 9],
    ["apiVersion: v1\nkind: Pod\nmetadata:\n  name: 'it''s\nspec: {}\n", 4, 9],
    ['apiVersion: v1\nkind: Pod\nmetadata: {name: "a, labels: {x: y}}\nspec: {}\n', 3, 18],
    ['{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a}}\n', 1, 58],
  ];
  for (const [text, line, column] of cases) {
    assert.throws(() => parseObjects(text, "q.yaml"), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /Missing closing ["']quote/);
      assert.deepEqual([e.source.line, e.source.column], [line, column], text);
      return true;
    });
  }
});

Deno.test("unrendered templates ({{ }}, {% %}) are named with file and line: render it first", () => {
  const cases: [string, number, number, string][] = [
    [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "chart.fullname" . }}\n',
      4,
      9,
      '{{ include \\"chart.fullname\\" . }}',
    ],
    [
      "{{- if .Values.enabled }}\napiVersion: v1\nkind: Pod\nmetadata: {name: x}\n{{- end }}\n",
      1,
      1,
      "{{- if .Values.enabled }}",
    ],
    [
      "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n{% for c in cs %}\n    - name: x\n{% endfor %}\n",
      5,
      1,
      "{% for c in cs %}",
    ],
    // a template after a document that reads: the document and line of the template
    [
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nspec:\n  replicas: {{ .Values.n }}\n",
      8,
      13,
      "{{ .Values.n }}",
    ],
  ];
  for (const [text, line, column, expression] of cases) {
    for (const read of [parseObjects, parseObjectsWithYaml]) {
      assert.throws(() => read(text, "chart.yaml"), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.deepEqual([e.source.line, e.source.column], [line, column], text);
        assert.ok(e.message.includes(expression), e.message);
        assert.match(e.message, /render it first \(`helm template`, `kubectl kustomize`\)/);
        return true;
      });
    }
  }
});

Deno.test("rendered manifests holding {{ }} in strings (alert templates) are read as they are", () => {
  const text = `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: r}
spec:
  groups:
  - name: g
    rules:
    - alert: A
      annotations:
        description: Pod {{ $labels.namespace }}/{{ $labels.pod }} is restarting
        summary: "{{ $value }} restarts"
`;
  const [o] = parseObjects(text, "rules.yaml");
  assert.equal(o.object.kind, "PrometheusRule");
  // a syntax error in such a document is the syntax error, at its place
  assert.throws(
    () => parseObjects(text.replace("summary:", "summary: [unclosed"), "rules.yaml"),
    (e: unknown) => e instanceof InputError && !/render it first/.test(e.message),
  );
});
