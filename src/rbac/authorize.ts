/**
 * Who may `use` a PodSecurityPolicy, decided the way the PSP admission asks the RBAC authorizer
 * (docs/psp-admission.md §5.2): verb `use` on `podsecuritypolicies` in API group `policy` or
 * `extensions`, named by the PSP, in the pod's namespace. Pure; the index is built once and
 * answers many pods quickly.
 */
import { terminalText } from "../io/terminal_text.ts";
import type {
  ClusterRole,
  ClusterRoleBinding,
  LabelSelector,
  PolicyRule,
  RbacObject,
  Role,
  RoleBinding,
  Subject,
} from "./model.ts";

/** An identity asking to use a PSP. */
export interface RbacSubject {
  /** User name (`--creator`). A `system:serviceaccount:<ns>:<name>` name gets the SA groups. */
  user?: string;
  /** The user's groups (`--creator-group`). */
  groups?: string[];
  /** A service account; takes precedence over `user`. */
  serviceAccount?: { namespace: string; name: string };
}

/** A user as the authorizer sees it: a name and every group. */
export interface UserInfo {
  name: string;
  groups: readonly string[];
}

/** The PSPs some grant allows: all of them, or the named ones. */
interface Grant {
  all: boolean;
  names: Set<string>;
}

/** The grants of `use` on PSPs, per subject, for the whole cluster and per namespace. */
export interface RbacIndex {
  /** Subject key (`u:<user>` or `g:<group>`) -> grant, from ClusterRoleBindings. */
  readonly cluster: ReadonlyMap<string, Grant>;
  /** Namespace -> subject key -> grant, from RoleBindings. */
  readonly namespaced: ReadonlyMap<string, ReadonlyMap<string, Grant>>;
  /** Bindings that refer to missing roles and other things that grant nothing. */
  readonly warnings: readonly string[];
}

const AUTHENTICATED_GROUP = "system:authenticated";
/**
 * The group the API server's authorizer allows everything, before RBAC is asked
 * (`authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)`).
 */
const PRIVILEGED_GROUP = "system:masters";
const UNAUTHENTICATED_GROUP = "system:unauthenticated";
const ANONYMOUS_USER = "system:anonymous";
const ALL_SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts";
const SA_PREFIX = "system:serviceaccount:";

/** `system:serviceaccount:<ns>:<name>`. */
function serviceAccountUserName(namespace: string, name: string): string {
  return `${SA_PREFIX}${namespace}:${name}`;
}

/** The groups of a service account: `system:serviceaccounts`, `system:serviceaccounts:<ns>`. */
function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, `${ALL_SERVICE_ACCOUNTS_GROUP}:${namespace}`];
}

/**
 * The UserInfo an authenticated request carries: the given groups, the SA groups for a service
 * account, and `system:authenticated` (`system:unauthenticated` for `system:anonymous`).
 */
export function userInfoOf(subject: RbacSubject): UserInfo {
  const groups = new Set(subject.groups ?? []);
  let name = subject.user ?? "";
  if (subject.serviceAccount) {
    const { namespace, name: sa } = subject.serviceAccount;
    name = serviceAccountUserName(namespace, sa);
  }
  const sa = parseServiceAccountUser(name);
  if (sa) { for (const g of serviceAccountGroups(sa.namespace)) groups.add(g); }
  groups.add(name === ANONYMOUS_USER ? UNAUTHENTICATED_GROUP : AUTHENTICATED_GROUP);
  return { name, groups: [...groups] };
}

function parseServiceAccountUser(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SA_PREFIX)) return undefined;
  const parts = user.slice(SA_PREFIX.length).split(":");
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

// ---------------------------------------------------------------------------------------------
// Rules

const PSP_GROUPS = new Set(["policy", "extensions", "*"]);

/** What one rule allows for `use` on PSPs: undefined when it allows nothing. */
function ruleGrant(rule: PolicyRule): { all: boolean; names: readonly string[] } | undefined {
  if (!(rule.verbs ?? []).some((v) => v === "use" || v === "*")) return undefined;
  if (!(rule.apiGroups ?? []).some((g) => PSP_GROUPS.has(g))) return undefined;
  if (!(rule.resources ?? []).some((r) => r === "podsecuritypolicies" || r === "*")) {
    return undefined;
  }
  const names = rule.resourceNames ?? [];
  return names.length === 0 ? { all: true, names: [] } : { all: false, names };
}

/** Whether a rule grants `use` on some or all PSPs (wildcards included). */
export function ruleGrantsPspUse(rule: PolicyRule): boolean {
  return ruleGrant(rule) !== undefined;
}

function grantOfRules(rules: readonly PolicyRule[]): Grant | undefined {
  let grant: Grant | undefined;
  for (const rule of rules) {
    const g = ruleGrant(rule);
    if (!g) continue;
    grant ??= { all: false, names: new Set() };
    if (g.all) grant.all = true;
    for (const n of g.names) grant.names.add(n);
  }
  return grant;
}

