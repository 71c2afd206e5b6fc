/**
 * The decision cache on a realistic mix (issue 10.2): the real CLI, as the installed launcher
 * runs it, with the cache off (`FALCO_PSP_DECISION_CACHE=0`) and on, printing hits, entries,
 * bytes of keys (`FALCO_PSP_DECISION_CACHE_STATS=1`), throughput and peak RSS. Not a test.
 *
 *   NO_COLOR=1 npx -y deno@2.9.6 run -A scripts/bench_cache.ts [--namespaces 25]
 *     [--unique 0.25] [--psps 77] [--jobs 1,default] [--input jsonl|list] [--format table]
 *     [--shared DIR] [--keep]
 *
 * The mix: the real-world corpus's 216 pods (the shared directory's oracle/realworld, never
 * committed) as a cluster stores them. Its README says each pod is a workload's pod template;
 * the replica counts the workloads declare are NOT recorded (most are Helm charts rendered with
 * default values, where replicas is usually 1). Assumed instead, per workload kind (from the
 * `oracle/source` annotation): Deployment, StatefulSet, ReplicationController 3 replicas;
 * DaemonSet 10 pods (a 10-node cluster); CronJob 3 (the default successfulJobsHistoryLimit);
 * Job, bare Pod and anything else 1. Each replica gets its own name (ReplicaSet hash + suffix),
 * uid, node, status and the ServiceAccount plugin's projected token volume with a per-pod
 * random suffix, as `kubectl get pods -A -o json` shows them. `--unique` adds that fraction of
 * unique pods: corpus pods each with one seeded change to a field admission reads (a user id,
 * a capability, an annotation value), so no two share a decision key. The cluster is then
 * repeated in `--namespaces` namespaces (the same charts installed per team), which repeats
 * the specs: the hit rate printed says how much of the input was repeated.
 */
import { denoRunArgs } from "./launchers.ts";
import { defaultJobs } from "../src/audit/run.ts";
import type { Pod } from "../src/model/pod.ts";
import { withServiceAccountToken } from "../src/workloads/service_account_token.ts";

type Obj = Record<string, unknown>;

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1] : fallback;
}
const ROOT = new URL("../", import.meta.url).pathname;
const shared = arg("--shared", Deno.env.get("FALCO_PSP_SHARED") ?? `${ROOT}../shared`);
const namespaces = Number(arg("--namespaces", "25"));
const uniqueShare = Number(arg("--unique", "0.25"));
const pspCount = Number(arg("--psps", "77"));
const jobs = arg("--jobs", "1,default").split(",");
const input = arg("--input", "jsonl");
const format = arg("--format", "table");

const corpusPath = `${shared}/oracle/realworld/corpus.json`;
let corpus: { psps: Obj[]; pods: (Obj & { metadata: Obj; spec: Obj })[] };
try {
  corpus = JSON.parse(await Deno.readTextFile(corpusPath));
} catch (e) {
  console.log(`bench_cache: not run: ${corpusPath} not readable (${(e as Error).message})`);
  Deno.exit(0);
}

/** Replicas assumed per workload kind (the corpus does not record them; see above). */
const REPLICAS: Record<string, number> = {
  Deployment: 3,
  StatefulSet: 3,
  ReplicationController: 3,
  DaemonSet: 10,
  CronJob: 3,
};

function kindOf(pod: Obj & { metadata: Obj }): string {
  const src = (pod.metadata.annotations as Obj | undefined)?.["oracle/source"];
  return /\((\w+) /.exec(String(src ?? ""))?.[1] ?? "Pod";
}

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const r = rng(102);
const rand36 = (n: number) =>
  Array.from({ length: n }, () => Math.floor(r() * 36).toString(36)).join("");

/** A pod as the cluster stores it: own name, uid, node, status, token volume. */
function stored(template: Obj & { metadata: Obj; spec: Obj }, ns: string, owner: string): Obj {
  const pod = structuredClone(template);
  const suffix = rand36(5);
  pod.metadata = {
    ...pod.metadata,
    name: `${owner}-${suffix}`,
    namespace: ns,
    uid: crypto.randomUUID(),
    labels: { ...(pod.metadata.labels as Obj ?? {}), "pod-template-hash": owner.slice(-10) },
    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: owner, controller: true }],
  };
  const spec = pod.spec as Obj;
  spec.nodeName = `node-${Math.floor(r() * 10)}`;
  const withToken = withServiceAccountToken(
    pod as unknown as Pod,
    "projected",
    suffix,
  ) as unknown as Obj;
  withToken.status = { phase: "Running", podIP: `10.${Math.floor(r() * 255)}.0.1` };
  return withToken;
}

/** A corpus pod with one seeded change to a field admission reads. */
function unique(i: number): Obj & { metadata: Obj; spec: Obj } {
  const pod = structuredClone(corpus.pods[i % corpus.pods.length]);
  const c = (pod.spec.containers as Obj[])[0];
  const sc = (c.securityContext ??= {}) as Obj;
  switch (i % 3) {
    case 0:
      sc.runAsUser = 1000 + i;
      break;
    case 1:
      sc.capabilities = { add: [`CAP_${i}`] };
      break;
    default:
      pod.metadata.annotations = {
        ...(pod.metadata.annotations as Obj ?? {}),
        "checksum/config": rand36(16),
      };
  }
  return pod;
}

