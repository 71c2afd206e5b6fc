/**
 * Scale benchmarks of the real CLI (issue 5, "Scale"), run as subprocesses of the Deno running
 * this script with the installed launcher's arguments (scripts/launchers.ts: explicit
 * permissions, V8 flags). Prints numbers next to their targets; it is not a test and asserts
 * nothing.
 *
 *   NO_COLOR=1 npx -y deno@2.9.6 run -A scripts/bench_scale.ts [files|convert|startup|all]
 *     [--pods 100000] [--psps 30] [--inputs yaml,jsonl,list,yamllist,auditlog]
 *     [--formats table,json] [--owned 0.75] [--jobs 1,default] [--runs 5] [--keep]
 *     [--oracle DIR] [--go auto|off] [--cache off,on] [--repeat 1]
 *
 * files    audit-pods over generated pods (the oracle corpus pods with varied names and
 *          namespaces; `--owned` of them belong to ReplicaSets of 10 pods, as in a cluster)
 *          x the first `--psps` corpus PSPs, from a multi-document YAML file, a JSON-lines
 *          file, one `kind: List` JSON document (`list`, what `kubectl get pods -A -o json`
 *          prints), the same List in YAML (`yamllist`), and an audit log; per output format:
 *          wall time, (pod, PSP) evaluations per second (per wall second and per CPU second of
 *          the child), peak RSS of the child; once per `--jobs` value (threads auditing;
 *          `default` is the CLI's default) and per `--cache` mode (the decision cache off,
 *          FALCO_PSP_DECISION_CACHE=0, and on, with its hits, entries and bytes); each
 *          configuration `--repeat` times, round by round, reported by its median run.
 *          Per-core speed (issue 10): first Kubernetes' own PSP provider (v1.20.2,
 *          pkg/security/podsecuritypolicy, evaluation only, one core: scripts/go_psp_provider)
 *          is built and run on the same pods and PSPs, and every `--jobs 1` line shows the
 *          ratio of our whole-process rate to its rate (target 1.5x). It needs `go` on PATH and
 *          the Kubernetes source that scripts/build-apiserver.sh unpacks
 *          (`$FALCO_PSP_CACHE/src/kubernetes-*`, default ~/.cache/falco-psp); without them, or
 *          with `--go off`, the bench says why and goes on without the ratio.
 * convert  `convert` of 250, 500 and 1,000 PSPs (corpus PSPs renamed) into one rules file:
 *          time and output size, and the size/time per PSP to show linear growth.
 * startup  median of `--runs` runs: `--help`, and `audit-pods` of one pod against one PSP.
 *
 * Peak RSS is the child's maximum resident set size from `/usr/bin/time -v` (the kernel's
 * ru_maxrss), or, without it, the last VmHWM read from /proc/<pid>/status while it runs.
 * The machine is shared: CPU-second rates are steadier than wall-clock ones.
 */
import { stringify } from "yaml";
import { denoRunArgs } from "./launchers.ts";
import { defaultJobs } from "../src/audit/run.ts";
import { withServiceAccountToken } from "../src/workloads/service_account_token.ts";
import type { Pod } from "../src/model/pod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TARGET_RSS_MB = 300;
const TARGET_EVALS = 350_000;

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1] : fallback;
}
const what = Deno.args[0] && !Deno.args[0].startsWith("--") ? Deno.args[0] : "all";
const oracle = arg("--oracle", new URL("../fixtures/oracle/", import.meta.url).pathname);
const podCount = Number(arg("--pods", "100000"));
const pspCount = Number(arg("--psps", "30"));
const inputs = arg("--inputs", "yaml,jsonl,list,yamllist,auditlog").split(",");
const formats = arg("--formats", "table,json").split(",");
const owned = Number(arg("--owned", "0.75"));
/** `--jobs` values to run with (`default`: the CLI's own choice, one thread per CPU). */
const jobs = arg("--jobs", "1,default").split(",");
const runs = Number(arg("--runs", "5"));
/** Runs of each `files` configuration (the median is shown). */
const repeat = Math.max(1, Number(arg("--repeat", "1")));
const keep = Deno.args.includes("--keep");
const goMode = arg("--go", "auto");
/**
 * The decision cache (issue 10.2) off and/or on. The generated pods repeat the corpus (most in
 * ReplicaSets of 10), so the cache decides most of them once: `off` is the per-core claim
 * (every pod admitted), `on` what users get on such input.
 */
