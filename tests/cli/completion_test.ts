/**
 * The `__complete` engine: subcommands, flags and flag values derived from the
 * commander definition, Cobra's wire format, and the dynamic sources (contexts
 * from the kubeconfig, namespaces from kubectl).
 */
import assert from "node:assert/strict";
import { Command, Option } from "@commander-js/extra-typings";
import {
  complete,
  type CompletionSources,
  Directive,
  formatCompletion,
} from "../../src/cli/completion.ts";
import {
  kubeconfigEnvironment,
  listKubeconfigNames,
  listNamespaces,
} from "../../src/cli/completion_sources.ts";
import { buildProgram } from "../../src/cli/main.ts";
import { CEILING_MS, settlesWithin } from "../support/ceiling.ts";

/** A program shaped like ours, with every kind of option the engine distinguishes. */
function sampleProgram() {
  const collect = (v: string, prev: string[]) => [...prev, v];
  const program = new Command("kubectl falco-psp").version("1.2.3", "--version");
  program.addCommand(
    new Command("audit").description("Audit things\nsecond line")
      .option("-f, --filename <file>", "input file (repeatable)", collect, [] as string[])
      .option("-R, --recursive", "recurse")
      .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json"]))
      .option("-n, --namespace <namespace>", "namespace")
      .option("--context <name>", "kubeconfig context")
      .option("--kubeconfig <path>", "kubeconfig file")
      .option("--out-dir <dir>", "where to write")
      .option("--as <user>", "impersonate")
      .option("--color", "colour")
      .addOption(new Option("--secret-flag", "hidden").hideHelp()),
  );
  program.addCommand(
    new Command("convert").summary("Convert PSPs").argument("[inputs...]", "files")
      .addOption(new Option("--falco-version <v>", "target").choices(["0.27", "current"])),
  );
  program.addCommand(new Command("internal"), { hidden: true });
  return program;
}

/** Sources that record what they were asked and answer fixed names. */
function recordingSources() {
  const calls: string[] = [];
  const sources: CompletionSources = {
    kubeconfigNames: (kind, target) => {
      calls.push(`${kind} ${JSON.stringify(target)}`);
      return Promise.resolve([{ value: "prod", description: "cluster p" }, { value: "dev" }]);
    },
    namespaces: (target) => {
      calls.push(`namespaces ${JSON.stringify(target)}`);
      return Promise.resolve(["default", "kube-system", "team-a"]);
    },
  };
  return { calls, sources };
}

const values = (r: { suggestions: { value: string }[] }) => r.suggestions.map((s) => s.value);

Deno.test("subcommands at the root, hidden ones left out, filtered by prefix", async () => {
  const p = sampleProgram();
  const all = await complete(p, [""]);
  assert.deepEqual(values(all), ["audit", "convert", "help"]);
  assert.equal(all.directive, Directive.NoFileComp);
  assert.equal(all.suggestions[0].description, "Audit things");
  assert.equal(all.suggestions[1].description, "Convert PSPs");
  assert.deepEqual(values(await complete(p, ["co"])), ["convert"]);
  assert.deepEqual(values(await complete(p, ["help", ""])), ["audit", "convert"]);
});

Deno.test("flags come from the command's definition; given ones are not offered again", async () => {
  const p = sampleProgram();
  const longs = values(await complete(p, ["audit", "--"]));
  assert.deepEqual(longs, [
    "--filename",
    "--recursive",
    "--output",
    "--namespace",
    "--context",
    "--kubeconfig",
    "--out-dir",
    "--as",
    "--color",
    "--help",
  ]);
  const withShort = values(await complete(p, ["audit", "-"]));
  assert.ok(withShort.includes("-o") && withShort.includes("--output"));
  assert.ok(!withShort.includes("--secret-flag"), "hidden flags are not suggested");
  const after = values(await complete(p, ["audit", "-o", "json", "-f", "a.yaml", "--"]));
  assert.ok(!after.includes("--output"), "a single-valued flag is not repeated");
  assert.ok(after.includes("--filename"), "a repeatable flag is offered again");
  assert.deepEqual(values(await complete(p, ["--"])), ["--version", "--help"]);
});

Deno.test("flag values: choices, files, directories, nothing", async () => {
  const p = sampleProgram();
  const o = await complete(p, ["audit", "-o", ""]);
  assert.deepEqual(values(o), ["table", "json"]);
  assert.equal(o.directive, Directive.NoFileComp);
  assert.deepEqual(values(await complete(p, ["audit", "--output", "j"])), ["json"]);
  assert.deepEqual(values(await complete(p, ["convert", "--falco-version", ""])), [
    "0.27",
    "current",
  ]);
  // --flag=value keeps the flag in each suggestion.
  const eq = await complete(p, ["audit", "--output=t"]);
  assert.deepEqual(values(eq), ["--output=table"]);
  // Attached short value and combined short flags are read like commander reads them.
  assert.deepEqual(values(await complete(p, ["audit", "-ojson", "-Ro", ""])), ["table", "json"]);
  assert.equal((await complete(p, ["audit", "-f", ""])).directive, Directive.Default);
  assert.equal((await complete(p, ["audit", "--kubeconfig", ""])).directive, Directive.Default);
  assert.equal((await complete(p, ["audit", "--out-dir", ""])).directive, Directive.FilterDirs);
  const as = await complete(p, ["audit", "--as", ""]);
  assert.deepEqual(as, { suggestions: [], directive: Directive.NoFileComp });
});