const pods: Obj[] = [];
for (let n = 0; n < namespaces; n++) {
  const ns = `team-${n}`;
  const start = pods.length;
  for (const t of corpus.pods) {
    const count = REPLICAS[kindOf(t)] ?? 1;
    const owner = `${String(t.metadata.name).slice(0, 40)}-${rand36(10)}`;
    for (let k = 0; k < count; k++) pods.push(stored(t, ns, owner));
  }
  const replicated = pods.length - start;
  const extra = Math.round(replicated * uniqueShare / (1 - uniqueShare));
  for (let k = 0; k < extra; k++) {
    pods.push(stored(unique(n * 100_000 + k), ns, `uniq-${n}-${k}-${rand36(10)}`));
  }
}

const dir = await Deno.makeTempDir({ prefix: "bench_cache_" });
const psps = corpus.psps.slice(0, pspCount);
await Deno.writeTextFile(`${dir}/psps.json`, JSON.stringify({ kind: "List", items: psps }));
const podFile = `${dir}/pods.${input === "list" ? "json" : "jsonl"}`;
await Deno.writeTextFile(
  podFile,
  input === "list"
    ? JSON.stringify({ apiVersion: "v1", kind: "List", items: pods })
    : pods.map((p) => JSON.stringify(p)).join("\n") + "\n",
);

const hasTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function runCli(args: string[], env: Record<string, string>) {
  const deno = [Deno.execPath(), ...denoRunArgs(`${ROOT}main.ts`, `${ROOT}deno.json`), ...args];
  const [cmd, ...cmdArgs] = hasTime ? ["/usr/bin/time", "-v", ...deno] : deno;
  const start = performance.now();
  const out = await new Deno.Command(cmd, {
    args: cmdArgs,
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: {
      NO_COLOR: "1",
      KUBECONFIG: "/nonexistent/kubeconfig",
      KUBERNETES_SERVICE_HOST: "",
      ...env,
    },
  }).output();
  const wallS = (performance.now() - start) / 1000;
  const stderr = new TextDecoder().decode(out.stderr);
  const num = (re: RegExp) => Number(re.exec(stderr)?.[1] ?? NaN);
  return {
    code: out.code,
    wallS,
    cpuS: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/),
    rssMB: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
    cache: /decision cache: [^\n]*/.exec(stderr)?.[0] ?? "(no cache line)",
    stderr,
  };
}

const uptime = await new Deno.Command("uptime").output().then(
  (o) => new TextDecoder().decode(o.stdout).trim(),
  () => "?",
);
const kinds = new Map<string, number>();
for (const t of corpus.pods) kinds.set(kindOf(t), (kinds.get(kindOf(t)) ?? 0) + 1);
console.log(
  `decision cache bench: ${fmt(pods.length)} pods (${namespaces} namespaces x the real-world ` +
    `corpus's ${corpus.pods.length} pod templates [${
      [...kinds].map(([k, n]) => `${k} ${n}`).join(", ")
    }] at the assumed replicas ${
      Object.entries(REPLICAS).map(([k, n]) => `${k} ${n}`).join(", ")
    }, others 1; plus ${
      Math.round(uniqueShare * 100)
    }% unique pods), ${input}, x ${psps.length} PSPs = ` +
    `${fmt(pods.length * psps.length)} evaluations; load: ${uptime}`,
);
for (const j of jobs) {
  const jobArgs = j === "default" ? [] : ["--jobs", j];
  const label = j === "default" ? `--jobs ${defaultJobs()} (default)` : `--jobs ${j}`;
  const rates: Record<string, number> = {};
  for (const cache of ["off", "on"]) {
    const m = await runCli(
      ["audit-pods", "--psp-file", `${dir}/psps.json`, "-f", podFile, "-o", format, ...jobArgs],
      { FALCO_PSP_DECISION_CACHE: cache === "on" ? "1" : "0", FALCO_PSP_DECISION_CACHE_STATS: "1" },
    );
    if (m.code > 1) {
      console.log(`${label} cache ${cache}: FAILED (exit ${m.code}): ${m.stderr.slice(0, 400)}`);
      continue;
    }
    rates[cache] = pods.length / m.wallS;
    console.log(
      `${label}, cache ${cache.padEnd(3)}: ${m.wallS.toFixed(2)} s wall, ${
        fmt(pods.length / m.wallS)
      } pods/s, ` +
        `${fmt((pods.length * psps.length) / m.wallS)} evals/s; ${m.cpuS.toFixed(2)} s CPU, ` +
        `${fmt(pods.length / m.cpuS)} pods/CPU-s; peak RSS ${m.rssMB.toFixed(0)} MB; ${m.cache}`,
    );
  }
  if (rates.on && rates.off) {
    console.log(`${label}: cache on / off = ${(rates.on / rates.off).toFixed(2)}x pods/s (wall)`);
  }
}
if (Deno.args.includes("--keep")) console.log(`inputs kept in ${dir}`);
else await Deno.remove(dir, { recursive: true });
