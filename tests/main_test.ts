import assert from "node:assert/strict";
import { runDeno } from "./support/cli.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const CLIENT_NODE = /^npm:\/?@kubernetes\/client-node@/;

interface Dependency {
  specifier: string;
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface ModuleGraph {
  roots: string[];
  modules: { specifier: string; dependencies?: Dependency[] }[];
}

/** main.ts's module graph as `deno info --json` reports it. */
async function moduleGraph(): Promise<ModuleGraph> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", MAIN],
    env: { NO_COLOR: "1" },
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("startup: @kubernetes/client-node is not loaded by main.ts's static imports, only on connecting", async () => {
  const graph = await moduleGraph();
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  const staticReach = new Set(graph.roots);
  const dynamicImports: [string, string][] = [];
  const queue = [...graph.roots];
  while (queue.length) {
    const from = queue.shift()!;
    for (const dep of modules.get(from)?.dependencies ?? []) {
      const target = dep.code?.specifier; // type-only imports have no code
      if (!target) continue;
      if (dep.isDynamic) dynamicImports.push([from, target]);
      else if (!staticReach.has(target)) {
        staticReach.add(target);
        queue.push(target);
      }
    }
  }
  const loadedAtStartup = [...staticReach].filter((s) => CLIENT_NODE.test(s));
  assert.deepEqual(loadedAtStartup, [], "client-node must not be imported statically");
  // ... but still part of the program (deno compile --bundle follows the dynamic import).
  assert.deepEqual(
    dynamicImports.filter(([, t]) => CLIENT_NODE.test(t)).map(([from]) => from),
    [new URL("../src/cluster/kubeconfig.ts", import.meta.url).href],
    "client-node is imported dynamically where the connection is built",
  );
});

Deno.test("the bundled program (deno compile --bundle) still loads client-node when it connects", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close(); // nothing listens there now: connection refused
    await Deno.writeTextFile(
      `${dir}/kubeconfig`,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: `https://127.0.0.1:${port}` } }],
        users: [{ name: "u", user: { token: "t0ken-never-printed" } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      }),
    );
    const run = (args: string[]) => runDeno(args, { cwd: dir });
    const config = new URL("../deno.json", import.meta.url).pathname;
    // The same esbuild bundling `deno compile --bundle` does (see scripts/compile.ts).
    const built = await run([
      "bundle",
      "--platform",
      "deno",
      "--config",
      config,
      "-o",
      "b.mjs",
      MAIN,
    ]);
    assert.equal(built.code, 0, built.stderr);
    const args = ["convert", "--kubeconfig", `${dir}/kubeconfig`];
    const bundled = await run(["run", "-A", `${dir}/b.mjs`, ...args]);
    const source = await run(["run", "-A", "--config", config, MAIN, ...args]);
    // A missing client-node in the bundle would fail before any connection attempt.
    assert.match(source.stderr, /cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+/);
    assert.deepEqual(bundled, source);
    assert.equal(bundled.code, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
