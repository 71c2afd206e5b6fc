/**
 * `audit-pods --service-account-token secret|projected` against a real
 * kube-apiserver v1.20.2 with the ServiceAccount admission plugin on
 * (scripts/start-apiserver.sh --service-accounts): `secret` as 1.20 runs it,
 * `projected` with BoundServiceAccountTokenVolume (the 1.21+ behaviour). For
 * each mode, audit-pods' prediction for pods read from a file (verdict, chosen
 * PSP, admitted pod, violations) must equal the server's answer to the same pod
 * submitted as a server-side dry run, and the token volume and mounts the
 * server added must be the ones src/workloads/service_account_token.ts adds.
 *
 * No kube-controller-manager runs, so the test makes what it would: the
 * ServiceAccounts (the plugin refuses a pod whose service account does not
 * exist) and, in secret mode, each one's `kubernetes.io/service-account-token`
 * Secret listed in its `secrets` (without one the plugin answers 504 "No API
 * token found"). Not covered, since audit-pods cannot know them offline: a
 * service account with `automountServiceAccountToken: false` (the server adds
 * no token; audit-pods assumes it does), a missing service account or token.
 * A mirror pod is covered: the plugin leaves it without a token and without a
 * service account, so PSP admission checks only the requester's RBAC.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import {
  type Apiserver,
  collectionPath,
  E2E_TEST,
  ROOT,
  runCli,
  skipE2e,
  startApiserver,
  stopApiserver,
} from "./apiserver.ts";
import type { Pod } from "../../src/model/pod.ts";
import { ApiError } from "../../src/cluster/errors.ts";
import {
  canonical,
  dryRunCreate,
  projection,
  seccompConversionOnly,
  type ServerAnswer,
} from "./dry_run.ts";
import {
  TOKEN_MOUNT_PATH,
  type TokenVolumeMode,
  withServiceAccountToken,
} from "../../src/workloads/service_account_token.ts";
import { CEILING_MS, ceilingError } from "../support/ceiling.ts";

const ignore = skipE2e(import.meta.url);

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;
type Mode = "secret" | "projected";

/** Namespaces of fixtures/e2e/service_account_setup.yaml; each gets every fixture pod. */
const NAMESPACES = ["sa-all", "sa-secret", "sa-projected", "sa-basic"];
/**
 * Runs the corpus pods (fixtures/e2e/pods.json) with every corpus PSP usable but those that
 * allow everything unchanged, so that volume lists and mutating PSPs decide.
 */
const CORPUS_NS = "sa-corpus";
const ALLOW_ALL = ["privileged", "seed-example"];
const SERVICE_ACCOUNTS = ["default", "app", "web.frontend"];
/** Stands in for the token controller's random suffix of `<sa>-token-`. */
const TOKEN_SUFFIX = "7hx2k";
/** The user submitting the dry runs: may create pods, may use no PSP (setup.yaml). */
const REQUESTER = { user: "user-5", groups: ["e2e-users"] };

const fixture = (name: string) => `${ROOT}/fixtures/e2e/${name}`;
const readYaml = async (name: string): Promise<Obj[]> =>
  parseAllDocuments(await Deno.readTextFile(fixture(name))).map((d) => d.toJS() as Obj)
    .filter((o) => o);
const readJson = async (name: string) => JSON.parse(await Deno.readTextFile(fixture(name)));

async function create<T = Obj>(s: Apiserver, o: Obj): Promise<T> {
  try {
    return await s.admin.post<T>(collectionPath(o), o);
  } catch (e) {
    throw new Error(`creating ${o.kind} ${o.metadata?.name}: ${(e as Error).message}`);
  }
}

