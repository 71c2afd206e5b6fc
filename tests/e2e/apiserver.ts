/**
 * End-to-end test support: a real kube-apiserver v1.20.2 started with
 * scripts/start-apiserver.sh (one per test file, shared by its tests), a JSON
 * client for it, and a runner for the CLI as a subprocess.
 */
import { loadConnection } from "../../src/cluster/kubeconfig.ts";
import { ClusterClient, httpsTransport } from "../../src/cluster/client.ts";
import { type DenoRun, runDeno } from "../support/cli.ts";
import { ignoreIf } from "../support/ignore.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const START = `${ROOT}/scripts/start-apiserver.sh`;

/** Path of the kube-apiserver binary the start script uses. */
export function apiserverBinary(): string {
  const cache = Deno.env.get("FALCO_PSP_CACHE") ?? `${Deno.env.get("HOME")}/.cache/falco-psp`;
  return Deno.env.get("FALCO_PSP_APISERVER") ?? `${cache}/kube-apiserver-v1.20.2`;
}

function executable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Why the e2e tests cannot run here, or undefined when they can. */
export function unavailableReason(): string | undefined {
  if (Deno.build.os === "windows") {
    return "end-to-end tests need bash, etcd and kube-apiserver (Linux)";
  }
  if (!executable(apiserverBinary())) {
    return `kube-apiserver not found at ${apiserverBinary()}; run scripts/build-apiserver.sh (.ci/run does)`;
  }
  const onPath = (Deno.env.get("PATH") ?? "").split(":").map((d) => `${d}/etcd`).find(executable);
  const etcd = Deno.env.get("FALCO_PSP_ETCD") ?? onPath ?? "/usr/bin/etcd";
  if (!executable(etcd)) return `etcd not found (${etcd}); run scripts/build-apiserver.sh`;
  for (const tool of ["openssl", "curl", "bash"]) {
    const found = (Deno.env.get("PATH") ?? "").split(":").some((d) => executable(`${d}/${tool}`));
    if (!found) return `${tool} not found on PATH (scripts/start-apiserver.sh needs it)`;
  }
  return undefined;
}

/**
 * `ignore` value for Deno.test in the test module `moduleUrl` (pass `import.meta.url`),
 * printing the reason once per file (tests/support/ignore.ts).
 */
export function skipE2e(moduleUrl: string): boolean {
  const reason = unavailableReason();
  return ignoreIf(moduleUrl, reason && `end-to-end tests need a kube-apiserver: ${reason}`);
}

/** A running server, from the start script's env file. */
export interface Apiserver {
  env: Record<string, string>;
  dir: string;
  kubeconfig: string;
  url: string;
  /** A client authenticated as `admin` (system:masters). */
  admin: ClusterClient;
  /** A client for a token of the env file (e.g. "RESTRICTED_TOKEN"), optionally impersonating. */
  clientFor(context: string, as?: { user: string; groups?: string[] }): Promise<ClusterClient>;
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)='(.*)'$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** How to start the server (the start script's options). */
export interface ApiserverOptions {
  /** false: no PodSecurityPolicy API (`--no-psp`). */
  psp: boolean;
  /**
   * Keep the ServiceAccount admission plugin on, adding this token volume
   * (`--service-accounts`); off when not given.
   */
  serviceAccounts?: "secret" | "projected";
}

/** Starts etcd + kube-apiserver. */
export async function startApiserver(opts: ApiserverOptions): Promise<Apiserver> {
  const args = ["--parent-pid", String(Deno.pid)];
  if (!opts.psp) args.push("--no-psp");
  if (opts.serviceAccounts) args.push("--service-accounts", opts.serviceAccounts);
  const out = await new Deno.Command(START, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `start-apiserver.sh failed (exit ${out.code}):\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const env = parseEnv(new TextDecoder().decode(out.stdout));
  const kubeconfig = env.KUBECONFIG;
  const clientFor = async (context: string, as?: { user: string; groups?: string[] }) => {
    const conn = await loadConnection({
      kubeconfig,
      context,
      as: as?.user,
      asGroup: as?.groups,
    });
    return new ClusterClient(httpsTransport(conn, "falco-psp-e2e"), {
      server: conn.server,
      contextName: conn.contextName,
      secrets: conn.secrets,
    }, { retries: 2, backoffMs: 200 });
  };
  return {
    env,
    dir: env.FALCO_PSP_E2E_DIR,
    kubeconfig,
    url: env.APISERVER_URL,
    admin: await clientFor("admin"),
    clientFor,
  };
}

/** Stops the server and removes its directory. */
export async function stopApiserver(server: Apiserver | undefined): Promise<void> {
  if (!server) return;
  await new Deno.Command(START, { args: ["--stop", server.dir], stdout: "null", stderr: "inherit" })
    .output();
}

/**
 * One server per test file: `get()` starts it on first use, `stop()` (called by
 * the file's last test) stops it. The start script's watchdog stops it anyway
 * when the test process exits.
 */
export function sharedApiserver(opts: ApiserverOptions) {
  let started: Promise<Apiserver> | undefined;
  return {
    get(): Promise<Apiserver> {
      started ??= startApiserver(opts);
      return started;
    },
    async stop(): Promise<void> {
      if (started) await stopApiserver(await started.catch(() => undefined));
      started = undefined;
    },
  };
}

/** Result of running the CLI. */
export type CliResult = DenoRun;

/** Runs `main.ts` with `args` in a subprocess, with extra environment variables. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  stdin?: string,
): Promise<CliResult> {
  return runDeno(["run", "-A", "--quiet", `${ROOT}/main.ts`, ...args], { env, stdin, cwd: ROOT });
}

/** Options for Deno.test in these files: the client keeps sockets across tests. */
/** Where to POST an object of each kind the e2e tests create. */
// deno-lint-ignore no-explicit-any
export function collectionPath(o: Record<string, any>): string {
  const ns = o.metadata?.namespace;
  switch (o.kind) {
    case "Namespace":
      return "/api/v1/namespaces";
    case "ServiceAccount":
      return `/api/v1/namespaces/${ns}/serviceaccounts`;
    case "Secret":
      return `/api/v1/namespaces/${ns}/secrets`;
    case "Pod":
      return `/api/v1/namespaces/${ns}/pods`;
    case "PodSecurityPolicy":
      return "/apis/policy/v1beta1/podsecuritypolicies";
    case "Deployment":
      return `/apis/apps/v1/namespaces/${ns}/deployments`;
    case "RuntimeClass":
      return "/apis/node.k8s.io/v1/runtimeclasses";
    case "ClusterRole":
    case "ClusterRoleBinding":
      return `/apis/rbac.authorization.k8s.io/v1/${o.kind.toLowerCase()}s`;
    case "Role":
    case "RoleBinding":
      return `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/${o.kind.toLowerCase()}s`;
  }
  throw new Error(`no path for ${o.kind}`);
}

export const E2E_TEST = { sanitizeOps: false, sanitizeResources: false } as const;

export { ROOT };
