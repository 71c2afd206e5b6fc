/**
 * Lists streamed item by item (issue 10.1) give what reading each document whole gives: the
 * parallel audit (pool.ts, which streams a List's items through the batches) against the
 * one-thread audit (run.ts auditPods, which reads every document whole, as before), on Lists
 * as `kubectl get -o json|yaml` prints them made from real material, and on edge cases and
 * seeded mutations of them: the same report, the same warnings in the same order, the same
 * error text (and so the same exit code).
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { type FileInputOptions, fileInputs } from "../../src/audit/inputs.ts";
import { auditPods, auditPodsInParallel } from "../../src/audit/run.ts";
import { CliError } from "../../src/io/errors.ts";
import { streamDocumentsAndListItems } from "../../src/io/stream.ts";
import type { AuditReport } from "../../src/report/model.ts";
import { ORACLE_DIR, sharedOrIgnore } from "../support/shared.ts";
import { runDeno } from "../support/cli.ts";
import { seededRandom } from "../fuzz/random.ts";

type Obj = Record<string, unknown>;
const corpus = JSON.parse(
  await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR)),
) as { psps: Obj[]; pods: (Obj & { metadata: Obj; spec: Obj })[] };
const REALWORLD = sharedOrIgnore("oracle/realworld/corpus.json", import.meta.url);

/** A List as kubectl prints it: keys apiVersion, items, kind, metadata. */
function listOf(items: unknown[], kind = "List"): Obj {
  return { apiVersion: "v1", items, kind, metadata: { resourceVersion: "" } };
}
/** `kubectl get -o json`: 4-space indent. */
const kubectlJson = (o: unknown) => JSON.stringify(o, null, 4) + "\n";
/** `kubectl get -o yaml`: sequences at their key's column, no anchors. */
const kubectlYaml = (o: unknown) =>
  stringify(o, { indentSeq: false, aliasDuplicateObjects: false, lineWidth: 0 });

/** Corpus pods from `from`, `n` of them, renamed (the i-th named `p<i>`), in a few namespaces. */
function pods(n: number, from = 0): Obj[] {
  const out: Obj[] = [];
  for (let i = 0; i < n; i++) {
    const base = corpus.pods[(from + i) % corpus.pods.length];
    out.push({
      ...base,
      metadata: { ...base.metadata, name: `p${i}`, namespace: `ns-${i % 3}` },
    });
  }
  return out;
}

/** Workloads whose pod template is a corpus pod's spec. */
function workloads(kind: "Deployment" | "DaemonSet" | "Job", n: number): Obj[] {
  return pods(n, 40).map((p) => {
    const name = (p.metadata as Obj).name as string;
    const labels = { app: name };
    const spec = p.spec as Obj;
    const template = {
      metadata: { labels },
      spec: kind === "Job" ? { ...spec, restartPolicy: "Never" } : spec,
    };
    return {
      apiVersion: kind === "Job" ? "batch/v1" : "apps/v1",
      kind,
      metadata: p.metadata,
      spec: kind === "Job" ? { template } : {
        ...(kind === "Deployment" ? { replicas: 3 } : {}),
        selector: { matchLabels: labels },
        template,
      },
    };
  });
}

let dir = "";
let pspFile = "";
async function setup(): Promise<void> {
  if (dir) return;
  dir = await Deno.makeTempDir({ prefix: "pool_list_" });
  pspFile = `${dir}/psps.yaml`;
  await Deno.writeTextFile(
    pspFile,
    corpus.psps.slice(0, 12).map((p) => stringify(p)).join("---\n"),
  );
}

function options(filename: string[], extra: Partial<FileInputOptions> = {}): FileInputOptions {
  return {
    pspFile: [pspFile],
    filename,
    recursive: false,
    auditLog: [],
    rbacFile: [],
    creatorGroups: [],
    ...extra,
  };
}

/** What one audit gave: the report or the error's text, and the warnings. */
interface Outcome {
  report?: AuditReport;
  error?: string;
  warnings: string[];
}

/**
 * The audit of `opts`: `jobs` 0 is the one-thread audit (documents read whole); `positions`:
 * with the input positions SARIF prints.
 */
