/**
 * End-to-end tests of `kubectl falco-psp audit-pods`: main.ts runs as a
 * subprocess of the deno running the tests; output and exit codes are checked.
 * The audit core in-process: tests/audit/run_test.ts.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { checkImpersonation } from "../../src/cli/audit_pods.ts";
import { type DenoRun, runDeno } from "../support/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FX = "fixtures/audit/";

function auditPods(args: string[], stdin?: string): Promise<DenoRun> {
  return runDeno(["run", "-A", "main.ts", "audit-pods", ...args], {
    cwd: ROOT,
    stdin,
    // No cluster: these tests are about file inputs, whatever kubeconfig the machine has.
    env: { KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" },
  });
}

const WORKLOADS = ["--psp-file", `${FX}psps.yaml`, "-f", `${FX}workloads.yaml`];

interface Item {
  kind: string;
  namespace: string;
  name: string;
  source: { file: string; line?: number; document?: number; display: string };
  pods: number | null;
  verdict: string;
  policy: string | null;
  results: { policy: string; allowed: boolean; violations: { text: string }[] }[];
  admitted: {
    metadata: { annotations: Record<string, string> };
    spec: { containers: { securityContext: Record<string, unknown> }[] };
  } | null;
}

/** Writes `<dir>/rbac.yaml` letting the service accounts of `namespace` use PSP "restricted". */
async function useRestrictedRbac(dir: string, namespace: string): Promise<string> {
  const rbac = `${dir}/rbac.yaml`;
  await Deno.writeTextFile(
    rbac,
    `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: use-restricted}
rules: [{apiGroups: [policy], resources: [podsecuritypolicies], verbs: [use], resourceNames: [restricted]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${namespace}-restricted, namespace: ${namespace}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: use-restricted}
subjects: [{kind: Group, name: "system:serviceaccounts:${namespace}"}]
`,
  );
  return rbac;
}
function item(items: Item[], kind: string, name: string): Item {
  const found = items.filter((i) => i.kind === kind && i.name === name);
  assert.equal(found.length, 1, `one item for ${kind}/${name}`);
  return found[0];
}

Deno.test("table: one row per workload, refused and changed only, exit 1 when refused", async () => {
  const r = await auditPods([...WORKLOADS, "--policy", "restricted"]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^NAMESPACE\s+WORKLOAD\s+PODS\s+VERDICT\s+PSP\s+REASONS$/);
  const row = (w: string) => lines.find((l) => l.includes(` ${w} `)) ?? "";
  assert.match(
    row("Deployment/web"),
    /^shop\s+Deployment\/web\s+3\s+changed\s+restricted\s+spec\./,
  );
  assert.match(
    row("StatefulSet/db"),
    /^shop\s+StatefulSet\/db\s+2\s+refused\s+-\s+restricted: spec\.containers\[0\]\.securityContext\.privileged: Invalid value: true: Privileged containers are not allowed$/,
  );
  assert.match(
    row("DaemonSet/node-exporter"),
    /^monitoring\s+DaemonSet\/node-exporter\s+per node\s+refused\s+-\s+restricted: spec\.securityContext\.hostNetwork: .*\(\+2 more\)$/,
  );
  assert.match(
    row("CronJob/report"),
    /\s1 per run\s+refused .*spec\.initContainers\[0\]\.securityContext\.privileged/,
  );
  assert.match(row("ReplicationController/legacy"), /\s0\s+changed\s/);
  assert.ok(
    !lines.some((l) => /ReplicaSet\/|Pod\/web-/.test(l)),
    "the ReplicaSet and its pods collapse into the Deployment",
  );
  assert.match(row("Job/migrate"), /\s1\s+(refused|changed)\s/);
  assert.equal(lines.at(-1), "7 workloads (6 pods): 4 refused, 3 changed, 0 admitted");
  assert.ok(!r.stdout.includes("\x1b["), "no colour when stdout is not a terminal");
  assert.match(r.stderr, /warning: skipped objects that hold no pod \(ConfigMap x1\)/);
});