const RBAC_KINDS = new Set(["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);

/** What a test server holds: the pods to submit, the PSP files and RBAC objects for the CLI. */
interface Seeded {
  pods: Obj[];
  rbac: Obj[];
  /** How many of `pods` come from the corpus. */
  corpus: number;
}

/**
 * Creates PSPs, namespaces, RBAC, the service accounts (and in secret mode
 * their token Secrets, as the token controller would), and waits until the
 * ServiceAccount plugin's caches see them.
 */
async function seed(s: Apiserver, mode: Mode): Promise<Seeded> {
  const corpusPsps: Obj[] = (await readJson("psps.json")).items;
  for (const psp of [...await readYaml("service_account_psps.yaml"), ...corpusPsps]) {
    await create(s, psp);
  }
  const runtimeClasses = (await readYaml("setup.yaml")).filter((o) => o.kind === "RuntimeClass");
  const corpusRbac: Obj[] = [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "use-corpus", namespace: CORPUS_NS },
      rules: [{
        apiGroups: ["policy"],
        resources: ["podsecuritypolicies"],
        verbs: ["use"],
        resourceNames: corpusPsps.map((p) => p.metadata.name)
          .filter((n) => !ALLOW_ALL.includes(n)),
      }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "use-corpus", namespace: CORPUS_NS },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "use-corpus" },
      subjects: [{
        kind: "Group",
        apiGroup: "rbac.authorization.k8s.io",
        name: `system:serviceaccounts:${CORPUS_NS}`,
      }],
    },
  ];
  const setup = [
    ...runtimeClasses,
    { apiVersion: "v1", kind: "Namespace", metadata: { name: CORPUS_NS } },
    ...await readYaml("service_account_setup.yaml"),
    ...corpusRbac,
  ];
  for (const o of setup) await create(s, o);

  const accounts = [
    ...NAMESPACES.flatMap((ns) => SERVICE_ACCOUNTS.map((sa) => ({ ns, sa }))),
    { ns: CORPUS_NS, sa: "default" },
  ];
  for (const { ns, sa } of accounts) {
    const secret = `${sa}-token-${TOKEN_SUFFIX}`;
    const created = await create(s, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: sa, namespace: ns },
      ...(mode === "secret" ? { secrets: [{ name: secret }] } : {}),
    });
    if (mode === "secret") {
      // What the plugin looks for: a Secret of this type, annotated with the service
      // account's name (and uid, if given), named in the service account's `secrets`.
      await create(s, {
        apiVersion: "v1",
        kind: "Secret",
        type: "kubernetes.io/service-account-token",
        metadata: {
          name: secret,
          namespace: ns,
          annotations: {
            "kubernetes.io/service-account.name": sa,
            "kubernetes.io/service-account.uid": created.metadata.uid,
          },
        },
        data: { token: btoa("not-a-token") },
      });
    }
  }
  // The plugin reads service accounts and secrets from informer caches: wait until a pod
  // of each service account is admitted (admin may use every PSP).
  for (const { ns, sa } of accounts) await untilAdmitted(s, ns, sa);

  const pods: Obj[] = [];
  const inNamespace = (p: Obj, ns: string) =>
    withDefaultPorts({ ...p, metadata: { ...p.metadata, namespace: ns } });
  const fixturePods = await readYaml("service_account_pods.yaml");
  for (const ns of NAMESPACES) for (const p of fixturePods) pods.push(inNamespace(p, ns));
  const corpusPods: Obj[] = (await readJson("pods.json")).items;
  for (const p of corpusPods) pods.push(inNamespace(p, CORPUS_NS));
  const rbac = [...setup.filter((o) => RBAC_KINDS.has(o.kind))];
  return { pods, rbac, corpus: corpusPods.length };
}

/**
 * The pod with its container ports as the API server defaults them (protocol TCP; with
 * hostNetwork, hostPort = containerPort), so that the admitted pods compare field by field
 * (commands_test.ts gets them defaulted from stored Deployments).
 */
function withDefaultPorts(pod: Obj): Obj {
  const ports = (c: Obj) =>
    c.ports
      ? {
        ...c,
        ports: c.ports.map((p: Obj) => ({
          ...p,
          protocol: p.protocol ?? "TCP",
          ...(pod.spec.hostNetwork && p.hostPort === undefined
            ? { hostPort: p.containerPort }
            : {}),
        })),
      }
      : c;
  const spec = { ...pod.spec, containers: pod.spec.containers.map(ports) };
  if (pod.spec.initContainers) spec.initContainers = pod.spec.initContainers.map(ports);
  return { ...pod, spec };
}

