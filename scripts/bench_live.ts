/**
 * Live-cluster benchmark (issues 5 and 10.4): a real kube-apiserver v1.20.2
 * (scripts/start-apiserver.sh) holding `--pods` pods (default 10,000) in `--namespaces`
 * namespaces; times `audit-pods -A` (the CLI as a subprocess, PSPs and RBAC read from the
 * cluster) with `-j 1` (one thread) and with the default threads (the listing's pages
 * audited by worker threads as they arrive), against `kubectl get pods -A -o json` on the
 * same server. For each it prints the median wall time, the CPU time of the process (user +
 * system), the peak RSS, pods per second, and the CPU the API server and etcd spent
 * meanwhile (they share the machine), with the machine's load (`uptime`) before and after.
 * `--explore` also tries page sizes (`--chunk-size`) and listing concurrency
 * (FALCO_PSP_LIST_CONCURRENCY), which is where the defaults in src/cluster (LIST_DEFAULTS in
 * client.ts, DEFAULT_CHUNK_SIZE in kubeconfig.ts, whose comments give the figures) come
 * from. On a machine shared with other work, differences under ~15% between choices did not
 * repeat from run to run. It is not a test and asserts nothing.
 *
 *   NO_COLOR=1 npx -y deno@2.9.6 run -A scripts/bench_live.ts
 *     [--pods 10000] [--namespaces 50] [--psps 3] [--runs 3] [--env FILE] [--keep]
 *     [--explore [--chunks 250,500,1000,2000,0] [--concurrency 1,2,4,8] [--mode-chunks 500,1000]]
 *
 * --env FILE  use a server already started by scripts/start-apiserver.sh (its env file);
 *             pods are created only if the cluster does not hold them yet.
 * --keep      leave the server running (prints its env file) instead of stopping it.
 * --psps N    N PSPs (at least 3): privileged, baseline, restricted, and variants of
 *             restricted (each its own user range) that every service account may use,
 *             so that each pod is tried against more of them.
 *
 * Runs are interleaved (kubectl, then each choice, `--runs` rounds) and the median of
 * each is shown, so that load from others on the machine hits every choice alike.
 * Peak RSS and CPU are the child's, from `/usr/bin/time -v`; the server's CPU is read from
 * /proc/<pid>/stat of kube-apiserver and etcd before and after each run.
 */
import { DEFAULT_CHUNK_SIZE, loadConnection } from "../src/cluster/kubeconfig.ts";
import { ClusterClient, httpsTransport, LIST_DEFAULTS } from "../src/cluster/client.ts";
import { ApiError } from "../src/cluster/errors.ts";
import { defaultJobs } from "../src/audit/run.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TARGET_RATIO = 1.2;

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1] : fallback;
}
const podCount = Number(arg("--pods", "10000"));
/** PSPs in the cluster: privileged, baseline, restricted, and variants of restricted. */
const pspCount = Math.max(3, Number(arg("--psps", "3")));
const nsCount = Number(arg("--namespaces", "50"));
const runs = Number(arg("--runs", "3"));
const chunks = arg("--chunks", "250,500,1000,2000,0").split(",").map(Number);
const concurrencies = arg("--concurrency", "1,2,4,8").split(",").map(Number);
const modeChunks = arg("--mode-chunks", "500,1000").split(",").map(Number);
const explore = Deno.args.includes("--explore");
const envFile = Deno.args.includes("--env") ? arg("--env", "") : undefined;
const keep = Deno.args.includes("--keep");

type Obj = Record<string, unknown>;

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)='(.*)'$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