const cacheModes = arg("--cache", "off,on").split(",");
/** Per-core target (issue 10): our `--jobs 1` whole-process rate over the Go provider's. */
const TARGET_GO_RATIO = 1.5;

type Obj = Record<string, unknown>;
const corpus = JSON.parse(await Deno.readTextFile(`${oracle}/corpus.json`)) as {
  psps: Obj[];
  pods: Obj[];
};
const dir = await Deno.makeTempDir({ prefix: "bench_scale_" });

/** What one child run cost. */
interface Measured {
  code: number;
  wallS: number;
  cpuS: number | null;
  rssMB: number | null;
  outBytes: number;
  stderr: string;
}

const hasTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);

/**
 * Runs the CLI as the installed plugin runs it (the launcher's `deno run` arguments:
 * permissions and V8 flags), stdout to a file, and measures it.
 */
async function runCli(args: string[], extraEnv: Record<string, string> = {}): Promise<Measured> {
  const deno = [Deno.execPath(), ...denoRunArgs(`${ROOT}main.ts`, `${ROOT}deno.json`), ...args];
  const [cmd, ...cmdArgs] = hasTime ? ["/usr/bin/time", "-v", ...deno] : deno;
  const outPath = `${dir}/stdout`;
  const out = await Deno.open(outPath, { write: true, create: true, truncate: true });
  const start = performance.now();
  const child = new Deno.Command(cmd, {
    args: cmdArgs,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: {
      NO_COLOR: "1",
      KUBECONFIG: "/nonexistent/kubeconfig",
      KUBERNETES_SERVICE_HOST: "",
      ...extraEnv,
    },
  }).spawn();
  let hwmKB = 0;
  const poll = hasTime ? undefined : setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${child.pid}/status`));
      if (m) hwmKB = Math.max(hwmKB, Number(m[1]));
    } catch { /* exited */ }
  }, 20);
  const [, stderrBytes, status] = await Promise.all([
    child.stdout.pipeTo(out.writable),
    new Response(child.stderr).arrayBuffer(),
    child.status,
  ]);
  const wallS = (performance.now() - start) / 1000;
  if (poll !== undefined) clearInterval(poll);
  let stderr = new TextDecoder().decode(stderrBytes);
  let cpuS: number | null = null;
  let rssMB: number | null = hwmKB ? hwmKB / 1024 : null;
  if (hasTime) {
    const num = (re: RegExp) => Number(re.exec(stderr)?.[1] ?? NaN);
    cpuS = num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/);
    rssMB = num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024;
    stderr = stderr.slice(0, stderr.indexOf("\tCommand being timed"));
  }
  const outBytes = (await Deno.stat(outPath)).size;
  return { code: status.code, wallS, cpuS, rssMB, outBytes, stderr };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
/** The machine's load average (`uptime`), to quote with the figures. */
const loadAverage = () =>
  new Deno.Command("uptime").output().then(
    (o) => new TextDecoder().decode(o.stdout).trim().replace(/^.*load average/, "load average"),
    () => "unknown",
  );
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The i-th generated pod: a corpus pod with its own name and namespace, maybe owned. */
function pod(i: number): Obj {
  const base = corpus.pods[i % corpus.pods.length] as Obj & { metadata: Obj };
  const meta: Obj = { ...base.metadata, namespace: `team-${i % 50}` };
  // Pods of one ReplicaSet share a corpus pod (the same template) and a namespace, 10 pods per
  // ReplicaSet.
  if ((i % 100) / 100 < owned) {
    const rs = Math.floor(i / (corpus.pods.length * 10));
    meta.namespace = `team-${(rs * corpus.pods.length + (i % corpus.pods.length)) % 50}`;
    const hash = `h${(i % corpus.pods.length).toString(36)}x${rs.toString(36)}`;
    const rsName = `${base.metadata.name}-${rs}-${hash}`;
    meta.name = `${rsName}-${i.toString(36)}`;
    meta.labels = { app: String(base.metadata.name), "pod-template-hash": hash };
    meta.ownerReferences = [{
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      name: rsName,
      uid: `00000000-0000-0000-0000-${String(rs).padStart(12, "0")}`,
      controller: true,
    }];
  } else meta.name = `${base.metadata.name}-${i}`;
  return { ...base, metadata: meta };
}

/** Writes `prefix`, the `--pods` lines/documents from `render(i)` in batches, `suffix`. */
async function writeGenerated(
  path: string,
  render: (i: number) => string,
  prefix = "",
  suffix = "",
): Promise<number> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  let batch = prefix;
  for (let i = 0; i < podCount; i++) {
    batch += render(i);
    if (batch.length > 1 << 20) {
      await f.write(enc.encode(batch));
      batch = "";
    }
  }
  await f.write(enc.encode(batch + suffix));
  f.close();
  return (await Deno.stat(path)).size;
}

const CACHE = Deno.env.get("FALCO_PSP_CACHE") ?? `${Deno.env.get("HOME")}/.cache/falco-psp`;

/** What a short command printed, or why it could not run. */
async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, ...opts, stdin: "null" }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } catch (e) {
    return { code: -1, stdout: "", stderr: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Builds scripts/go_psp_provider against Kubernetes' own PSP provider, as
 * scripts/build-apiserver.sh builds kube-apiserver: GOPATH mode, GOPATH
 * `<src>/_output/local/go` whose `src/k8s.io/kubernetes` is a link to the source tree, so the
 * program, copied to `<src>/_output/local/falco-psp/go_psp_provider`, imports the tree's
 * packages and its vendor directory, and reuses that build's cache (GOCACHE). The binary goes
 * to `$FALCO_PSP_CACHE/go_psp_provider`; nothing is written in the repository. Returns the
 * binary, or why there is none.
 */
async function buildGoProvider(): Promise<{ bin: string } | { why: string }> {
  if (goMode === "off") return { why: "--go off" };
  const version = await run("go", ["version"]);
  if (version.code !== 0) {
    return { why: `no Go toolchain (\`go version\`: ${version.stderr.trim() || version.code})` };
  }
  let src: string | undefined;
  try {
    for await (const e of Deno.readDir(`${CACHE}/src`)) {
      const candidate = `${CACHE}/src/${e.name}`;
      if (
        e.isDirectory && e.name.startsWith("kubernetes-") &&
        await Deno.stat(`${candidate}/pkg/security/podsecuritypolicy/provider.go`).then(
          () => true,
          () => false,
        )
      ) src = candidate;
    }
  } catch { /* no source directory */ }
  if (src === undefined) {
    return {
      why: `no Kubernetes source in ${CACHE}/src/kubernetes-*/ (scripts/build-apiserver.sh ` +
        `unpacks Debian's package there)`,
    };
  }
  const gopath = `${src}/_output/local/go`;
  const link = `${gopath}/src/k8s.io/kubernetes`;
  if (!await Deno.lstat(link).then(() => true, () => false)) {
    await Deno.mkdir(`${gopath}/src/k8s.io`, { recursive: true });
    await Deno.symlink(src, link);
  }
  const pkgDir = `${link}/_output/local/falco-psp/go_psp_provider`;
  const main = await Deno.readTextFile(new URL("go_psp_provider/main.go", import.meta.url));
  const bin = `${CACHE}/go_psp_provider`;
  const built = await Deno.readTextFile(`${pkgDir}/main.go`).catch(() => "");
  if (built === main && await Deno.stat(bin).then(() => true, () => false)) return { bin };
  await Deno.mkdir(pkgDir, { recursive: true });
  await Deno.writeTextFile(`${pkgDir}/main.go`, main);
  console.log(`building the Go PSP provider (${version.stdout.trim()}) in ${pkgDir} ...`);
  const t0 = performance.now();
  const res = await run("go", ["build", "-tags", "selinux,notest", "-o", `${bin}.tmp`, "."], {
    cwd: pkgDir,
    env: {
      // Go takes the working directory from PWD when it names it: the path through the
      // GOPATH link, under which the tree's vendor directory applies (not the resolved one).
      PWD: pkgDir,
      GOPATH: gopath,
      GOCACHE: `${gopath}/cache`,
      GO111MODULE: "off",
      GOFLAGS: "",
      GOPROXY: "off",
      CGO_ENABLED: "0",
    },
  });
  if (res.code !== 0) {
    // A failed build must not look like an up-to-date one next time.
    await Deno.remove(`${pkgDir}/main.go`).catch(() => {});
    return {
      why: `\`go build\` in ${pkgDir} failed (exit ${res.code}):\n` +
        res.stderr.trim().split("\n").slice(-15).join("\n"),
    };
  }
  await Deno.rename(`${bin}.tmp`, bin);
  console.log(`built ${bin} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return { bin };
}

/** What scripts/go_psp_provider prints. */
interface GoRate {
  goVersion: string;
  evaluations: number;
  admitted: number;
  mutated: number;
  wallSeconds: number;
  cpuSeconds: number;
  evalsPerSec: number;
  evalsPerCpuSecond: number;
  noCompareWallSeconds: number;
  noCompareCpuSeconds: number;
}

/** Runs the Go provider on the PSPs and pods (JSON lines); its figures, or why there are none. */
async function runGoProvider(
  pspJsonl: string,
  podJsonl: string,
): Promise<{ rate: GoRate } | { why: string }> {
  const built = await buildGoProvider();
  if ("why" in built) return built;
  const res = await run(built.bin, [pspJsonl, podJsonl]);
  if (res.code !== 0) {
    return { why: `${built.bin} failed (exit ${res.code}): ${res.stderr.trim().slice(0, 400)}` };
  }
  return { rate: JSON.parse(res.stdout) as GoRate };
}

async function benchFiles(): Promise<void> {
  const psps = corpus.psps.slice(0, pspCount);
  const pspFile = `${dir}/psps.yaml`;
  await Deno.writeTextFile(pspFile, psps.map((p) => stringify(p)).join("---\n"));
  const files: Record<string, { args: string[]; bytes: number }> = {};
  const t0 = performance.now();
  const pspJsonl = `${dir}/psps.jsonl`;
  const podJsonl = `${dir}/pods.jsonl`;
  await Deno.writeTextFile(pspJsonl, psps.map((p) => JSON.stringify(p) + "\n").join(""));
  const podJsonlBytes = await writeGenerated(podJsonl, (i) => JSON.stringify(pod(i)) + "\n");
  // The Go provider reads the same pods as JSON lines, as the ServiceAccount admission plugin
  // hands them to PSP admission (the token volume audit-pods adds by default), so both sides
  // decide the same (pod, PSP) pairs the same way.
  const goPodJsonl = `${dir}/pods-go.jsonl`;
  await writeGenerated(
    goPodJsonl,
    (i) => JSON.stringify(withServiceAccountToken(pod(i) as unknown as Pod, "projected")) + "\n",
  );
  for (const input of inputs) {
    if (input === "yaml") {
      const path = `${dir}/pods.yaml`;
      const bytes = await writeGenerated(path, (i) => `---\n${stringify(pod(i))}`);
      files[input] = { args: ["-f", path], bytes };
    } else if (input === "jsonl") {
      files[input] = { args: ["-f", podJsonl], bytes: podJsonlBytes };
    } else if (input === "list") {
      // As `kubectl get pods -A -o json` prints it: 4-space indent, keys apiVersion, items,
      // kind, metadata.
      const path = `${dir}/pods-list.json`;
      const bytes = await writeGenerated(
        path,
        (i) =>
          (i ? ",\n" : "") +
          JSON.stringify(pod(i), null, 4).replaceAll(/^/gm, "        "),
        '{\n    "apiVersion": "v1",\n    "items": [\n',
        '\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n',
      );
      files[input] = { args: ["-f", path], bytes };
    } else if (input === "yamllist") {
      // As `kubectl get pods -A -o yaml` prints it (keys sorted, items not indented).
      const path = `${dir}/pods-list.yaml`;
      const bytes = await writeGenerated(
        path,
        (i) => stringify([pod(i)], { aliasDuplicateObjects: false }),
        "apiVersion: v1\nitems:\n",
        'kind: List\nmetadata:\n  resourceVersion: ""\n',
      );
      files[input] = { args: ["-f", path], bytes };
    } else if (input === "auditlog") {
      const path = `${dir}/audit.log`;
      const bytes = await writeGenerated(path, (i) => {
        const p = pod(i) as { metadata: Obj };
        return JSON.stringify({
          kind: "Event",
          apiVersion: "audit.k8s.io/v1",
          level: "Request",
          auditID: `a-${i}`,
          stage: "ResponseComplete",
          requestURI: `/api/v1/namespaces/${p.metadata.namespace}/pods`,
          verb: "create",
          user: { username: "system:serviceaccount:kube-system:replicaset-controller" },
          objectRef: { resource: "pods", namespace: p.metadata.namespace, apiVersion: "v1" },
          requestObject: p,
        }) + "\n";
      });
      files[input] = { args: ["--audit-log", path], bytes };
    } else throw new Error(`unknown input ${input} (yaml, jsonl, list, yamllist, auditlog)`);
  }
  console.log(
    `audit-pods from files: ${fmt(podCount)} pods (${Math.round(owned * 100)}% in ReplicaSets ` +
      `of 10) x ${psps.length} PSPs = ${fmt(podCount * psps.length)} evaluations per run ` +
      `(inputs generated in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `${await loadAverage()})`,
  );
  console.log(
    `targets: peak RSS < ${TARGET_RSS_MB} MB, >= ${fmt(TARGET_EVALS)} evaluations/s; ` +
      `with --jobs 1, >= ${TARGET_GO_RATIO}x the Go provider's rate\n`,
  );
  const evals = podCount * psps.length;
  const goRun = await runGoProvider(pspJsonl, goPodJsonl);
  const go = "rate" in goRun ? goRun.rate : undefined;
  if (go !== undefined) {
    console.log(
      `Go provider (Kubernetes v1.20.2 pkg/security/podsecuritypolicy, ${go.goVersion}, ` +
        `evaluation only, one core: deep copy + MutatePod + ValidatePod + semantic compare ` +
        `per (pod, PSP), as the admission plugin does): ` +
        `${fmt(go.evaluations)} evaluations (${fmt(go.admitted)} admitted, ${
          fmt(go.mutated)
        } of them mutated) in ${go.wallSeconds.toFixed(2)} s wall, ` +
        `${fmt(go.evalsPerSec)} evals/s; ${go.cpuSeconds.toFixed(2)} s CPU, ` +
        `${fmt(go.evalsPerCpuSecond)} evals/CPU-s (without the semantic compare that tells a ` +
        `mutated pod: ${fmt(go.evaluations / go.noCompareWallSeconds)} evals/s, ${
          fmt(go.evaluations / go.noCompareCpuSeconds)
        } evals/CPU-s; the ratios below use the full rate)\n`,
    );
  } else console.log(`Go provider: not run: ${"why" in goRun ? goRun.why : ""}\n`);
  const ratios: string[] = [];
  /** JSON lines' rate per format and jobs, and the List lines (issue 10.1's targets). */
  const jsonlRates = new Map<string, number>();
  const jsonlCpuRates = new Map<string, number>();
  const listTargets: string[] = [];
  // every configuration `--repeat` times, round by round (so that a change of the machine's
  // load falls on every input alike); each is reported by its run of median wall time
  const configs = Object.entries(files).flatMap(([input, { args, bytes }]) =>
    formats.flatMap((format) =>
      jobs.flatMap((j) => cacheModes.map((cache) => ({ input, args, bytes, format, j, cache })))
    )
  );
  const measured = configs.map(() => [] as Measured[]);
  for (let round = 0; round < repeat; round++) {
    for (const [k, { args, format, j, cache }] of configs.entries()) {
      measured[k].push(
        await runCli([
          "audit-pods",
          "--psp-file",
          pspFile,
          ...args,
          "-o",
          format,
          ...(j === "default" ? [] : ["--jobs", j]),
        ], {
          FALCO_PSP_DECISION_CACHE: cache === "off" ? "0" : "1",
          FALCO_PSP_DECISION_CACHE_STATS: "1",
        }),
      );
    }
  }
  if (repeat > 1) console.log(`each configuration run ${repeat} times; its median run shown\n`);
  for (const [k, { input, bytes, format, j, cache }] of configs.entries()) {
    const runs = [...measured[k]].sort((a, b) => a.wallS - b.wallS);
    const m = runs[(runs.length - 1) >> 1];
    const spread = runs.length > 1
      ? ` (runs ${runs.map((r) => r.wallS.toFixed(1)).join("/")} s)`
      : "";
    const cacheLine = /decision cache: [^\n]*/.exec(m.stderr)?.[0];
    const cacheLabel = `cache ${cache.padEnd(3)}`;
    const ok = m.code === 0 || m.code === 1;
    const rate = evals / m.wallS;
    const cpuRate = m.cpuS ? evals / m.cpuS : NaN;
    if (ok && input === "jsonl") {
      jsonlRates.set(`${format} ${j} ${cache}`, rate);
      jsonlCpuRates.set(`${format} ${j} ${cache}`, cpuRate);
    }
    if (input === "list" || input === "yamllist") {
      const lines = jsonlRates.get(`${format} ${j} ${cache}`);
      const rss = m.rssMB ?? Infinity;
      listTargets.push(
        `${input.padEnd(8)} -o ${format.padEnd(5)} --jobs ${j} ${cacheLabel}: ` +
          (ok
            ? `peak RSS ${m.rssMB?.toFixed(0) ?? "?"} MB [${
              rss < TARGET_RSS_MB ? "met" : "NOT MET"
            }: < ${TARGET_RSS_MB} MB]; ${fmt(rate)} evals/s ` +
              (lines === undefined
                ? "[no jsonl run with the same format and jobs to compare]"
                : `[${rate >= lines ? "met" : "NOT MET"}: >= JSON lines' ${fmt(lines)}, ${
                  (100 * rate / lines).toFixed(0)
                }%]; ${fmt(cpuRate)} evals/CPU-s (${
                  (100 * cpuRate / jsonlCpuRates.get(`${format} ${j} ${cache}`)!).toFixed(0)
                }% of JSON lines')`)
            : `FAILED (exit ${m.code})`),
      );
    }
    // Per-core speed: our whole process with one auditing thread against the Go
    // provider's evaluation-only rate (wall; per CPU second alongside, steadier here).
    let ratio = "";
    if (ok && j === "1" && go !== undefined) {
      const wallRatio = rate / go.evalsPerSec;
      ratio = `; vs Go ${wallRatio.toFixed(2)}x wall, ${
        (cpuRate / go.evalsPerCpuSecond).toFixed(2)
      }x per CPU-s [${wallRatio >= TARGET_GO_RATIO ? "meets" : "MISSES"} >= ${TARGET_GO_RATIO}x]`;
      ratios.push(
        `${input.padEnd(8)} -o ${format.padEnd(5)} ${cacheLabel}: ${fmt(rate)} evals/s${ratio}`,
      );
    }
    console.log(
      `${input.padEnd(8)} (${mb(bytes).padStart(8)}) -o ${format.padEnd(5)} ` +
        `--jobs ${j === "default" ? `${defaultJobs()} (default)` : j} ${cacheLabel}: ` +
        (ok
          ? `${m.wallS.toFixed(1)} s wall, ${fmt(rate)} evals/s ` +
            `[${rate >= TARGET_EVALS ? "meets" : "MISSES"} >= ${fmt(TARGET_EVALS)}]; ` +
            `${m.cpuS?.toFixed(1) ?? "?"} s CPU, ${fmt(cpuRate)} evals/CPU-s; ` +
            `peak RSS ${m.rssMB?.toFixed(0) ?? "?"} MB ` +
            `[${(m.rssMB ?? Infinity) < TARGET_RSS_MB ? "meets" : "MISSES"} < ${TARGET_RSS_MB}]; ` +
            `output ${mb(m.outBytes)}${spread}${ratio}` +
            (cache === "on" && cacheLine ? `\n    ${cacheLine}` : "")
          : `FAILED (exit ${m.code}): ${m.stderr.trim().slice(0, 400)}`),
    );
  }
  if (listTargets.length) {
    console.log(
      `\nLists streamed item by item (issue 10.1), targets: peak RSS < ${TARGET_RSS_MB} MB and ` +
        "throughput >= JSON lines' (same run, format and jobs):",
    );
    for (const line of listTargets) console.log(`  ${line}`);
  }
  if (go !== undefined && ratios.length) {
    console.log(
      `\nper-core speed, --jobs 1 (whole process) vs the Go provider's ${
        fmt(go.evalsPerSec)
      } evals/s (evaluation only, one core), target ${TARGET_GO_RATIO}x; "cache off" is the ` +
        `per-core claim (every pod admitted), "cache on" what users get on these pods, which ` +
        `repeat the corpus's specs (${await loadAverage()}):`,
    );
    for (const line of ratios) console.log(`  ${line}`);
  }
}

