/**
 * Differential test against a real kube-apiserver v1.20.2 (PodSecurityPolicy admission on, the
 * ServiceAccount plugin off, as for the oracle): seeded random PSPs and pods, each pod submitted
 * as a server-side dry run by a user allowed every PSP and by users allowed one PSP, and
 * `admitPod` must give the same answer: status (admitted / 403 / PSP-caused 422), chosen PSP,
 * the multiset of violation lines, and the stored pod's security fields.
 *
 * Explained exceptions:
 * - Pods that core pod validation refuses for reasons unrelated to PSP (422 without the
 *   `allowPrivilegeEscalation` conflict, e.g. a seccomp field and annotation that disagree) are
 *   not PSP decisions and are skipped (counted).
 * - Stored pods are compared with empty lists removed: the server's JSON omits empty lists
 *   (`omitempty`), `admitPod` keeps the ones the pod was submitted with.
 *
 * Needs the kube-apiserver binary and etcd (scripts/build-apiserver.sh); ignored otherwise.
 */
import assert from "node:assert/strict";
import { E2E_TEST, skipE2e, startApiserver, stopApiserver } from "../e2e/apiserver.ts";
import { ApiError } from "../../src/cluster/errors.ts";
import { admitPod, type CompiledPolicy, compilePolicy } from "../../src/admission/admit.ts";
import type { Pod } from "../../src/model/pod.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

/** A small deterministic PRNG, so failures reproduce. */
class Random {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state * 1103515245 + 12345) & 0x7fffffff;
    return this.state / 0x7fffffff;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  maybe(p = 0.5): boolean {
    return this.next() < p;
  }
  subset<T>(xs: readonly T[], p = 0.3): T[] {
    return xs.filter(() => this.maybe(p));
  }
}

const RANGES = [
  [{ min: 1000, max: 2000 }],
  [{ min: 100, max: 200 }, { min: 5000, max: 6000 }],
  [{ min: 0, max: 0 }],
  [{ min: 1, max: 65535 }],
];
const CAPS = [
  "NET_ADMIN",
  "SYS_ADMIN",
  "CHOWN",
  "NET_RAW",
  "ALL",
  "SYS_TIME",
  "CAP_SYS_ADMIN",
  "KILL",
];
const VOLUMES = [
  "hostPath",
  "emptyDir",
  "secret",
  "configMap",
  "projected",
  "downwardAPI",
  "persistentVolumeClaim",
  "flexVolume",
  "csi",
  "nfs",
];
const SECCOMP_ALLOWED = [
  "runtime/default",
  "docker/default",
  "localhost/a.json",
  "runtime/default,localhost/a.json",
  "*",
  "unconfined",
  "docker/default,unconfined",
];
const SECCOMP = [
  "runtime/default",
  "docker/default",
  "unconfined",
  "localhost/a.json",
  "localhost/b.json",
];
const SECCOMP_FIELDS = [
  { type: "RuntimeDefault" },
  { type: "Unconfined" },
  { type: "Localhost", localhostProfile: "a.json" },
];
const APPARMOR = ["runtime/default", "localhost/k8s-a", "unconfined"];
const SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "kernel.msgmax",
  "kernel.sem",
  "net.core.somaxconn",
  "net.ipv4.tcp_keepalive_time",
];
const SELINUX = [{ level: "s0:c1,c2" }, { level: "s0:c2,c1", user: "u" }, { type: "t", role: "r" }];