Deno.test("table with every PSP: all admitted unchanged by privileged, exit 0; --show-admitted lists them", async () => {
  const quiet = await auditPods(WORKLOADS);
  assert.equal(quiet.code, 0);
  assert.match(quiet.stdout, /^No refused or changed pods/);
  const r = await auditPods([...WORKLOADS, "--show-admitted"]);
  assert.equal(r.code, 0);
  const rows = r.stdout.trimEnd().split("\n").slice(1, -2);
  assert.equal(rows.length, 7);
  for (const row of rows) assert.match(row, /\sadmitted\s+privileged$/);
});

Deno.test("-o json: the AuditReport document with results and the admitted pod", async () => {
  const r = await auditPods([...WORKLOADS, "--policy", "restricted", "-o", "json"]);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.apiVersion, "falco-psp/v1");
  assert.equal(doc.kind, "AuditReport");
  const items = doc.items as Item[];
  const web = item(items, "Deployment", "web");
  assert.equal(web.namespace, "shop");
  assert.deepEqual(web.source, {
    file: `${FX}workloads.yaml`,
    line: 3,
    column: 1,
    document: 1,
    display: `${FX}workloads.yaml:3`,
  });
  assert.equal(web.pods, 3);
  assert.equal(web.verdict, "changed");
  assert.equal(web.policy, "restricted");
  assert.deepEqual(web.results.map((x) => [x.policy, x.allowed]), [["restricted", true]]);
  assert.equal(
    web.admitted!.metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"],
    "runtime/default",
  );
  assert.deepEqual(web.admitted!.spec.containers[0].securityContext, {
    capabilities: { drop: ["ALL"] },
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
  });
  const db = item(items, "StatefulSet", "db");
  assert.equal(db.verdict, "refused");
  assert.equal(db.policy, null);
  assert.equal(db.admitted, null);
  assert.deepEqual(db.results[0].violations.map((v) => v.text), [
    "spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed",
  ]);
  const tmpl = item(items, "PodTemplate", "debug-template");
  assert.match(
    tmpl.results[0].violations[0].text,
    /capabilities\.add: Invalid value: "SYS_ADMIN": capability may not be added/,
  );
  assert.deepEqual(doc.summary, {
    items: 7,
    admitted: 0,
    changed: 3,
    refused: 4,
    pods: 6,
    policies: ["restricted"],
  });
  const yaml = await auditPods([...WORKLOADS, "--policy", "restricted", "-o", "yaml"]);
  assert.equal(yaml.code, 1);
  assert.deepEqual(parseYaml(yaml.stdout), doc, "-o yaml is the same document");
});

Deno.test("-o sarif: errors at the violating line of the input file", async () => {
  const r = await auditPods([...WORKLOADS, "--policy", "restricted", "-o", "sarif"]);
  assert.equal(r.code, 1);
  const log = JSON.parse(r.stdout);
  assert.equal(log.version, "2.1.0");
  const results = log.runs[0].results as {
    ruleId: string;
    level: string;
    message: { text: string };
    locations: {
      physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
    }[];
  }[];
  const fileLines = (await Deno.readTextFile(`${ROOT}${FX}workloads.yaml`)).split("\n");
  const db = results.find((x) => x.message.text.startsWith("StatefulSet shop/db"))!;
  assert.equal(db.ruleId, "privileged");
  assert.equal(db.level, "error");
  const loc = db.locations[0].physicalLocation;
  assert.equal(loc.artifactLocation.uri, `${FX}workloads.yaml`);
  assert.match(fileLines[loc.region.startLine - 1], /privileged: true/);
  const ds = results.filter((x) => x.message.text.startsWith("DaemonSet monitoring/node-exporter"));
  assert.deepEqual(ds.map((x) => x.ruleId), ["hostNetwork", "hostPID", "hostPorts"]);
  assert.match(
    fileLines[ds[0].locations[0].physicalLocation.region.startLine - 1],
    /hostNetwork: true/,
  );
  assert.ok(
    results.some((x) => x.level === "note" && x.message.text.startsWith("Deployment shop/web")),
  );
});