// ---------------------------------------------------------------------------------------------
// Label selectors and aggregated ClusterRoles

/**
 * Whether labels match a selector (`metav1.LabelSelectorAsSelector`): every matchLabels pair and
 * every expression must hold; an empty selector matches everything. Returns undefined for an
 * invalid selector (unknown operator, In/NotIn without values), which matches nothing.
 */
export function selectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean | undefined {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (values.length === 0) return undefined;
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case "NotIn":
        if (values.length === 0) return undefined;
        if (has && values.includes(labels[e.key])) return false;
        break;
      case "Exists":
        if (values.length) return undefined;
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (values.length) return undefined;
        if (has) return false;
        break;
      default:
        return undefined;
    }
  }
  return true;
}

/**
 * The rules of every ClusterRole with aggregation resolved: an aggregated ClusterRole gets the
 * rules of every other ClusterRole its `clusterRoleSelectors` select, transitively (what the
 * clusterrole-aggregation controller converges to), in addition to the rules it lists itself
 * (in a dump from a cluster those are the controller's earlier result).
 */
export function resolveClusterRoleRules(
  clusterRoles: readonly ClusterRole[],
): Map<string, PolicyRule[]> {
  const byName = new Map(clusterRoles.map((r) => [r.metadata.name, r]));
  const resolved = new Map<string, PolicyRule[]>();
  const resolving = new Set<string>();
  const resolve = (role: ClusterRole): PolicyRule[] => {
    const name = role.metadata.name;
    const done = resolved.get(name);
    if (done) return done;
    const rules = [...(role.rules ?? [])];
    const selectors = role.aggregationRule?.clusterRoleSelectors ?? [];
    if (selectors.length && !resolving.has(name)) {
      resolving.add(name);
      for (const other of clusterRoles) {
        if (other.metadata.name === name) continue;
        const labels = other.metadata.labels ?? {};
        if (selectors.some((s) => selectorMatches(s, labels) === true)) {
          rules.push(...(resolving.has(other.metadata.name) ? other.rules ?? [] : resolve(other)));
        }
      }
      resolving.delete(name);
    }
    // the controller adds a rule only once
    const seen = new Set<string>();
    const unique = rules.filter((r) => {
      const key = JSON.stringify(r);
      return seen.has(key) ? false : (seen.add(key), true);
    });
    resolved.set(name, unique);
    return unique;
  };
  for (const r of byName.values()) resolve(r);
  return resolved;
}

// ---------------------------------------------------------------------------------------------
// The index

/** The keys under which a binding subject is indexed, or undefined if it matches no user. */
function subjectKey(subject: Subject, bindingNamespace: string): string | undefined {
  switch (subject.kind) {
    case "User":
      return `u:${subject.name}`;
    case "Group":
      return `g:${subject.name}`;
    case "ServiceAccount": {
      const ns = subject.namespace || bindingNamespace;
      if (!ns) return undefined;
      return `u:${serviceAccountUserName(ns, subject.name)}`;
    }
    default:
      return undefined;
  }
}

function addGrant(map: Map<string, Grant>, key: string, grant: Grant) {
  const g = map.get(key);
  if (!g) map.set(key, { all: grant.all, names: new Set(grant.names) });
  else {
    g.all ||= grant.all;
    for (const n of grant.names) g.names.add(n);
  }
}

/**
 * Builds the index of PSP `use` grants from Roles, ClusterRoles (aggregation resolved),
 * RoleBindings (in their namespace; a ClusterRole bound by a RoleBinding applies there only)
 * and ClusterRoleBindings (everywhere). Roles without a namespace are taken to be in `default`.
 */
export function buildRbacIndex(objects: readonly RbacObject[]): RbacIndex {
  const warnings: string[] = [];
  const roles = new Map<string, Role>();
  const clusterRoles: ClusterRole[] = [];
  const bindings: (RoleBinding | ClusterRoleBinding)[] = [];
  for (const o of objects) {
    if (o.kind === "Role") roles.set(`${o.metadata.namespace || "default"}/${o.metadata.name}`, o);
    else if (o.kind === "ClusterRole") clusterRoles.push(o);
    else bindings.push(o);
  }
  const clusterRules = resolveClusterRoleRules(clusterRoles);
  const cluster = new Map<string, Grant>();
  const namespaced = new Map<string, Map<string, Grant>>();
  for (const b of bindings) {
    const isCluster = b.kind === "ClusterRoleBinding";
    const ns = isCluster ? "" : b.metadata.namespace || "default";
    const what = terminalText(`${b.kind} ${isCluster ? "" : `${ns}/`}${b.metadata.name}`, {
      oneLine: true,
    });
    let rules: readonly PolicyRule[] | undefined;
    if (b.roleRef.kind === "ClusterRole") rules = clusterRules.get(b.roleRef.name);
    else if (b.roleRef.kind === "Role" && !isCluster) {
      const role = roles.get(`${ns}/${b.roleRef.name}`);
      rules = role ? role.rules ?? [] : undefined;
    } else {
      warnings.push(`${what}: roleRef kind ${JSON.stringify(b.roleRef.kind)} grants nothing`);
      continue;
    }
    if (!rules) {
      warnings.push(
        `${what}: ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} not found in the input`,
      );
      continue;
    }
    const grant = grantOfRules(rules);
    if (!grant) continue;
    let target = cluster;
    if (!isCluster) {
      target = namespaced.get(ns) ?? new Map();
      namespaced.set(ns, target);
    }
    for (const s of b.subjects ?? []) {
      const key = subjectKey(s, ns);
      if (key) addGrant(target, key, grant);
    }
  }
  return { cluster, namespaced, warnings };
}

