import assert from "node:assert/strict";
import { grantsPspUse } from "../../src/rbac/psp_grants.ts";
import { loadRbacFiles } from "../../src/rbac/load.ts";
import type { RbacObject } from "../../src/rbac/model.ts";

const FIX = new URL("../../fixtures/psp/rbac/grants.yaml", import.meta.url).pathname;

Deno.test("grantsPspUse: bound rules naming PSP use of a given PSP count, directly or aggregated", async () => {
  const { objects } = await loadRbacFiles([FIX]);
  assert.equal(grantsPspUse(objects, ["restricted"]), true, "ClusterRoleBinding");
  assert.equal(grantsPspUse(objects, ["privileged"]), true, "RoleBinding of a ClusterRole");
  assert.equal(grantsPspUse(objects, ["hostports"]), true, "through aggregation");
  assert.equal(grantsPspUse(objects, ["a-psp-only-in-files"]), false);
  // cluster-admin-like ("*" on "*") grants everything but names no PSP: it does not count.
  const wildcardOnly = objects.filter((o) =>
    o.metadata.name === "cluster-admin-like" || o.metadata.name === "admins"
  );
  assert.equal(wildcardOnly.length, 2);
  assert.equal(grantsPspUse(wildcardOnly, ["restricted"]), false);
  // psp-reader may get/list PSPs, not use them.
  const reader = objects.filter((o) => /^(psp-reader|readers-read)$/.test(o.metadata.name));
  assert.equal(grantsPspUse(reader, ["restricted"]), false);
});

Deno.test("grantsPspUse: a role nobody is bound to grants nothing; resourceNames empty means every PSP", () => {
  const role: RbacObject = {
    kind: "Role",
    metadata: { name: "use-any", namespace: "apps" },
    rules: [{ apiGroups: ["policy"], resources: ["podsecuritypolicies"], verbs: ["use"] }],
  };
  assert.equal(grantsPspUse([role], ["x"]), false);
  const binding = (subjects: { kind: string; name: string }[]): RbacObject => ({
    kind: "RoleBinding",
    metadata: { name: "b", namespace: "apps" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "use-any" },
    subjects,
  });
  assert.equal(grantsPspUse([role, binding([])], ["x"]), false, "a binding without subjects");
  assert.equal(grantsPspUse([role, binding([{ kind: "User", name: "u" }])], ["x"]), true);
  const elsewhere = {
    ...binding([{ kind: "User", name: "u" }]),
    metadata: { name: "b", namespace: "other" },
  };
  assert.equal(
    grantsPspUse([role, elsewhere as RbacObject], ["x"]),
    false,
    "a Role of another namespace",
  );
});
