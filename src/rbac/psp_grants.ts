/**
 * Whether RBAC says anything about PodSecurityPolicies at all: a cluster of Kubernetes
 * 1.25+ (or one that never used PSPs) binds no role that names them, and reading its RBAC
 * for PSPs given in files would refuse every pod. Wildcard rules (`cluster-admin`'s
 * `resources: ["*"]`) grant everything and say nothing about PSPs: only rules that name
 * `podsecuritypolicies` count.
 */
import { resolveClusterRoleRules } from "./authorize.ts";
import type { PolicyRule, RbacObject } from "./model.ts";

const PSP_GROUPS = new Set(["policy", "extensions", "*"]);

/** Whether a rule names PSP `use` (explicitly) of one of `names` (any when resourceNames is empty). */
function namesPspUse(rule: PolicyRule, names: ReadonlySet<string>): boolean {
  if (!(rule.verbs ?? []).some((v) => v === "use" || v === "*")) return false;
  if (!(rule.apiGroups ?? []).some((g) => PSP_GROUPS.has(g))) return false;
  if (!(rule.resources ?? []).includes("podsecuritypolicies")) return false;
  const only = rule.resourceNames ?? [];
  return only.length === 0 || only.some((n) => names.has(n));
}

/**
 * Whether some binding with a subject grants `use` of one of the PSPs `names` through a
 * rule that names PodSecurityPolicies (not through wildcards).
 */
export function grantsPspUse(objects: readonly RbacObject[], names: readonly string[]): boolean {
  const wanted = new Set(names);
  const clusterRules = resolveClusterRoleRules(
    objects.filter((o) => o.kind === "ClusterRole"),
  );
  const roleRules = new Map<string, readonly PolicyRule[]>();
  for (const o of objects) {
    if (o.kind === "Role") {
      roleRules.set(`${o.metadata.namespace || "default"}/${o.metadata.name}`, o.rules ?? []);
    }
  }
  for (const b of objects) {
    if (b.kind !== "RoleBinding" && b.kind !== "ClusterRoleBinding") continue;
    if (!(b.subjects ?? []).length) continue;
    const rules = b.roleRef.kind === "ClusterRole"
      ? clusterRules.get(b.roleRef.name)
      : b.kind === "RoleBinding" && b.roleRef.kind === "Role"
      ? roleRules.get(`${b.metadata.namespace || "default"}/${b.roleRef.name}`)
      : undefined;
    if (rules?.some((r) => namesPspUse(r, wanted))) return true;
  }
  return false;
}