function randomPsp(r: Random, i: number): Obj {
  const ape = r.pick([true, false, undefined]);
  const dape = ape === false ? r.pick([false, undefined]) : r.pick([true, false, undefined]);
  const strategy = (rules: string[]) => {
    const rule = r.pick(rules);
    return rule === "RunAsAny" || rule === "MustRunAsNonRoot"
      ? { rule }
      : { rule, ranges: r.pick(RANGES) };
  };
  let allowed = r.subset(CAPS, 0.2);
  let drop = r.subset(CAPS, 0.2).filter((c) => !allowed.includes(c));
  const add = r.subset(CAPS, 0.1).filter((c) => !drop.includes(c));
  if (r.maybe(0.1)) [allowed, drop] = [["*"], []];
  const annotations: Obj = {};
  if (r.maybe(0.5)) {
    annotations["seccomp.security.alpha.kubernetes.io/allowedProfileNames"] = r.pick(
      SECCOMP_ALLOWED,
    );
  }
  if (r.maybe(0.3)) {
    annotations["seccomp.security.alpha.kubernetes.io/defaultProfileName"] = r.pick(SECCOMP);
  }
  if (r.maybe(0.3)) {
    annotations["apparmor.security.beta.kubernetes.io/allowedProfileNames"] =
      r.subset(APPARMOR, 0.5).join(",") || "runtime/default";
  }
  if (r.maybe(0.2)) {
    annotations["apparmor.security.beta.kubernetes.io/defaultProfileName"] = r.pick(APPARMOR);
  }
  const unsafe = r.maybe(0.3)
    ? r.pick([["kernel.msg*"], ["*"], ["net.core.somaxconn", "kernel.sem"]])
    : undefined;
  const forbidden = r.maybe(0.3) && unsafe?.[0] !== "*"
    ? r.pick([["kernel.shm_rmid_forced"], ["net.ipv4.*"], ["*"]])
    : undefined;
  const spec: Obj = {
    privileged: r.maybe(0.3),
    allowPrivilegeEscalation: ape,
    defaultAllowPrivilegeEscalation: dape,
    runAsUser: strategy(["RunAsAny", "RunAsAny", "MustRunAs", "MustRunAsNonRoot"]),
    runAsGroup: r.maybe(0.5) ? strategy(["RunAsAny", "MustRunAs", "MayRunAs"]) : undefined,
    fsGroup: strategy(["RunAsAny", "MustRunAs", "MayRunAs"]),
    supplementalGroups: strategy(["RunAsAny", "MustRunAs", "MayRunAs"]),
    seLinux: r.maybe(0.8)
      ? { rule: "RunAsAny" }
      : { rule: "MustRunAs", seLinuxOptions: r.pick(SELINUX) },
    volumes: r.maybe(0.2) ? ["*"] : r.subset(VOLUMES, 0.5),
    allowedHostPaths: r.maybe(0.5)
      ? r.subset([
        { pathPrefix: "/var/log", readOnly: true },
        { pathPrefix: "/data" },
        { pathPrefix: "/opt/app/" },
        { pathPrefix: "/var/log/pods" },
        { pathPrefix: "/", readOnly: true },
      ], 0.5)
      : undefined,
    allowedFlexVolumes: r.maybe(0.3) ? [{ driver: "example/lvm" }] : undefined,
    allowedCSIDrivers: r.maybe(0.3) ? [{ name: "csi.example.com" }] : undefined,
    hostNetwork: r.maybe(0.3),
    hostPID: r.maybe(0.3),
    hostIPC: r.maybe(0.3),
    hostPorts: r.maybe(0.4)
      ? r.pick([[{ min: 80, max: 80 }], [{ min: 8000, max: 9000 }, { min: 80, max: 80 }], [{
        min: 0,
        max: 65535,
      }]])
      : undefined,
    allowedCapabilities: allowed.length ? allowed : undefined,
    requiredDropCapabilities: drop.length ? drop : undefined,
    defaultAddCapabilities: add.length ? add : undefined,
    readOnlyRootFilesystem: r.maybe(0.2),
    allowedUnsafeSysctls: unsafe,
    forbiddenSysctls: forbidden,
    runtimeClass: r.maybe(0.15)
      ? r.pick([
        { allowedRuntimeClassNames: ["gvisor"], defaultRuntimeClassName: "gvisor" },
        { allowedRuntimeClassNames: ["*"] },
        { allowedRuntimeClassNames: ["gvisor", "kata"] },
      ])
      : undefined,
  };
  for (const k of Object.keys(spec)) if (spec[k] === undefined) delete spec[k];
  const name = `f${String(i).padStart(3, "0")}`;
  return {
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata: { name, annotations },
    spec,
  };
}

