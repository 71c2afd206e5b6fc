import assert from "node:assert/strict";

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
