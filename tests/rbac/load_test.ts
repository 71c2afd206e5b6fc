import assert from "node:assert/strict";
import { parseObjects } from "../../src/io/documents.ts";
import { InputError } from "../../src/io/errors.ts";
import { loadRbac, loadRbacFiles } from "../../src/rbac/load.ts";

const FIX = new URL("../../fixtures/psp/rbac/", import.meta.url).pathname;

Deno.test("loads the four RBAC kinds (v1 and v1beta1); other kinds are skipped with a warning", async () => {
  const { objects, warnings } = await loadRbacFiles([`${FIX}grants.yaml`]);
  const kinds = objects.map((o) => o.kind);
  assert.equal(kinds.filter((k) => k === "ClusterRole").length, 6);
  assert.equal(kinds.filter((k) => k === "ClusterRoleBinding").length, 3);
  assert.equal(kinds.filter((k) => k === "RoleBinding").length, 4);
  assert.equal(kinds.filter((k) => k === "Role").length, 1);
  assert.deepEqual(warnings, [
    `${FIX}grants.yaml (document 15, line 171:1): skipped ConfigMap (v1) "not-rbac": not an RBAC Role, ClusterRole, RoleBinding or ClusterRoleBinding`,
  ]);
});

Deno.test("namespaced objects without a namespace get the default one; unknown subject kinds warned", async () => {
  const { objects, warnings } = await loadRbacFiles([`${FIX}no-namespace.yaml`], {
    defaultNamespace: "team",
  });
  assert.equal(objects[0].metadata.namespace, "team");
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /subjects\[1\]\.kind: unknown subject kind "Robot" ignored/);
  assert.match(warnings[1], /RoleBinding "no-ns" has no metadata\.namespace: assumed "team"/);
});

Deno.test("unsupported RBAC apiVersions are skipped with a warning", () => {
  const { objects, warnings } = loadRbac(
    parseObjects(
      "apiVersion: rbac.authorization.k8s.io/v1alpha1\nkind: ClusterRole\nmetadata: {name: x}\n",
      "in.yaml",
    ),
  );
  assert.equal(objects.length, 0);
  assert.match(
    warnings[0],
    /skipped ClusterRole \(rbac.authorization.k8s.io\/v1alpha1\) "x": unsupported apiVersion/,
  );
});

Deno.test("wrong shapes are InputErrors naming file, document, line and field", async () => {
  await assert.rejects(
    () => loadRbacFiles([`${FIX}bad-rule.yaml`]),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.exitCode, 2);
      assert.equal(
        e.message,
        `${FIX}bad-rule.yaml (document 1, line 6:14): rules[0].apiGroups: must be a list of strings`,
      );
      return true;
    },
  );
  const bad = (text: string) => () =>
    loadRbac(parseObjects(`apiVersion: rbac.authorization.k8s.io/v1\n${text}`, "in.yaml"));
  assert.throws(
    bad("kind: RoleBinding\nmetadata: {name: b, namespace: ns}\n"),
    /roleRef: Required value/,
  );
  assert.throws(
    bad("kind: ClusterRole\nmetadata: {name: r}\nrules: [{apiGroups: [policy]}]\n"),
    /rules\[0\]\.verbs: Required value/,
  );
  assert.throws(
    bad(
      "kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: r}\nsubjects: [{kind: User}]\n",
    ),
    /subjects\[0\]\.name: Required value/,
  );
  assert.throws(
    bad(
      "kind: ClusterRole\nmetadata: {name: r}\naggregationRule:\n  clusterRoleSelectors: [{matchExpressions: [{key: a, operator: Is}]}]\n",
    ),
    /aggregationRule\.clusterRoleSelectors\[0\]\.matchExpressions\[0\]\.operator: Unsupported value: "Is"/,
  );
  assert.throws(bad("kind: Role\nmetadata: {namespace: n}\n"), /metadata\.name: Required value/);
});

Deno.test("untrusted text in RBAC warnings and errors has its control characters escaped", () => {
  const { warnings } = loadRbac(
    parseObjects(`kind: "X\\e[2J"\napiVersion: v1\nmetadata: {name: "n\\u202e"}\n`, "in.yaml"),
  );
  assert.ok(!warnings[0].includes("\u001b") && !warnings[0].includes("\u202e"), warnings[0]);
  assert.match(warnings[0], /skipped X\\u001b\[2J \(v1\) "n\\u202e"/);
  assert.throws(
    () =>
      loadRbac(parseObjects(
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, labels: {"\\e[1m": 5}}\n`,
        "in.yaml",
      )),
    (e: unknown) =>
      e instanceof InputError && !e.message.includes("\u001b") &&
      e.message.includes("metadata.labels.\\u001b[1m: must be a string"),
  );
});