async function startServer(): Promise<{ env: Record<string, string>; started: boolean }> {
  if (envFile) return { env: parseEnv(await Deno.readTextFile(envFile)), started: false };
  const args = keep ? [] : ["--parent-pid", String(Deno.pid)];
  const out = await new Deno.Command(`${ROOT}scripts/start-apiserver.sh`, {
    args,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`start-apiserver.sh failed (exit ${out.code})`);
  const text = new TextDecoder().decode(out.stdout);
  if (keep) console.log(`server kept running; env file:\n${text}`);
  return { env: parseEnv(text), started: true };
}

const PSPS: Obj[] = [
  {
    metadata: { name: "privileged" },
    spec: {
      privileged: true,
      allowPrivilegeEscalation: true,
      allowedCapabilities: ["*"],
      volumes: ["*"],
      hostNetwork: true,
      hostPorts: [{ min: 0, max: 65535 }],
      hostIPC: true,
      hostPID: true,
      runAsUser: { rule: "RunAsAny" },
      seLinux: { rule: "RunAsAny" },
      supplementalGroups: { rule: "RunAsAny" },
      fsGroup: { rule: "RunAsAny" },
    },
  },
  {
    metadata: { name: "baseline" },
    spec: {
      privileged: false,
      allowPrivilegeEscalation: true,
      volumes: [
        "configMap",
        "emptyDir",
        "projected",
        "secret",
        "downwardAPI",
        "persistentVolumeClaim",
      ],
      runAsUser: { rule: "RunAsAny" },
      seLinux: { rule: "RunAsAny" },
      supplementalGroups: { rule: "RunAsAny" },
      fsGroup: { rule: "RunAsAny" },
    },
  },
  {
    metadata: { name: "restricted" },
    spec: {
      privileged: false,
      allowPrivilegeEscalation: false,
      requiredDropCapabilities: ["ALL"],
      volumes: [
        "configMap",
        "emptyDir",
        "projected",
        "secret",
        "downwardAPI",
        "persistentVolumeClaim",
      ],
      runAsUser: { rule: "MustRunAsNonRoot" },
      seLinux: { rule: "RunAsAny" },
      supplementalGroups: { rule: "MustRunAs", ranges: [{ min: 1, max: 65535 }] },
      fsGroup: { rule: "MustRunAs", ranges: [{ min: 1, max: 65535 }] },
      readOnlyRootFilesystem: false,
    },
  },
].map((p) => ({ apiVersion: "policy/v1beta1", kind: "PodSecurityPolicy", ...p }));

/** The variants of restricted beyond the first three PSPs (`--psps`). */
const EXTRA_PSPS: Obj[] = Array.from({ length: pspCount - 3 }, (_, k) => {
  const restricted = PSPS[2] as { spec: Obj };
  return {
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata: { name: `restricted-${String(k).padStart(2, "0")}` },
    spec: {
      ...restricted.spec,
      runAsUser: { rule: "MustRunAs", ranges: [{ min: 1000 + k, max: 65535 }] },
    },
  };
});

/** RBAC: every service account may use restricted; the default SA of every 5th namespace baseline. */
function rbacObjects(): { path: string; body: Obj }[] {
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  const out: { path: string; body: Obj }[] = [];
  for (const psp of ["restricted", "baseline", "privileged"]) {
    out.push({
      path: `${rbac}/clusterroles`,
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: `psp:${psp}` },
        rules: [{
          apiGroups: ["policy"],
          resources: ["podsecuritypolicies"],
          resourceNames: [psp],
          verbs: ["use"],
        }],
      },
    });
  }
  if (EXTRA_PSPS.length) {
    out.push({
      path: `${rbac}/clusterroles`,
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "psp:extra" },
        rules: [{
          apiGroups: ["policy"],
          resources: ["podsecuritypolicies"],
          resourceNames: EXTRA_PSPS.map((p) => (p.metadata as Obj).name),
          verbs: ["use"],
        }],
      },
    }, {
      path: `${rbac}/clusterrolebindings`,
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "psp:extra:serviceaccounts" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "psp:extra" },
        subjects: [{
          apiGroup: "rbac.authorization.k8s.io",
          kind: "Group",
          name: "system:serviceaccounts",
        }],
      },
    });
  }
  out.push({
    path: `${rbac}/clusterrolebindings`,
    body: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "psp:restricted:serviceaccounts" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "psp:restricted",
      },
      subjects: [{
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Group",
        name: "system:serviceaccounts",
      }],
    },
  });
  for (let n = 0; n < nsCount; n += 5) {
    out.push({
      path: `${rbac}/namespaces/${nsName(n)}/rolebindings`,
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "psp:baseline", namespace: nsName(n) },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: "psp:baseline",
        },
        subjects: [{ kind: "ServiceAccount", name: "default", namespace: nsName(n) }],
      },
    });
  }
  return out;
}

const nsName = (n: number) => `bench-${String(n).padStart(2, "0")}`;

