/**
 * Cluster connection settings the way kubectl reads them: kubeconfig files
 * (`--kubeconfig`, or `KUBECONFIG` merged first-wins, or ~/.kube/config, or the
 * in-cluster service account), then the overrides `--context`, `--cluster`,
 * `--user`, `--namespace`, `--insecure-skip-tls-verify`, `--as`, `--as-group`
 * and `--request-timeout`. Produces a `@kubernetes/client-node` KubeConfig whose
 * current context is the effective one.
 */
// client-node is loaded on first connection (`await import` below), not at startup: `--help`
// and file input never need it (it costs ~70 MB RSS and a few hundred ms to load).
import type { KubeConfig } from "@kubernetes/client-node";
import { dirname, isAbsolute } from "node:path";
import { parse as parseYaml } from "yaml";
import { type Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { IoError, UsageError } from "../io/errors.ts";

/** The kubectl-style flags, as parsed by commander (see addClusterOptions). */
export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  as?: string;
  asGroup?: string[];
  requestTimeout?: string;
  insecureSkipTlsVerify?: boolean;
  /** kubectl's --chunk-size: list page size, 0 for one request. */
  chunkSize?: string;
}

/**
 * Default list page size (`--chunk-size`): kubectl's 500. In scripts/bench_live.ts
 * (10,000 pods, 5 runs of the script on a shared 2-core machine) pages of 250 to
 * 2000 came within noise of each other (no size faster in every run), and one
 * request for everything (0) was slower than 500 every time and took 14-26% more
 * peak RSS; so kubectl's size, which the API server is tuned for, stays.
 */
export const DEFAULT_CHUNK_SIZE = 500;

/** Names of the flags addClusterOptions can add (the commander attribute names). */
export type ClusterFlagName = keyof ClusterFlags;

/**
 * Adds kubectl's connection and selection flags to `cmd`. Flags named in
 * `skip` are left out (for a command that already defines e.g. `--as` with the
 * same meaning). Values end up in `cmd.opts()` under the ClusterFlags names.
 */
// deno-lint-ignore no-explicit-any
export function addClusterOptions<C extends Command<any, any, any>>(
  cmd: C,
  skip: readonly ClusterFlagName[] = [],
): C {
  const options: [ClusterFlagName, Option][] = [
    ["kubeconfig", new Option("--kubeconfig <file>", "path to the kubeconfig file to use")],
    ["context", new Option("--context <name>", "the kubeconfig context to use")],
    ["cluster", new Option("--cluster <name>", "the kubeconfig cluster to use")],
    ["user", new Option("--user <name>", "the kubeconfig user to use")],
    [
      "namespace",
      new Option("-n, --namespace <name>", "namespace to read (default: the context's namespace)"),
    ],
    ["allNamespaces", new Option("-A, --all-namespaces", "read every namespace")],
    ["selector", new Option("-l, --selector <query>", "label selector, e.g. app=web,tier!=db")],
    [
      "fieldSelector",
      new Option("--field-selector <query>", "field selector, e.g. status.phase=Running"),
    ],
    ["as", new Option("--as <user>", "user to impersonate for the API calls")],
    [
      "asGroup",
      new Option("--as-group <group>", "group to impersonate (repeatable)").argParser(collect),
    ],
    [
      "requestTimeout",
      new Option(
        "--request-timeout <duration>",
        "time to wait for one API request (e.g. 30s, 1m; 0: no limit)",
      ).argParser(checked(parseRequestTimeout)),
    ],
    [
      "chunkSize",
      new Option("--chunk-size <n>", "list in pages of this many objects (0: all at once)")
        .default(String(DEFAULT_CHUNK_SIZE)).argParser(checked(parseChunkSize)),
    ],
    [
      "insecureSkipTlsVerify",
      new Option("--insecure-skip-tls-verify", "do not verify the server's certificate (insecure)"),
    ],
  ];
  for (const [name, option] of options) {
    if (!skip.includes(name)) cmd.addOption(option);
  }
  return cmd;
}

/**
 * An option parser that refuses a bad value when the flags are parsed (exit 2, whether or not
 * a cluster is read) and keeps the text, which the connection parses again.
 */
function checked(parse: (text: string) => unknown): (text: string) => string {
  return (text) => {
    try {
      parse(text);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message.replace(/^--[\w-]+: /, ""));
    }
    return text;
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses kubectl's --request-timeout: "0" (no limit), "30" (seconds), "1h2m3s", "500ms". */
export function parseRequestTimeout(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) === 0 ? undefined : Number(t) * 1000;
  const unitMs: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 1e-3,
    "µs": 1e-3,
    ns: 1e-6,
  };
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (const m of t.matchAll(re)) {
    total += Number(m[1]) * unitMs[m[2]];
    matched += m[0].length;
  }
  if (t === "" || matched !== t.length) {
    throw new UsageError(
      `--request-timeout: invalid duration "${text}" (use e.g. 30s, 2m, 1h, or 0 for no limit)`,
    );
  }
  return total === 0 ? undefined : Math.max(1, Math.round(total));
}

