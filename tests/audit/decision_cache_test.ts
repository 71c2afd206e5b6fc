/**
 * The decision cache (issue 10.2): replicas share a decision, and the report is the same with
 * and without it. Differential over the oracle corpus and the real-world corpus (shared
 * directory) in every output format, through both audit paths (one thread with positions, the
 * document pool with workers), with renamed replicas, odd names, per-pod token volume names,
 * RBAC sets, `--pss` and every token volume mode; seeded mutations of each read field change
 * the key and of unread fields do not; random mutations anywhere never give two pods with one
 * key different decisions.
 */
import assert from "node:assert/strict";
import {
  allowedKey,
  type CacheStats,
  DecisionCache,
  decisionKey,
  formatCacheStats,
} from "../../src/audit/decision_cache.ts";
import { PolicySet } from "../../src/audit/document_audit.ts";
import { fileInputs } from "../../src/audit/inputs.ts";
import { auditPods, auditPodsInParallel } from "../../src/audit/run.ts";
import type { Pod } from "../../src/model/pod.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { parseVersion } from "../../src/pss/api.ts";
import type { PssSetting } from "../../src/pss/pod_result.ts";
import { podPssKey } from "../../src/pss/pod_result.ts";
import { admittedView, messageKey } from "../../src/report/build.ts";
import type { AuditReport } from "../../src/report/model.ts";
import { OUTPUT_FORMATS, renderReport } from "../../src/report/render.ts";
import { extractFromObject } from "../../src/workloads/extract.ts";
import {
  type TokenVolumeMode,
  withServiceAccountToken,
} from "../../src/workloads/service_account_token.ts";
import type { PodSubject } from "../../src/workloads/subject.ts";
import { ORACLE_DIR, sharedOrIgnore } from "../support/shared.ts";
import { seededRandom } from "../fuzz/random.ts";

const REALWORLD = sharedOrIgnore("oracle/realworld/corpus.json", import.meta.url);

interface Corpus {
  psps: PodSecurityPolicy[];
  pods: Pod[];
  sets: string[][];
}

async function oracleCorpus(): Promise<Corpus> {
  return JSON.parse(await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR)));
}

async function realworldCorpus(): Promise<Corpus> {
  return JSON.parse(await Deno.readTextFile(REALWORLD.url));
}

const clone = <T>(v: T): T => structuredClone(v);

/** Another replica of `pod`: its own name, uid, labels, node and status; same spec otherwise. */
function replica(pod: Pod, i: number, name?: string): Pod {
  const p = clone(pod);
  const base = pod.metadata.name ?? "pod";
  p.metadata = {
    ...p.metadata,
    name: name ?? `${base}-${i}x${(i * 7919).toString(36)}`,
    uid: `uid-${base}-${i}`,
    labels: { ...(p.metadata.labels ?? {}), replica: String(i) },
    resourceVersion: String(1000 + i),
  } as Pod["metadata"];
  if (name === "") {
    delete p.metadata.name;
    (p.metadata as Record<string, unknown>).generateName = `${base}-`;
  }
  p.spec.nodeName = `node-${i % 3}`;
  (p as unknown as Record<string, unknown>).status = { phase: "Running", podIP: `10.0.0.${i}` };
  return p;
}

/**
 * As a cluster stores it: the ServiceAccount plugin's projected token volume, named with the
 * per-pod random suffix, mounted in every container.
 */
function asStored(pod: Pod, suffix: string): Pod {
  return withServiceAccountToken(pod, "projected", suffix);
}

/** The corpus pods, each followed by replicas: renamed, quoted, generateName-only. */
function withReplicas(pods: readonly Pod[]): Pod[] {
  const out: Pod[] = [];
  pods.forEach((pod, n) => {
    out.push(pod, replica(pod, 1), replica(pod, 2, `we"ird\u00e9-${n}`), replica(pod, 3, ""));
    // the first stored: per-pod random token volume names
    out.push(asStored(replica(pod, 4), `a${n}bcd`), asStored(replica(pod, 5), `z${n}yxw`));
  });
  return out;
}

function subjectOf(pod: Pod, file: string, fromCluster = false): PodSubject {
  const source = { file: fromCluster ? "cluster" : file };
  return extractFromObject({ object: pod as never, source, locate: () => undefined }).subject!;
}