Deno.test("-o junit: a failing test case per refused workload", async () => {
  const r = await auditPods([...WORKLOADS, "--policy", "restricted", "-o", "junit"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /<testsuites name="kubectl falco-psp audit-pods" tests="7" failures="4" errors="0">/,
  );
  assert.match(
    r.stdout,
    /<testcase classname="shop" name="StatefulSet\/db"[^>]*>\n\s*<failure type="refused"/,
  );
});

const CHANGED_ONLY = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prod}
spec:
  replicas: 2
  template:
    spec:
      containers: [{name: api, image: api:1}]
`;

Deno.test("stdin input; --fail-on changed makes a change fail", async () => {
  const args = ["--psp-file", `${FX}psps.yaml`, "--policy", "restricted", "-f", "-"];
  const ok = await auditPods(args, CHANGED_ONLY);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /prod\s+Deployment\/api\s+2\s+changed\s+restricted/);
  const fail = await auditPods([...args, "--fail-on", "changed", "-o", "json"], CHANGED_ONLY);
  assert.equal(fail.code, 1);
  assert.equal(JSON.parse(fail.stdout).items[0].source.display, "-:1");
});

Deno.test("audit log with RBAC: verdict and PSP agree with the real API server on every event", async () => {
  const r = await auditPods([
    "--psp-file",
    `${FX}oracle-psps.json`,
    "--audit-log",
    `${FX}oracle-audit.jsonl`,
    "--rbac-file",
    `${FX}oracle-rbac.yaml`,
    "-o",
    "json",
  ]);
  assert.equal(r.code, 1, r.stderr);
  const events = (await Deno.readTextFile(`${ROOT}${FX}oracle-audit.jsonl`)).trim().split("\n")
    .map((l) => JSON.parse(l));
  const items = JSON.parse(r.stdout).items as Item[];
  const seen = new Set<number>();
  let agree = 0;
  for (const it of items) {
    const line = it.source.line!;
    assert.equal(it.source.display, `${FX}oracle-audit.jsonl:${line}`);
    seen.add(line);
    const ev = events[line - 1];
    const refused = ev.responseStatus.code === 403;
    const psp = ev.annotations?.["podsecuritypolicy.policy.k8s.io/admit-policy"] ?? null;
    if ((it.verdict === "refused") === refused && it.policy === psp) agree++;
    else {console.log(
        `disagree: line ${line} ${it.name}: ${it.verdict} ${it.policy}; server ${ev.responseStatus.code} ${psp}`,
      );}
  }
  console.log(`audit-log agreement with kube-apiserver v1.20.2: ${agree}/${events.length}`);
  assert.equal(seen.size, events.length, "every pod creation is audited");
  assert.equal(agree, events.length);
});

Deno.test("--creator/--creator-group decide the PSPs of file inputs with --rbac-file", async () => {
  const pod = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: corpus}
spec:
  containers: [{name: app, image: nginx}]
`;
  const base = [
    "--psp-file",
    `${FX}oracle-psps.json`,
    "--rbac-file",
    `${FX}oracle-rbac.yaml`,
    "-f",
    "-",
    "-o",
    "json",
  ];
  const nobody = await auditPods(base, pod);
  assert.equal(nobody.code, 1);
  const refused = JSON.parse(nobody.stdout).items[0];
  assert.equal(refused.verdict, "refused");
  assert.deepEqual(refused.results, [], "no PSP may be used: no candidate results");
  assert.equal(
    refused.message,
    'pods "p" is forbidden: PodSecurityPolicy: unable to admit pod: []',
  );
  const seed = await auditPods(
    [...base, "--creator", "someone", "--creator-group", "g-u-seed-example"],
    pod,
  );
  assert.equal(seed.code, 0, seed.stderr);
  const it = JSON.parse(seed.stdout).items[0];
  assert.deepEqual([it.verdict, it.policy], ["changed", "seed-example"]);
});

