/**
 * Dynamic values for shell completion: context, cluster and user names from the
 * kubeconfig, and namespace names from the cluster. Both go through the
 * project's cluster module, so they see exactly the configuration a command
 * would use (`--kubeconfig`, else `KUBECONFIG` merged first-wins, else
 * ~/.kube/config; `--context`, `--cluster`, `--user`). Every failure yields no
 * suggestions: completion must never print an error, a credential, or hang.
 */
import { connect } from "../cluster/client.ts";
import {
  type KubeconfigEnvironment,
  kubeconfigPaths,
  loadConnection,
  mergeKubeconfigs,
  parseKubeconfig,
} from "../cluster/kubeconfig.ts";
import { listNamespaceNames } from "../cluster/resources.ts";

/** Connection settings already typed on the command line. */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
}

/** A kubeconfig entry name with a short description. */
export interface NamedEntry {
  value: string;
  description?: string;
}

/** Where kubeconfig files are looked up, from an environment lookup function. */
export function kubeconfigEnvironment(
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  os: string = Deno.build.os,
): KubeconfigEnvironment {
  return {
    kubeconfigVar: env("KUBECONFIG"),
    home: env("HOME") ?? env("USERPROFILE"),
    delimiter: os === "windows" ? ";" : ":",
  };
}

/**
 * Names of the contexts, clusters or users in the kubeconfig selected by
 * `target`, merged as kubectl merges (first occurrence wins). Unreadable or
 * invalid files are skipped. Contexts are described by their cluster and
 * namespace; nothing from a user entry (credentials) is ever read out.
 */
export function listKubeconfigNames(
  kind: "contexts" | "clusters" | "users",
  target: KubeTarget,
  env: KubeconfigEnvironment = kubeconfigEnvironment(),
): NamedEntry[] {
  const files = [];
  for (const path of kubeconfigPaths(target.kubeconfig, env).paths) {
    try {
      files.push(parseKubeconfig(Deno.readTextFileSync(path), path));
    } catch {
      // missing, unreadable or invalid: no names from it
    }
  }
  return mergeKubeconfigs(files)[kind].map((entry) => {
    if (kind !== "contexts") return { value: entry.name };
    const ctx = (entry.context ?? {}) as Record<string, unknown>;
    const parts = [
      typeof ctx.cluster === "string" ? `cluster ${ctx.cluster}` : "",
      typeof ctx.namespace === "string" ? `namespace ${ctx.namespace}` : "",
    ].filter(Boolean);
    return { value: entry.name, description: parts.join(", ") || undefined };
  });
}

/** Lists namespace names for a target; replaced in tests. */
export type NamespaceLister = (target: KubeTarget, timeoutMs: number) => Promise<string[]>;

/** Asks the API server (one request, no retries, no progress output). */
const clusterNamespaces: NamespaceLister = async (target, timeoutMs) => {
  const conn = await loadConnection({ ...target, requestTimeout: `${timeoutMs}ms` });
  const client = connect(conn, { retries: 0, listRestarts: 0, onPage: undefined });
  return await listNamespaceNames(client);
};

/**
 * Namespace names of the cluster selected by `target`, sorted; an empty list
 * on any error, and after `timeoutMs` at the latest.
 */
export async function listNamespaces(
  target: KubeTarget,
  lister: NamespaceLister = clusterNamespaces,
  timeoutMs = 5000,
): Promise<string[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), timeoutMs);
  });
  try {
    const names = await Promise.race([lister(target, timeoutMs).catch(() => []), timeout]);
    return names.filter((n) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n)).sort();
  } finally {
    clearTimeout(timer);
  }
}