function randomSecurityContext(r: Random): Obj | undefined {
  if (r.maybe(0.3)) return undefined;
  const sc: Obj = {};
  if (r.maybe(0.2)) sc.privileged = r.maybe();
  if (r.maybe(0.2)) sc.allowPrivilegeEscalation = r.maybe();
  if (r.maybe(0.2)) sc.runAsUser = r.pick([0, 150, 1500, 5500]);
  if (r.maybe(0.15)) sc.runAsGroup = r.pick([0, 1500]);
  if (r.maybe(0.15)) sc.runAsNonRoot = r.maybe();
  if (r.maybe(0.2)) sc.readOnlyRootFilesystem = r.maybe();
  if (r.maybe(0.2)) {
    sc.capabilities = { add: r.subset(CAPS, 0.2), drop: r.subset(["ALL", "NET_RAW", "all"], 0.4) };
  }
  if (r.maybe(0.1)) sc.seLinuxOptions = r.pick(SELINUX);
  if (r.maybe(0.1)) sc.seccompProfile = r.pick(SECCOMP_FIELDS);
  if (r.maybe(0.05)) sc.procMount = "Default";
  // Conflicts core validation refuses on their own, whatever the PSP.
  if (
    sc.allowPrivilegeEscalation === false &&
    (sc.privileged || sc.capabilities?.add?.includes("CAP_SYS_ADMIN"))
  ) {
    delete sc.allowPrivilegeEscalation;
  }
  return sc;
}

function randomPod(r: Random, i: number): Obj {
  const volumes: Obj[] = r.maybe(0.4)
    ? r.subset([
      {
        name: "hp",
        hostPath: {
          path: r.pick([
            "/var/log",
            "/var/log/pods",
            "/data/db",
            "/data/",
            "/opt/app",
            "/etc",
            "/",
            "/var/logs",
          ]),
        },
      },
      { name: "ed", emptyDir: {} },
      { name: "sec", secret: { secretName: "s" } },
      { name: "cm", configMap: { name: "c" } },
      {
        name: "proj",
        projected: {
          sources: r.pick([
            [{ configMap: { name: "kube-root-ca.crt" } }, {
              serviceAccountToken: { path: "token" },
            }],
            [{ configMap: { name: "other" } }],
            [{
              downwardAPI: {
                items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }],
              },
            }],
          ]),
        },
      },
      { name: "flex", flexVolume: { driver: r.pick(["example/lvm", "example/other"]) } },
      { name: "csi", csi: { driver: r.pick(["csi.example.com", "csi.other.io"]) } },
    ], 0.3)
    : [];
  const container = (name: string) => {
    const c: Obj = { name, image: "nginx" };
    const sc = randomSecurityContext(r);
    if (sc) c.securityContext = sc;
    if (r.maybe(0.25)) {
      c.ports = [{
        containerPort: r.pick([80, 8080, 8500, 9100]),
        ...(r.maybe(0.4) ? { hostPort: r.pick([80, 8500, 9100]) } : {}),
      }];
    }
    const mounts = r.subset(volumes, 0.6).map((v) => ({
      name: v.name,
      mountPath: `/mnt/${v.name}`,
      ...(r.maybe() ? { readOnly: true } : {}),
    }));
    if (mounts.length) c.volumeMounts = mounts;
    return c;
  };
  const spec: Obj = {
    containers: r.maybe() ? [container("app"), container("side")] : [container("app")],
  };
  if (r.maybe(0.2)) spec.initContainers = [container("init")];
  if (volumes.length) spec.volumes = volumes;
  if (r.maybe(0.15)) spec.hostNetwork = true;
  if (r.maybe(0.1)) spec.hostPID = true;
  if (r.maybe(0.1)) spec.hostIPC = true;
  if (r.maybe(0.1)) spec.runtimeClassName = r.pick(["gvisor", "kata"]);
  if (r.maybe(0.6)) {
    const psc: Obj = {};
    if (r.maybe(0.2)) psc.runAsUser = r.pick([0, 1500]);
    if (r.maybe(0.2)) psc.runAsNonRoot = r.maybe();
    if (r.maybe(0.2)) psc.runAsGroup = r.pick([0, 1500]);
    if (r.maybe(0.2)) psc.fsGroup = r.pick([0, 1500, 2500]);
    if (r.maybe(0.2)) psc.supplementalGroups = r.pick([[1500], [1500, 3000], []]);
    if (r.maybe(0.1)) psc.seLinuxOptions = r.pick(SELINUX);
    if (r.maybe(0.2)) psc.sysctls = r.subset(SYSCTLS, 0.3).map((name) => ({ name, value: "1" }));
    if (r.maybe(0.15)) psc.seccompProfile = r.pick(SECCOMP_FIELDS);
    spec.securityContext = psc;
  }
  const annotations: Obj = {};
  if (r.maybe(0.15)) annotations["seccomp.security.alpha.kubernetes.io/pod"] = r.pick(SECCOMP);
  if (r.maybe(0.1)) {
    annotations["container.seccomp.security.alpha.kubernetes.io/app"] = r.pick(SECCOMP);
  }
  if (r.maybe(0.15)) {
    annotations["container.apparmor.security.beta.kubernetes.io/app"] = r.pick(APPARMOR);
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `p${i}`, namespace: "fuzz", annotations },
    spec,
  };
}

