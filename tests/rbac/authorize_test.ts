import assert from "node:assert/strict";
import {
  buildRbacIndex,
  canUse,
  podRefOf,
  resolveClusterRoleRules,
  selectorMatches,
  usablePolicies,
  userInfoOf,
  userMayUse,
} from "../../src/rbac/authorize.ts";
import { loadRbacFiles } from "../../src/rbac/load.ts";
import type { ClusterRole, PolicyRule, RbacObject } from "../../src/rbac/model.ts";

const FIX = new URL("../../fixtures/psp/rbac/", import.meta.url).pathname;
const PSPS = ["host-ns", "hostports", "privileged", "restricted"];

async function fixtureIndex() {
  const { objects } = await loadRbacFiles([`${FIX}grants.yaml`]);
  return buildRbacIndex(objects);
}

/** A ClusterRole with one rule, bound to user `u` cluster-wide. */
function single(rule: PolicyRule): RbacObject[] {
  return [
    { kind: "ClusterRole", metadata: { name: "r" }, rules: [rule] },
    {
      kind: "ClusterRoleBinding",
      metadata: { name: "b" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "r" },
      subjects: [{ kind: "User", name: "u" }],
    },
  ];
}

const mayUse = (objects: RbacObject[], psp = "p") =>
  canUse(buildRbacIndex(objects), { user: "u" }, psp, "ns");

Deno.test("rules: verb use or *, group policy/extensions/*, resource podsecuritypolicies or *", () => {
  const base = { apiGroups: ["policy"], resources: ["podsecuritypolicies"], verbs: ["use"] };
  assert.equal(mayUse(single(base)), true);
  assert.equal(mayUse(single({ ...base, verbs: ["*"] })), true);
  assert.equal(mayUse(single({ ...base, verbs: ["get", "list"] })), false);
  assert.equal(mayUse(single({ ...base, verbs: ["USE"] })), false);
  assert.equal(mayUse(single({ ...base, apiGroups: ["extensions"] })), true);
  assert.equal(mayUse(single({ ...base, apiGroups: ["*"] })), true);
  assert.equal(mayUse(single({ ...base, apiGroups: [""] })), false);
  assert.equal(mayUse(single({ ...base, apiGroups: ["apps"] })), false);
  assert.equal(mayUse(single({ ...base, apiGroups: [] })), false);
  assert.equal(mayUse(single({ ...base, resources: ["*"] })), true);
  assert.equal(mayUse(single({ ...base, resources: ["podsecuritypolicies/status"] })), false);
  assert.equal(mayUse(single({ ...base, resources: ["pods"] })), false);
});

Deno.test("rules: resourceNames empty means every PSP, else only the named ones", () => {
  const base = { apiGroups: ["policy"], resources: ["podsecuritypolicies"], verbs: ["use"] };
  assert.equal(mayUse(single({ ...base, resourceNames: [] }), "anything"), true);
  assert.equal(mayUse(single({ ...base, resourceNames: ["p"] }), "p"), true);
  assert.equal(mayUse(single({ ...base, resourceNames: ["p"] }), "q"), false);
  assert.equal(mayUse(single({ ...base, resourceNames: ["*"] }), "q"), false); // no wildcard
});

Deno.test("cluster-wide grants: ClusterRoleBinding to a group, a user, cluster-admin-like *", async () => {
  const idx = await fixtureIndex();
  // every authenticated user may use restricted, anywhere
  assert.equal(canUse(idx, { user: "nobody" }, "restricted", "default"), true);
  assert.equal(canUse(idx, { user: "nobody" }, "privileged", "default"), false);
  // admin (User) and platform-admins (Group) may use every PSP in every namespace
  for (const p of PSPS) {
    assert.equal(canUse(idx, { user: "admin" }, p, "x"), true);
    assert.equal(canUse(idx, { user: "carol", groups: ["platform-admins"] }, p, "y"), true);
  }
  // a reader may get/list PSPs, which is not `use`
  assert.equal(canUse(idx, { user: "reader" }, "privileged", "x"), false);
});

