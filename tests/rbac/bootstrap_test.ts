import assert from "node:assert/strict";
import { buildRbacIndex, usablePolicies } from "../../src/rbac/authorize.ts";
import { BOOTSTRAP_POLICY, withBootstrapPolicy } from "../../src/rbac/bootstrap.ts";
import type { RbacObject } from "../../src/rbac/model.ts";

const PSPS = ["privileged", "restricted"];
const GROUP = "rbac.authorization.k8s.io";

function binding(
  kind: "RoleBinding" | "ClusterRoleBinding",
  name: string,
  role: string,
  subjects: RbacObject extends never ? never : { kind: string; name: string; namespace?: string }[],
  namespace?: string,
): RbacObject {
  return {
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: GROUP, kind: "ClusterRole", name: role },
    subjects,
  } as RbacObject;
}

/** What a pod of `sa` in `ns`, created by `user` (with `groups`), may use. */
function usable(
  objects: RbacObject[],
  ns: string,
  user?: { user: string; groups?: string[] },
  sa = "default",
): string[] {
  return usablePolicies(
    buildRbacIndex(objects),
    { namespace: ns, serviceAccountName: sa },
    user,
    PSPS,
  );
}

Deno.test("bootstrap policy: the roles every 1.20-1.24 server has, cluster-admin bound to system:masters", () => {
  const names = (kind: string) =>
    BOOTSTRAP_POLICY.filter((o) => o.kind === kind).map((o) => o.metadata.name);
  const roles = names("ClusterRole");
  assert.equal(roles.length, 60);
  for (const r of ["cluster-admin", "admin", "edit", "view", "system:node", "system:basic-user"]) {
    assert.ok(roles.includes(r), r);
  }
  assert.deepEqual(names("ClusterRoleBinding"), ["cluster-admin"]);
  const crb = BOOTSTRAP_POLICY.find((o) => o.kind === "ClusterRoleBinding")!;
  assert.deepEqual("subjects" in crb && crb.subjects, [
    { apiGroup: GROUP, kind: "Group", name: "system:masters" },
  ]);
  // The bootstrap policy alone grants PSP use to nobody but system:masters.
  const index = buildRbacIndex([...BOOTSTRAP_POLICY]);
  assert.deepEqual(index.warnings, []);
  assert.deepEqual([...index.cluster.keys()], ["g:system:masters"]);
});

Deno.test("--rbac-file bindings to built-in roles count: cluster-admin, aggregation into admin/edit", () => {
  const files: RbacObject[] = [
    binding("ClusterRoleBinding", "ops", "cluster-admin", [{ kind: "User", name: "alice" }]),
    binding("RoleBinding", "deployers", "cluster-admin", [
      { kind: "ServiceAccount", name: "deployer", namespace: "apps" },
    ], "apps"),
    binding("RoleBinding", "editors", "edit", [{ kind: "User", name: "bob" }], "apps"),
    binding("RoleBinding", "admins", "admin", [{ kind: "User", name: "carol" }], "apps"),
    {
      kind: "ClusterRole",
      metadata: { name: "psp-restricted", labels: { [`${GROUP}/aggregate-to-admin`]: "true" } },
      rules: [{
        apiGroups: ["policy"],
        resources: ["podsecuritypolicies"],
        verbs: ["use"],
        resourceNames: ["restricted"],
      }],
    },
  ];
  // Without the bootstrap policy the bindings refer to nothing (the behaviour before).
  const bare = buildRbacIndex(files);
  assert.equal(bare.warnings.length, 4, bare.warnings.join("\n"));
  assert.deepEqual(usable(files, "apps", { user: "alice" }), []);

  const all = withBootstrapPolicy(files);
  assert.deepEqual(buildRbacIndex(all).warnings, []);
  assert.deepEqual(usable(all, "other", { user: "alice" }), PSPS, "cluster-admin everywhere");
  assert.deepEqual(usable(all, "apps", undefined, "deployer"), PSPS, "SA bound in apps");
  assert.deepEqual(usable(all, "other", undefined, "deployer"), [], "not outside apps");
  assert.deepEqual(usable(all, "apps", { user: "bob" }), [], "edit grants no PSP");
  assert.deepEqual(usable(all, "apps", { user: "carol" }), ["restricted"], "aggregated into admin");
});

Deno.test("system:masters may use every PSP, with or without bindings", () => {
  const masters = { user: "root", groups: ["system:masters"] };
  assert.deepEqual(usable([], "apps", masters), PSPS);
  assert.deepEqual(usable(withBootstrapPolicy([]), "apps", masters), PSPS);
  assert.deepEqual(usable(withBootstrapPolicy([]), "apps", { user: "root" }), []);
});

Deno.test("objects in the files replace the same-named built-in ones", () => {
  const files: RbacObject[] = [
    { kind: "ClusterRole", metadata: { name: "cluster-admin" }, rules: [] },
    binding("ClusterRoleBinding", "ops", "cluster-admin", [{ kind: "User", name: "alice" }]),
    // A ClusterRoleBinding named like the built-in one, to another group.
    binding("ClusterRoleBinding", "cluster-admin", "view", [{ kind: "Group", name: "admins" }]),
  ];
  const all = withBootstrapPolicy(files);
  assert.equal(all.filter((o) => o.metadata.name === "cluster-admin").length, 2);
  assert.deepEqual(usable(all, "apps", { user: "alice" }), [], "the file's cluster-admin");
  assert.deepEqual(usable(all, "apps", { user: "x", groups: ["admins"] }), []);
});