/** Stable JSON: sorted keys, empty lists dropped (the server omits them). */
function canonical(o: unknown): string {
  return JSON.stringify(
    o,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
          Object.entries(v).filter(([, x]) => !(Array.isArray(x) && x.length === 0)).sort((
            [a],
            [b],
          ) => a < b ? -1 : 1),
        )
        : v,
  );
}

/** The stored pod's fields admission decides (the psp annotation is compared via `policy`). */
function storedFields(p: Obj): string {
  const annotations = Object.entries(p.metadata.annotations ?? {}).filter(([k]) =>
    k !== "kubernetes.io/psp"
  );
  return canonical({
    annotations: Object.fromEntries(annotations),
    podSecurityContext: p.spec.securityContext ?? {},
    runtimeClassName: p.spec.runtimeClassName ?? null,
    containers: [...(p.spec.initContainers ?? []), ...p.spec.containers].map((c: Obj) => [
      c.name,
      c.securityContext ?? null,
      c.ports ?? null,
    ]),
  });
}

function violationLines(message: string): string[] {
  const m = /: \[(.*)\]$/s.exec(message);
  if (!m) return [message];
  return m[1].split(/ (?=(?:spec|pod|metadata)[.\[][^ ]*: )/).filter((x) => x !== "").sort();
}

const rbac = "/apis/rbac.authorization.k8s.io/v1";

async function run(seed: number, pspCount: number, podCount: number) {
  const r = new Random(seed);
  const s = await startApiserver({ psp: true });
  try {
    const admin = s.admin;
    await admin.post("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "fuzz" },
    });
    for (const name of ["gvisor", "kata"]) {
      await admin.post("/apis/node.k8s.io/v1/runtimeclasses", {
        apiVersion: "node.k8s.io/v1",
        kind: "RuntimeClass",
        metadata: { name },
        handler: name,
      });
    }
    const binding = (name: string, role: string, subject: Obj) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", ...subject }],
    });
    await admin.post(`${rbac}/clusterroles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "pod-creator" },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["create"] }],
    });
    await admin.post(
      `${rbac}/clusterrolebindings`,
      binding("pod-creator", "pod-creator", { kind: "Group", name: "system:authenticated" }),
    );

    const psps: PodSecurityPolicy[] = [];
    for (let i = 0; i < pspCount; i++) {
      try {
        psps.push(
          await admin.post<PodSecurityPolicy>(
            "/apis/policy/v1beta1/podsecuritypolicies",
            randomPsp(r, i),
          ),
        );
      } catch (e) {
        if (e instanceof ApiError && e.status === 422) continue; // an invalid random PSP
        throw e;
      }
    }
    const users = new Map<string, Awaited<ReturnType<typeof s.clientFor>>>();
    for (const p of psps) {
      const name = p.metadata.name!;
      await admin.post(`${rbac}/clusterroles`, {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: `use-${name}` },
        rules: [{
          apiGroups: ["policy"],
          resources: ["podsecuritypolicies"],
          verbs: ["use"],
          resourceNames: [name],
        }],
      });
      await admin.post(
        `${rbac}/clusterrolebindings`,
        binding(`use-${name}`, `use-${name}`, { kind: "User", name: `u-${name}` }),
      );
      users.set(name, await s.clientFor("admin", { user: `u-${name}` }));
    }
    const compiled = new Map<string, CompiledPolicy>(
      psps.map((p) => [p.metadata.name!, compilePolicy(p)]),
    );

    let compared = 0;
    let skipped = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < podCount; i++) {
      const pod = randomPod(r, i);
      const single = r.subset(psps, 0.1).map((p) => p.metadata.name!);
      for (const target of ["all", ...single]) {
        const client = target === "all" ? admin : users.get(target)!; // admin may use every PSP
        const candidates = target === "all" ? [...compiled.values()] : [compiled.get(target)!];
        const d = admitPod(pod as Pod, candidates);
        const where = `seed ${seed}: ${pod.metadata.name} x ${target}`;
        try {
          const stored = await client.post<Obj>("/api/v1/namespaces/fuzz/pods", pod, {
            dryRun: "All",
          });
          const policy = stored.metadata?.annotations?.["kubernetes.io/psp"];
          if (d.verdict === "refused") {
            disagreements.push(`${where}: server admitted (${policy}), we refused: ${d.message}`);
          } else if (d.policy !== policy) {
            disagreements.push(`${where}: server chose ${policy}, we chose ${d.policy}`);
          } else if (storedFields(d.admitted!) !== storedFields(stored)) {
            disagreements.push(
              `${where}: stored pod differs\n  ours   ${storedFields(d.admitted!)}\n  server ${
                storedFields(stored)
              }`,
            );
          }
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          const message = e.apiStatus?.message ?? "";
          if (e.status === 422 && !message.includes("cannot set `allowPrivilegeEscalation`")) {
            skipped++; // refused by core pod validation for a reason unrelated to PSP
            continue;
          }
          const reason = e.status === 403
            ? "Forbidden"
            : e.status === 422
            ? "Invalid"
            : `HTTP ${e.status}`;
          if (d.reason !== reason) {
            disagreements.push(
              `${where}: server ${reason} (${message}), we ${d.verdict}/${d.reason ?? d.policy}`,
            );
          } else if (reason === "Forbidden") {
            const ours = violationLines(d.message!);
            const theirs = violationLines(message);
            if (
              JSON.stringify(ours) !== JSON.stringify(theirs) ||
              d.message!.split(": [")[0] !== message.split(": [")[0]
            ) {
              disagreements.push(
                `${where}: 403 differs\n  ours   ${d.message}\n  server ${message}`,
              );
            }
          }
        }
        compared++;
      }
    }
    return { psps: psps.length, compared, skipped, disagreements };
  } finally {
    await stopApiserver(s);
  }
}

Deno.test({
  ...E2E_TEST,
  name: "admission agrees with kube-apiserver v1.20.2 on random PSPs and pods (differential)",
  ignore: skipE2e(import.meta.url),
  async fn() {
    const seeds = (Deno.env.get("DIFF_SEEDS") ?? "11,12").split(",").map(Number);
    const problems: string[] = [];
    for (const seed of seeds) {
      const { psps, compared, skipped, disagreements } = await run(seed, 40, 150);
      console.log(
        `differential seed ${seed}: ${
          compared - disagreements.length
        }/${compared} decisions agree ` +
          `(${psps} PSPs; ${skipped} pods refused by core validation for non-PSP reasons skipped)`,
      );
      problems.push(...disagreements);
    }
    for (const p of problems.slice(0, 20)) console.log(`  DISAGREE ${p}`);
    assert.equal(problems.length, 0, `${problems.length} decisions disagree`);
  },
});