Deno.test("positionals: file completion where the command takes files, none elsewhere", async () => {
  const p = sampleProgram();
  const conv = await complete(p, ["convert", ""]);
  assert.equal(conv.directive, Directive.Default);
  assert.deepEqual(values(conv), []);
  assert.equal((await complete(p, ["convert", "a.yaml", "--", "-x"])).directive, Directive.Default);
  const audit = await complete(p, ["audit", ""]);
  assert.equal(audit.directive, Directive.NoFileComp);
  // A value consumed by a flag is not a positional: the next word still completes flags.
  assert.ok(values(await complete(p, ["audit", "-o", "json", "--c"])).includes("--context"));
});

Deno.test("contexts and namespaces come from the sources, with the typed connection flags", async () => {
  const p = sampleProgram();
  const { calls, sources } = recordingSources();
  const ctx = await complete(p, ["audit", "--kubeconfig", "/k/c", "--context", "p"], sources);
  assert.deepEqual(ctx.suggestions, [{ value: "prod", description: "cluster p" }]);
  assert.equal(ctx.directive, Directive.NoFileComp);
  const ns = await complete(
    p,
    ["audit", "--context=dev", "--kubeconfig", "/k/c", "-n", "t"],
    sources,
  );
  assert.deepEqual(values(ns), ["team-a"]);
  assert.deepEqual(calls, [
    'contexts {"kubeconfig":"/k/c"}',
    'namespaces {"context":"dev","kubeconfig":"/k/c"}',
  ]);
});

Deno.test("wire format: value<TAB>description lines, then :directive", () => {
  const result = {
    suggestions: [{ value: "json", description: "JSON" }, { value: "yaml" }],
    directive: Directive.NoFileComp,
  };
  assert.equal(formatCompletion(result), "json\tJSON\nyaml\n:4\n");
  assert.equal(formatCompletion(result, false), "json\nyaml\n:4\n");
  assert.equal(formatCompletion({ suggestions: [], directive: 0 }), ":0\n");
});

Deno.test("the real program: its subcommands, and every flag with choices completes to them", async () => {
  const program = buildProgram();
  const top = values(await complete(program, [""]));
  for (const name of ["convert", "audit-pods", "completion"]) assert.ok(top.includes(name), name);
  assert.deepEqual(values(await complete(program, ["completion", ""])), ["bash", "zsh", "fish"]);
  let checked = 0;
  for (const cmd of program.commands) {
    for (const option of cmd.options) {
      if (!option.argChoices || option.hidden) continue;
      const flag = option.long ?? option.short!;
      const got = values(await complete(program, [cmd.name(), flag, ""]));
      assert.deepEqual(got, option.argChoices, `${cmd.name()} ${flag}`);
      checked++;
    }
  }
  assert.ok(checked > 0, "the real program has flags with choices");
  // kubectl's meanings: -R is --recursive (no value) in both commands, --as impersonates.
  const convertR = await complete(program, ["convert", "-R", ""]);
  assert.equal(convertR.directive, Directive.Default, "after -R: input files, not a value");
  assert.equal(
    (await complete(program, ["convert", "--rules-path", ""])).directive,
    Directive.Default,
  );
  const convertFlags = values(await complete(program, ["convert", "-"]));
  assert.ok(convertFlags.includes("--recursive") && convertFlags.includes("-R"));
  assert.ok(!convertFlags.includes("-r"), "the deprecated -r is not offered");
  const auditFlags = (await complete(program, ["audit-pods", "--"])).suggestions;
  const described = (flag: string) => auditFlags.find((s) => s.value === flag)?.description ?? "";
  assert.match(described("--as"), /impersonate/);
  assert.match(described("--creator"), /the user creating the pods/);
  assert.equal(
    (await complete(program, ["audit-pods", "-R", "--c"])).suggestions.some((s) =>
      s.value === "--creator"
    ),
    true,
  );
  // The output formats for audit-pods.
  const formats = values(await complete(program, ["audit-pods", "-o", ""]));
  assert.ok(formats.includes("json") && formats.includes("yaml"), formats.join(","));
});