async function audit(opts: FileInputOptions, jobs: number, positions = false): Promise<Outcome> {
  const warnings: string[] = [];
  const inputs = fileInputs(opts, (m) => warnings.push(m));
  const policies = await inputs.policies();
  try {
    const report = jobs === 0
      ? await auditPods(policies, inputs, undefined, undefined, { positions })
      : await auditPodsInParallel(
        policies,
        { documents: inputs.documents! },
        undefined,
        undefined,
        {
          jobs,
          warn: (m) => warnings.push(m),
          ...(positions ? { positions } : {}),
        },
      );
    return { report, warnings };
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    return { error: e.message, warnings };
  }
}

/**
 * Asserts that the parallel audit (Lists streamed) with each of `jobs` gives the one-thread
 * audit's outcome; returns it. `before` runs before each audit (a FIFO's writer).
 */
async function assertSame(
  what: string,
  opts: FileInputOptions,
  jobs = [1],
  before?: () => Promise<void>,
): Promise<Outcome> {
  const wait = before?.();
  const whole = await audit(opts, 0);
  await wait;
  for (const j of jobs) {
    const wait = before?.();
    const streamed = await audit(opts, j);
    await wait;
    assert.deepEqual(streamed, whole, `${what}, jobs ${j}`);
  }
  return whole;
}

/** How many List items streamDocumentsAndListItems gives for a file (to see that it streams). */
async function streamedItems(file: string): Promise<number> {
  let n = 0;
  for await (const d of streamDocumentsAndListItems(file)) {
    if (d.format === "json-list-item" || d.format === "yaml-list-item") n++;
  }
  return n;
}

async function write(name: string, text: string | Uint8Array): Promise<string> {
  const path = `${dir}/${name}`;
  if (typeof text === "string") await Deno.writeTextFile(path, text);
  else await Deno.writeFile(path, text);
  return path;
}

Deno.test("Lists of the oracle corpus pods and of workloads, JSON and YAML: streamed, same report and warnings", async () => {
  await setup();
  const cases: [string, Obj][] = [
    ["pods", listOf(pods(corpus.pods.length))],
    ["PodList", listOf(pods(60, 7), "PodList")],
    ["DeploymentList", listOf(workloads("Deployment", 30), "DeploymentList")],
    ["DaemonSetList", listOf(workloads("DaemonSet", 30), "DaemonSetList")],
    ["JobList", listOf(workloads("Job", 30), "JobList")],
  ];
  for (const [name, list] of cases) {
    for (const [ext, text] of [["json", kubectlJson(list)], ["yaml", kubectlYaml(list)]]) {
      const file = await write(`${name}.${ext}`, text);
      const n = (list.items as unknown[]).length;
      assert.equal(await streamedItems(file), n, `${name}.${ext} streams its ${n} items`);
      const r = await assertSame(`${name}.${ext}`, options([file]));
      assert.ok(r.report && r.report.items.length > 0, `${name}.${ext}: a report`);
    }
  }
});

Deno.test("a big List (1,000 pods with unknown fields and other kinds) in worker threads: same report and warnings", async () => {
  await setup();
  const items: Obj[] = pods(1000);
  items[10] = { ...items[10], spec: { ...items[10].spec as Obj, notAField: 1 } };
  items[900] = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { a: "b" } };
  for (
    const [ext, text] of [["json", kubectlJson(listOf(items))], [
      "yaml",
      kubectlYaml(listOf(items)),
    ]]
  ) {
    const file = await write(`big.${ext}`, text);
    const r = await assertSame(`big.${ext}`, options([file]), [1, 2]);
    assert.ok(r.warnings.some((w) => w.includes("notAField")), r.warnings.join("\n"));
    assert.ok(r.warnings.some((w) => w.includes("ConfigMap x1")), r.warnings.join("\n"));
  }
});

Deno.test({
  name: "Lists of the real-world corpus pods, JSON and YAML: same report and warnings",
  ignore: REALWORLD.ignore,
  fn: async () => {
    await setup();
    const real = JSON.parse(await Deno.readTextFile(REALWORLD.url)) as { pods: Obj[] };
    const list = listOf(real.pods);
    for (const [ext, text] of [["json", kubectlJson(list)], ["yaml", kubectlYaml(list)]]) {
      const file = await write(`realworld.${ext}`, text);
      assert.equal(await streamedItems(file), real.pods.length);
      await assertSame(`realworld.${ext}`, options([file]), [1, 2]);
    }
  },
});