async function benchConvert(): Promise<void> {
  console.log("\nconvert: N PSPs (corpus PSPs renamed) into one rules file (-R)");
  const sizes = [250, 500, 1000];
  const walls: number[] = [];
  const bytes: number[] = [];
  for (const n of sizes) {
    const docs: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = corpus.psps[i % corpus.psps.length] as Obj & { metadata: Obj };
      docs.push(stringify({ ...p, metadata: { ...p.metadata, name: `${p.metadata.name}-${i}` } }));
    }
    const input = `${dir}/psps-${n}.yaml`;
    const rules = `${dir}/rules-${n}.yaml`;
    await Deno.writeTextFile(input, docs.join("---\n"));
    const m = await runCli(["convert", input, "-R", rules]);
    const size = m.code === 0 ? (await Deno.stat(rules)).size : 0;
    walls.push(m.wallS);
    bytes.push(size);
    console.log(
      `${String(n).padStart(5)} PSPs: ` +
        (m.code === 0
          ? `${m.wallS.toFixed(2)} s wall, ${m.cpuS?.toFixed(2) ?? "?"} s CPU, ` +
            `rules ${mb(size)} (${fmt(size / n)} bytes/PSP), ` +
            `${(m.wallS / n * 1000).toFixed(2)} ms/PSP, peak RSS ${m.rssMB?.toFixed(0) ?? "?"} MB`
          : `FAILED (exit ${m.code}): ${m.stderr.trim().slice(0, 400)}`),
    );
  }
  // Linear growth: the cost of each further PSP stays the same (startup is paid once).
  for (let i = 1; i < sizes.length; i++) {
    const dn = sizes[i] - sizes[i - 1];
    console.log(
      `${sizes[i - 1]} -> ${sizes[i]} PSPs: +${
        ((walls[i] - walls[i - 1]) / dn * 1000).toFixed(2)
      } ` +
        `ms and +${fmt((bytes[i] - bytes[i - 1]) / dn)} bytes per further PSP`,
    );
  }
}

