/**
 * A small seeded PRNG (mulberry32) and generators of random and mutated PSPs and pods for the
 * fuzz tests. The seed comes from FUZZ_SEED (default fixed), so a failure is reproducible:
 * every failure message carries the seed and the iteration.
 */
import { CEILING_MS, ceilingError } from "../support/ceiling.ts";

/** A seeded pseudo-random source. */
export class Random {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

/** Random(seed).next as a plain function: floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

/** The seed of this run (FUZZ_SEED, else a fixed one). */
export function fuzzSeed(): number {
  const env = Deno.env.get("FUZZ_SEED");
  return env ? Number(env) : 20261128;
}

/**
 * How many seeded cases a fuzz loop runs: `n`, times FUZZ_SCALE when set (for longer runs by
 * hand). The number never depends on the machine's speed: a seed gives the same cases, and so
 * the same outcome, on a fast machine and on a loaded one.
 */
export function fuzzCases(n: number): number {
  const scale = Number(Deno.env.get("FUZZ_SCALE") ?? "1");
  return Math.max(1, Math.round(n * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/**
 * A guard against a hanging or pathologically slow case, not a time budget: call the result
 * after each case; it throws, saying so, once the loop has run longer than CEILING_MS
 * (tests/support/ceiling.ts), far beyond what the fixed number of cases takes on a loaded
 * machine.
 */
export function timeCeiling(name: string, cases: number, seed: number): (done: number) => void {
  const started = performance.now();
  return (done) => {
    const spent = performance.now() - started;
    if (spent > CEILING_MS) {
      throw ceilingError(`${name} (${done} of ${cases} seeded cases, FUZZ_SEED=${seed})`, spent);
    }
  };
}

/** Pieces hostile text is made of: Falco syntax, quoting, YAML indicators, odd characters. */
const PIECES = [
  '"',
  "'",
  "(",
  ")",
  ",",
  " ",
  "\n",
  "\t",
  "\\",
  " and ",
  " or ",
  "not ",
  "=",
  "!=",
  " in ",
  "%",
  "%ka.user.name",
  "*",
  "[",
  "]",
  "{",
  "}",
  ":",
  ": ",
  "#",
  " #",
  "&",
  "|",
  ">",
  "-",
  "- ",
  "?",
  "@",
  "`",
  "a",
  "b",
  "x",
  "nginx",
  "1",
  "0",
  ".",
  "/",
  "é",
  "\u2028",
  "\u0000",
  "\u001b",
  "ka.verb",
  "val(",
  "true",
  "null",
  "~",
  "---",
];

/** A random string of 0..max pieces. */
export function hostileString(r: Random, max = 8): string {
  let s = "";
  const n = r.int(max + 1);
  for (let i = 0; i < n; i++) s += r.pick(PIECES);
  return s;
}

/** A random JSON value (for wrong types): scalars of every kind, small lists and maps. */
export function randomValue(r: Random, depth = 0): unknown {
  switch (r.int(depth > 2 ? 7 : 9)) {
    case 0:
      return hostileString(r);
    case 1:
      return r.pick([0, 1, -1, 65535, 65536, 2 ** 31, 2 ** 53, -(2 ** 63), 1.5, 1e300]);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return r.pick(["RunAsAny", "MustRunAs", "MustRunAsNonRoot", "MayRunAs", "*", "ALL", ""]);
    case 5:
      return r.pick(["true", "false", "yes", "1", "0"]);
    case 6:
      return { min: randomValue(r, depth + 1), max: randomValue(r, depth + 1) };
    case 7:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(3); i > 0; i--) o[hostileString(r, 2) || "k"] = randomValue(r, depth + 1);
      return o;
    }
  }
}

/** PSP spec fields and plausible values for each (valid most of the time). */
const SPEC_VALUES: Record<string, (r: Random) => unknown> = {
  privileged: (r) => r.chance(0.5),
  defaultAddCapabilities: (r) => r.chance(0.5) ? ["NET_ADMIN"] : [hostileString(r)],
  requiredDropCapabilities: (r) => r.pick([["ALL"], ["NET_RAW"], [hostileString(r)]]),
  allowedCapabilities: (r) => r.pick([["*"], ["NET_ADMIN", "SYS_TIME"], [], [hostileString(r)]]),
  volumes: (r) => r.pick([["*"], ["configMap", "secret"], [], ["hostPath", "flexVolume", "csi"]]),
  hostNetwork: (r) => r.chance(0.5),
  hostPorts: (r) => r.pick([[], [{ min: 80, max: 80 }], [{ min: 0, max: 65535 }]]),
  hostPID: (r) => r.chance(0.5),
  hostIPC: (r) => r.chance(0.5),
  seLinux: (r) =>
    r.chance(0.5) ? { rule: "RunAsAny" } : {
      rule: "MustRunAs",
      seLinuxOptions: {
        user: r.chance(0.5) ? hostileString(r) : "system_u",
        role: r.chance(0.5) ? hostileString(r) : "object_r",
        type: r.chance(0.5) ? hostileString(r) : "svirt_lxc_net_t",
        level: r.chance(0.5) ? hostileString(r) : "s0:c1,c2",
      },
    },
  runAsUser: (r) =>
    r.pick([
      { rule: "RunAsAny" },
      { rule: "MustRunAsNonRoot" },
      { rule: "MustRunAs", ranges: [{ min: 1000, max: 2000 }] },
    ]),
  runAsGroup: (r) =>
    r.pick([{ rule: "RunAsAny" }, { rule: "MayRunAs", ranges: [{ min: 1, max: 65535 }] }]),
  supplementalGroups: (r) =>
    r.pick([{ rule: "RunAsAny" }, { rule: "MustRunAs", ranges: [{ min: 1, max: 100 }] }]),
  fsGroup: (r) =>
    r.pick([{ rule: "RunAsAny" }, { rule: "MayRunAs", ranges: [{ min: 5, max: 5 }] }]),
  readOnlyRootFilesystem: (r) => r.chance(0.5),
  defaultAllowPrivilegeEscalation: (r) => r.chance(0.5),
  allowPrivilegeEscalation: (r) => r.chance(0.5),
  allowedHostPaths: (r) => [{ pathPrefix: `/${hostileString(r)}`, readOnly: r.chance(0.5) }],
  allowedFlexVolumes: (r) => [{ driver: r.chance(0.5) ? "example/lvm" : hostileString(r) }],
  allowedCSIDrivers: (r) => [{ name: r.chance(0.5) ? "csi.example.com" : hostileString(r) }],
  allowedUnsafeSysctls: (r) =>
    r.pick([["kernel.msg*"], ["net.core.somaxconn"], [hostileString(r)]]),
  forbiddenSysctls: (r) => r.pick([["*"], ["kernel.shm_rmid_forced"], [hostileString(r)]]),
  allowedProcMountTypes: (r) => r.pick([["Default"], ["Unmasked"], [hostileString(r)]]),
  runtimeClass: (r) => ({
    allowedRuntimeClassNames: r.pick([["*"], ["gvisor"], [hostileString(r)]]),
  }),
};

const ANNOTATION_KEYS = [
  "falco-rules-psp-images",
  "falco-rules-psp-namespaces",
  "seccomp.security.alpha.kubernetes.io/allowedProfileNames",
  "seccomp.security.alpha.kubernetes.io/defaultProfileName",
  "apparmor.security.beta.kubernetes.io/allowedProfileNames",
  "apparmor.security.beta.kubernetes.io/defaultProfileName",
];

function annotationValue(r: Random, key: string): string {
  const valid = key.startsWith("falco")
    ? ["nginx", "redis", "quay.io/app", "kube-system", "default"]
    : key.startsWith("apparmor")
    ? ["runtime/default", "unconfined", "localhost/p"]
    : key.endsWith("defaultProfileName")
    ? ["runtime/default", "docker/default", "unconfined", "localhost/p"]
    : ["runtime/default", "docker/default", "unconfined", "localhost/p", "*"];
  const item = () => r.chance(0.2) ? hostileString(r) : r.pick(valid);
  const n = key.endsWith("defaultProfileName") ? 1 : 1 + r.int(3);
  const items = Array.from({ length: n }, item);
  if (key.startsWith("falco") && r.chance(0.5)) return `[${items.join(", ")}]`;
  return items.join(",");
}

/** A random, usually valid PSP, then 0..4 random mutations (wrong types, hostile text). */
export function randomPsp(r: Random): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    seLinux: { rule: "RunAsAny" },
    runAsUser: { rule: "RunAsAny" },
    supplementalGroups: { rule: "RunAsAny" },
    fsGroup: { rule: "RunAsAny" },
  };
  for (const [k, gen] of Object.entries(SPEC_VALUES)) if (r.chance(0.3)) spec[k] = gen(r);
  const annotations: Record<string, unknown> = {};
  for (const k of ANNOTATION_KEYS) if (r.chance(0.25)) annotations[k] = annotationValue(r, k);
  const psp: Record<string, unknown> = {
    apiVersion: r.chance(0.9) ? "policy/v1beta1" : "extensions/v1beta1",
    kind: "PodSecurityPolicy",
    metadata: { name: r.chance(0.7) ? r.pick(["p", "restricted", "a-b.c"]) : hostileString(r) },
    spec,
  };
  if (Object.keys(annotations).length) {
    (psp.metadata as Record<string, unknown>).annotations = annotations;
  }
  if (r.chance(0.5)) { for (let i = 1 + r.int(3); i > 0; i--) mutate(r, psp); }
  return psp;
}