Deno.test("a ClusterRole bound by a RoleBinding applies in the binding's namespace only", async () => {
  const idx = await fixtureIndex();
  const deployer = { serviceAccount: { namespace: "apps", name: "deployer" } };
  assert.equal(canUse(idx, deployer, "privileged", "apps"), true);
  assert.equal(canUse(idx, deployer, "privileged", "default"), false);
  // the SA subject without a namespace means the binding's namespace: not apps' namesake elsewhere
  const other = { serviceAccount: { namespace: "web", name: "deployer" } };
  assert.equal(canUse(idx, other, "privileged", "apps"), false);
  // a Role bound in monitoring
  assert.equal(canUse(idx, { user: "alice" }, "host-ns", "monitoring"), true);
  assert.equal(canUse(idx, { user: "alice" }, "host-ns", "default"), false);
  // an SA of another namespace named in a RoleBinding: may use it in the binding's namespace
  const exporter = { serviceAccount: { namespace: "kube-system", name: "node-exporter" } };
  assert.equal(canUse(idx, exporter, "host-ns", "monitoring"), true);
  assert.equal(canUse(idx, exporter, "host-ns", "kube-system"), false);
});

Deno.test("aggregated ClusterRoles get the rules of the ClusterRoles they select", async () => {
  const idx = await fixtureIndex();
  // psp-apps aggregates psp-hostports and is bound to system:serviceaccounts:apps in apps
  const sa = { serviceAccount: { namespace: "apps", name: "default" } };
  assert.equal(canUse(idx, sa, "hostports", "apps"), true);
  assert.equal(canUse(idx, sa, "privileged", "apps"), false);
  const elsewhere = { serviceAccount: { namespace: "web", name: "default" } };
  assert.equal(canUse(idx, elsewhere, "hostports", "apps"), false);
  assert.equal(canUse(idx, elsewhere, "hostports", "web"), false);
});

Deno.test("aggregation is transitive, skips the role itself and survives cycles", () => {
  const use = (name: string): PolicyRule => ({
    apiGroups: ["policy"],
    resources: ["podsecuritypolicies"],
    verbs: ["use"],
    resourceNames: [name],
  });
  const roles: ClusterRole[] = [
    {
      kind: "ClusterRole",
      metadata: { name: "top", labels: { tier: "top" } },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { tier: "mid" } }] },
      rules: [use("own")],
    },
    {
      kind: "ClusterRole",
      metadata: { name: "mid", labels: { tier: "mid" } },
      aggregationRule: {
        clusterRoleSelectors: [{
          matchExpressions: [{ key: "tier", operator: "In", values: ["leaf", "top"] }],
        }],
      },
    },
    {
      kind: "ClusterRole",
      metadata: { name: "leaf", labels: { tier: "leaf" } },
      rules: [use("a")],
    },
    { kind: "ClusterRole", metadata: { name: "other", labels: { tier: "x" } }, rules: [use("b")] },
  ];
  const rules = resolveClusterRoleRules(roles);
  const names = (r: string) => (rules.get(r) ?? []).flatMap((x) => x.resourceNames ?? []).sort();
  assert.deepEqual(names("leaf"), ["a"]);
  assert.deepEqual(names("top"), ["a", "own"]);
  assert.ok(names("mid").includes("a"));
  assert.ok(!names("mid").includes("b"));
  assert.ok(!names("top").includes("b"));
});

Deno.test("selectorMatches: matchLabels and every operator", () => {
  const l = { a: "1", b: "2" };
  assert.equal(selectorMatches({}, l), true);
  assert.equal(selectorMatches({ matchLabels: { a: "1" } }, l), true);
  assert.equal(selectorMatches({ matchLabels: { a: "2" } }, l), false);
  const ex = (operator: string, values?: string[]) =>
    selectorMatches({ matchExpressions: [{ key: "a", operator, values }] }, l);
  assert.equal(ex("In", ["1", "3"]), true);
  assert.equal(ex("In", ["3"]), false);
  assert.equal(ex("NotIn", ["3"]), true);
  assert.equal(ex("NotIn", ["1"]), false);
  assert.equal(
    selectorMatches({ matchExpressions: [{ key: "z", operator: "NotIn", values: ["1"] }] }, l),
    true,
  );
  assert.equal(ex("Exists"), true);
  assert.equal(ex("DoesNotExist"), false);
  assert.equal(ex("In", []), undefined);
  assert.equal(ex("Exists", ["1"]), undefined);
  assert.equal(ex("Bogus", ["1"]), undefined);
});