/** Pod templates, from plain to privileged, as workloads in a cluster have them. */
const TEMPLATES: Obj[] = [
  { containers: [{ name: "web", image: "nginx:1.19" }] },
  {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000 },
    containers: [{
      name: "api",
      image: "registry.example.com/api:2.3",
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      volumeMounts: [{ name: "cfg", mountPath: "/etc/api" }],
    }],
    volumes: [{ name: "cfg", configMap: { name: "api" } }],
  },
  {
    hostNetwork: true,
    containers: [{
      name: "agent",
      image: "agent:1",
      ports: [{ containerPort: 9100, hostPort: 9100 }],
    }],
  },
  {
    containers: [{ name: "debug", image: "busybox", securityContext: { privileged: true } }],
  },
  {
    containers: [{
      name: "net",
      image: "net:1",
      securityContext: { capabilities: { add: ["NET_ADMIN"] } },
    }],
  },
  {
    containers: [{
      name: "logs",
      image: "fluentd:1",
      volumeMounts: [{ name: "var", mountPath: "/var/log" }],
    }],
    volumes: [{ name: "var", hostPath: { path: "/var/log" } }],
  },
  {
    initContainers: [{ name: "init", image: "busybox", command: ["true"] }],
    containers: [
      { name: "app", image: "app:3", resources: { limits: { cpu: "1", memory: "1Gi" } } },
      { name: "sidecar", image: "envoy:1.16" },
    ],
    serviceAccountName: "app",
  },
  {
    securityContext: { runAsUser: 0 },
    containers: [{ name: "db", image: "postgres:13" }],
    volumes: [{ name: "data", emptyDir: {} }],
  },
];

/** The i-th pod: 20 replicas per ReplicaSet, 10 ReplicaSets per namespace (at 10,000 / 50). */
function podFor(i: number): Obj {
  const perNs = Math.ceil(podCount / nsCount);
  const n = Math.floor(i / perNs);
  const inNs = i % perNs;
  const rs = Math.floor(inNs / 20);
  const template = TEMPLATES[(n + rs) % TEMPLATES.length];
  const rsName = `app-${rs}-7d9f${String(n).padStart(2, "0")}c${rs}`;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${rsName}-${inNs.toString(36).padStart(5, "x")}`,
      namespace: nsName(n),
      labels: { app: `app-${rs}`, "pod-template-hash": `7d9f${n}c${rs}` },
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: rsName,
        uid: `00000000-0000-4000-8000-${String(n * 1000 + rs).padStart(12, "0")}`,
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: { nodeName: `node-${i % 7}`, ...template },
  };
}

async function adminClient(kubeconfig: string): Promise<ClusterClient> {
  const conn = await loadConnection({ kubeconfig, context: "admin" });
  return new ClusterClient(httpsTransport(conn, "bench-live"), {
    server: conn.server,
    contextName: conn.contextName,
    secrets: conn.secrets,
  }, { retries: 6, backoffMs: 200, pageSize: 0 });
}

async function createIgnoringExisting(c: ClusterClient, path: string, body: Obj): Promise<void> {
  try {
    await c.post(path, body);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 409)) throw e;
  }
}

/** Runs `jobs` with `width` at a time. */
async function parallel(count: number, width: number, job: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

async function seed(c: ClusterClient): Promise<void> {
  // PSPs and RBAC first: a server seeded before may lack the variants of --psps
  for (const p of [...PSPS, ...EXTRA_PSPS]) {
    await createIgnoringExisting(c, "/apis/policy/v1beta1/podsecuritypolicies", p);
  }
  await parallel(nsCount, 16, (n) =>
    createIgnoringExisting(c, "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: nsName(n) },
    }));
  for (const { path, body } of rbacObjects()) await createIgnoringExisting(c, path, body);
  const existing = (await c.list("/api/v1/pods")).length;
  if (existing >= podCount) {
    console.log(`cluster already holds ${existing} pods`);
    return;
  }
  const t0 = performance.now();
  let done = 0;
  await parallel(podCount, 48, async (i) => {
    const pod = podFor(i);
    const ns = (pod.metadata as Obj).namespace;
    await createIgnoringExisting(c, `/api/v1/namespaces/${ns}/pods`, pod);
    if (++done % 1000 === 0) {
      console.log(`  created ${done} pods (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  });
  console.log(
    `created ${podCount} pods in ${nsCount} namespaces in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s`,
  );
}