/** Ten corpus pods, the 8th (item 7) named `seven`. */
function ten(): Obj[] {
  const out = pods(10);
  out[7] = { ...out[7], metadata: { ...out[7].metadata as Obj, name: "seven" } };
  return out;
}

/** Edge cases, as file texts: what reading them whole gives is what streaming must give. */
function edgeCases(): [string, string][] {
  const json = kubectlJson(listOf(ten()));
  const yaml = kubectlYaml(listOf(ten()));
  const one = pods(1)[0];
  return [
    ["json items []", kubectlJson(listOf([]))],
    ["yaml items []", kubectlYaml(listOf([]))],
    ["json items null", kubectlJson(listOf(null as unknown as []))],
    ["yaml items null", "apiVersion: v1\nitems:\nkind: List\nmetadata: {}\n"],
    ["json nested List", kubectlJson(listOf([one, listOf([one]), one]))],
    ["yaml nested List", kubectlYaml(listOf([one, listOf([one]), one]))],
    [
      "yaml flow style",
      `apiVersion: v1\nitems: [${JSON.stringify(one)}, ${JSON.stringify(one)}]\nkind: List\n`,
    ],
    [
      "yaml flow items",
      `apiVersion: v1\nitems:\n- ${
        JSON.stringify(one)
      }\n- {apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {containers: [{name: a, image: b}]}}\nkind: List\n`,
    ],
    ["json CRLF", json.replaceAll("\n", "\r\n")],
    ["yaml CRLF", yaml.replaceAll("\n", "\r\n")],
    [
      "yaml comments",
      yaml.replace("items:\n", "items: # the pods\n# first\n").replaceAll(
        "\n- apiVersion",
        "\n# next\n\n- apiVersion",
      ),
    ],
    ["json comment line", json.replace("\n        {\n", "\n# c\n        {\n")],
    ["json syntax error in item 7", json.replace('"name": "seven",', '"name": "seven"')],
    ["json unclosed string in item 7", json.replace('"name": "seven",', '"name": "seven,')],
    ["yaml syntax error in item 7", yaml.replace("name: seven", 'name: "seven')],
    [
      "yaml bad indentation in item 7",
      yaml.replace("    name: seven", "     name: seven\n   x: 1"),
    ],
    ["yaml tab in item 7", yaml.replace("    name: seven", "\tname: seven")],
    ["json non-mapping item", kubectlJson(listOf([one, "a string", one]))],
    ["yaml non-mapping item", kubectlYaml(listOf([one, "a string", one]))],
    ["yaml null item", kubectlYaml(listOf([one, null, one]))],
    ["yaml empty entry", yaml.replace("\n- apiVersion", "\n-\n- apiVersion")],
    [
      "json metadata before items",
      kubectlJson({
        apiVersion: "v1",
        metadata: { resourceVersion: "1" },
        items: ten(),
        kind: "List",
      }),
    ],
    [
      "yaml metadata before items",
      kubectlYaml({
        apiVersion: "v1",
        metadata: { resourceVersion: "1" },
        items: ten(),
        kind: "List",
      }),
    ],
    ["json kind missing", kubectlJson({ apiVersion: "v1", items: ten() })],
    ["yaml kind missing", kubectlYaml({ apiVersion: "v1", items: ten() })],
    ["json kind Pod with items", kubectlJson({ ...one, items: ten() })],
    [
      "yaml kind Pod with items",
      kubectlYaml({
        apiVersion: "v1",
        items: ten(),
        kind: "Pod",
        metadata: { name: "x" },
        spec: one.spec,
      }),
    ],
    ["json kind not a string", kubectlJson({ apiVersion: "v1", items: ten(), kind: 7 })],
    ["json items twice", json.replace('"kind": "List",', '"items": [],\n    "kind": "List",')],
    ["yaml items twice", yaml.replace("kind: List", "items: []\nkind: List")],
    ["yaml List in a stream", `${kubectlYaml(one)}---\n${yaml}---\n${kubectlYaml(one)}`],
    ["json List in a stream", `${kubectlYaml(one)}---\n${json}---\n${kubectlJson(listOf(ten()))}`],
    ["yaml List ended by ...", `${yaml}...\n---\n${kubectlYaml(one)}`],
    ["yaml anchors across items", stringify(listOf([one, one, one]), { indentSeq: false })],
    [
      "yaml merge key",
      yaml.replace(
        "- apiVersion: v1\n  kind: Pod\n",
        "- apiVersion: v1\n  kind: Pod\n  <<: {x: 1}\n",
      ),
    ],
    [
      "yaml indented items",
      stringify(listOf(ten()), { indentSeq: true, aliasDuplicateObjects: false }),
    ],
    ["json two items on a line", json.replace("},\n        {", "}, {")],
    ["json blank line between items", json.replace("},\n        {", "},\n\n        {")],
    ["json missing comma between items", json.replace("},\n        {", "}\n        {")],
    ["json trailing comma", json.replace(/}\n {4}\],/, "},\n    ],")],
    [
      "json odd values",
      kubectlJson(listOf([{ ...one, x: -0, y: 1e300, z: "é\tü", "<<": 1 }, one])),
    ],
    [
      "json negative zero",
      json.replace(
        '"apiVersion": "v1",\n            "kind"',
        '"apiVersion": "v1",\n            "n": -0,\n            "kind"',
      ),
    ],
    [
      "json big exponent",
      json.replace(
        '"apiVersion": "v1",\n            "kind"',
        '"apiVersion": "v1",\n            "n": 1e400,\n            "kind"',
      ),
    ],
    [
      "json duplicate key in item 7",
      json.replace('"name": "seven",', '"name": "seven",\n                "name": "again",'),
    ],
    [
      "json duplicate key, and a quote before a colon in a string",
      json.replace('"name": "seven",', '"name": "seven",\n                "name": "a\\":b",'),
    ],
    [
      "json duplicate key written with a space before its colon",
      json.replace('"name": "seven",', '"name": "seven",\n                "name" : "again",'),
    ],
    [
      "json a key with a space before its colon",
      json.replace('"name": "seven",', '"name" : "seven",'),
    ],
    [
      "unknown field in item 3, missing containers in item 5",
      kubectlJson(
        listOf([...pods(3), { ...one, spec: { ...one.spec as Obj, bogus: true } }, one, {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "bare" },
          spec: {},
        }, one]),
      ),
    ],
    [
      "missing containers in item 3, syntax error in item 7",
      kubectlJson(
        listOf([
          ...pods(3),
          { apiVersion: "v1", kind: "Pod", metadata: { name: "bare" }, spec: {} },
          ...ten().slice(4),
        ]),
      ).replace('"name": "seven",', '"name": "seven"'),
    ],
    [
      "yaml item without kind",
      kubectlYaml(listOf([one, { apiVersion: "v1", metadata: { name: "n" } }, one])),
    ],
    ["json unterminated List", json.slice(0, json.indexOf('"name": "seven"'))],
    ["yaml document marker in an item", yaml.replace("    name: seven", "    name: seven\n---\n")],
  ];
}