Deno.test("subjects: service accounts as users with their groups; system:authenticated", () => {
  assert.deepEqual(userInfoOf({ serviceAccount: { namespace: "ns", name: "sa" } }), {
    name: "system:serviceaccount:ns:sa",
    groups: ["system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"],
  });
  assert.deepEqual(userInfoOf({ user: "system:serviceaccount:ns:sa", groups: ["g"] }).groups, [
    "g",
    "system:serviceaccounts",
    "system:serviceaccounts:ns",
    "system:authenticated",
  ]);
  assert.deepEqual(userInfoOf({ user: "bob", groups: ["dev"] }).groups, [
    "dev",
    "system:authenticated",
  ]);
  assert.deepEqual(userInfoOf({ user: "system:anonymous" }).groups, ["system:unauthenticated"]);
  // a ServiceAccount subject in a ClusterRoleBinding must name its namespace
  const objs = single({
    apiGroups: ["policy"],
    resources: ["podsecuritypolicies"],
    verbs: ["use"],
  });
  (objs[1] as { subjects: unknown[] }).subjects = [
    { kind: "ServiceAccount", name: "sa" },
    { kind: "ServiceAccount", name: "sb", namespace: "ns" },
    { kind: "Robot", name: "u" },
  ];
  const idx = buildRbacIndex(objs);
  assert.equal(canUse(idx, { serviceAccount: { namespace: "ns", name: "sa" } }, "p", "ns"), false);
  assert.equal(canUse(idx, { serviceAccount: { namespace: "ns", name: "sb" } }, "p", "x"), true);
  assert.equal(canUse(idx, { user: "u" }, "p", "ns"), false);
  // a User subject with the service account's user name matches it too
  const idx2 = buildRbacIndex(
    single({ apiGroups: ["policy"], resources: ["podsecuritypolicies"], verbs: ["use"] }).map((o) =>
      o.kind === "ClusterRoleBinding"
        ? { ...o, subjects: [{ kind: "User", name: "system:serviceaccount:ns:sa" }] }
        : o
    ),
  );
  assert.equal(canUse(idx2, { serviceAccount: { namespace: "ns", name: "sa" } }, "p", "x"), true);
});

Deno.test("bindings to missing roles or a Role from a ClusterRoleBinding grant nothing, with a warning", async () => {
  const idx = await fixtureIndex();
  assert.equal(canUse(idx, { user: "bob" }, "privileged", "apps"), false);
  assert.deepEqual(idx.warnings, [
    'RoleBinding apps/dangling: Role "does-not-exist" not found in the input',
  ]);
  const objs: RbacObject[] = [
    {
      kind: "Role",
      metadata: { name: "r", namespace: "ns" },
      rules: [{ apiGroups: ["policy"], resources: ["podsecuritypolicies"], verbs: ["use"] }],
    },
    {
      kind: "ClusterRoleBinding",
      metadata: { name: "b" },
      roleRef: { kind: "Role", name: "r" },
      subjects: [{ kind: "User", name: "u" }],
    },
  ];
  const i2 = buildRbacIndex(objs);
  assert.equal(canUse(i2, { user: "u" }, "p", "ns"), false);
  assert.match(i2.warnings[0], /ClusterRoleBinding b: roleRef kind "Role" grants nothing/);
});

Deno.test("usablePolicies: the pod's service account or the requester, in the pod's namespace", async () => {
  const idx = await fixtureIndex();
  // no requester: an unknown authenticated user (system:authenticated grants count)
  assert.deepEqual(
    usablePolicies(idx, { namespace: "apps", serviceAccountName: "deployer" }, undefined, PSPS),
    ["hostports", "privileged", "restricted"],
  );
  // the default service account
  assert.deepEqual(usablePolicies(idx, { namespace: "apps" }, undefined, PSPS), [
    "hostports",
    "restricted",
  ]);
  assert.deepEqual(usablePolicies(idx, { namespace: "default" }, undefined, PSPS), ["restricted"]);
  // the requester's grants add to the service account's
  assert.deepEqual(usablePolicies(idx, { namespace: "monitoring" }, { user: "alice" }, PSPS), [
    "host-ns",
    "restricted",
  ]);
  assert.deepEqual(usablePolicies(idx, { namespace: "web" }, { user: "admin" }, PSPS), PSPS);
  // the order of allPspNames is kept
  assert.deepEqual(
    usablePolicies(idx, { namespace: "apps", serviceAccountName: "deployer" }, undefined, [
      "restricted",
      "privileged",
    ]),
    ["restricted", "privileged"],
  );
});

