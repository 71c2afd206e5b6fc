/**
 * Dynamic values for shell completion: context, cluster and user names from the
 * kubeconfig (selected like kubectl does: `--kubeconfig`, else `KUBECONFIG`,
 * else ~/.kube/config), and namespace names from the cluster. Every failure
 * yields no suggestions: completion must never print an error or hang.
 */
import { parse } from "yaml";

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

/** The kubeconfig files kubectl would read for `target`, in order. */
export function kubeconfigPaths(
  target: KubeTarget,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  os: string = Deno.build.os,
): string[] {
  if (target.kubeconfig) return [target.kubeconfig];
  const list = env("KUBECONFIG");
  if (list) return list.split(os === "windows" ? ";" : ":").filter((p) => p !== "");
  const home = env("HOME") ?? env("USERPROFILE");
  return home ? [`${home}/.kube/config`] : [];
}

/** Reads one kubeconfig file as an object, or undefined when it cannot be read or parsed. */
function readKubeconfig(path: string): Record<string, unknown> | undefined {
  try {
    const doc = parse(Deno.readTextFileSync(path));
    return doc && typeof doc === "object" && !Array.isArray(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Names of the contexts, clusters or users in the kubeconfig selected by
 * `target` (merged over all files, first occurrence wins, as kubectl merges).
 * Context entries are described by their cluster and namespace; no credential
 * is ever read into a description.
 */
export function listKubeconfigNames(
  kind: "contexts" | "clusters" | "users",
  target: KubeTarget,
  env?: (name: string) => string | undefined,
): NamedEntry[] {
  const seen = new Map<string, NamedEntry>();
  for (const path of kubeconfigPaths(target, env)) {
    const entries = readKubeconfig(path)?.[kind];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      const name = entry?.name;
      if (typeof name !== "string" || name === "" || seen.has(name)) continue;
      let description: string | undefined;
      if (kind === "contexts") {
        const ctx = entry.context ?? {};
        const parts = [
          typeof ctx.cluster === "string" ? `cluster ${ctx.cluster}` : "",
          typeof ctx.namespace === "string" ? `namespace ${ctx.namespace}` : "",
        ].filter(Boolean);
        description = parts.join(", ") || undefined;
      }
      seen.set(name, { value: name, description });
    }
  }
  return [...seen.values()];
}

/** How to run kubectl; replaced in tests. */
export interface KubectlRunner {
  (args: string[], timeoutMs: number): Promise<{ success: boolean; stdout: string }>;
}

/** Runs the `kubectl` found on PATH, killed after `timeoutMs`. */
export const runKubectl: KubectlRunner = async (args, timeoutMs) => {
  try {
    const output = await new Deno.Command("kubectl", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    return { success: output.success, stdout: new TextDecoder().decode(output.stdout) };
  } catch {
    return { success: false, stdout: "" };
  }
};

/**
 * Namespace names of the cluster selected by `target`, via
 * `kubectl get namespaces -o name`; an empty list on any error or timeout.
 */
export async function listNamespaces(
  target: KubeTarget,
  run: KubectlRunner = runKubectl,
  timeoutMs = 5000,
): Promise<string[]> {
  const args = ["get", "namespaces", "-o", "name", `--request-timeout=${timeoutMs / 1000}s`];
  for (const key of ["kubeconfig", "context", "cluster", "user"] as const) {
    if (target[key]) args.push(`--${key}=${target[key]}`);
  }
  const { success, stdout } = await run(args, timeoutMs + 1000);
  if (!success) return [];
  return stdout.split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("namespace/"))
    .map((line) => line.slice("namespace/".length))
    .filter((name) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name));
}