Deno.test("List edge cases: streaming gives the whole document's report, warnings and error", async () => {
  await setup();
  const cases = edgeCases();
  const files: string[] = [];
  for (const [i, [what, text]] of cases.entries()) {
    const file = await write(`edge-${i}.${what.startsWith("json") ? "json" : "yaml"}`, text);
    files.push(file);
    await assertSame(what, options([file]));
  }
  // the same errors and warnings-as-skips where files come from a directory (lenient)
  const sub = `${dir}/edges`;
  await Deno.mkdir(sub);
  for (const [i, [what, text]] of cases.entries()) {
    await Deno.writeTextFile(`${sub}/edge-${String(i).padStart(2, "0")}.yaml`, text);
    void what;
  }
  const lenient = await assertSame("edge cases in a directory", options([sub]));
  assert.ok(
    lenient.warnings.some((w) => w.includes("skipped; --strict")),
    lenient.warnings.join("\n"),
  );
  // -n selects items as it selects documents
  const list = await write("select.yaml", kubectlYaml(listOf(pods(20))));
  await assertSame("-n ns-1", options([list], { selection: { namespace: "ns-1" } }));
  await assertSame("-l x=y", options([list], { selection: { selector: "x=y" } }));
});

Deno.test("a List syntax error in item 7 of 10 is the whole document's error (JSON and YAML)", async () => {
  await setup();
  const json = await write(
    "seven.json",
    kubectlJson(listOf(ten())).replace('"name": "seven",', '"name": "seven"'),
  );
  const yaml = await write(
    "seven.yaml",
    kubectlYaml(listOf(ten())).replace("name: seven", 'name: "seven'),
  );
  for (const file of [json, yaml]) {
    const r = await assertSame(file, options([file]));
    const escaped = file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    assert.match(
      r.error ?? "",
      new RegExp(`^${escaped} \\(document 1, line \\d+:\\d+\\): invalid YAML/JSON`),
    );
  }
});