Deno.test("--rbac-file leaving a workload no PSP: its row and JSON say whose, one warning counts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The shop namespace's service accounts may use restricted; nothing grants monitoring's.
    const rbac = await useRestrictedRbac(dir, "shop");
    const table = await auditPods([...WORKLOADS, "--rbac-file", rbac]);
    assert.equal(table.code, 1, table.stderr);
    const row = table.stdout.split("\n").find((l) => l.includes("DaemonSet/node-exporter")) ?? "";
    assert.match(
      row,
      /^monitoring\s+DaemonSet\/node-exporter\s+per node\s+refused\s+-\s+no PSP usable by service account "monitoring\/default" \(RBAC grants "use" of none/,
    );
    assert.doesNotMatch(table.stdout, /unable to admit pod: \[\]/);
    const warnings = table.stderr.match(/^warning: RBAC leaves no PSP usable for .*$/gm) ?? [];
    assert.deepEqual(warnings.length, 1, table.stderr);
    assert.match(
      warnings[0],
      /for 1 workload, refused for that alone .*in the --rbac-file objects/,
    );
    const json = await auditPods([
      ...WORKLOADS,
      "--rbac-file",
      rbac,
      "--creator",
      "ci",
      "-o",
      "json",
    ]);
    const ds = item(JSON.parse(json.stdout).items, "DaemonSet", "node-exporter") as Item & {
      message: string;
      noUsablePolicy: { serviceAccount: string; user: string; text: string };
    };
    assert.equal(
      ds.message,
      'pods "node-exporter" is forbidden: PodSecurityPolicy: unable to admit pod: []',
    );
    assert.equal(ds.noUsablePolicy.serviceAccount, "monitoring/default");
    assert.equal(ds.noUsablePolicy.user, "ci");
    assert.match(
      ds.noUsablePolicy.text,
      /or user "ci" .*or audit without RBAC \(no --rbac-file\)$/,
    );
    const web = item(JSON.parse(json.stdout).items, "Deployment", "web") as Item & {
      noUsablePolicy?: unknown;
    };
    assert.equal(web.noUsablePolicy, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--rbac-file: bindings to Kubernetes' built-in roles and system:masters count", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Only a binding to the built-in cluster-admin, for monitoring's service accounts.
    const rbac = `${dir}/rbac.yaml`;
    await Deno.writeTextFile(
      rbac,
      `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: monitoring-admin, namespace: monitoring}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: "system:serviceaccounts:monitoring"}]
`,
    );
    const r = await auditPods([...WORKLOADS, "--rbac-file", rbac, "-o", "json"]);
    assert.doesNotMatch(r.stderr, /not found in the input/);
    const items = JSON.parse(r.stdout).items as Item[];
    const ds = item(items, "DaemonSet", "node-exporter");
    assert.notEqual(ds.verdict, "refused", JSON.stringify(ds));
    assert.equal(ds.policy, "privileged");
    // shop's service accounts are bound to nothing: still no PSP for them.
    assert.equal(item(items, "Deployment", "web").verdict, "refused");
    // The API server allows system:masters everything, bindings or not.
    const masters = await auditPods([
      ...WORKLOADS,
      "--rbac-file",
      rbac,
      "--creator",
      "root",
      "--creator-group",
      "system:masters",
      "-o",
      "json",
    ]);
    assert.doesNotMatch(masters.stderr, /RBAC leaves no PSP usable/);
    const all = JSON.parse(masters.stdout).items as Item[];
    assert.notEqual(item(all, "Deployment", "web").verdict, "refused");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a PSP without spec (or with spec under metadata) is an error, as in convert", async () => {
  const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n";
  for (const name of ["missing", "indented"]) {
    const file = `fixtures/psp/specless/${name}.yaml`;
    const r = await auditPods(["--psp-file", file, "-f", "-"], pod);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /specless\/\w+\.yaml \(document 1, line \d+:\d+\): spec: Required value: /,
    );
    const c = await runDeno(["run", "-A", `${ROOT}main.ts`, "convert", file], { cwd: ROOT });
    assert.equal(c.code, 2, c.stderr);
    // The same error text, file, document, line and field, from both commands.
    const line = (s: string) => s.split("\n").find((l) => l.startsWith("error: "));
    assert.equal(line(c.stderr), line(r.stderr), name);
  }
});