/** A random, usually valid pod, then 0..4 random mutations. */
export function randomPod(r: Random): Record<string, unknown> {
  const container = (name: string) => {
    const c: Record<string, unknown> = {
      name,
      image: r.pick(["nginx", "redis:7", hostileString(r)]),
    };
    const sc: Record<string, unknown> = {};
    if (r.chance(0.3)) sc.privileged = r.chance(0.5);
    if (r.chance(0.3)) sc.runAsUser = r.pick([0, 1000, 65536]);
    if (r.chance(0.2)) sc.runAsNonRoot = r.chance(0.5);
    if (r.chance(0.2)) sc.readOnlyRootFilesystem = r.chance(0.5);
    if (r.chance(0.2)) sc.allowPrivilegeEscalation = r.chance(0.5);
    if (r.chance(0.2)) sc.capabilities = { add: [r.pick(["NET_ADMIN", "SYS_ADMIN"])] };
    if (r.chance(0.1)) sc.procMount = r.pick(["Default", "Unmasked"]);
    if (r.chance(0.1)) sc.seLinuxOptions = { type: hostileString(r) };
    if (r.chance(0.1)) sc.seccompProfile = { type: r.pick(["RuntimeDefault", "Localhost"]) };
    if (Object.keys(sc).length) c.securityContext = sc;
    if (r.chance(0.2)) c.ports = [{ containerPort: 80, hostPort: r.pick([80, 8080]) }];
    if (r.chance(0.2)) {
      c.volumeMounts = [{ name: "v", mountPath: "/data", readOnly: r.chance(0.5) }];
    }
    return c;
  };
  const spec: Record<string, unknown> = { containers: [container("c")] };
  if (r.chance(0.2)) spec.initContainers = [container("init")];
  if (r.chance(0.1)) spec.ephemeralContainers = [container("debug")];
  if (r.chance(0.2)) spec.hostNetwork = r.chance(0.5);
  if (r.chance(0.2)) spec.hostPID = r.chance(0.5);
  if (r.chance(0.2)) {
    spec.volumes = [
      r.pick([
        { name: "v", hostPath: { path: `/${hostileString(r)}` } },
        { name: "v", emptyDir: {} },
        { name: "v", flexVolume: { driver: hostileString(r) } },
        { name: "v", csi: { driver: hostileString(r) } },
      ]),
    ];
  }
  if (r.chance(0.2)) {
    spec.securityContext = {
      runAsUser: r.pick([0, 1000]),
      fsGroup: r.pick([0, 5]),
      supplementalGroups: [1],
      sysctls: [{
        name: r.pick(["kernel.msgmax", "net.core.somaxconn", hostileString(r)]),
        value: "1",
      }],
    };
  }
  if (r.chance(0.1)) spec.runtimeClassName = r.pick(["gvisor", hostileString(r)]);
  const annotations: Record<string, string> = {};
  if (r.chance(0.2)) annotations["seccomp.security.alpha.kubernetes.io/pod"] = hostileString(r);
  if (r.chance(0.2)) {
    annotations["container.apparmor.security.beta.kubernetes.io/c"] = r.pick([
      "runtime/default",
      hostileString(r),
    ]);
  }
  const pod: Record<string, unknown> = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: r.chance(0.8) ? "p" : hostileString(r),
      namespace: r.chance(0.8) ? "default" : hostileString(r),
      annotations,
    },
    spec,
  };
  if (r.chance(0.5)) { for (let i = 1 + r.int(3); i > 0; i--) mutate(r, pod); }
  return pod;
}

/** Replaces, deletes or adds a value at a random path of a JSON object. */
export function mutate(r: Random, root: Record<string, unknown>): void {
  let cur: unknown = root;
  for (let depth = 0; depth < 6; depth++) {
    const keys = cur && typeof cur === "object" ? Object.keys(cur as object) : [];
    if (!keys.length) return;
    const k = r.pick(keys);
    const obj = cur as Record<string, unknown>;
    const child = obj[k];
    const stop = child === null || typeof child !== "object" || r.chance(0.3);
    if (stop) {
      const what = r.int(3);
      if (what === 0 && !Array.isArray(obj)) delete obj[k];
      else if (what === 1 && !Array.isArray(obj)) {
        obj[hostileString(r, 3) || "extra"] = randomValue(r);
      } else obj[k] = randomValue(r);
      return;
    }
    cur = child;
  }
}