/** Bytes gzip-compressed. */
async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("a gzip-compressed List, and a List read from a FIFO (input that cannot be read again): same outcome", async () => {
  await setup();
  const good = kubectlJson(listOf(pods(120)));
  const bad = kubectlYaml(listOf(ten())).replace("name: seven", 'name: "seven');
  const notList = kubectlJson({ apiVersion: "v1", items: ten() });
  for (const [what, text] of [["good", good], ["bad", bad], ["not a List", notList]]) {
    const gz = await write(`list-${what}.json.gz`, await gzip(text));
    await assertSame(`gzip ${what}`, options([gz]));
    const fifo = `${dir}/fifo-${what.replaceAll(" ", "-")}`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.equal(made.code, 0, "mkfifo");
    await assertSame(`FIFO ${what}`, options([fifo]), [1], () => Deno.writeTextFile(fifo, text));
  }
});

Deno.test("a List on stdin (the CLI): the same exit code, warnings and error text in every format", async () => {
  await setup();
  const root = new URL("../../", import.meta.url).pathname;
  const run = (args: string[], stdin: string) =>
    runDeno(["run", "-A", "main.ts", "audit-pods", "--psp-file", pspFile, "-f", "-", ...args], {
      cwd: root,
      stdin,
      env: { KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" },
    });
  const items = pods(30);
  items[4] = { ...items[4], spec: { ...items[4].spec as Obj, notAField: 1 } };
  const good = kubectlJson(listOf(items));
  const bad = kubectlYaml(listOf(ten())).replace("name: seven", 'name: "seven');
  for (const text of [good, bad]) {
    // SARIF is audited in this thread; JSON by the workers
    const sarif = await run(["-o", "sarif"], text);
    const streamed = await run(["-o", "json"], text);
    assert.equal(streamed.code, sarif.code, streamed.stderr);
    assert.equal(streamed.stderr, sarif.stderr);
  }
  const ok = await run(["-o", "json"], good);
  assert.equal(
    JSON.parse(ok.stdout).items.reduce((n: number, i: { pods: number }) => n + i.pods, 0),
    30,
  );
});

Deno.test("SARIF's input positions: Lists streamed in this thread give the one-thread audit's report", async () => {
  await setup();
  const items = pods(corpus.pods.length);
  items[3] = { ...items[3], spec: { ...items[3].spec as Obj, notAField: 1 } };
  const list = listOf(items);
  const files = [
    await write("pos.json", kubectlJson(list)),
    await write("pos.yaml", kubectlYaml(list)),
    await write(
      "pos-deploy.yaml",
      kubectlYaml(listOf(workloads("Deployment", 30), "DeploymentList")),
    ),
    await write("pos-not-list.json", kubectlJson({ apiVersion: "v1", items: ten() })),
    await write("pos-bad.yaml", kubectlYaml(listOf(ten())).replace("name: seven", 'name: "seven')),
    await write("pos-stream.yaml", items.slice(0, 40).map((p) => stringify(p)).join("---\n")),
  ];
  for (const file of files) {
    const opts = options([file]);
    const whole = await audit(opts, 0, true);
    const streamed = await audit(opts, 1, true);
    assert.deepEqual(streamed, whole, file);
  }
  // the positions are there: the refused pods' fields, at their lines in the List's file
  const { report } = await audit(options([files[0]]), 1, true);
  const located = report!.items.filter((i) => Object.keys(i.location?.fields ?? {}).length > 0);
  assert.ok(located.length >= 5, `${located.length} rows with positions`);
  assert.ok(await streamedItems(files[0]) === items.length);
});

Deno.test("-o sarif on a kubectl JSON List: a field of item N at its line and column in the file", async () => {
  await setup();
  const root = new URL("../../", import.meta.url).pathname;
  const items = pods(corpus.pods.length);
  const file = await write("sarif.json", kubectlJson(listOf(items)));
  const r = await runDeno(
    [
      "run",
      "-A",
      "main.ts",
      "audit-pods",
      "--psp-file",
      pspFile,
      "--policy",
      "restricted",
      "-f",
      file,
      "-o",
      "sarif",
    ],
    { cwd: root, env: { KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" } },
  );
  assert.equal(r.code, 1, r.stderr);
  const lines = (await Deno.readTextFile(file)).split("\n");
  const results = JSON.parse(r.stdout).runs[0].results as {
    ruleId: string;
    message: { text: string };
    locations: { physicalLocation: { region: { startLine: number; startColumn?: number } } }[];
  }[];
  let checked = 0;
  for (const res of results.filter((x) => x.ruleId === "privileged")) {
    const name = /^Pod ns-\d\/(p\d+)\b/.exec(res.message.text)?.[1];
    if (!name) continue;
    const region = res.locations[0].physicalLocation.region;
    const line = lines[region.startLine - 1];
    assert.match(line, /"privileged": true/, res.message.text);
    assert.equal(region.startColumn, line.indexOf("true") + 1);
    // the line lies inside item N: the nearest `"name": "p<N>"` above it is the pod's
    const above = lines.slice(0, region.startLine).findLast((l) => /^ {16}"name": "p\d+"/.test(l));
    assert.equal(above?.trim(), `"name": "${name}",`, res.message.text);
    checked++;
  }
  assert.ok(checked >= 3, `${checked} privileged fields located`);
});

const JUNK = [
  "",
  " ",
  ",",
  "{",
  "}",
  "]",
  '"',
  "- ",
  "-",
  "# c",
  "&a ",
  "*a",
  "!!str ",
  "x: 1",
  "  y: [1,",
  "\t",
  "...",
  "---",
  "kind: List",
  '"kind": "Pod",',
  "items:",
  '"items": [',
  "<<: {}",
];

Deno.test("seeded mutations of Lists (240 cases, JSON and YAML): streaming gives the whole document's outcome", async () => {
  await setup();
  let streamedCases = 0;
  for (let seed = 1; seed <= 240; seed++) {
    const r = seededRandom(seed);
    const n = 1 + Math.floor(r() * 8);
    const items = pods(n, Math.floor(r() * corpus.pods.length));
    const list = listOf(items, ["List", "PodList", "List"][Math.floor(r() * 3)]);
    let lines = (seed % 2 ? kubectlJson(list) : kubectlYaml(list)).split("\n");
    const mutations = Math.floor(r() * 3);
    for (let m = 0; m < mutations; m++) {
      const at = Math.floor(r() * lines.length);
      const op = Math.floor(r() * 5);
      const junk = JUNK[Math.floor(r() * JUNK.length)];
      if (op === 0) lines.splice(at, 1);
      else if (op === 1) lines.splice(at, 0, lines[at] ?? "");
      else if (op === 2) lines.splice(at, 0, junk);
      else if (op === 3) {
        const l = lines[at] ?? "";
        const c = Math.floor(r() * (l.length + 1));
        lines[at] = l.slice(0, c) + junk + l.slice(c);
      } else lines = lines.map((l, i) => i === at ? l.replace(/^ {2}/, "") : l);
    }
    const text = lines.join(r() < 0.1 ? "\r\n" : "\n");
    const file = await write(`fuzz.${seed % 2 ? "json" : "yaml"}`, text);
    if (await streamedItems(file) > 0) streamedCases++;
    await assertSame(`seed ${seed}`, options([file]));
  }
  // most cases are streamed (not all read whole)
  assert.ok(streamedCases > 150, `${streamedCases} of 240 streamed`);
});

globalThis.addEventListener("unload", () => {
  if (dir) Deno.removeSync(dir, { recursive: true });
});
