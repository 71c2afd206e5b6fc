import assert from "node:assert/strict";
import { parseObjects } from "../../src/io/documents.ts";
import { InputError } from "../../src/io/errors.ts";
import { compileSelection, objectSelected } from "../../src/workloads/selection.ts";

const TEXT = `apiVersion: v1
kind: Pod
metadata: {name: a, labels: {app: web}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: team
  labels: {app: api}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: elsewhere}
`;

Deno.test("objectSelected: -l reads the object's own labels (a workload's, not its template's)", () => {
  const [pod, deploy, cm] = parseObjects(TEXT, "app.yaml");
  const web = compileSelection({ selector: "app=web" });
  assert.deepEqual([pod, deploy].map((o) => objectSelected(o, web)), [true, false]);
  const api = compileSelection({ selector: "app in (api)" });
  assert.deepEqual([pod, deploy].map((o) => objectSelected(o, api)), [false, true]);
  assert.equal(objectSelected(cm, compileSelection({ namespace: "team" })), true, "not a pod kind");
});

Deno.test("objectSelected: a namespace other than -n is kubectl's error, at the object's namespace line", () => {
  const [pod, deploy] = parseObjects(TEXT, "app.yaml");
  const team = compileSelection({ namespace: "team" });
  assert.equal(objectSelected(pod, team), true);
  assert.equal(objectSelected(deploy, team), true);
  assert.throws(() => objectSelected(deploy, compileSelection({ namespace: "prod" })), (e) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.exitCode, 2);
    assert.equal(
      e.message,
      'app.yaml (document 2, line 10:14): the namespace from the provided object "team" does ' +
        "not match the namespace \"prod\". You must pass '--namespace=team' to perform this " +
        "operation.",
    );
    return true;
  });
});
