/**
 * Whether the tricks of the YAML reading still pay for themselves (issue 11.12): the fast
 * path (src/io/yaml_fast.ts, through parseObjects: the block reader of yaml_block.ts, then
 * js-yaml) against the `yaml` library alone (parseObjectsWithYaml), each with and without a
 * `process.env` view that turns the `yaml` library's per-token debug-switch reads into plain
 * property reads (the program used one until this benchmark showed it no longer paid: see
 * src/io/library_internals.ts). Each configuration runs in a fresh process (the view cannot
 * be undone), parses the same documents (the oracle corpus's pods as YAML documents, repeated),
 * and reports the best of `--runs` passes; the block reader and js-yaml are also measured
 * alone.
 *
 *   npx -y deno@2.9.6 run -A scripts/bench_yaml.ts [--docs N] [--runs N]
 */
import { stringify } from "yaml";
import {
  MAX_NESTING,
  MAX_SCALAR_CHARS,
  parseObjects,
  parseObjectsWithYaml,
} from "../src/io/documents.ts";
import { readBlockYaml } from "../src/io/yaml_block.ts";
import { readWithJsYaml } from "../src/io/yaml_fast.ts";
import process from "node:process";

/** The `yaml` library's debug switches, read from `process.env` for every token. */
const YAML_DEBUG_SWITCHES = ["LOG_TOKENS", "LOG_STREAM"] as const;

let yamlEnvCached = false;

/**
 * Makes the `yaml` library's per-token reads of `process.env.LOG_TOKENS` and
 * `process.env.LOG_STREAM` (its debug switches, read for every token it parses and
 * composes) plain property reads: under Deno every `process.env` read is a call
 * into the runtime, a fifth of the time spent parsing YAML. `process.env` is
 * replaced, once, by a view that answers those two names from their values at
 * this point and passes everything else (reads, writes, keys) to the real
 * environment.
 */
function cacheYamlDebugSwitches(): void {
  if (yamlEnvCached) return;
  yamlEnvCached = true;
  const real = process.env;
  const frozen: Record<string, string | undefined> = Object.fromEntries(
    YAML_DEBUG_SWITCHES.map((k) => [k, real[k]]),
  );
  // The target is a plain object: a proxy over the real environment would still consult
  // it for every read (the proxy invariant checks).
  const view = new Proxy({}, {
    get: (_, k) =>
      typeof k === "string" && Object.hasOwn(frozen, k) ? frozen[k] : Reflect.get(real, k),
    set: (_, k, v) => Reflect.set(real, k, v),
    has: (_, k) => Reflect.has(real, k),
    deleteProperty: (_, k) => Reflect.deleteProperty(real, k),
    ownKeys: () => Reflect.ownKeys(real),
    getOwnPropertyDescriptor: (_, k) => {
      const d = Reflect.getOwnPropertyDescriptor(real, k);
      return d && { ...d, configurable: true };
    },
    defineProperty: (_, k, d) => Reflect.defineProperty(real, k, d),
  });
  try {
    Object.defineProperty(process, "env", {
      value: view,
      writable: true,
      configurable: true,
      enumerable: true,
    });
  } catch {
    // Not replaceable here: parsing is only slower.
  }
}

const arg = (name: string, fallback: string) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : fallback;
};
const docs = Number(arg("--docs", "20000"));
const runs = Number(arg("--runs", "3"));

const LIMITS = { maxNesting: MAX_NESTING, maxScalarChars: MAX_SCALAR_CHARS };

/** The readers measured: the `yaml` library alone, the fast path, and its two readers alone. */
const READERS = {
  yaml: (t: string) => parseObjectsWithYaml(t, "bench.yaml"),
  fast: (t: string) => parseObjects(t, "bench.yaml"),
  block: (t: string) => readBlockYaml(t, LIMITS),
  "js-yaml": (t: string) => readWithJsYaml(t, LIMITS),
};
type Reader = keyof typeof READERS;

/** One configuration, measured in this process: documents per second, best of `runs`. */
async function measure(reader: Reader, envView: boolean): Promise<number> {
  if (envView) cacheYamlDebugSwitches();
  const corpus = JSON.parse(
    await Deno.readTextFile(new URL("../fixtures/oracle/corpus.json", import.meta.url)),
  ) as { pods: unknown[] };
  const texts = corpus.pods.map((p) => stringify(p, { schema: "yaml-1.1" }));
  const read = READERS[reader];
  if (reader === "block" || reader === "js-yaml") {
    const missed = texts.filter((t) => read(t) === undefined).length;
    if (missed) console.error(`${reader}: ${missed} of ${texts.length} documents not read by it`);
  }
  let best = Infinity;
  for (let r = 0; r < runs + 1; r++) { // the first pass warms up and is not counted
    const start = performance.now();
    for (let i = 0; i < docs; i++) read(texts[i % texts.length]);
    const ms = performance.now() - start;
    if (r > 0) best = Math.min(best, ms);
  }
  return docs / (best / 1000);
}

const child = arg("--child", "");
if (child) {
  const [reader, env] = child.split(",");
  console.log(JSON.stringify(await measure(reader as Reader, env === "env")));
} else {
  const results = new Map<string, number>();
  for (const reader of Object.keys(READERS)) {
    for (const env of reader === "yaml" || reader === "fast" ? ["plain", "env"] : ["plain"]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "--child",
          `${reader},${env}`,
          "--docs",
          String(docs),
          "--runs",
          String(runs),
        ],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      if (!out.success) throw new Error(`${reader},${env} failed`);
      results.set(`${reader},${env}`, JSON.parse(new TextDecoder().decode(out.stdout)));
    }
  }
  const fmt = (n: number) => `${Math.round(n).toLocaleString("en")} docs/s`;
  console.log(`${docs} pod documents, best of ${runs} passes, one process per configuration`);
  for (const [k, v] of results) console.log(`  ${k.padEnd(11)} ${fmt(v)}`);
  const ratio = (a: string, b: string) => (results.get(a)! / results.get(b)!).toFixed(2);
  console.log(`fast path vs yaml library:   x${ratio("fast,plain", "yaml,plain")} (no env view)`);
  console.log(`                             x${ratio("fast,env", "yaml,env")} (env view)`);
  console.log(`env view, yaml library path: x${ratio("yaml,env", "yaml,plain")}`);
  console.log(`env view, fast path:         x${ratio("fast,env", "fast,plain")}`);
  console.log(`block reader vs js-yaml:     x${ratio("block,plain", "js-yaml,plain")}`);
}
