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
 * (src/rbac/bootstrap_policy.ts) is generated from a real v1.20.2 server's objects. Upstream's
 * `plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/cluster-roles.yaml` and
 * `cluster-role-bindings.yaml` were compared at the versions of them available here: a later one
 * (kubernetes/kubernetes 025f2834, after 1.25: `system:basic-user` already allows
 * `selfsubjectreviews`) and an early one: other roles' rules changed, the facts above did not.
 * Copies at the tags v1.21-v1.24 were not available; as the facts hold at both ends and PSP
 * admission left in 1.25, one policy serves every supported version and no version option is
 * needed.
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