async function benchStartup(): Promise<void> {
  console.log(`\nstartup: median of ${runs} runs`);
  const pspFile = `${dir}/one-psp.yaml`;
  const podFile = `${dir}/one-pod.yaml`;
  await Deno.writeTextFile(pspFile, stringify(corpus.psps[0]));
  await Deno.writeTextFile(podFile, stringify(corpus.pods[0]));
  const cases: [string, string[]][] = [
    ["--help", ["--help"]],
    ["one-pod audit", ["audit-pods", "--psp-file", pspFile, "-f", podFile]],
  ];
  for (const [label, args] of cases) {
    const walls: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < runs; i++) {
      const m = await runCli(args);
      if (m.code > 1) throw new Error(`${label}: exit ${m.code}: ${m.stderr}`);
      walls.push(m.wallS);
      if (m.rssMB !== null) rss.push(m.rssMB);
    }
    console.log(
      `${label.padEnd(14)}: ${(median(walls) * 1000).toFixed(0)} ms (min ${
        (Math.min(...walls) * 1000).toFixed(0)
      } ms), peak RSS ${rss.length ? median(rss).toFixed(0) : "?"} MB`,
    );
  }
}

try {
  if (what === "files" || what === "all") await benchFiles();
  if (what === "convert" || what === "all") await benchConvert();
  if (what === "startup" || what === "all") await benchStartup();
} finally {
  if (keep) console.log(`\ninputs kept in ${dir}`);
  else await Deno.remove(dir, { recursive: true });
}
