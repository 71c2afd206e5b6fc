/**
 * Throughput of the PSP admission evaluator: (pod, PSP) evaluations per second on the oracle
 * corpus repeated to at least 100,000 pods, and peak memory.
 *
 *   NO_COLOR=1 npx -y deno@2.9.6 run -A scripts/bench_audit.ts [--pods N] [--oracle DIR]
 *
 * Two runs: every pod against all 33 corpus PSPs (as `audit-pods` with no --policy does), and
 * every pod against each PSP alone. An evaluation is one PSP's mutate + validate of one pod
 * (Kubernetes' assignSecurityContext); the time also includes pod defaulting, building the
 * refusal messages and the stored form of admitted pods. Rates are given per wall-clock second
 * and per CPU-second of this process (the latter is steadier on a shared machine).
 */
import { admitPod, compilePolicy } from "../src/admission/admit.ts";
import type { Pod } from "../src/model/pod.ts";
import type { PodSecurityPolicy } from "../src/model/psp.ts";
import process from "node:process";

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const oracle = arg("--oracle") ?? new URL("../fixtures/oracle/", import.meta.url).pathname;
const wanted = Number(arg("--pods") ?? 100_000);
const corpus = JSON.parse(await Deno.readTextFile(`${oracle}/corpus.json`));
const psps = corpus.psps as PodSecurityPolicy[];
const basePods = corpus.pods as Pod[];

let peakRss = Deno.memoryUsage().rss;
function sample() {
  const rss = Deno.memoryUsage().rss;
  if (rss > peakRss) peakRss = rss;
}

const t0 = performance.now();
const compiled = psps.map(compilePolicy);
const compileMs = performance.now() - t0;

// Distinct pod objects (deep copies), as if read from many manifests.
const pods: Pod[] = [];
while (pods.length < wanted) {
  for (const p of basePods) pods.push(structuredClone(p));
}
sample();

function run(label: string, candidateSets: (typeof compiled)[]) {
  const evalsPerPod = candidateSets.reduce((n, s) => n + s.length, 0);
  const verdicts = { admitted: 0, changed: 0, refused: 0 };
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < pods.length; i++) {
    for (const set of candidateSets) verdicts[admitPod(pods[i], set).verdict]++;
    if ((i & 4095) === 0) sample();
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  sample();
  const evals = pods.length * evalsPerPod;
  console.log(
    `${label}: ${pods.length} pods, ${evals} evaluations in ${seconds.toFixed(2)} s = ` +
      `${Math.round(evals / seconds).toLocaleString("en-US")} evaluations/s ` +
      `(${Math.round(evals / cpuSeconds).toLocaleString("en-US")} per CPU-second; ` +
      `admitted ${verdicts.admitted}, changed ${verdicts.changed}, refused ${verdicts.refused})`,
  );
}

console.log(`compiled ${compiled.length} PSPs in ${compileMs.toFixed(2)} ms`);
// Warm-up so the JIT has seen every path.
for (const p of basePods) admitPod(p, compiled);
run("all PSPs per pod", [compiled]);
run("one PSP at a time", compiled.map((c) => [c]));
console.log(
  `peak RSS ${(peakRss / 1024 / 1024).toFixed(1)} MiB, heap used ${
    (Deno.memoryUsage().heapUsed / 1024 / 1024).toFixed(1)
  } MiB`,
);