/**
 * The grants that apply to a user in a namespace (cluster-wide and the namespace's), or "all"
 * when one of them covers every PSP or the user is in `system:masters`. No copying: the grants are the index's own.
 */
function grantsFor(index: RbacIndex, user: UserInfo, namespace: string): Grant[] | "all" {
  if (user.groups.includes(PRIVILEGED_GROUP)) return "all";
  const out: Grant[] = [];
  const nsMap = index.namespaced.get(namespace);
  const visit = (key: string) => {
    const c = index.cluster.get(key);
    if (c) out.push(c);
    const n = nsMap?.get(key);
    if (n) out.push(n);
  };
  for (const g of user.groups) visit(`g:${g}`);
  if (user.name) visit(`u:${user.name}`);
  return out.some((g) => g.all) ? "all" : out;
}

const allows = (grants: Grant[] | "all", psp: string) =>
  grants === "all" || grants.some((g) => g.names.has(psp));

/** Whether a user (name and all groups, as given) may `use` the PSP in the namespace. */
export function userMayUse(
  index: RbacIndex,
  user: UserInfo,
  psp: string,
  namespace: string,
): boolean {
  return allows(grantsFor(index, user, namespace), psp);
}

/**
 * Whether the subject may `use` the PSP in the namespace. The subject is completed as an
 * authenticated request would be (`userInfoOf`): `system:authenticated`, and for a service
 * account its user name and groups.
 */
export function canUse(
  index: RbacIndex,
  subject: RbacSubject,
  psp: string,
  namespace: string,
): boolean {
  return userMayUse(index, userInfoOf(subject), psp, namespace);
}

/** The pod fields the admission's authorization reads. */
export interface PodRef {
  namespace: string;
  /** `spec.serviceAccountName` (or the deprecated `spec.serviceAccount`); `default` if empty. */
  serviceAccountName?: string;
}

/**
 * The PSPs (from `allPspNames`, in that order) the admission may use for a pod: those the pod's
 * service account may use in the pod's namespace, or the requester may (docs/psp-admission.md §5.2).
 *
 * - The service account is checked as the admission builds it: `system:serviceaccount:<ns>:<sa>`
 *   with groups `system:serviceaccounts` and `system:serviceaccounts:<ns>`; the service account
 *   defaults to `default`, as the ServiceAccount admission plugin sets it. `""` means none (a
 *   mirror pod): only the requester is checked.
 * - The requester is checked with its groups plus `system:authenticated`. When no requester is
 *   given it stands for an unknown authenticated user: only grants to `system:authenticated`
 *   count for it.
 */
export function usablePolicies(
  index: RbacIndex,
  pod: PodRef,
  requester: RbacSubject | undefined,
  allPspNames: readonly string[],
): string[] {
  const ns = pod.namespace;
  const sa = pod.serviceAccountName ?? "default";
  const reqUser: UserInfo = requester ? userInfoOf(requester) : {
    name: "",
    groups: [AUTHENTICATED_GROUP],
  };
  const a = sa === "" ? [] : grantsFor(index, {
    name: serviceAccountUserName(ns, sa),
    groups: serviceAccountGroups(ns),
  }, ns);
  const b = grantsFor(index, reqUser, ns);
  if (a === "all" || b === "all") return [...allPspNames];
  const grants = [...a, ...b];
  if (grants.length === 0) return [];
  return allPspNames.filter((n) => allows(grants, n));
}

/** The namespace and service account of a pod object, as the admission sees them. */
export function podRefOf(
  pod: { metadata?: { namespace?: string }; spec?: Record<string, unknown> },
  defaultNamespace = "default",
): PodRef {
  const spec = pod.spec ?? {};
  const sa = typeof spec.serviceAccountName === "string" && spec.serviceAccountName
    ? spec.serviceAccountName
    : typeof spec.serviceAccount === "string"
    ? spec.serviceAccount
    : "";
  return { namespace: pod.metadata?.namespace || defaultNamespace, serviceAccountName: sa };
}
