/**
 * What Pod Security Standards evaluation adds to an audit (issue 12.5): `audit-pods` over the
 * same generated pods (the oracle corpus pods with varied names and namespaces) x the first
 * `--psps` corpus PSPs, from one YAML file, without and with `--pss restricted`, and with
 * `--pss` alone; also `--pss` without PSPs. Prints wall and CPU seconds of the child (median of
 * `--runs`, interleaved) and the added share (target: at most 25%). Not a test; asserts nothing.
 *
 *   NO_COLOR=1 npx -y deno@2.9.6 run -A scripts/bench_pss.ts [--pods 20000] [--psps 30]
 *     [--jobs 1,default] [--runs 3] [--format json]
 */
import { stringify } from "yaml";
import { denoRunArgs } from "./launchers.ts";
import { admitPod, compilePolicy } from "../src/admission/admit.ts";
import { loadPsps } from "../src/psp/load.ts";
import { podPss } from "../src/pss/pod_result.ts";
import { withServiceAccountToken } from "../src/workloads/service_account_token.ts";

const ROOT = new URL("../", import.meta.url).pathname;

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1] : fallback;
}
const podCount = Number(arg("--pods", "20000"));
const pspCount = Number(arg("--psps", "30"));
const jobsList = arg("--jobs", "1,default").split(",");
const runs = Number(arg("--runs", "3"));
const format = arg("--format", "json");

type Obj = Record<string, unknown>;
const corpus = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/oracle/corpus.json", import.meta.url)),
) as { psps: Obj[]; pods: Obj[] };
const dir = await Deno.makeTempDir({ prefix: "bench_pss_" });
const hasTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);

const pspFile = `${dir}/psps.yaml`;
await Deno.writeTextFile(
  pspFile,
  corpus.psps.slice(0, pspCount).map((p) => stringify(p)).join("---\n"),
);
const podFile = `${dir}/pods.yaml`;
{
  const f = await Deno.open(podFile, { write: true, create: true });
  const enc = new TextEncoder();
  for (let i = 0; i < podCount; i++) {
    const pod = structuredClone(corpus.pods[i % corpus.pods.length]) as {
      metadata: Obj;
    };
    pod.metadata = { ...pod.metadata, name: `pod-${i}`, namespace: `ns-${i % 50}` };
    await f.write(enc.encode((i ? "---\n" : "") + stringify(pod)));
  }
  f.close();
}

interface Measured {
  wallS: number;
  cpuS: number | null;
}

async function runOnce(args: string[]): Promise<Measured> {
  const deno = [Deno.execPath(), ...denoRunArgs(`${ROOT}main.ts`, `${ROOT}deno.json`), ...args];
  const [cmd, ...cmdArgs] = hasTime ? ["/usr/bin/time", "-f", "%U %S", ...deno] : deno;
  const start = performance.now();
  const out = await new Deno.Command(cmd, {
    args: cmdArgs,
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", KUBECONFIG: "/nonexistent" },
  }).output();
  const wallS = (performance.now() - start) / 1000;
  const err = new TextDecoder().decode(out.stderr).trim().split("\n");
  const m = hasTime ? /^([\d.]+) ([\d.]+)$/.exec(err[err.length - 1]) : null;
  if (out.code > 1) throw new Error(`audit-pods ${args.join(" ")}: exit ${out.code}\n${err}`);
  return { wallS, cpuS: m ? Number(m[1]) + Number(m[2]) : null };
}

/** Runs the variants interleaved (A B C A B C ...), so load on the machine hits them alike. */
async function measureAll(
  variants: string[][],
): Promise<{ wall: number; cpu: number | null }[]> {
  const got: Measured[][] = variants.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let v = 0; v < variants.length; v++) got[v].push(await runOnce(variants[v]));
  }
  // The least of the runs: what the work costs when the shared machine lets it run.
  return got.map((g) => {
    const cpus = g.map((x) => x.cpuS).filter((c): c is number => c !== null);
    return {
      wall: Math.min(...g.map((x) => x.wallS)),
      cpu: cpus.length ? Math.min(...cpus) : null,
    };
  });
}

const fmt = (m: { wall: number; cpu: number | null }) =>
  `wall ${m.wall.toFixed(2)} s, cpu ${m.cpu === null ? "?" : m.cpu.toFixed(2)} s`;
const pct = (a: number, b: number) => `${a >= b ? "+" : ""}${((a / b - 1) * 100).toFixed(1)}%`;
const added = (
  m: { wall: number; cpu: number | null },
  base: { wall: number; cpu: number | null },
) => `(${pct(m.wall, base.wall)} wall, ${m.cpu && base.cpu ? pct(m.cpu, base.cpu) : "?"} cpu)`;

// In this process: the evaluators alone on the same pods (no parsing, no report).
{
  const policies = corpus.psps.slice(0, pspCount).map((p) =>
    compilePolicy(
      loadPsps([{ object: p, source: { file: "bench" }, locate: () => undefined }], {
        allowInvalidNames: true,
      }).psps[0].psp,
    )
  );
  const pods = corpus.pods.map((p) => withServiceAccountToken(p as never, "projected"));
  const time = (f: (pod: never) => unknown) => {
    const n = Math.max(2000, Math.min(podCount, 20000));
    for (let i = 0; i < 500; i++) f(pods[i % pods.length] as never);
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      for (let i = 0; i < n; i++) f(pods[i % pods.length] as never);
      best = Math.min(best, (performance.now() - t) * 1000 / n);
    }
    return best;
  };
  const psp = time((pod) => admitPod(pod, policies));
  const pss = time((pod) => podPss(pod, { level: "restricted", version: "latest" }));
  console.log(
    `evaluators in one thread, per pod: PSP admission (${pspCount} PSPs) ${psp.toFixed(1)} µs, ` +
      `PSS (baseline and restricted) ${pss.toFixed(1)} µs: +${(100 * pss / psp).toFixed(1)}%`,
  );
}

console.log(
  `audit-pods, ${podCount} pods x ${pspCount} PSPs, -o ${format}, least of ${runs} interleaved runs:`,
);
for (const jobs of jobsList) {
  const base = [
    "audit-pods",
    "--psp-file",
    pspFile,
    "-f",
    podFile,
    "-o",
    format,
    ...(jobs === "default" ? [] : ["-j", jobs]),
  ];
  const [psp, level, alone, only] = await measureAll([
    base,
    [...base, "--pss", "restricted"],
    [...base, "--pss"],
    base.filter((_, i) => i !== 1 && i !== 2).concat(["--pss"]),
  ]);
  console.log(`  jobs ${jobs}:`);
  console.log(`    PSP only                 ${fmt(psp)}`);
  console.log(`    PSP + --pss restricted   ${fmt(level)}  ${added(level, psp)}; target <= +25%`);
  console.log(`    PSP + --pss (levels)     ${fmt(alone)}  ${added(alone, psp)}`);
  console.log(`    --pss only, no PSPs      ${fmt(only)}`);
}
await Deno.remove(dir, { recursive: true });