/** What one child run cost. */
interface Measured {
  code: number;
  wallS: number;
  /** User + system CPU seconds of the child. */
  cpuS: number;
  /** CPU seconds kube-apiserver and etcd spent during the run. */
  serverCpuS: number;
  rssMB: number;
  outBytes: number;
  /** The last bytes of stdout (audit-pods' summary line). */
  tail: string;
  stderr: string;
}

/** CPU seconds (user + system) process `pid` has used so far, or 0 when unknown. */
function cpuOf(pid: string | undefined): number {
  if (!pid) return 0;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the name), in ticks
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

let serverPids: (string | undefined)[] = [];
const serverCpu = () => serverPids.reduce((n, pid) => n + cpuOf(pid), 0);

/** Runs a command under `/usr/bin/time -v`, stdout counted and dropped. */
async function measure(cmd: string[], env: Record<string, string>): Promise<Measured> {
  const serverBefore = serverCpu();
  const start = performance.now();
  const child = new Deno.Command("/usr/bin/time", {
    args: ["-v", ...cmd],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  let outBytes = 0;
  let last = new Uint8Array();
  const [, stderrBytes, status] = await Promise.all([
    (async () => {
      for await (const chunk of child.stdout) {
        outBytes += chunk.length;
        last = chunk;
      }
    })(),
    new Response(child.stderr).arrayBuffer(),
    child.status,
  ]);
  const wallS = (performance.now() - start) / 1000;
  const serverCpuS = serverCpu() - serverBefore;
  let stderr = new TextDecoder().decode(stderrBytes);
  const seconds = (what: string) =>
    Number(new RegExp(`${what} time \\(seconds\\): ([0-9.]+)`).exec(stderr)?.[1] ?? NaN);
  const cpuS = seconds("User") + seconds("System");
  const rssMB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? NaN) /
    1024;
  stderr = stderr.slice(0, stderr.indexOf("\tCommand being timed"));
  const tail = new TextDecoder().decode(last.subarray(-2048));
  return { code: status.code, wallS, cpuS, serverCpuS, rssMB, outBytes, tail, stderr };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The machine's load, as `uptime` prints it. */
async function uptime(): Promise<string> {
  const out = await new Deno.Command("uptime", { stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function main(): Promise<void> {
  const { env, started } = await startServer();
  const kubeconfig = env.KUBECONFIG;
  serverPids = [env.APISERVER_PID, env.ETCD_PID];
  try {
    const admin = await adminClient(kubeconfig);
    await seed(admin);
    const kubectl = ["kubectl", "--kubeconfig", kubeconfig, "--context", "admin"];
    const cli = [Deno.execPath(), "run", "-A", "--quiet", `${ROOT}main.ts`];
    const auditArgs = ["audit-pods", "--kubeconfig", kubeconfig, "--context", "admin", "-A"];
    interface Choice {
      label: string;
      cmd: string[];
      env: Record<string, string>;
      runs: Measured[];
    }
    const choices: Choice[] = [{
      label: "kubectl get pods -A -o json",
      cmd: [...kubectl, "get", "pods", "-A", "-o", "json"],
      env: {},
      runs: [],
    }];
    const choice = (chunk: number, prefetch: boolean, conc: number): Choice => ({
      label: `audit-pods -A --chunk-size ${chunk}, ${prefetch ? "prefetch" : "sequential"}, ` +
        `${conc === 1 ? "cluster-wide" : `${conc} namespaces at a time`}`,
      cmd: [...cli, ...auditArgs, "--chunk-size", String(chunk)],
      env: {
        FALCO_PSP_PREFETCH: prefetch ? "1" : "0",
        FALCO_PSP_LIST_CONCURRENCY: String(conc),
      },
      runs: [],
    });
    if (explore) {
      // page sizes, one request at a time (as kubectl lists)
      for (const chunk of chunks) choices.push(choice(chunk, false, 1));
      // concurrency at some page sizes: the next page requested while this one is audited,
      // and namespaces listed in parallel
      for (const chunk of modeChunks) {
        for (const conc of concurrencies) choices.push(choice(chunk, true, conc));
      }
    }
    const jobs = defaultJobs();
    choices.push({
      label: "audit-pods -A -j 1 (one thread)",
      cmd: [...cli, ...auditArgs, "-j", "1"],
      env: {},
      runs: [],
    }, {
      label: `audit-pods -A (defaults: ${jobs} threads)`,
      cmd: [...cli, ...auditArgs],
      env: {},
      runs: [],
    });
    const loadBefore = await uptime();
    // warm-up: module cache, the server's caches
    await measure(choices[0].cmd, choices[0].env);
    await measure(choices[choices.length - 1].cmd, {});
    for (let r = 0; r < runs; r++) {
      for (const c of choices) {
        const m = await measure(c.cmd, c.env);
        if (m.code !== 0 && m.code !== 1) {
          throw new Error(`${c.label}: exit ${m.code}\n${m.stderr}`);
        }
        // audit-pods' summary: "N workloads (M pods): ..."; every pod must have been audited
        const audited = /\((\d+) pods\)/.exec(m.tail)?.[1];
        if (c.label.startsWith("audit-pods") && !(Number(audited) >= podCount)) {
          throw new Error(`${c.label}: audited ${audited} pods, not ${podCount}`);
        }
        c.runs.push(m);
      }
    }
    const loadAfter = await uptime();
    const base = median(choices[0].runs.map((m) => m.wallS));
    console.log(
      `\n${podCount} pods in ${nsCount} namespaces, ${pspCount} PSPs; median of ${runs} runs ` +
        `(runs interleaved); ` +
        `${navigator.hardwareConcurrency} CPUs`,
    );
    console.log(`load before: ${loadBefore}\nload after:  ${loadAfter}\n`);
    console.log(
      `${"command".padEnd(76)} ${"wall s".padStart(7)} ${"ratio".padStart(6)} ${
        "CPU s".padStart(6)
      } ${"server CPU s".padStart(12)} ${"pods/s".padStart(7)} ${"peak RSS".padStart(9)} ${
        "stdout".padStart(9)
      }`,
    );
    for (const c of choices) {
      const wall = median(c.runs.map((m) => m.wallS));
      const cpu = median(c.runs.map((m) => m.cpuS));
      const server = median(c.runs.map((m) => m.serverCpuS));
      const rss = Math.max(...c.runs.map((m) => m.rssMB));
      const out = c.runs[0].outBytes;
      console.log(
        `${c.label.padEnd(76)} ${wall.toFixed(2).padStart(7)} ${
          (wall / base).toFixed(2).padStart(5)
        }x ${cpu.toFixed(2).padStart(6)} ${server.toFixed(2).padStart(12)} ${
          (podCount / wall).toFixed(0).padStart(7)
        } ${rss.toFixed(0).padStart(6)} MB ${(out / 1024 / 1024).toFixed(1).padStart(6)} MB`,
      );
    }
    if (explore) {
      const fastest = choices.slice(1, -2).reduce((a, b) =>
        median(a.runs.map((m) => m.wallS)) <= median(b.runs.map((m) => m.wallS)) ? a : b
      );
      console.log(`\nfastest choice: ${fastest.label}`);
    }
    console.log(
      `defaults (src/cluster): --chunk-size ${DEFAULT_CHUNK_SIZE}, ${
        LIST_DEFAULTS.prefetch ? "prefetch" : "sequential"
      }, ${
        LIST_DEFAULTS.listConcurrency === 1
          ? "cluster-wide"
          : `${LIST_DEFAULTS.listConcurrency} namespaces at a time`
      }, ${jobs} threads`,
    );
    const wallOf = (c: Choice) => median(c.runs.map((m) => m.wallS));
    const one = choices[choices.length - 2];
    const def = choices[choices.length - 1];
    console.log(
      `\naudit-pods -A (defaults) / kubectl get pods -A -o json: ${
        (wallOf(def) / base).toFixed(2)
      }x (target <= ${TARGET_RATIO}x); defaults / -j 1: ${(wallOf(def) / wallOf(one)).toFixed(2)}x`,
    );
  } finally {
    if (started && !keep) {
      await new Deno.Command(`${ROOT}scripts/start-apiserver.sh`, {
        args: ["--stop", env.FALCO_PSP_E2E_DIR],
      }).output();
    }
  }
}

await main();