Deno.test("-n gives objects without a namespace their namespace, and RBAC applies there; -l filters -f objects", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pods = `${dir}/pods.yaml`;
    await Deno.writeTextFile(
      pods,
      `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
`,
    );
    // Only the service accounts of namespace "team" may use restricted.
    const rbac = await useRestrictedRbac(dir, "team");
    const base = ["--psp-file", `${FX}psps.yaml`, "-f", pods, "--rbac-file", rbac];
    const rows = async (args: string[]) => {
      const r = await auditPods([...base, ...args, "-o", "json"]);
      const items = JSON.parse(r.stdout).items as (Item & { noUsablePolicy?: unknown })[];
      return items.map((i) => `${i.namespace}/${i.kind}/${i.name} ${i.verdict} ${i.policy}`);
    };
    assert.deepEqual(await rows([]), [
      "default/Deployment/api refused null",
      "default/Pod/web refused null",
    ]);
    assert.deepEqual(await rows(["-n", "team"]), [
      "team/Deployment/api changed restricted",
      "team/Pod/web changed restricted",
    ]);
    // -l: the objects' own labels (the Deployment's are app=api, its template's app=web).
    assert.deepEqual(await rows(["-n", "team", "-l", "app=web"]), [
      "team/Pod/web changed restricted",
    ]);
    assert.deepEqual(await rows(["-n", "team", "-l", "app in (api)"]), [
      "team/Deployment/api changed restricted",
    ]);
    assert.deepEqual(await rows(["-l", "app notin (web,api)"]), []);
    // SARIF takes the one-thread path: the same selection.
    const sarif = await auditPods([...base, "-n", "team", "-l", "app=api", "-o", "sarif"]);
    assert.equal(sarif.code, 0, sarif.stderr);
    const objects = new Set(
      JSON.parse(sarif.stdout).runs[0].results.map((
        r: { locations: { logicalLocations: { fullyQualifiedName: string }[] }[] },
      ) => r.locations[0].logicalLocations[0].fullyQualifiedName),
    );
    assert.deepEqual([...objects], ["team/Deployment/api"]);
    // An object of another namespace than -n: kubectl's error, exit 2, nothing on stdout.
    await Deno.writeTextFile(
      `${dir}/other.yaml`,
      (await Deno.readTextFile(pods)).replace(
        "metadata: {name: api,",
        "metadata: {name: api, namespace: prod,",
      ),
    );
    for (const output of ["json", "sarif"]) {
      const r = await auditPods([
        "--psp-file",
        `${FX}psps.yaml`,
        "-f",
        `${dir}/other.yaml`,
        "-n",
        "team",
        "-o",
        output,
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(
        r.stderr,
        /^error: .*other\.yaml \(document 2, line 8:\d+\): the namespace from the provided object "prod" does not match the namespace "team"\. You must pass '--namespace=prod' to perform this operation\.$/m,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("-l and -n reach the worker threads: 600 pods, half selected", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const docs = Array.from(
      { length: 600 },
      (_, i) =>
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p-${i}, labels: {half: "${
          i % 2 ? "odd" : "even"
        }"}}\n` +
        `spec: {containers: [{name: c, image: nginx, securityContext: {privileged: ${
          i % 4 === 0
        }}}]}\n`,
    );
    await Deno.writeTextFile(`${dir}/pods.yaml`, docs.join("---\n"));
    const args = [
      "--psp-file",
      `${FX}psps.yaml`,
      "--policy",
      "restricted",
      "-f",
      `${dir}/pods.yaml`,
    ];
    for (const jobs of ["1", "3"]) {
      const r = await auditPods([
        ...args,
        "-n",
        "odd-ns",
        "-l",
        "half=even",
        "-j",
        jobs,
        "-o",
        "json",
      ]);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.summary.items, 300, `-j ${jobs}`);
      assert.equal(doc.summary.refused, 150, `-j ${jobs}`);
      assert.ok(
        doc.items.every((i: Item) => i.namespace === "odd-ns" && Number(i.name.slice(2)) % 2 === 0),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad usage exits 2 with a message", async () => {
  const cases: [string[], RegExp][] = [
    [[...WORKLOADS, "-o", "xml"], /argument 'xml' is invalid/],
    [["-f", `${FX}workloads.yaml`], /no PodSecurityPolicies: pass --psp-file/],
    [["--psp-file", `${FX}psps.yaml`], /nothing to audit/],
    [[...WORKLOADS, "--policy", "nope"], /--policy "nope": no such PodSecurityPolicy/],
    [[...WORKLOADS, "--creator-group", "g"], /--creator-group needs --creator/],
    [
      [...WORKLOADS, "--rbac-file", `${FX}oracle-rbac.yaml`, "--as", "someone"],
      /--as\/--as-group impersonate a user for the API calls, as in kubectl, and this run reads no cluster; to name the pod creator whose RBAC counts, use --creator/,
    ],
    [[...WORKLOADS, "--fail-on", "admitted"], /argument 'admitted' is invalid/],
    [[...WORKLOADS, "--rbac", "files"], /--rbac=files needs --rbac-file/],
    [[...WORKLOADS, "--rbac", "cluster"], /--rbac=cluster needs a cluster/],
    [
      [...WORKLOADS, "--rbac", "none", "--rbac-file", `${FX}oracle-rbac.yaml`],
      /--rbac=none and --rbac-file cannot be used together/,
    ],
    [[...WORKLOADS, "--rbac", "some"], /argument 'some' is invalid/],
    [[...WORKLOADS, "-l", "app in ("], /-l\/--selector: unable to parse requirement: "app in \("/],
  ];
  for (const [args, message] of cases) {
    const r = await auditPods(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
  }
});

Deno.test("bad input exits 2 naming file, document and field, without a stack trace", async () => {
  const r = await auditPods(["--psp-file", `${FX}psps.yaml`, "-f", `${FX}bad-pod.yaml`]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr.trim(),
    `error: ${FX}bad-pod.yaml (document 1, line 10:21): spec.containers[0].securityContext.privileged: expected a boolean, got string "yes"`,
  );
  const missing = await auditPods(["--psp-file", `${FX}psps.yaml`, "-f", `${FX}nope.yaml`]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.yaml: no such file or directory/);
  assert.ok(!/\bat .*\.ts:\d+/.test(missing.stderr + r.stderr));
});

Deno.test("an unreadable audit log is an I/O failure: exit 3", async () => {
  const r = await auditPods(["--psp-file", `${FX}psps.yaml`, "--audit-log", FX]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^error: cannot read fixtures\/audit\/: /);
});

Deno.test("--help says kubectl falco-psp and documents the exit codes", async () => {
  const r = await auditPods(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: kubectl falco-psp audit-pods /);
  for (
    const flag of [
      "--psp-file",
      "-f, --filename",
      "-R, --recursive",
      "--audit-log",
      "--policy",
      "--rbac-file",
      "--creator ",
      "--creator-group",
      "--as ",
      "--as-group",
      "-o, --output",
      "--show-admitted",
      "--fail-on",
      "--no-color",
    ]
  ) {
    assert.ok(r.stdout.includes(flag), flag);
  }
  assert.match(
    r.stdout,
    /Exit codes:\n\s+0\s+nothing refused.*\n\s+1\s+.*refused.*\n\s+2\s+bad usage or input\n\s+3\s+cluster or I\/O failure/,
  );
});

Deno.test("--as impersonates (as in kubectl): an error without a cluster, a warning without --creator", () => {
  const warnings: string[] = [];
  const w = (m: string) => warnings.push(m);
  checkImpersonation({}, {}, true, w);
  checkImpersonation({ as: "alice" }, { creator: "ci" }, true, w);
  assert.deepEqual(warnings, []);
  checkImpersonation({ as: "alice" }, {}, true, w);
  assert.deepEqual(warnings, [
    '--as impersonates "alice" for the API calls, as in kubectl; it no longer names the pod ' +
    "creator whose RBAC counts: use --creator for that",
  ]);
  assert.throws(
    () => checkImpersonation({ as: "alice" }, { creator: "ci" }, false, w),
    /this run reads no cluster; to name the pod creator whose RBAC counts, use --creator/,
  );
});