/** Parses --chunk-size: a non-negative integer (default DEFAULT_CHUNK_SIZE). */
function parseChunkSize(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CHUNK_SIZE;
  if (!/^\d+$/.test(text.trim())) {
    throw new UsageError(
      `--chunk-size: expected a number of objects (0 for no paging), got "${text}"`,
    );
  }
  return Number(text.trim());
}

/** The effective connection after flags and kubeconfig are merged. */
export interface ClusterConnection {
  /** client-node configuration whose current context is the effective one. */
  kubeConfig: KubeConfig;
  /** Name of the kubeconfig context used (or "in-cluster"). */
  contextName: string;
  /** API server URL. */
  server: string;
  /** Namespace to read: undefined with --all-namespaces. */
  namespace: string | undefined;
  labelSelector?: string;
  fieldSelector?: string;
  /** Impersonation headers to send (from --as/--as-group or the kubeconfig user's `as`). */
  impersonateUser?: string;
  impersonateGroups: string[];
  /** Per-request timeout in milliseconds; undefined: none. */
  timeoutMs?: number;
  /** List page size (`limit`); 0: no paging. */
  pageSize: number;
  /** Strings that must never be printed (tokens, passwords), for redaction. */
  secrets: string[];
}

/** Where to look for kubeconfig files: injected for tests. */
export interface KubeconfigEnvironment {
  /** Value of KUBECONFIG, if set. */
  kubeconfigVar?: string;
  /** Home directory, for ~/.kube/config. */
  home?: string;
  /** Path list separator (":" on POSIX, ";" on Windows). */
  delimiter?: string;
  /** Whether the in-cluster service account is available. */
  inCluster?: boolean;
}

function defaultEnvironment(): KubeconfigEnvironment {
  const isWindows = Deno.build.os === "windows";
  let env: Record<string, string | undefined> = {};
  try {
    env = {
      KUBECONFIG: Deno.env.get("KUBECONFIG"),
      HOME: Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE"),
      KUBERNETES_SERVICE_HOST: Deno.env.get("KUBERNETES_SERVICE_HOST"),
    };
  } catch {
    // no --allow-env: behave as if nothing is set
  }
  return {
    kubeconfigVar: env.KUBECONFIG,
    home: env.HOME,
    delimiter: isWindows ? ";" : ":",
    inCluster: !!env.KUBERNETES_SERVICE_HOST,
  };
}

type Raw = Record<string, unknown>;
interface Named {
  name: string;
  [key: string]: unknown;
}

/** A kubeconfig read from one file, relative paths made absolute. */
export interface KubeconfigFile {
  path: string;
  clusters: Named[];
  users: Named[];
  contexts: Named[];
  currentContext?: string;
}

function resolveFrom(dir: string, path: unknown): unknown {
  if (typeof path !== "string" || path === "" || isAbsolute(path)) return path;
  return `${dir}/${path}`;
}

