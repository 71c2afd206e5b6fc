/**
 * The RBAC objects (rbac.authorization.k8s.io v1 / v1beta1) that decide who may `use` a
 * PodSecurityPolicy, as plain JSON objects.
 */

/** One rule of a Role or ClusterRole. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[] | null;
  resources?: string[] | null;
  resourceNames?: string[] | null;
  nonResourceURLs?: string[] | null;
}

/** A label selector requirement (`matchExpressions` item). */
export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | string;
  values?: string[] | null;
}

/** A label selector, as in `aggregationRule.clusterRoleSelectors`. */
export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirement[] | null;
}

export interface RbacMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string> | null;
}

export interface Role {
  apiVersion?: string;
  kind: "Role";
  metadata: RbacMeta;
  rules?: PolicyRule[] | null;
}

export interface ClusterRole {
  apiVersion?: string;
  kind: "ClusterRole";
  metadata: RbacMeta;
  rules?: PolicyRule[] | null;
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] | null } | null;
}

/** A binding subject. */
export interface Subject {
  kind: "User" | "Group" | "ServiceAccount" | string;
  apiGroup?: string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup?: string;
  kind: "Role" | "ClusterRole" | string;
  name: string;
}

export interface RoleBinding {
  apiVersion?: string;
  kind: "RoleBinding";
  metadata: RbacMeta;
  subjects?: Subject[] | null;
  roleRef: RoleRef;
}

export interface ClusterRoleBinding {
  apiVersion?: string;
  kind: "ClusterRoleBinding";
  metadata: RbacMeta;
  subjects?: Subject[] | null;
  roleRef: RoleRef;
}

export type RbacObject = Role | ClusterRole | RoleBinding | ClusterRoleBinding;

/** The RBAC kinds and the apiVersions they are read from. */
export const RBAC_KINDS: readonly string[] = [
  "Role",
  "ClusterRole",
  "RoleBinding",
  "ClusterRoleBinding",
];
export const RBAC_API_VERSIONS: readonly string[] = [
  "rbac.authorization.k8s.io/v1",
  "rbac.authorization.k8s.io/v1beta1",
];
