/**
 * `audit-pods --pss`: the Pod Security Standards result beside the PSP verdict, or alone
 * without PSPs, in every output format, from workloads, pods and audit logs, in one thread or
 * several (main.ts as a subprocess).
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { type DenoRun, runDeno } from "../support/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FX = "fixtures/audit/";

function auditPods(args: string[], stdin?: string): Promise<DenoRun> {
  return runDeno(["run", "-A", "main.ts", "audit-pods", ...args], {
    cwd: ROOT,
    stdin,
    env: { KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" },
  });
}

interface PssDoc {
  level: string;
  version: string;
  allowed: boolean;
  violations: { check: string; reason: string; detail: string }[];
  levelMet?: string;
}
interface Item {
  kind: string;
  namespace: string;
  name: string;
  verdict?: string;
  policy?: string | null;
  results?: unknown;
  pss?: PssDoc;
}

const byName = (items: Item[], kind: string, name: string) =>
  items.find((i) => i.kind === kind && i.name === name)!;

Deno.test("--pss LEVEL beside the PSPs: table column, JSON pss, exit 1 for a PSS refusal", async () => {
  const args = ["--psp-file", `${FX}psps.yaml`, "-f", `${FX}workloads.yaml`];
  const plain = await auditPods(args);
  assert.equal(plain.code, 0, plain.stderr); // the privileged PSP admits everything
  const t = await auditPods([...args, "--pss", "baseline"]);
  assert.equal(t.code, 1, t.stderr);
  const lines = t.stdout.split("\n");
  assert.match(lines[0], /^NAMESPACE\s+WORKLOAD\s+PODS\s+VERDICT\s+PSP\s+PSS baseline\s+REASONS$/);
  assert.match(
    lines.find((l) => l.includes("StatefulSet/db"))!,
    /^shop\s+StatefulSet\/db\s+2\s+admitted\s+privileged\s+refused\s+PSS baseline: privileged \(container "postgres" must not set securityContext\.privileged=true\)$/,
  );
  assert.ok(!t.stdout.includes("Deployment/web"), "baseline allows web: no row");
  assert.match(
    t.stdout,
    /PSS baseline:latest: 4 refused, 3 allowed \(levels met: 0 restricted, 3 baseline, 4 privileged\)\n/,
  );

  const j = await auditPods([...args, "--pss", "restricted:v1.22", "-o", "json"]);
  assert.equal(j.code, 1, j.stderr);
  const doc = JSON.parse(j.stdout);
  const web = byName(doc.items, "Deployment", "web");
  assert.equal(web.verdict, "admitted");
  assert.equal(web.policy, "privileged");
  assert.deepEqual(Object.keys(web.pss!), ["level", "version", "allowed", "violations"]);
  assert.deepEqual(web.pss!.violations.map((v) => v.check), [
    "allowPrivilegeEscalation",
    "capabilities_restricted",
    "runAsNonRoot",
    "seccompProfile_restricted",
  ]);
  assert.equal(web.pss!.version, "v1.22");
  assert.deepEqual(doc.summary.pss, {
    level: "restricted",
    version: "v1.22",
    allowed: 0,
    refused: 7,
    levelMet: { privileged: 4, baseline: 3, restricted: 0 },
  });
});

Deno.test("--pss without PSPs: no PSP columns or fields; --pss alone reports levels, exit 0", async () => {
  const args = ["-f", `${FX}workloads.yaml`];
  const t = await auditPods([...args, "--pss"]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout.split("\n")[0], /^NAMESPACE\s+WORKLOAD\s+PODS\s+PSS LEVEL\s+REASONS$/);
  assert.match(
    t.stdout,
    /^monitoring\s+DaemonSet\/node-exporter\s+per node\s+privileged\s+PSS baseline: host namespaces \(hostNetwork=true, hostPID=true\) \(\+1 more\)$/m,
  );
  assert.match(t.stdout, /^shop\s+Deployment\/web\s+3\s+baseline\s+PSS restricted: /m);
  const y = await auditPods([...args, "--pss", "-o", "yaml"]);
  assert.equal(y.code, 0, y.stderr);
  const doc = parseYaml(y.stdout) as { items: Item[]; summary: Record<string, unknown> };
  for (const it of doc.items) {
    assert.equal(it.verdict, undefined);
    assert.equal(it.results, undefined);
    assert.ok(it.pss?.levelMet);
  }
  assert.deepEqual(byName(doc.items, "StatefulSet", "db").pss, {
    level: "baseline",
    version: "latest",
    allowed: false,
    violations: [{
      check: "privileged",
      reason: "privileged",
      detail: 'container "postgres" must not set securityContext.privileged=true',
    }],
    levelMet: "privileged",
  });
  assert.deepEqual(Object.keys(doc.summary), ["items", "pods", "pss"]);
  const level = await auditPods([...args, "--pss", "baseline", "-o", "json"]);
  assert.equal(level.code, 1, "a pod the level refuses fails the run");
  const ok = await auditPods([...args, "--pss", "privileged"]);
  assert.equal(ok.code, 0);
});

Deno.test("--pss: SARIF results and JUnit failures for the level's refusals", async () => {
  const args = ["-f", `${FX}workloads.yaml`, "--pss", "baseline:v1.30"];
  const s = await auditPods([...args, "-o", "sarif"]);
  assert.equal(s.code, 1, s.stderr);
  const run = JSON.parse(s.stdout).runs[0];
  const rules = run.tool.driver.rules.map((r: { id: string }) => r.id);
  const db = run.results.find((r: { message: { text: string } }) =>
    r.message.text.startsWith("StatefulSet shop/db:")
  );
  assert.equal(db.ruleId, "pss/privileged");
  assert.equal(rules[db.ruleIndex], "pss/privileged");
  assert.equal(
    db.message.text,
    'StatefulSet shop/db: violates PodSecurity "baseline:v1.30": privileged (container "postgres" must not set securityContext.privileged=true)',
  );
  assert.deepEqual(Object.keys(db.properties), ["source", "pods"]);
  const j = await auditPods([...args, "-o", "junit"]);
  assert.equal(j.code, 1);
  assert.match(j.stdout, /<testsuites name="kubectl falco-psp audit-pods" tests="7" failures="4"/);
  assert.match(
    j.stdout,
    /<failure type="pss" message="PSS baseline: privileged \(container &quot;postgres&quot; must not set securityContext.privileged=true\)">refused by Pod Security Standards baseline:v1.30 \(level met: privileged\)/,
  );
});

Deno.test("--pss: audit-log pod creations", async () => {
  const r = await auditPods(["--audit-log", `${FX}oracle-audit.jsonl`, "--pss", "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.ok(doc.items.length > 0);
  const met = doc.summary.pss.levelMet;
  assert.equal(met.privileged + met.baseline + met.restricted, doc.items.length);
  for (const it of doc.items) {
    assert.ok(["privileged", "baseline", "restricted"].includes(it.pss.levelMet));
  }
});

Deno.test("--pss: bad level or version is a usage error (exit 2)", async () => {
  for (const bad of ["strict", "restricted:1.30", "restricted:v1.030"]) {
    const r = await auditPods(["-f", `${FX}workloads.yaml`, "--pss", bad]);
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /--pss/);
  }
});

/** 1,200 pods of three shapes (restricted, baseline, privileged) in 6 namespaces. */
function manyPods(): string {
  const docs: string[] = [];
  for (let i = 0; i < 1200; i++) {
    const ns = `ns${i % 6}`;
    const shape = i % 3;
    const sc = shape === 0
      ? "securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}"
      : shape === 1
      ? "securityContext: {}"
      : "securityContext: {privileged: true}";
    docs.push(
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, namespace: ${ns}}\nspec:\n  containers:\n  - name: c\n    image: x\n    ${sc}\n`,
    );
  }
  // Namespace objects among them (read by the workers too).
  for (let n = 0; n < 6; n++) {
    docs.push(
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns${n}\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n`,
    );
  }
  return docs.join("---\n");
}