Deno.test("usablePolicies: the admission's service account check has no system:authenticated", async () => {
  const idx = await fixtureIndex();
  // an anonymous requester is not authenticated, and the SA identity the admission builds has
  // only the two service account groups: the system:authenticated grant does not apply
  assert.deepEqual(
    usablePolicies(idx, { namespace: "default" }, { user: "system:anonymous" }, PSPS),
    [],
  );
  assert.deepEqual(
    usablePolicies(idx, { namespace: "apps" }, { user: "system:anonymous" }, PSPS),
    ["hostports"],
  );
});

Deno.test("podRefOf: namespace, serviceAccountName, the deprecated serviceAccount", () => {
  assert.deepEqual(podRefOf({ metadata: { namespace: "a" }, spec: { serviceAccountName: "s" } }), {
    namespace: "a",
    serviceAccountName: "s",
  });
  assert.deepEqual(podRefOf({ spec: { serviceAccount: "old" } }, "ctx"), {
    namespace: "ctx",
    serviceAccountName: "old",
  });
  assert.deepEqual(
    podRefOf({ metadata: {}, spec: { serviceAccountName: "new", serviceAccount: "old" } }),
    { namespace: "default", serviceAccountName: "new" },
  );
});

Deno.test("a binding to a Role without rules grants nothing and is not reported missing", () => {
  const idx = buildRbacIndex([
    { kind: "Role", metadata: { name: "empty", namespace: "ns" } },
    {
      kind: "RoleBinding",
      metadata: { name: "b", namespace: "ns" },
      roleRef: { kind: "Role", name: "empty" },
      subjects: [{ kind: "User", name: "u" }],
    },
  ]);
  assert.deepEqual(idx.warnings, []);
  assert.equal(canUse(idx, { user: "u" }, "p", "ns"), false);
});

Deno.test("real kube-apiserver v1.20.2 SubjectAccessReview answers (fixtures/psp/rbac/sar-answers.json) agree", async () => {
  const { objects } = await loadRbacFiles([`${FIX}grants.yaml`]);
  // the recording left out the aggregated ClusterRole (no aggregation controller there)
  const idx = buildRbacIndex(
    objects.filter((o) => !["psp-apps", "apps-sas"].includes(o.metadata.name)),
  );
  const { answers } = JSON.parse(await Deno.readTextFile(`${FIX}sar-answers.json`)) as {
    answers: {
      user: string;
      groups: string[];
      namespace: string;
      psp: string;
      allowed: { policy: boolean; extensions: boolean };
    }[];
  };
  assert.ok(answers.length >= 200);
  const allowedCount = answers.filter((a) => a.allowed.policy || a.allowed.extensions).length;
  assert.ok(allowedCount > 20 && allowedCount < answers.length - 20);
  const disagreements = answers.filter((a) =>
    userMayUse(idx, { name: a.user, groups: a.groups }, a.psp, a.namespace) !==
      (a.allowed.policy || a.allowed.extensions)
  );
  console.log(
    `sar-answers: ${
      answers.length - disagreements.length
    }/${answers.length} agree with kube-apiserver v1.20.2 (${allowedCount} allowed)`,
  );
  assert.deepEqual(disagreements, []);
});

Deno.test('usablePolicies: no service account ("", a mirror pod) checks only the requester', async () => {
  const idx = await fixtureIndex();
  // `apps`'s default service account may use hostports; with no service account only the
  // grants to system:authenticated (an unknown requester) or to the requester count
  const none = usablePolicies(idx, { namespace: "apps", serviceAccountName: "" }, undefined, PSPS);
  const dflt = usablePolicies(idx, { namespace: "apps" }, undefined, PSPS);
  assert.ok(dflt.includes("hostports"));
  assert.ok(!none.includes("hostports"), none.join(","));
  assert.deepEqual(
    usablePolicies(idx, { namespace: "web" }, { user: "admin" }, PSPS),
    usablePolicies(idx, { namespace: "web", serviceAccountName: "" }, { user: "admin" }, PSPS),
  );
});
