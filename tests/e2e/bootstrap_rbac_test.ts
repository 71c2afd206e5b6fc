/**
 * Kubernetes' built-in RBAC (src/rbac/bootstrap.ts) against a real kube-apiserver v1.20.2: RBAC
 * objects as a user keeps them in files (bindings to built-in roles, not the roles themselves)
 * are created on the server, and its SubjectAccessReview answers for PSP `use` are compared with
 * what this tool decides from the files plus its bootstrap policy. Every built-in ClusterRole is
 * bound to a user of its own, so the claim that only `cluster-admin` grants PSP use is the
 * server's, not ours; `system:masters` is asked about without any binding of its own.
 */
import assert from "node:assert/strict";
import { collectionPath, E2E_TEST, sharedApiserver, skipE2e } from "./apiserver.ts";
import { canUsePsp } from "../../src/cluster/resources.ts";
import { buildRbacIndex, userInfoOf, userMayUse } from "../../src/rbac/authorize.ts";
import { BOOTSTRAP_POLICY, withBootstrapPolicy } from "../../src/rbac/bootstrap.ts";
import type { RbacObject } from "../../src/rbac/model.ts";

const ignore = skipE2e(import.meta.url);
const server = sharedApiserver({ psp: true });

const GROUP = "rbac.authorization.k8s.io";
const PSPS = ["privileged", "restricted"];
const NAMESPACES = ["apps", "other"];

const clusterRoles = BOOTSTRAP_POLICY.filter((o) => o.kind === "ClusterRole")
  .map((o) => o.metadata.name);
/** A user name per built-in ClusterRole (bound in `apps` only). */
const userOf = (role: string) => `u-${role.replaceAll(":", "-")}`;

/** The RBAC objects as kept in files: bindings only. */
const FILES: RbacObject[] = [
  ...clusterRoles.map((role): RbacObject => ({
    apiVersion: `${GROUP}/v1`,
    kind: "RoleBinding",
    metadata: { name: `bind-${userOf(role)}`, namespace: "apps" },
    roleRef: { apiGroup: GROUP, kind: "ClusterRole", name: role },
    subjects: [{ apiGroup: GROUP, kind: "User", name: userOf(role) }],
  })),
  {
    apiVersion: `${GROUP}/v1`,
    kind: "ClusterRoleBinding",
    metadata: { name: "ops-cluster-admin" },
    roleRef: { apiGroup: GROUP, kind: "ClusterRole", name: "cluster-admin" },
    subjects: [
      { apiGroup: GROUP, kind: "User", name: "alice" },
      { kind: "ServiceAccount", name: "deployer", namespace: "other" },
    ],
  },
];

Deno.test({
  ...E2E_TEST,
  name: "e2e: PSP use through built-in roles and system:masters agrees with SubjectAccessReview",
  ignore,
  async fn() {
    const s = await server.get();
    try {
      for (const ns of NAMESPACES) {
        await s.admin.post(collectionPath({ kind: "Namespace" }), {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: ns },
        });
      }
      for (const o of FILES) await s.admin.post(collectionPath(o), o);

      const index = buildRbacIndex(withBootstrapPolicy(FILES));
      assert.deepEqual(index.warnings, []);
      const who = [
        ...clusterRoles.map((r) => ({ user: userOf(r) })),
        { user: "alice" },
        { user: "nobody" },
        { user: "root", groups: ["system:masters"] },
        { user: "system:serviceaccount:other:deployer" },
        { user: "system:serviceaccount:apps:deployer" },
      ];
      let asked = 0;
      let allowed = 0;
      const disagree: string[] = [];
      for (const subject of who) {
        const user = userInfoOf(subject);
        for (const ns of NAMESPACES) {
          for (const psp of PSPS) {
            const server = await canUsePsp(
              s.admin,
              {
                user: user.name,
                groups: [...user.groups],
              },
              psp,
              ns,
            );
            const ours = userMayUse(index, user, psp, ns);
            asked++;
            if (server) allowed++;
            if (server !== ours) disagree.push(`${user.name} ${ns} ${psp}: server ${server}`);
          }
        }
      }
      console.log(
        `bootstrap RBAC: ${
          asked - disagree.length
        }/${asked} SubjectAccessReview answers agree (${allowed} allowed)`,
      );
      assert.deepEqual(disagree, []);
      // cluster-admin's user in apps only (2), alice, the other:deployer SA and root everywhere.
      assert.equal(allowed, 2 + 4 + 4 + 4);
    } finally {
      await server.stop();
    }
  },
});