/** Every rendering of a report (what a user can see). */
function renderings(report: AuditReport): string[] {
  return OUTPUT_FORMATS.map((f) => renderReport(report, f, { showAdmitted: true }));
}

/** Audits `pods` (a file of JSON lines) through both paths, with and without the cache. */
async function differential(
  corpus: Corpus,
  label: string,
  opts: { pss?: PssSetting; tokenVolume: TokenVolumeMode; rbac?: boolean; evict?: boolean },
): Promise<{ hits: number; lookups: number }> {
  const dir = await Deno.makeTempDir();
  try {
    const pods = withReplicas(corpus.pods);
    await Deno.writeTextFile(
      `${dir}/psps.json`,
      JSON.stringify({ kind: "List", items: corpus.psps }),
    );
    await Deno.writeTextFile(`${dir}/pods.jsonl`, pods.map((p) => JSON.stringify(p)).join("\n"));
    const inputs = fileInputs(
      {
        pspFile: [`${dir}/psps.json`],
        filename: [`${dir}/pods.jsonl`],
        recursive: false,
        auditLog: [],
        rbacFile: [],
        creatorGroups: [],
      },
      () => {},
    );
    const policies = await inputs.policies();
    // RBAC: each pod may use one of the corpus's sets (by its first container's name), as a
    // cluster's RBAC gives the pods of one service account the same PSPs.
    const access = opts.rbac
      ? (s: PodSubject) =>
        corpus.sets[(s.pod.spec.containers[0]?.name.length ?? 0) % corpus.sets.length]
      : undefined;
    const stats: CacheStats[] = [];
    const run = async (cache: boolean, way: "one" | "pool" | "cluster", budget?: number) => {
      const decisionCache = cache ? { entries: budget ?? 4096, bytes: 8 << 20 } : null;
      const cacheStats = (s: CacheStats) => stats.push(s);
      if (way === "pool") {
        return await auditPodsInParallel(
          policies,
          { documents: inputs.documents! },
          undefined,
          undefined,
          {
            tokenVolume: opts.tokenVolume,
            jobs: 2,
            warn: () => {},
            ...(opts.pss ? { pss: opts.pss } : {}),
            decisionCache,
            cacheStats,
          },
        );
      }
      const subjects = way === "cluster"
        ? {
          async *subjects() {
            for (const p of pods) yield subjectOf(p, "pods.jsonl", true);
          },
        }
        : inputs;
      return await auditPods(
        policies,
        subjects,
        access,
        undefined,
        {
          positions: true,
          tokenVolume: opts.tokenVolume,
          ...(opts.pss ? { pss: opts.pss } : {}),
          decisionCache,
          cacheStats,
        },
      );
    };
    let hits = 0;
    let lookups = 0;
    const ways = opts.rbac ? (["one", "cluster"] as const) : (["one", "pool", "cluster"] as const);
    for (const way of ways) {
      const without = await run(false, way);
      const expected = renderings(without);
      // A budget of 3 entries: evictions all the way (the oracle corpus only: time).
      for (const budget of opts.evict === false ? [4096] : [4096, 3]) {
        stats.length = 0;
        const withCache = await run(true, way, budget);
        assert.deepEqual(withCache, without, `${label} ${way} budget ${budget}: report`);
        if (budget === 4096) {
          const got = renderings(withCache);
          OUTPUT_FORMATS.forEach((f, i) =>
            assert.equal(got[i], expected[i], `${label} ${way}: -o ${f}`)
          );
        }
        assert.equal(stats.length, 1);
        assert.equal(stats[0].lookups, pods.length);
        if (budget === 4096) {
          hits += stats[0].hits;
          lookups += stats[0].lookups;
          // Every replica of a pod is a hit, but a 422's (its message names the pod), and with
          // --pss the two stored replicas' (their random token volume names are in the key).
          // In the pool each of the 2 threads may miss a pod's first replica it sees, and
          // which thread gets which batch depends on timing: at least 2 of each 6 still hit.
          assert.ok(
            stats[0].hits >= pods.length / (way === "pool" ? 3 : 2),
            `${label} ${way}: ${formatCacheStats(stats[0])}`,
          );
        } else assert.ok(stats[0].entries <= 3 * stats[0].caches);
      }
    }
    console.log(`${label}: ${hits}/${lookups} hits over ${ways.join(", ")}; reports identical`);
    return { hits, lookups };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("decision cache: oracle corpus, reports identical with and without it, every format", async () => {
  const corpus = await oracleCorpus();
  for (const tokenVolume of ["projected", "secret", "none"] as const) {
    await differential(corpus, `oracle, token ${tokenVolume}`, { tokenVolume });
  }
  await differential(corpus, "oracle, RBAC sets", { tokenVolume: "projected", rbac: true });
  for (const version of ["latest", "v1.18"]) {
    await differential(corpus, `oracle, --pss restricted:${version}`, {
      tokenVolume: "projected",
      pss: { level: "restricted", version: parseVersion(version) },
    });
  }
});

Deno.test({
  name: "decision cache: real-world corpus, reports identical with and without it, every format",
  ignore: REALWORLD.ignore,
  async fn() {
    const corpus = await realworldCorpus();
    await differential(corpus, "realworld", { tokenVolume: "projected", evict: false });
    await differential(corpus, "realworld, RBAC sets", {
      tokenVolume: "projected",
      rbac: true,
      evict: false,
    });
    await differential(corpus, "realworld, --pss", {
      tokenVolume: "projected",
      evict: false,
      pss: { level: null, version: parseVersion("latest") },
    });
  },
});

// ---- the key: what changes it and what does not --------------------------------------------

/** What the report keeps of a decision (DecisionTable's identity), as one text. */
function decisionView(set: PolicySet, s: PodSubject, allowed: string[], t: TokenVolumeMode) {
  const d = set.admit(s, allowed, t);
  return JSON.stringify([
    d.verdict,
    d.policy,
    d.results,
    admittedView(d.admitted),
    d.pss ? podPssKey(d.pss) : null,
    messageKey(d), // a 403's message without the pod's name
  ]);
}

type Mutation = [name: string, mutate: (p: Pod, r: () => number) => void];

const sc = (c: Record<string, unknown>) => (c.securityContext ??= {}) as Record<string, unknown>;
const firstContainer = (p: Pod) => p.spec.containers[0] as Record<string, unknown>;
const podSc = (p: Pod) => (p.spec.securityContext ??= {}) as Record<string, unknown>;

/** Mutations of fields PSP admission (or the report's admitted pod) reads. */
const READ: Mutation[] = [
  [
    "container privileged",
    (p) => sc(firstContainer(p)).privileged = !sc(firstContainer(p)).privileged,
  ],
  ["container runAsUser", (p, r) => sc(firstContainer(p)).runAsUser = 1 + Math.floor(r() * 1e6)],
  ["container runAsGroup", (p, r) => sc(firstContainer(p)).runAsGroup = 1 + Math.floor(r() * 1e6)],
  [
    "container runAsNonRoot",
    (p) => sc(firstContainer(p)).runAsNonRoot = sc(firstContainer(p)).runAsNonRoot !== true,
  ],
  ["container capabilities", (p) => sc(firstContainer(p)).capabilities = { add: ["NET_RAW", "X"] }],
  [
    "container readOnlyRootFilesystem",
    (p) =>
      sc(firstContainer(p)).readOnlyRootFilesystem =
        sc(firstContainer(p)).readOnlyRootFilesystem !== true,
  ],
  [
    "container allowPrivilegeEscalation",
    (p) =>
      sc(firstContainer(p)).allowPrivilegeEscalation =
        sc(firstContainer(p)).allowPrivilegeEscalation === false,
  ],
  ["container procMount", (p) => sc(firstContainer(p)).procMount = "Unmasked"],
  ["container seLinuxOptions", (p) => sc(firstContainer(p)).seLinuxOptions = { level: "s0:c1" }],
  [
    "container seccompProfile",
    (p) => sc(firstContainer(p)).seccompProfile = { type: "Unconfined" },
  ],
  ["container windowsOptions", (p) => sc(firstContainer(p)).windowsOptions = { hostProcess: true }],
  ["container name", (p) => firstContainer(p).name = `${firstContainer(p).name}-x`],
  ["container hostPort", (p) => firstContainer(p).ports = [{ containerPort: 80, hostPort: 8080 }]],
  ["container port name", (p) => firstContainer(p).ports = [{ containerPort: 80, name: "web" }]],
  ["mount readOnly", (p) => {
    p.spec.volumes = [...(p.spec.volumes ?? []), { name: "hp", hostPath: { path: "/x" } }];
    firstContainer(p).volumeMounts = [{ name: "hp", mountPath: "/x", readOnly: true }];
  }],
  [
    "mount path",
    (p) =>
      firstContainer(p).volumeMounts = [{
        name: "nope",
        mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
      }],
  ],
  ["pod runAsUser", (p, r) => podSc(p).runAsUser = 1 + Math.floor(r() * 1e6)],
  ["pod fsGroup", (p, r) => podSc(p).fsGroup = 1 + Math.floor(r() * 1e6)],
  ["pod supplementalGroups", (p) => podSc(p).supplementalGroups = [5, 6]],
  ["pod sysctls", (p) => podSc(p).sysctls = [{ name: "kernel.shm_rmid_forced", value: "1" }]],
  [
    "pod seccompProfile",
    (p) => podSc(p).seccompProfile = { type: "Localhost", localhostProfile: "x" },
  ],
  ["hostNetwork", (p) => p.spec.hostNetwork = p.spec.hostNetwork !== true],
  ["hostPID", (p) => p.spec.hostPID = p.spec.hostPID !== true],
  ["hostIPC", (p) => p.spec.hostIPC = p.spec.hostIPC !== true],
  ["runtimeClassName", (p) => p.spec.runtimeClassName = "gvisor"],
  [
    "volume type",
    (p) =>
      p.spec.volumes = [...(p.spec.volumes ?? []), { name: "v", nfs: { server: "s", path: "/" } }],
  ],
  [
    "volume hostPath",
    (p) => p.spec.volumes = [...(p.spec.volumes ?? []), { name: "v", hostPath: { path: "/etc" } }],
  ],
  [
    "volume flex driver",
    (p) => p.spec.volumes = [...(p.spec.volumes ?? []), { name: "v", flexVolume: { driver: "d" } }],
  ],
  [
    "volume csi driver",
    (p) => p.spec.volumes = [...(p.spec.volumes ?? []), { name: "v", csi: { driver: "d" } }],
  ],
  [
    "volume projected",
    (p) =>
      p.spec.volumes = [...(p.spec.volumes ?? []), {
        name: "v",
        projected: { sources: [{ secret: { name: "s" } }] },
      }],
  ],
  [
    "volume without type (its name is in the message)",
    (p) => p.spec.volumes = [...(p.spec.volumes ?? []), { name: "typeless" }],
  ],
  [
    "annotation (any: the admitted pod's are reported)",
    (p) => (p.metadata.annotations ??= {})["example.com/x"] = "y",
  ],
  [
    "seccomp annotation",
    (p) =>
      (p.metadata.annotations ??= {})["seccomp.security.alpha.kubernetes.io/pod"] = "unconfined",
  ],
  [
    "apparmor annotation",
    (p) =>
      (p.metadata.annotations ??= {})[
        `container.apparmor.security.beta.kubernetes.io/${firstContainer(p).name}`
      ] = "unconfined",
  ],
  [
    "automountServiceAccountToken",
    (p) => p.spec.automountServiceAccountToken = p.spec.automountServiceAccountToken === false,
  ],
  [
    "init container",
    (p) =>
      p.spec.initContainers = [...(p.spec.initContainers ?? []), {
        name: "init",
        securityContext: { privileged: true },
      }],
  ],
  [
    "ephemeral container",
    (p) => p.spec.ephemeralContainers = [{ name: "debug", securityContext: { privileged: true } }],
  ],
  [
    "runAsUser -0 vs 0",
    (p) =>
      sc(firstContainer(p)).runAsUser = Object.is(sc(firstContainer(p)).runAsUser, -0) ? 0 : -0,
  ],
];

/** Mutations of fields nothing in the decision reads (with the token volume projected). */
const UNREAD: Mutation[] = [
  ["name", (p) => p.metadata.name = `${p.metadata.name}-other`],
  ["generateName", (p) => (p.metadata as Record<string, unknown>).generateName = "gen-"],
  ["uid", (p) => (p.metadata as Record<string, unknown>).uid = "1234"],
  ["labels", (p, r) => p.metadata.labels = { "pod-template-hash": r().toString(36).slice(2) }],
  [
    "ownerReferences",
    (p) =>
      (p.metadata as Record<string, unknown>).ownerReferences = [{
        kind: "ReplicaSet",
        name: "rs",
        controller: true,
      }],
  ],
  ["resourceVersion", (p) => (p.metadata as Record<string, unknown>).resourceVersion = "99"],
  ["nodeName", (p) => p.spec.nodeName = "node-9"],
  ["tolerations", (p) => p.spec.tolerations = [{ operator: "Exists" }]],
  ["affinity", (p) => p.spec.affinity = { nodeAffinity: {} }],
  ["image", (p) => firstContainer(p).image = "registry.local/other:1"],
  ["env", (p) => firstContainer(p).env = [{ name: "POD", value: "x" }]],
  ["resources", (p) => firstContainer(p).resources = { limits: { cpu: "1" } }],
  ["command", (p) => firstContainer(p).command = ["/bin/true"]],
  [
    "probe (PSP reads none)",
    (p) => firstContainer(p).livenessProbe = { httpGet: { host: "h", port: 1 } },
  ],
  ["mount subPath", (p) => {
    for (const m of (firstContainer(p).volumeMounts ?? []) as Record<string, unknown>[]) {
      m.subPath = "s";
    }
  }],
  ["configMap volume's configMap", (p) => {
    for (const v of p.spec.volumes ?? []) if (v.configMap) v.configMap = { name: "other-5fk8t9" };
  }],
  ["volume renamed with its mounts", (p) => {
    const renames = new Map<string, string>();
    for (const v of p.spec.volumes ?? []) {
      if (v.name.startsWith("kube-api-access-")) continue;
      renames.set(v.name, `${v.name}-r`);
      v.name = `${v.name}-r`;
    }
    for (const k of ["initContainers", "containers"] as const) {
      for (const c of p.spec[k] ?? []) {
        for (const m of c.volumeMounts ?? []) m.name = renames.get(m.name) ?? m.name;
      }
    }
  }],
  [
    "serviceAccountName (RBAC reads it: the candidates are in the key)",
    (p) => p.spec.serviceAccountName = "other-sa",
  ],
  ["status", (p) => (p as unknown as Record<string, unknown>).status = { phase: "Pending" }],
];

function keyOf(set: PolicySet, pod: Pod, allowed: string[], t: TokenVolumeMode) {
  return set.decisionKey(subjectOf(pod, "f.yaml"), allowed, t);
}

Deno.test("decision cache key: every mutation of a read field changes it, of an unread field does not", async () => {
  const corpus = await oracleCorpus();
  const set = new PolicySet(corpus.psps, undefined);
  const r = seededRandom(10_2);
  const counts = { read: 0, unread: 0 };
  for (const pod of corpus.pods) {
    const allowed = set.names;
    const base = keyOf(set, pod, allowed, "projected");
    assert.ok(base !== null);
    for (const [name, mutate] of READ) {
      const p = clone(pod);
      mutate(p, r);
      if (JSON.stringify(p) === JSON.stringify(pod) && name !== "runAsUser -0 vs 0") continue;
      assert.notEqual(keyOf(set, p, allowed, "projected"), base, `${pod.metadata.name}: ${name}`);
      counts.read++;
    }
    for (const [name, mutate] of UNREAD) {
      const p = clone(pod);
      mutate(p, r);
      assert.equal(keyOf(set, p, allowed, "projected"), base, `${pod.metadata.name}: ${name}`);
      const s = subjectOf(pod, "f.yaml");
      const t = subjectOf(p, "f.yaml");
      assert.equal(
        decisionView(set, t, allowed, "projected"),
        decisionView(set, s, allowed, "projected"),
        `${pod.metadata.name}: ${name} changed the decision`,
      );
      counts.unread++;
    }
  }
  // What else decides: the candidates and the token volume mode (not the namespace, even with
  // --pss: a pod's PSS result holds every version's answer).
  const pod = corpus.pods[0];
  const keys = new Set([
    keyOf(set, pod, set.names, "projected"),
    keyOf(set, pod, set.names.slice(1), "projected"),
    keyOf(set, pod, [], "projected"),
    keyOf(set, pod, set.names, "secret"),
    keyOf(set, pod, set.names, "none"),
  ]);
  assert.equal(keys.size, 5);
  // In secret mode the service account names the token volume; so does the volume's name.
  const sa = clone(pod);
  sa.spec.serviceAccountName = "other";
  assert.notEqual(keyOf(set, sa, set.names, "secret"), keyOf(set, pod, set.names, "secret"));
  const pss = new PolicySet(corpus.psps, undefined, {
    level: "restricted",
    version: parseVersion("latest"),
  });
  const other = clone(pod);
  other.metadata.namespace = "elsewhere";
  assert.equal(keyOf(pss, other, set.names, "projected"), keyOf(pss, pod, set.names, "projected"));
  assert.equal(keyOf(set, other, set.names, "projected"), keyOf(set, pod, set.names, "projected"));
  // --pss reads probe hosts, os and hostUsers, and the volume names its messages print.
  for (
    const m of [
      (p: Pod) => firstContainer(p).livenessProbe = { httpGet: { host: "h", port: 1 } },
      (p: Pod) => firstContainer(p).lifecycle = { preStop: { tcpSocket: { host: "h", port: 1 } } },
      (p: Pod) => p.spec.os = { name: "windows" },
      (p: Pod) => p.spec.hostUsers = false,
      (p: Pod) => p.spec.volumes = [{ name: "a", emptyDir: {} }],
    ]
  ) {
    const p = clone(pod);
    m(p);
    assert.notEqual(keyOf(pss, p, set.names, "projected"), keyOf(pss, pod, set.names, "projected"));
  }
  console.log(
    `${counts.read} read-field mutations changed the key, ${counts.unread} unread did not`,
  );
});

/** A random value of the kinds pods hold, odd ones included. */
function randomValue(r: () => number): unknown {
  const vs: unknown[] = [
    null,
    true,
    false,
    0,
    -0,
    1,
    1000,
    65535,
    NaN,
    Infinity,
    "",
    "x",
    "RuntimeDefault",
    "Unconfined",
    "/etc",
    [],
    ["NET_RAW"],
    {},
    { type: "RuntimeDefault" },
    { path: "/var/log" },
    { driver: "d" },
  ];
  return vs[Math.floor(r() * vs.length)];
}

/** Field names pods hold (so random mutations hit real fields as well as unknown ones). */
const FIELD_NAMES = [
  "privileged",
  "runAsUser",
  "runAsGroup",
  "runAsNonRoot",
  "readOnlyRootFilesystem",
  "allowPrivilegeEscalation",
  "capabilities",
  "add",
  "drop",
  "procMount",
  "seccompProfile",
  "seLinuxOptions",
  "type",
  "level",
  "name",
  "hostPort",
  "containerPort",
  "protocol",
  "hostNetwork",
  "hostPID",
  "hostIPC",
  "fsGroup",
  "supplementalGroups",
  "sysctls",
  "hostPath",
  "path",
  "readOnly",
  "mountPath",
  "secret",
  "emptyDir",
  "projected",
  "flexVolume",
  "csi",
  "driver",
  "runtimeClassName",
  "image",
  "env",
  "labels",
  "automountServiceAccountToken",
  "serviceAccountName",
  "windowsOptions",
  "hostProcess",
];

/** Sets a random field of a random object inside `pod` to a random value. */
function randomMutation(pod: Pod, r: () => number): void {
  const objects: Record<string, unknown>[] = [];
  const walk = (v: unknown) => {
    if (v === null || typeof v !== "object") return;
    if (!Array.isArray(v)) objects.push(v as Record<string, unknown>);
    for (const x of Object.values(v)) walk(x);
  };
  walk(pod);
  const o = objects[Math.floor(r() * objects.length)];
  const keys = Object.keys(o);
  const k = r() < 0.5 && keys.length
    ? keys[Math.floor(r() * keys.length)]
    : FIELD_NAMES[Math.floor(r() * FIELD_NAMES.length)];
  if (r() < 0.15) delete o[k];
  else o[k] = randomValue(r);
}

Deno.test("decision cache key: seeded random mutations anywhere; one key, one decision", async () => {
  const corpus = await oracleCorpus();
  const setups = [
    { set: new PolicySet(corpus.psps, undefined), t: "projected" as const },
    { set: new PolicySet(corpus.psps, undefined), t: "secret" as const },
    {
      set: new PolicySet(corpus.psps, undefined, { level: null, version: parseVersion("v1.18") }),
      t: "projected" as const,
    },
  ];
  const r = seededRandom(4242);
  let sameKey = 0;
  let cases = 0;
  for (let i = 0; i < 1500; i++) {
    const { set, t } = setups[i % setups.length];
    const pod = corpus.pods[Math.floor(r() * corpus.pods.length)];
    const a = clone(pod);
    randomMutation(a, r);
    const b = clone(a);
    for (let n = 1 + Math.floor(r() * 2); n > 0; n--) randomMutation(b, r);
    let sa: PodSubject;
    let sb: PodSubject;
    try {
      sa = subjectOf(a, "f.yaml");
      sb = subjectOf(b, "f.yaml");
      if (!sa || !sb) continue;
    } catch {
      continue; // not a pod the audit would admit (shape errors)
    }
    const allowed = set.names;
    const ka = set.decisionKey(sa, allowed, t);
    const kb = set.decisionKey(sb, allowed, t);
    let va: string;
    let vb: string;
    try {
      va = decisionView(set, sa, allowed, t);
      vb = decisionView(set, sb, allowed, t);
    } catch {
      continue;
    }
    cases++;
    if (ka !== null && ka === kb) {
      sameKey++;
      assert.equal(vb, va, `case ${i}: one key, two decisions`);
    }
  }
  assert.ok(sameKey > 100, `only ${sameKey} pairs shared a key`);
  console.log(`${cases} mutated pairs admitted, ${sameKey} shared a key and a decision`);
});

Deno.test("decision cache: least recently used out first, within entries and bytes", () => {
  const c = new DecisionCache<number>({ entries: 3, bytes: 1 << 20 });
  for (const k of ["a", "b", "c"]) c.set(k, k.charCodeAt(0));
  assert.equal(c.get("a"), 97); // a is now the most recent
  c.set("d", 100);
  assert.equal(c.get("b"), undefined, "b was least recently used");
  assert.equal(c.get("a"), 97);
  assert.equal(c.stats().entries, 3);
  const small = new DecisionCache<number>({ entries: 100, bytes: 64 * (2 * 100 + 96) });
  for (let i = 0; i < 200; i++) small.set(`${i}`.padStart(100, "0"), i);
  const s = small.stats();
  assert.ok(s.bytes <= 64 * (2 * 100 + 96), `${s.bytes}`);
  assert.ok(s.evictions > 0);
  assert.equal(s.lookups, 0);
  // A key over 1/64 of the byte budget is not kept.
  small.set("x".repeat(200), 1);
  assert.equal(small.get("x".repeat(200)), undefined);
  assert.equal(allowedKey(["a", "b"]), allowedKey(["a", "b"]));
  assert.notEqual(allowedKey(["a,b"]), allowedKey(["a", "b"]));
  // Values no key stands for: the pod is decided without the cache.
  const odd = { metadata: { name: "p" }, spec: { containers: [{ name: "c", x: new Date(0) }] } };
  const odd2 = {
    metadata: { name: "p" },
    spec: { containers: [{ name: "c", securityContext: { d: new Date(0) } }] },
  };
  const ctx = { psp: true, pss: false };
  const own = { allowed: "", tokenVolume: "none" as const };
  assert.notEqual(decisionKey(odd as unknown as Pod, ctx, own), null, "unread fields are not read");
  // A volume and mount named NaN do not match (`===`), two named "x" do: not one key.
  const named = (name: unknown) =>
    ({
      metadata: { name: "p" },
      spec: {
        volumes: [{ name, hostPath: { path: "/x" } }],
        containers: [{ name: "c", volumeMounts: [{ name, mountPath: "/x" }] }],
      },
    }) as unknown as Pod;
  assert.notEqual(decisionKey(named(NaN), ctx, own), decisionKey(named("x"), ctx, own));
  assert.equal(decisionKey(named("y"), ctx, own), decisionKey(named("x"), ctx, own));
  assert.equal(decisionKey(odd2 as unknown as Pod, ctx, own), null);
});
