import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { GenerateError, generateRules, generateRulesPerPolicy } from "../../src/falco/generate.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { loadPspFiles, loadPsps } from "../../src/psp/load.ts";
import {
  auditEventFromObject,
  checkLoad,
  expandedCondition,
  firingRules,
  loadRules,
} from "../support/falco/mod.ts";
import { ORACLE_DIR } from "../support/shared.ts";

const SEED_PSP = new URL("../../fixtures/seed/no_privileged.yaml", import.meta.url).pathname;
const SEED_RULES =
  new URL("../../fixtures/seed/expected_rules_0.27.yaml", import.meta.url).pathname;
const CORPUS = new URL("corpus.json", ORACLE_DIR).pathname;

async function seedPsp(): Promise<PodSecurityPolicy> {
  const { psps } = await loadPspFiles([SEED_PSP], {
    allowInvalidNames: true,
    allowMissingRules: true,
  });
  return psps[0].psp;
}

/** A PSP as the API server would store it, from a spec fragment. */
function psp(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) {
  const { psps } = loadPsps([{
    object: {
      apiVersion: "policy/v1beta1",
      kind: "PodSecurityPolicy",
      metadata: { name, ...(annotations ? { annotations } : {}) },
      spec: {
        seLinux: { rule: "RunAsAny" },
        runAsUser: { rule: "RunAsAny" },
        supplementalGroups: { rule: "RunAsAny" },
        fsGroup: { rule: "RunAsAny" },
        volumes: ["*"],
        ...spec,
      },
    },
    source: { file: "test" },
    locate: () => undefined,
  }], { allowInvalidNames: true });
  return psps[0].psp;
}

async function corpusPsps(): Promise<PodSecurityPolicy[]> {
  const corpus = JSON.parse(await Deno.readTextFile(CORPUS));
  return loadPsps(
    corpus.psps.map((o: Record<string, unknown>, i: number) => ({
      object: { apiVersion: "policy/v1beta1", kind: "PodSecurityPolicy", ...o },
      source: { file: "corpus.json", item: i },
      locate: () => undefined,
    })),
  ).psps.map((p) => p.psp);
}

type Item = Record<string, unknown>;
const names = (yaml: string) =>
  (parseYaml(yaml) as Item[]).map((i) => (i.rule ?? i.macro ?? i.list) as string | undefined)
    .filter((n): n is string => n !== undefined);

function podEvent(spec: Record<string, unknown>, namespace = "default") {
  return auditEventFromObject({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    auditID: "1",
    stage: "ResponseComplete",
    verb: "create",
    user: { username: "u" },
    objectRef: { resource: "pods", namespace, name: "p" },
    requestObject: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace }, spec },
    stageTimestamp: "2026-11-28T12:00:00.000000Z",
  });
}