Deno.test("--pss: worker threads give the report of one thread", async () => {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, manyPods());
    const one = await auditPods(["-f", file, "--pss", "restricted", "-o", "json", "-j", "1"]);
    const two = await auditPods(["-f", file, "--pss", "restricted", "-o", "json", "-j", "2"]);
    assert.equal(one.code, 1, one.stderr);
    assert.equal(two.code, 1, two.stderr);
    assert.equal(two.stdout, one.stdout);
    const s = JSON.parse(one.stdout).summary.pss;
    assert.deepEqual(s.levelMet, { privileged: 400, baseline: 400, restricted: 400 });
    assert.deepEqual([s.allowed, s.refused], [400, 800]);
    const advice = JSON.parse(one.stdout).namespaces;
    // Namespace n holds the pods of shape n % 3: restricted, baseline, privileged.
    assert.deepEqual(
      advice.map((a: { level: string; current: { rejected: unknown[] } }) => [
        a.level,
        a.current.rejected.length,
      ]),
      [["restricted", 0], ["baseline", 0], ["privileged", 200], ["restricted", 0], [
        "baseline",
        0,
      ], ["privileged", 200]],
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("--pss: namespace advice from files, with the current labels of Namespace objects", async () => {
  const ns = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(
      ns,
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n",
    );
    const t = await auditPods(["-f", `${FX}workloads.yaml`, "-f", ns, "--pss"]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(
      t.stdout,
      /\n {2}shop {8}enforce=privileged; baseline would refuse 3 of 6 workloads: CronJob\/report: privileged /,
    );
    assert.match(
      t.stdout,
      /current labels enforce=baseline:latest: would reject 3: CronJob\/report/,
    );
    assert.match(
      t.stdout,
      /\n {2}kubectl label --overwrite ns monitoring pod-security\.kubernetes\.io\/enforce=privileged pod-security\.kubernetes\.io\/enforce-version=v1\.37 pod-security\.kubernetes\.io\/warn=baseline /,
    );
    const j = await auditPods(["-f", `${FX}workloads.yaml`, "-f", ns, "--pss", "-o", "json"]);
    const doc = JSON.parse(j.stdout);
    assert.deepEqual(
      doc.namespaces.map((a: { namespace: string; level: string }) => [a.namespace, a.level]),
      [
        ["monitoring", "privileged"],
        ["shop", "privileged"],
      ],
    );
    assert.deepEqual(
      doc.namespaces[1].current.rejected.map((r: { workload: string }) => r.workload),
      ["CronJob/report", "PodTemplate/debug-template", "StatefulSet/db"],
    );
  } finally {
    await Deno.remove(ns);
  }
});

/**
 * Pods whose baseline result differs between policy v1.22 and latest, then (after them, in the
 * same file) their Namespace, labelled enforce=baseline pinned to v1.22, warn=baseline (latest).
 */
const PINNED_NAMESPACE = `
apiVersion: v1
kind: Pod
metadata: {name: sysctl, namespace: legacy}
spec:
  securityContext:
    sysctls: [{name: net.ipv4.ip_local_reserved_ports, value: "8080"}]
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: legacy}
spec:
  containers:
  - name: app
    image: nginx
    livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: engine, namespace: legacy}
spec:
  replicas: 2
  selector: {matchLabels: {app: engine}}
  template:
    metadata: {labels: {app: engine}}
    spec:
      containers:
      - name: builder
        image: buildah
        securityContext: {seLinuxOptions: {type: container_engine_t}}
---
apiVersion: v1
kind: Pod
metadata: {name: root, namespace: legacy}
spec:
  hostNetwork: true
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: legacy}
spec:
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Namespace
metadata:
  name: legacy
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/enforce-version: v1.22
    pod-security.kubernetes.io/warn: baseline
`;

Deno.test("--pss: a Namespace after its pods, labels pinned to v1.22: checked at v1.22, not at --pss's version", async () => {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    // 600 other pods first and 600 between the pods and their Namespace: past 512 documents
    // -j 2 audits in worker threads, so the pods' results come from workers, and the Namespace
    // long after them.
    const filler = Array.from(
      { length: 600 },
      (_, i) =>
        `apiVersion: v1\nkind: Pod\nmetadata: {name: f${i}, namespace: filler}\nspec:\n  containers: [{name: c, image: nginx}]\n`,
    );
    const [pods, namespace] = PINNED_NAMESPACE.split(/---\n(?=apiVersion: v1\nkind: Namespace)/);
    await Deno.writeTextFile(
      file,
      [...filler, pods, ...filler.map((f) => f.replace("name: f", "name: g")), namespace]
        .join("---\n"),
    );
    // What baseline:v1.22 refuses: the sysctl v1.27 made safe, the SELinux type v1.31 allowed,
    // the host network; not the probe host (checked from v1.34 on). Upstream's reasons.
    const rejected = [
      {
        workload: "Deployment/engine",
        pods: 2,
        violations: [{
          check: "seLinuxOptions",
          reason: "seLinuxOptions",
          detail:
            'container "builder" set forbidden securityContext.seLinuxOptions: type "container_engine_t"',
        }],
      },
      {
        workload: "Pod/root",
        pods: 1,
        violations: [
          { check: "hostNamespaces", reason: "host namespaces", detail: "hostNetwork=true" },
        ],
      },
      {
        workload: "Pod/sysctl",
        pods: 1,
        violations: [{
          check: "sysctls",
          reason: "forbidden sysctls",
          detail: "net.ipv4.ip_local_reserved_ports",
        }],
      },
    ];
    for (const jobs of ["1", "2"]) {
      const j = await auditPods(["-f", file, "--pss", "restricted", "-o", "json", "-j", jobs]);
      assert.equal(j.code, 1, j.stderr);
      const [others, legacy] = JSON.parse(j.stdout).namespaces;
      assert.deepEqual([others.namespace, others.workloads], ["filler", 1200]);
      assert.equal(legacy.namespace, "legacy");
      assert.deepEqual(legacy.current.enforce, { level: "baseline", version: "v1.22" });
      assert.deepEqual(legacy.current.rejected, rejected);
      // warn=baseline without a version: latest, where the probe host is refused and the rest
      // (but the host network) allowed.
      assert.deepEqual(legacy.current.warn.version, "latest");
      assert.deepEqual(
        legacy.current.warn.workloads.map((w: { workload: string }) => w.workload),
        ["Pod/probe", "Pod/root"],
      );
      assert.equal(legacy.current.note, undefined);
    }
    const t = await auditPods(["-f", file, "--pss", "restricted"]);
    assert.equal(t.code, 1, t.stderr);
    assert.ok(
      t.stdout.includes(
        "current labels enforce=baseline:v1.22: would reject 3: Deployment/engine: seLinuxOptions " +
          '(container "builder" set forbidden securityContext.seLinuxOptions: type "container_engine_t"); ' +
          "Pod/root: host namespaces (hostNetwork=true); " +
          "Pod/sysctl: forbidden sysctls (net.ipv4.ip_local_reserved_ports)\n",
      ),
      t.stdout,
    );
    assert.match(
      t.stdout,
      /current labels warn=baseline:latest: would warn about 2: Pod\/probe: probe or lifecycle host \(container "app" uses probe or lifecycle host "10\.0\.0\.1"\); Pod\/root: host namespaces \(hostNetwork=true\)\n/,
    );
    assert.doesNotMatch(t.stdout, /checked at|the audit's version/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("--pss with PSPs: the migration view (disagreements, PSP defaults to set, guarantees)", async () => {
  const args = [
    "--psp-file",
    `${FX}psps.yaml`,
    "-f",
    `${FX}workloads.yaml`,
    "--policy",
    "restricted",
  ];
  const j = await auditPods([...args, "--pss", "baseline", "-o", "json"]);
  assert.equal(j.code, 1, j.stderr);
  const m = JSON.parse(j.stdout).migration;
  // The restricted PSP refuses db, report, node-exporter and debug-template; baseline refuses
  // them too; it changes web, migrate and legacy, which baseline allows.
  assert.deepEqual(m.disagreements, []);
  assert.deepEqual(
    m.mustSet.map((x: { workload: string; policy: string }) => [x.workload, x.policy]),
    [["Deployment/web", "restricted"], ["Job/migrate", "restricted"], [
      "ReplicationController/legacy",
      "restricted",
    ]],
  );
  assert.ok(
    m.mustSet[0].fields.some((f: { field: string }) =>
      /allowPrivilegeEscalation|runAsNonRoot|supplementalGroups/.test(f.field)
    ),
  );
  const restricted = m.policies.find((p: { policy: string }) => p.policy === "restricted");
  assert.equal(restricted.level, "privileged");
  const r = await auditPods([...args, "--pss", "restricted"]);
  assert.match(
    r.stdout,
    /\nMigration from PSP to Pod Security Admission:\n {2}PSP admits, PSS refuses: 3: shop\/Deployment\/web \(restricted\)/,
  );
  assert.match(r.stdout, /\n {4}restricted: privileged; baseline not guaranteed: appArmorProfile/);
});