async function untilAdmitted(s: Apiserver, ns: string, sa: string): Promise<void> {
  const probe = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "probe" },
    spec: { serviceAccountName: sa, containers: [{ name: "c", image: "nginx" }] },
  };
  const started = performance.now();
  for (;;) {
    try {
      await s.admin.post(`/api/v1/namespaces/${ns}/pods`, probe, { dryRun: "All" });
      return;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const spent = performance.now() - started;
      if (spent > CEILING_MS) {
        throw ceilingError(`a pod of ${sa} admitted in ${ns} (${e.message})`, spent);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Runs audit-pods on the pods, PSPs and RBAC as files, with the token volume `mode`. */
async function audit(seeded: Seeded, mode: TokenVolumeMode): Promise<Map<string, Obj>> {
  const dir = await Deno.makeTempDir({ prefix: "falco-psp-sa-e2e" });
  try {
    const list = (items: Obj[]) => JSON.stringify({ apiVersion: "v1", kind: "List", items });
    await Deno.writeTextFile(`${dir}/pods.json`, list(seeded.pods));
    await Deno.writeTextFile(`${dir}/rbac.json`, list(seeded.rbac));
    const res = await runCli([
      "audit-pods",
      "-f",
      `${dir}/pods.json`,
      "--psp-file",
      fixture("service_account_psps.yaml"),
      "--psp-file",
      fixture("psps.json"),
      "--rbac-file",
      `${dir}/rbac.json`,
      "--creator",
      REQUESTER.user,
      ...REQUESTER.groups.flatMap((g) => ["--creator-group", g]),
      "--service-account-token",
      mode,
      "-o",
      "json",
    ]);
    assert.ok(res.code === 0 || res.code === 1, `exit ${res.code}: ${res.stderr}`);
    const byKey = new Map<string, Obj>();
    for (const it of JSON.parse(res.stdout).items) byKey.set(`${it.namespace}/${it.name}`, it);
    return byKey;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Volume names and secret names without their random 5-character parts. */
function unrandom(name: string): string {
  return name.replace(/^kube-api-access-[a-z0-9]{5}$/, "kube-api-access-*")
    .replace(/-token-[a-z0-9]{5}(-[a-z0-9]{5})?$/, (_, extra) => `-token-*${extra ? "-*" : ""}`);
}

/**
 * The token volumes (those the input pod did not have) and every container's
 * mounts at the token path, names without their random parts.
 */
function tokenShape(input: Obj, pod: Obj): string {
  const own = new Set((input.spec.volumes ?? []).map((v: Obj) => v.name));
  const volumes = (pod.spec.volumes ?? []).filter((v: Obj) => !own.has(v.name)).map((v: Obj) => {
    const out: Obj = { ...v, name: unrandom(v.name) };
    if (v.secret) out.secret = { ...v.secret, secretName: unrandom(v.secret.secretName) };
    return out;
  });
  const mounts = (list: Obj[] | undefined) =>
    (list ?? []).map((c) => ({
      name: c.name,
      token: (c.volumeMounts ?? []).filter((m: Obj) => m.mountPath === TOKEN_MOUNT_PATH)
        .map((m: Obj) => ({ ...m, name: unrandom(m.name) })),
    }));
  return canonical({
    volumes,
    initContainers: mounts(pod.spec.initContainers),
    containers: mounts(pod.spec.containers),
  });
}

/** Compares the prediction with the server's answer; returns what differs. */
function compare(item: Obj | undefined, pod: Obj, server: ServerAnswer, mode: Mode): string[] {
  const where = `${pod.metadata.namespace}/${pod.metadata.name}`;
  if (!item) return [`${where}: not in the report`];
  const out: string[] = [];
  const differs = item.verdict !== server.verdict || item.policy !== server.policy;
  if (differs && !seccompConversionOnly(item, server)) {
    return [
      `${where}: audit-pods ${item.verdict}/${item.policy}, server ${server.verdict}/${server.policy} ${
        server.message ?? ""
      }`,
    ];
  }
  if (server.admitted) {
    if (item.admitted) {
      const predicted = projection({ metadata: item.admitted.metadata, spec: item.admitted.spec });
      if (predicted !== projection(server.admitted)) {
        out.push(
          `${where}: admitted pod differs:\n  audit  ${predicted}\n  server ${
            projection(server.admitted)
          }`,
        );
      }
    }
    const ours = tokenShape(pod, withServiceAccountToken(pod as Pod, mode));
    const theirs = tokenShape(pod, server.admitted);
    if (ours !== theirs) {
      out.push(`${where}: token volume differs:\n  ours   ${ours}\n  server ${theirs}`);
    }
  } else {
    for (const r of item.results as Obj[]) {
      for (const v of r.violations as Obj[]) {
        if (!server.message?.includes(v.text)) {
          out.push(`${where}: violation not in the server's message: ${v.text}`);
        }
      }
    }
  }
  return out;
}

/** The server's dry run of each pod, keyed namespace/name. */
async function dryRunAll(s: Apiserver, pods: Obj[]): Promise<Map<string, ServerAnswer>> {
  const answers = new Map<string, ServerAnswer>();
  const client = await s.clientFor(REQUESTER.user);
  const queue = [...pods];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let pod = queue.shift(); pod; pod = queue.shift()) {
      answers.set(
        `${pod.metadata.namespace}/${pod.metadata.name}`,
        await dryRunCreate(client, pod.metadata.namespace, pod),
      );
    }
  }));
  return answers;
}

/** The projected sources the plugin adds (1.20 `TokenVolumeSource`, 1.21+ the same). */
const PROJECTED_TOKEN_SOURCES = [
  { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
  { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
  {
    downwardAPI: {
      items: [{
        path: "namespace",
        fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" },
      }],
    },
  },
];

/** What the server added to one pod, checked field by field (not through our own code). */
function assertServerTokenVolume(mode: Mode, server: ServerAnswer, sa: string): void {
  const pod = server.admitted;
  assert.ok(pod, "admitted");
  const volumes = pod.spec.volumes as Obj[];
  assert.equal(volumes.length, 1, JSON.stringify(volumes));
  const [vol] = volumes;
  if (mode === "projected") {
    assert.match(vol.name, /^kube-api-access-[a-z0-9]{5}$/);
    assert.deepEqual(vol.projected, { defaultMode: 420, sources: PROJECTED_TOKEN_SOURCES });
  } else {
    const secret = `${sa}-token-${TOKEN_SUFFIX}`;
    assert.equal(vol.name, secret.replaceAll(".", "-"));
    assert.deepEqual(vol.secret, { secretName: secret, defaultMode: 420 });
  }
  for (const c of pod.spec.containers as Obj[]) {
    assert.deepEqual(c.volumeMounts, [
      { name: vol.name, readOnly: true, mountPath: TOKEN_MOUNT_PATH },
    ]);
  }
}

for (const mode of ["secret", "projected"] as const) {
  Deno.test({
    ...E2E_TEST,
    name:
      `e2e: audit-pods --service-account-token ${mode} equals kube-apiserver dry runs with the ServiceAccount plugin on`,
    ignore,
    async fn() {
      const s = await startApiserver({ psp: true, serviceAccounts: mode });
      try {
        const seeded = await seed(s, mode);
        const [byKey, withoutToken, answers] = await Promise.all([
          audit(seeded, mode),
          audit(seeded, "none"),
          dryRunAll(s, seeded.pods),
        ]);
        const mismatches: string[] = [];
        const tally = { admitted: 0, changed: 0, refused: 0 };
        let seccompConversions = 0;
        let agreeWithoutToken = 0;
        for (const pod of seeded.pods) {
          const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
          const server = answers.get(key)!;
          tally[server.verdict]++;
          const item = byKey.get(key);
          if (item && item.verdict !== server.verdict && seccompConversionOnly(item, server)) {
            seccompConversions++;
          }
          mismatches.push(...compare(item, pod, server, mode));
          const none = withoutToken.get(key);
          if (none?.verdict === server.verdict && none.policy === server.policy) {
            agreeWithoutToken++;
          }
        }
        const n = seeded.pods.length;
        const agree = n - new Set(mismatches.map((m) => m.split(":")[0])).size;
        console.log(
          `service-account token (${mode}): ${agree}/${n} agree ` +
            `(${n - seeded.corpus} volume fixtures in ${NAMESPACES.length} namespaces, ` +
            `${seeded.corpus} corpus pods; server: ${tally.admitted} admitted, ` +
            `${tally.changed} changed, ${tally.refused} refused; ${seccompConversions} seccomp ` +
            `conversions); with --service-account-token none: ${agreeWithoutToken}/${n}`,
        );
        assert.deepEqual(mismatches, []);

        // The server really added the token, and refused for it where no PSP allows it.
        assert.ok(agreeWithoutToken < n - 20, `${agreeWithoutToken}/${n} agree without a token`);
        const answer = (key: string) => answers.get(key)!;
        assertServerTokenVolume(mode, answer("sa-all/plain"), "default");
        assertServerTokenVolume(mode, answer("sa-all/dotted-sa"), "web.frontend");
        assert.equal(answer("sa-basic/plain").verdict, "refused");
        assert.match(
          answer("sa-basic/plain").message!,
          new RegExp(`"${mode}": ${mode} volumes are not allowed`),
        );
        assert.equal(answer("sa-basic/automount-off").policy, "vol-a-basic");
        assert.equal(answer("sa-all/plain").policy, "vol-b-secret");
        assert.equal(
          answer("sa-projected/plain").verdict,
          mode === "projected" ? "admitted" : "refused",
        );
      } finally {
        await stopApiserver(s);
      }
    },
  });
}