Deno.test("kubeconfig: KUBECONFIG list merged (first wins), --kubeconfig overrides, bad files skipped", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const a = `${dir}/a`, b = `${dir}/b`, bad = `${dir}/bad`;
    Deno.writeTextFileSync(
      a,
      `apiVersion: v1
kind: Config
contexts:
- name: prod
  context: {cluster: c1, user: admin, namespace: web}
- name: dev
  context: {cluster: c2, user: me}
clusters: [{name: c1, cluster: {server: "https://1.2.3.4"}}]
users: [{name: admin, user: {token: SECRET-TOKEN}}]
`,
    );
    Deno.writeTextFileSync(b, "contexts:\n- name: dev\n  context: {cluster: other}\n- name: qa\n");
    Deno.writeTextFileSync(bad, "contexts: [unclosed\n");
    const env = (list: string) =>
      kubeconfigEnvironment((n) => n === "KUBECONFIG" ? list : undefined, "linux");
    const contexts = listKubeconfigNames("contexts", {}, env(`${bad}:${a}::${dir}/missing:${b}`));
    assert.deepEqual(contexts, [
      { value: "prod", description: "cluster c1, namespace web" },
      { value: "dev", description: "cluster c2" },
      { value: "qa", description: undefined },
    ]);
    assert.ok(!JSON.stringify(contexts).includes("SECRET"));
    assert.deepEqual(
      listKubeconfigNames("contexts", { kubeconfig: b }, env(a)).map((c) => c.value),
      ["dev", "qa"],
    );
    assert.deepEqual(listKubeconfigNames("users", {}, env(a)), [{ value: "admin" }]);
    assert.deepEqual(listKubeconfigNames("clusters", {}, env(a)), [{ value: "c1" }]);
    // No KUBECONFIG: ~/.kube/config of HOME.
    Deno.mkdirSync(`${dir}/.kube`);
    Deno.copyFileSync(b, `${dir}/.kube/config`);
    const home = kubeconfigEnvironment((n) => n === "HOME" ? dir : undefined);
    assert.deepEqual(listKubeconfigNames("contexts", {}, home).map((c) => c.value), ["dev", "qa"]);
    assert.equal(kubeconfigEnvironment(() => undefined, "windows").delimiter, ";");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("namespaces: the typed connection flags reach the lister; failures and hangs give none", async () => {
  let seen: unknown;
  const names = await listNamespaces({ kubeconfig: "/k", context: "prod" }, (target) => {
    seen = target;
    return Promise.resolve(["kube-system", "default", "Bad_Name"]);
  });
  assert.deepEqual(names, ["default", "kube-system"]);
  assert.deepEqual(seen, { kubeconfig: "/k", context: "prod" });
  assert.deepEqual(await listNamespaces({}, () => Promise.reject(new Error("403"))), []);
  // a lister that never answers: the 200 ms timeout gives up (the ceiling only guards a hang)
  assert.deepEqual(
    await settlesWithin(
      "listNamespaces with a 200 ms timeout",
      listNamespaces({}, () => new Promise(() => {}), 200),
    ),
    [],
  );
});

/** A kubeconfig pointing at `server` with a bearer token (client-node wants skip-TLS for http). */
function kubeconfigFor(dir: string, server: string): string {
  const path = `${dir}/config`;
  Deno.writeTextFileSync(
    path,
    `apiVersion: v1
kind: Config
current-context: local
contexts: [{name: local, context: {cluster: local, user: me}}]
clusters: [{name: local, cluster: {server: "${server}", insecure-skip-tls-verify: ${
      server.startsWith("http:")
    }}}]
users: [{name: me, user: {token: test-token}}]
`,
  );
  return path;
}

Deno.test("namespaces from a real API endpoint on loopback, through the cluster module", async () => {
  const dir = await Deno.makeTempDir();
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    requests.push(`${new URL(req.url).pathname} ${req.headers.get("authorization")}`);
    return Response.json({
      kind: "NamespaceList",
      apiVersion: "v1",
      metadata: {},
      items: ["default", "team-b", "team-a"].map((name) => ({ metadata: { name } })),
    });
  });
  try {
    const kubeconfig = kubeconfigFor(dir, `http://127.0.0.1:${server.addr.port}`);
    // The real cluster client, with the test ceiling instead of the 5 s a shell waits: loading
    // the client library on a loaded machine can take longer, and then the answer is empty.
    const sources: CompletionSources = {
      kubeconfigNames: (kind, target) => Promise.resolve(listKubeconfigNames(kind, target)),
      namespaces: (target) => listNamespaces(target, undefined, CEILING_MS),
    };
    const r = await complete(
      sampleProgram(),
      ["audit", "--kubeconfig", kubeconfig, "-n", "team"],
      sources,
    );
    assert.deepEqual(r, {
      suggestions: [{ value: "team-a" }, { value: "team-b" }],
      directive: Directive.NoFileComp,
    });
    assert.deepEqual(requests, ["/api/v1/namespaces Bearer test-token"]);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("namespaces: an unreachable server fails quietly, without hanging", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const kubeconfig = kubeconfigFor(dir, "https://127.0.0.1:1");
    assert.deepEqual(
      await settlesWithin(
        "listNamespaces of an unreachable server",
        listNamespaces({ kubeconfig }),
      ),
      [],
    );
    const r = await complete(sampleProgram(), ["audit", "--kubeconfig", kubeconfig, "-n", ""]);
    assert.deepEqual(r, { suggestions: [], directive: Directive.NoFileComp });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