function namedList(doc: Raw, key: string, file: string): Named[] {
  const list = doc[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new IoError(`kubeconfig ${file}: "${key}" must be a list`);
  return list.map((e, i) => {
    if (!e || typeof e !== "object" || typeof (e as Raw).name !== "string" || !(e as Raw).name) {
      throw new IoError(`kubeconfig ${file}: ${key}[${i}].name is missing`);
    }
    return structuredClone(e) as Named;
  });
}

/** Parses one kubeconfig text; paths inside become absolute relative to the file's directory. */
export function parseKubeconfig(text: string, path: string): KubeconfigFile {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new IoError(
      `kubeconfig ${path} is not valid YAML: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new IoError(`kubeconfig ${path}: expected a mapping (kind: Config)`);
  }
  const raw = doc as Raw;
  const dir = dirname(path);
  const clusters = namedList(raw, "clusters", path);
  const users = namedList(raw, "users", path);
  for (const c of clusters) {
    const cluster = c.cluster as Raw | undefined;
    if (cluster && typeof cluster === "object") {
      cluster["certificate-authority"] = resolveFrom(dir, cluster["certificate-authority"]);
    }
  }
  for (const u of users) {
    const user = u.user as Raw | undefined;
    if (user && typeof user === "object") {
      for (const k of ["client-certificate", "client-key", "token-file"]) {
        user[k] = resolveFrom(dir, user[k]);
      }
      const exec = user.exec as Raw | undefined;
      // kubectl: a command containing a path separator is relative to the kubeconfig.
      if (exec && typeof exec.command === "string" && /[\\/]/.test(exec.command)) {
        exec.command = resolveFrom(dir, exec.command);
      }
    }
  }
  const current = raw["current-context"];
  return {
    path,
    clusters,
    users,
    contexts: namedList(raw, "contexts", path),
    currentContext: typeof current === "string" && current !== "" ? current : undefined,
  };
}

/**
 * Merges kubeconfig files as kubectl does: for each cluster, user and context
 * name the first file that defines it wins, and so does the first file that
 * sets current-context.
 */
export function mergeKubeconfigs(files: readonly KubeconfigFile[]): KubeconfigFile {
  const merged: KubeconfigFile = {
    path: files.map((f) => f.path).join(":"),
    clusters: [],
    users: [],
    contexts: [],
  };
  for (const f of files) {
    for (const key of ["clusters", "users", "contexts"] as const) {
      for (const e of f[key]) {
        if (!merged[key].some((m) => m.name === e.name)) merged[key].push(e);
      }
    }
    merged.currentContext ??= f.currentContext;
  }
  return merged;
}

async function readKubeconfig(path: string): Promise<KubeconfigFile | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new IoError(`cannot read kubeconfig ${path}: ${(e as Error).message}`);
  }
  return parseKubeconfig(text, path);
}

/** The kubeconfig files to read, in order, and whether a missing one is an error. */
export function kubeconfigPaths(
  flag: string | undefined,
  env: KubeconfigEnvironment,
): { paths: string[]; explicit: boolean } {
  if (flag) return { paths: [flag], explicit: true };
  if (env.kubeconfigVar) {
    const paths = env.kubeconfigVar.split(env.delimiter ?? ":").filter((p) => p !== "");
    // kubectl de-duplicates the list, keeping the first occurrence.
    return { paths: [...new Set(paths)], explicit: false };
  }
  if (env.home) return { paths: [`${env.home}/.kube/config`], explicit: false };
  return { paths: [], explicit: false };
}

/**
 * Whether a cluster is configured at all: --kubeconfig given, a KUBECONFIG or
 * ~/.kube/config file that exists, or the in-cluster service account. Commands
 * use it to tell "no input given" (usage error) from "read the cluster".
 */
export function clusterConfigured(
  flags: Pick<ClusterFlags, "kubeconfig">,
  env: KubeconfigEnvironment = defaultEnvironment(),
): boolean {
  if (flags.kubeconfig) return true;
  if (env.inCluster) return true;
  return kubeconfigPaths(undefined, env).paths.some((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
}

/**
 * Resolves flags + kubeconfig into the effective connection. Throws UsageError
 * for contradictory flags and IoError when no usable configuration exists.
 */
export async function loadConnection(
  flags: ClusterFlags,
  env: KubeconfigEnvironment = defaultEnvironment(),
): Promise<ClusterConnection> {
  if (flags.asGroup?.length && !flags.as) {
    throw new UsageError("--as-group requires --as (the user to impersonate)");
  }
  if (flags.allNamespaces && flags.namespace) {
    // kubectl lets -A win; say so rather than guess silently.
    throw new UsageError("--namespace and --all-namespaces cannot be used together");
  }
  const timeoutMs = flags.requestTimeout === undefined
    ? undefined
    : parseRequestTimeout(flags.requestTimeout);
  const pageSize = parseChunkSize(flags.chunkSize);
  const { paths, explicit } = kubeconfigPaths(flags.kubeconfig, env);
  const files: KubeconfigFile[] = [];
  for (const p of paths) {
    const f = await readKubeconfig(p);
    if (f) files.push(f);
    else if (explicit) throw new UsageError(`kubeconfig ${p} not found (from --kubeconfig)`);
  }
  if (files.length === 0) {
    if (env.inCluster && !flags.context && !flags.cluster && !flags.user) {
      return inClusterConnection(flags, timeoutMs, pageSize);
    }
    const looked = paths.length ? paths.join(", ") : "no KUBECONFIG and no home directory";
    throw new IoError(
      `no kubeconfig found (looked at ${looked}); pass --kubeconfig FILE or set KUBECONFIG, or give input files instead of reading a cluster`,
    );
  }
  const merged = mergeKubeconfigs(files);
  return await effectiveConnection(merged, flags, timeoutMs, pageSize);
}

/** Applies the override flags to a merged kubeconfig (pure except for reading token files). */
async function effectiveConnection(
  merged: KubeconfigFile,
  flags: ClusterFlags,
  timeoutMs?: number,
  pageSize = DEFAULT_CHUNK_SIZE,
): Promise<ClusterConnection> {
  const contextName = flags.context ?? merged.currentContext;
  let context: Raw = {};
  if (contextName !== undefined) {
    const found = merged.contexts.find((c) => c.name === contextName);
    if (!found) {
      // a bad --context is bad usage (exit 2); a current-context naming nothing is a bad file
      const message =
        `context "${contextName}" does not exist in kubeconfig ${merged.path}; see \`kubectl config get-contexts\``;
      throw flags.context !== undefined ? new UsageError(message) : new IoError(message);
    }
    context = (found.context as Raw | undefined) ?? {};
  } else if (!flags.cluster) {
    throw new IoError(
      `kubeconfig ${merged.path} has no current-context; pass --context NAME (see \`kubectl config get-contexts\`)`,
    );
  }
  const clusterName = flags.cluster ?? (context.cluster as string | undefined);
  const cluster = merged.clusters.find((c) => c.name === clusterName);
  if (!clusterName || !cluster) {
    if (flags.cluster !== undefined) {
      throw new UsageError(`cluster "${clusterName}" does not exist in kubeconfig ${merged.path}`);
    }
    throw new IoError(
      clusterName
        ? `cluster "${clusterName}" does not exist in kubeconfig ${merged.path}`
        : `context "${contextName}" names no cluster; pass --cluster NAME`,
    );
  }
  const clusterBody = { ...((cluster.cluster as Raw | undefined) ?? {}) };
  if (typeof clusterBody.server !== "string" || clusterBody.server === "") {
    throw new IoError(`cluster "${clusterName}" in kubeconfig ${merged.path} has no server`);
  }
  if (/^http:/i.test(clusterBody.server)) {
    // Plain HTTP (e.g. `kubectl proxy`): no TLS to verify. client-node refuses http
    // servers unless this is set.
    clusterBody["insecure-skip-tls-verify"] = true;
  }
  if (flags.insecureSkipTlsVerify) {
    clusterBody["insecure-skip-tls-verify"] = true;
    delete clusterBody["certificate-authority"];
    delete clusterBody["certificate-authority-data"];
  }
  const userName = flags.user ?? (context.user as string | undefined);
  let user: Named | undefined;
  if (userName) {
    user = merged.users.find((u) => u.name === userName);
    if (!user) {
      const message = `user "${userName}" does not exist in kubeconfig ${merged.path}`;
      throw flags.user !== undefined ? new UsageError(message) : new IoError(message);
    }
  }
  const userBody = (user?.user as Raw | undefined) ?? {};
  // Impersonation is applied by the client from ClusterConnection, not by client-node.
  const { as: _as, "as-groups": _asGroups, ...userForClient } = userBody;
  const name = "falco-psp-effective";
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  try {
    kc.loadFromString(JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster: clusterBody }],
      users: [{ name, user: userForClient }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      "current-context": name,
    }));
  } catch (e) {
    throw new IoError(`kubeconfig ${merged.path}: ${(e as Error).message}`);
  }
  const loadedUser = kc.getCurrentUser();
  const secrets = [
    ...new Set(
      [loadedUser?.token, loadedUser?.password, userBody.token]
        .filter((s): s is string => typeof s === "string" && s.trim().length >= 4)
        .map((s) => s.trim()),
    ),
  ];
  const ns = flags.allNamespaces
    ? undefined
    : flags.namespace ?? ((context.namespace as string | undefined) || "default");
  return {
    kubeConfig: kc,
    contextName: contextName ?? "(none)",
    server: String(clusterBody.server).replace(/\/$/, ""),
    namespace: ns,
    labelSelector: flags.selector,
    fieldSelector: flags.fieldSelector,
    impersonateUser: flags.as ?? (typeof userBody.as === "string" ? userBody.as : undefined),
    impersonateGroups: flags.as
      ? flags.asGroup ?? []
      : Array.isArray(userBody["as-groups"])
      ? (userBody["as-groups"] as unknown[]).map(String)
      : [],
    timeoutMs,
    pageSize,
    secrets,
  };
}

async function inClusterConnection(
  flags: ClusterFlags,
  timeoutMs: number | undefined,
  pageSize: number,
): Promise<ClusterConnection> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  kc.loadFromCluster();
  let namespace: string | undefined = kc.getContextObject(kc.getCurrentContext())?.namespace
    ?.trim();
  if (flags.allNamespaces) namespace = undefined;
  else namespace = flags.namespace ?? (namespace || "default");
  return {
    kubeConfig: kc,
    contextName: "in-cluster",
    server: kc.getCurrentCluster()?.server ?? "",
    namespace,
    labelSelector: flags.selector,
    fieldSelector: flags.fieldSelector,
    impersonateUser: flags.as,
    impersonateGroups: flags.asGroup ?? [],
    timeoutMs,
    pageSize,
    secrets: [],
  };
}