Deno.test("seed: --no-prefix --falco-version 0.27 reproduces the Falco 0.27 docs rules file", async () => {
  const g = generateRules([await seedPsp()], { target: "0.27", prefix: false });
  const expected = parseYaml(await Deno.readTextFile(SEED_RULES));
  assert.deepEqual(parseYaml(g.yaml), expected);
  // What falcoctl never checked is said, not dropped: in the file header and as warnings.
  assert.match(g.yaml, /^# .*volumes: an empty list \(no volume allowed\)/m);
  assert.ok(g.warnings.some((w) => w.includes("volumes")));
  assert.ok(g.uncovered.some((u) => u.policy === "no_privileged" && u.field === "volumes"));
});

Deno.test("seed: the docs' file and the 0.27 output with prefixes load in Falco 0.27 without warnings", async () => {
  const seed = checkLoad(await Deno.readTextFile(SEED_RULES), "0.27");
  assert.deepEqual([seed.errors, seed.warnings], [[], []]);
  const g = generateRules([await seedPsp()], { target: "0.27", prefix: true });
  const c = checkLoad(g.yaml, "0.27");
  assert.deepEqual([c.errors, c.warnings], [[], []]);
  const n = names(g.yaml);
  assert.ok(n.includes("no_privileged_psp_images"));
  assert.ok(n.includes("PSP no_privileged Violation (privileged) K8s Audit"));
  assert.ok(n.includes("PSP no_privileged Violation (readOnlyRootFilesystem) System Activity"));
});

Deno.test("0.27 target keeps falcoctl's conditions for the fields falcoctl covered", () => {
  const g = generateRules([psp("host-ports", {
    hostNetwork: true,
    hostPorts: [{ min: 80, max: 80 }, { min: 8000, max: 9000 }],
    volumes: ["configMap", "secret"],
    runAsUser: { rule: "MustRunAs", ranges: [{ min: 1000, max: 2000 }] },
  })], { target: "0.27", prefix: true });
  const rules = new Map(
    (parseYaml(g.yaml) as Item[]).filter((i) => i.rule).map((i) => [i.rule, i]),
  );
  assert.equal(
    rules.get("PSP host_ports Violation (hostPorts)")?.condition,
    'host_ports_psp_ka_container and not ka.req.pod.containers.host_port in ("80:80","8000:9000","<NA>")',
  );
  assert.equal(
    rules.get("PSP host_ports Violation (volumes)")?.condition,
    'host_ports_psp_ka_container and not ka.req.pod.volumes.volume_type in (configMap,secret,"<NA>")',
  );
  assert.equal(
    rules.get("PSP host_ports Violation (runAsUser=MustRunAs) K8s Audit")?.condition,
    'host_ports_psp_ka_container and not (ka.req.pod.containers.eff_run_as_user in ("1000:2000"))',
  );
  assert.ok(rules.has("PSP host_ports Violation (privileged) K8s Audit"));
  assert.ok(rules.has("PSP host_ports Violation (hostPID)"));
  assert.ok(!rules.has("PSP host_ports Violation (hostNetwork)"));
});

Deno.test("names: falcoctl prefixes, no collisions with several PSPs, --no-prefix needs one PSP", () => {
  const a = psp("no-privileged", { privileged: false });
  const b = psp("no privileged", { privileged: false });
  const one = generateRules([a], { target: "current", prefix: true });
  assert.ok(names(one.yaml).includes("PSP no_privileged Violation (privileged) K8s Audit"));
  const both = generateRules([a, b], { target: "current", prefix: true });
  const n = names(both.yaml);
  assert.equal(new Set(n).size, n.length, "no list, macro or rule name is defined twice");
  assert.ok(n.includes("PSP no_privileged_2 Violation (privileged) K8s Audit"));
  assert.ok(both.warnings.some((w) => w.includes("no_privileged_2")));
  assert.deepEqual(checkLoad(both.yaml, "current").errors, []);
  assert.throws(() => generateRules([a, b], { target: "current", prefix: false }), GenerateError);
  // One file per PSP: the same prefixes as in one file, so the files load together.
  const files = generateRulesPerPolicy([a, b], { target: "current", prefix: true });
  assert.deepEqual(files.map((f) => f.policy), ["no-privileged", "no privileged"]);
  assert.ok(
    names(files[1].rules.yaml).includes("PSP no_privileged_2 Violation (privileged) K8s Audit"),
  );
  const single = generateRulesPerPolicy([a, b], { target: "0.27", prefix: false });
  assert.ok(names(single[0].rules.yaml).includes("PSP Violation (privileged) K8s Audit"));
});

Deno.test("current target: declares engine and plugins, loads in Falco 0.43-0.45 with no error or warning", async () => {
  const psps = await corpusPsps();
  const g = generateRules(psps, { target: "current", prefix: true });
  const items = parseYaml(g.yaml) as Item[];
  assert.deepEqual(items[0], { required_engine_version: "0.58.0" });
  assert.deepEqual(items[1], {
    required_plugin_versions: [
      { name: "k8saudit", version: "0.18.0" },
      { name: "json", version: "0.7.0" },
      { name: "container", version: "0.4.0" },
    ],
  });
  const auditOnly = generateRules([psp("a", { privileged: true })], {
    target: "current",
    prefix: true,
  });
  assert.ok(!auditOnly.yaml.includes("container.") && !auditOnly.yaml.includes("name: container"));
  const c = checkLoad(g.yaml, "current");
  assert.deepEqual([c.errors, c.warnings, c.requirements], [[], [], []]);
  assert.ok(!g.yaml.includes("eff_run_as"), "ka.req.pod.*.eff_run_as_* are unreliable in k8saudit");
  assert.ok(!g.yaml.includes("<NA>"), "no <NA> comparisons in current Falco");
});

Deno.test("0.27 target: every corpus PSP loads in Falco 0.27 with no error or warning", async () => {
  const g = generateRules(await corpusPsps(), { target: "0.27", prefix: true });
  const c = checkLoad(g.yaml, "0.27");
  assert.deepEqual([c.errors, c.warnings], [[], []]);
});

Deno.test("scope: a pod is in scope when any container (init included) uses a listed image", () => {
  const p = psp("scoped", { privileged: false }, {
    "falco-rules-psp-images": "[nginx, docker.io/library/redis]",
    "falco-rules-psp-namespaces": "prod, default",
  });
  const ruleset = loadRules(
    generateRules([p], { target: "current", prefix: true }).yaml,
    "current",
  );
  const fires = (spec: Record<string, unknown>, ns = "default") =>
    firingRules(ruleset, podEvent(spec, ns)).map((r) => r.name)
      .includes("PSP scoped Violation (privileged) K8s Audit");
  const priv = { name: "x", image: "busybox:1", securityContext: { privileged: true } };
  assert.ok(fires({ containers: [{ name: "a", image: "nginx:1.25" }, priv] }));
  assert.ok(
    fires({
      containers: [priv],
      initContainers: [{ name: "i", image: "docker.io/library/redis:7" }],
    }),
  );
  assert.ok(!fires({ containers: [priv] }), "no listed image");
  assert.ok(
    !fires({ containers: [{ name: "a", image: "nginx:1.25" }, priv] }, "dev"),
    "namespace not listed",
  );
});

Deno.test("scope: exact images (tag, digest) match the image, repositories any tag of it", () => {
  const digest = `app@sha256:${"a".repeat(64)}`;
  const p = psp("scoped", { privileged: false }, {
    "falco-rules-psp-images": `[nginx:1.19, ${digest}, registry:5000/app:2, redis]`,
  });
  const g = generateRules([p], { target: "current", prefix: true });
  assert.deepEqual(checkLoad(g.yaml, "current").warnings, []);
  const ruleset = loadRules(g.yaml, "current");
  const fires = (image: string) =>
    firingRules(
      ruleset,
      podEvent({ containers: [{ name: "a", image, securityContext: { privileged: true } }] }),
    ).map((r) => r.name).includes("PSP scoped Violation (privileged) K8s Audit");
  for (const image of ["nginx:1.19", digest, "registry:5000/app:2", "redis", "redis:7"]) {
    assert.ok(fires(image), image);
  }
  for (const image of ["nginx", "nginx:1.20", "app", "registry:5000/app:3", "registry"]) {
    assert.ok(!fires(image), image);
  }
});

Deno.test("scope: what a target cannot match is refused, naming the annotation and the item", () => {
  const refused = (images: string, target: "current" | "0.27", why: RegExp) =>
    assert.throws(
      () =>
        generateRules([psp("p", {}, { "falco-rules-psp-images": images })], {
          target,
          prefix: true,
        }),
      (e: Error) =>
        e instanceof GenerateError &&
        /metadata\.annotations\[falco-rules-psp-images\]/.test(e.message) &&
        why.test(e.message),
    );
  // current: a repository on a registry with a port is matched by reference (image_scope_test.ts)
  generateRules([psp("p", {}, { "falco-rules-psp-images": "[nginx, registry:5000/app]" })], {
    target: "current",
    prefix: true,
  });
  // Falco 0.27 rules compare repositories (falcoctl's list): a tag or a digest never matches
  refused("[nginx:1.19]", "0.27", /"nginx:1.19" has a tag or a digest.*\(nginx\)/);
  refused(`[app@sha256:${"0".repeat(64)}]`, "0.27", /list the repository \(app\)/);
  // a repository on a registry with a port is a repository for 0.27 (libsinsp keeps the port)
  const g = generateRules([psp("p", {}, { "falco-rules-psp-images": "registry:5000/app" })], {
    target: "0.27",
    prefix: true,
  });
  assert.deepEqual((parseYaml(g.yaml) as Item[]).find((i) => i.list)?.items, [
    "registry:5000/app",
  ]);
});

Deno.test("values current Falco would take for a field are refused (no load warning)", () => {
  const cases: [Record<string, unknown>, Record<string, string>, RegExp][] = [
    [{}, { "falco-rules-psp-images": "[nginx, ka.verb]" }, /falco-rules-psp-images.*"ka\.verb"/],
    [
      {},
      { "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "localhost/json.obj" },
      /allowedProfileNames\]: "json\.obj" cannot be written safely/,
    ],
    [
      { runtimeClass: { allowedRuntimeClassNames: ["evt.num"] } },
      {},
      /spec\.runtimeClass: "evt\.num" cannot be written safely/,
    ],
    [{}, { "falco-rules-psp-images": "[proc.name]" }, /"proc\.name"/], // syscall rule's field
  ];
  for (const [spec, annotations, message] of cases) {
    const p = psp("p", { privileged: false, readOnlyRootFilesystem: true, ...spec }, annotations);
    assert.throws(() => generateRules([p], { target: "current", prefix: true }), message);
    // Falco 0.27 has no such warning: the same values are data there
    const legacy = generateRules([p], { target: "0.27", prefix: true });
    assert.deepEqual(checkLoad(legacy.yaml, "0.27").warnings, []);
  }
  // a value that only looks like a field of another source is fine
  const p = psp("p", { runtimeClass: { allowedRuntimeClassNames: ["proc.name"] } });
  const g = generateRules([p], { target: "current", prefix: true });
  assert.deepEqual(checkLoad(g.yaml, "current").warnings, []);
});

Deno.test("untrusted text is validated: anything unsafe is an error, not an injection", () => {
  const bad = [
    psp("a", {}, { "falco-rules-psp-images": '[nginx, "x) or (ka.verb exists"]' }),
    psp("b", {}, { "falco-rules-psp-images": "nginx:1.25 or x" }),
    psp("c", {}, { "falco-rules-psp-namespaces": "[Prod]" }),
    psp("d", {}, { "falco-rules-psp-images": "[]" }),
    psp("e", {}, { "seccomp.security.alpha.kubernetes.io/allowedProfileNames": 'localhost/a"b' }),
    psp("f %ka.user.name", { privileged: false }),
  ];
  for (const p of bad) {
    assert.throws(
      () => generateRules([p], { target: "current", prefix: true }),
      GenerateError,
      p.metadata.name,
    );
  }
});

Deno.test("fields no rule can check are listed at the top of the file and returned as warnings", () => {
  const p = psp("groups", {
    supplementalGroups: { rule: "MustRunAs", ranges: [{ min: 1, max: 10 }] },
  });
  const g = generateRules([p], { target: "current", prefix: true });
  assert.ok(g.uncovered.some((u) => u.field === "supplementalGroups"));
  assert.match(g.yaml, /^# - groups: supplementalGroups: /m);
  assert.ok(g.warnings.some((w) => w.includes("supplementalGroups")));
  // An unusable strategy (MustRunAs without ranges is refused by admission for every pod).
  const u = generateRules([{
    ...p,
    spec: { ...p.spec, fsGroup: { rule: "MustRunAs" } },
  }], { target: "current", prefix: true });
  assert.ok(u.warnings.some((w) => w.includes("fsGroup") && w.includes("no providers available")));
});

Deno.test("mutation rules are not violations and have a lower priority", () => {
  const p = psp("mut", { runAsUser: { rule: "MustRunAs", ranges: [{ min: 1000, max: 2000 }] } });
  const items = parseYaml(generateRules([p], { target: "current", prefix: true }).yaml) as Item[];
  const m = items.find((i) => i.rule === "PSP mut Mutation (runAsUser=MustRunAs) K8s Audit");
  const v = items.find((i) => i.rule === "PSP mut Violation (runAsUser=MustRunAs) K8s Audit");
  const s = items.find((i) => i.rule === "PSP mut Violation (runAsUser=MustRunAs) System Activity");
  assert.equal(m?.priority, "NOTICE");
  assert.equal(v?.priority, "WARNING");
  assert.equal(s?.source, "syscall");
  assert.match(
    String(s?.condition),
    /^evt\.type in \(execve,execveat,setuid\) and .* not mut_psp_allowed_uids$/,
  );
  const uids = items.find((i) => i.macro === "mut_psp_allowed_uids");
  assert.equal(uids?.condition, "user.uid>=1000 and user.uid<=2000");
});

Deno.test("PSP text in outputs cannot add Falco output fields; in conditions it stays one quoted value", () => {
  const p = psp("paths", {
    volumes: ["hostPath"],
    allowedHostPaths: [{ pathPrefix: "/var/%ka.user.name) or (x" }],
  });
  for (const target of ["current", "0.27"] as const) {
    const items = parseYaml(generateRules([p], { target, prefix: true }).yaml) as Item[];
    const rule = items.find((i) =>
      String(i.rule).startsWith("PSP paths Violation (allowedHostPaths)")
    );
    assert.ok(rule, target);
    assert.ok(!String(rule.output).includes("%ka.user.name)"), `${target}: ${rule.output}`);
    assert.match(String(rule.output), /\/var\/\?ka\.user\.name\) or \(x/);
    assert.ok(String(rule.condition).includes('"/var/%ka.user.name) or (x'), `${target}: quoted`);
    assert.deepEqual(
      checkLoad(generateRules([p], { target, prefix: true }).yaml, target).errors,
      [],
    );
  }
});

Deno.test("ephemeral containers: no create rule reads them, and every header says why", async () => {
  const psps = await corpusPsps();
  for (const target of ["current", "0.27"] as const) {
    const g = generateRules(psps, { target, prefix: true });
    const rules = checkLoad(g.yaml, target).ruleset.rules;
    for (const r of rules) {
      // the image scope (any container of the pod uses a listed image) is not a PSP check
      const cond = expandedCondition(r).replace(
        /ka\.req\.pod\.ephemeralContainers\.image[a-z.]* intersects \([^)]*\)/g,
        "",
      );
      assert.ok(!/ephemeral/i.test(cond), `${target}: ${r.name}: ${cond}`);
    }
    const header = g.yaml.split("\n").filter((l) => l.startsWith("#")).join("\n");
    assert.match(
      header,
      /Ephemeral containers are not checked: kubectl debug adds them through the pods\/ephemeralcontainers subresource, which PSP admission ignores/,
    );
  }
});
