/**
 * Kubernetes' built-in RBAC (the bootstrap policy every API server creates and keeps) for RBAC
 * read from files, where it is missing: a binding to `cluster-admin`, `admin`, `edit`, `view`
 * or a `system:*` role refers to a role the files do not hold.
 *
 * What the PSP `use` check needs of it is the same in Kubernetes 1.20 to 1.24 (the versions with
 * PSP admission this tool models): the only bootstrap ClusterRole whose rules grant `use` on
 * PodSecurityPolicies is `cluster-admin` (`*` on `*` in every API group), bound by the
 * ClusterRoleBinding `cluster-admin` to the group `system:masters` and by no other bootstrap
 * binding; `admin` aggregates the roles labelled `aggregate-to-admin` (among them `edit`), `edit`
 * those labelled `aggregate-to-edit` (among them `view`), `view` those labelled
 * `aggregate-to-view`; no bootstrap role or binding names `podsecuritypolicies`. The data
 * (src/rbac/bootstrap_policy.ts) is generated from a real v1.20.2 server's objects; upstream's
 * `plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/cluster-roles.yaml` and
 * `cluster-role-bindings.yaml` of later releases add and change roles (e.g. rules of
 * `system:basic-user`, `system:monitoring`) but none of the facts above, so one policy serves
 * every supported version and no version option is needed.
 *
 * Besides RBAC, the API server's authorizer always allows the group `system:masters`
 * (`PRIVILEGED_GROUP`, applied in src/rbac/authorize.ts), whatever the bindings say.
 */
import {
  BOOTSTRAP_CLUSTER_ROLE_BINDINGS,
  BOOTSTRAP_CLUSTER_ROLES,
  BOOTSTRAP_ROLES,
} from "./bootstrap_policy.ts";
import type { RbacObject } from "./model.ts";

/** The Kubernetes versions whose bootstrap policy `BOOTSTRAP_POLICY` stands for. */
export const BOOTSTRAP_POLICY_VERSIONS = "1.20-1.24";

/** The bootstrap objects the PSP `use` check needs (see the module comment). */
export const BOOTSTRAP_POLICY: readonly RbacObject[] = [
  ...BOOTSTRAP_CLUSTER_ROLES,
  ...BOOTSTRAP_CLUSTER_ROLE_BINDINGS,
  ...BOOTSTRAP_ROLES,
];

function key(o: RbacObject): string {
  const namespaced = o.kind === "Role" || o.kind === "RoleBinding";
  return `${o.kind}/${namespaced ? o.metadata.namespace || "default" : ""}/${o.metadata.name}`;
}

/**
 * The objects plus the bootstrap policy's; an object of the same kind, namespace and name in
 * `objects` replaces the bootstrap one (as editing it in a cluster would).
 */
export function withBootstrapPolicy(objects: readonly RbacObject[]): RbacObject[] {
  const given = new Set(objects.map(key));
  return [...objects, ...BOOTSTRAP_POLICY.filter((o) => !given.has(key(o)))];
}
