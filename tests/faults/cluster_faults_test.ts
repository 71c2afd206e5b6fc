/**
 * Faults of the live cluster (issue 5, "Faults"), against the real
 * kube-apiserver v1.20.2 on loopback, with a proxy (proxy.ts) in front of it
 * for what the server does not do on demand. For each fault: a clear message,
 * exit code 3, and nothing written half: audit-pods (which writes only stdout)
 * prints either its whole report or no report at all, and convert's
 * `--rules-path` file keeps its previous content, with no temporary file left.
 */
import assert from "node:assert/strict";
import {
  type Apiserver,
  type CliResult,
  E2E_TEST,
  ROOT,
  runCli,
  sharedApiserver,
  skipE2e,
} from "../e2e/apiserver.ts";
import {
  type Answer,
  type FaultProxy,
  type Handler,
  passThrough,
  type ProxiedRequest,
  startFaultProxy,
  statusAnswer,
} from "./proxy.ts";
import { CEILING_MS, ceilingError, settlesWithin } from "../support/ceiling.ts";

const ignore = skipE2e(import.meta.url);
const server = sharedApiserver({ psp: true });

type Obj = Record<string, unknown>;

const NS = "faults";
const POD_COUNT = 30;
const PODS_PATH = `/api/v1/namespaces/${NS}/pods`;
const PSPS_PATH = "/apis/policy/v1beta1/podsecuritypolicies";

const psp = (name: string, privileged: boolean): Obj => ({
  apiVersion: "policy/v1beta1",
  kind: "PodSecurityPolicy",
  metadata: { name },
  spec: {
    privileged,
    volumes: ["*"],
    runAsUser: { rule: "RunAsAny" },
    seLinux: { rule: "RunAsAny" },
    supplementalGroups: { rule: "RunAsAny" },
    fsGroup: { rule: "RunAsAny" },
  },
});

let seeded: Promise<Apiserver> | undefined;
/** The shared server with 3 PSPs and POD_COUNT pods in namespace `faults`. */
function seed(): Promise<Apiserver> {
  seeded ??= (async () => {
    const s = await server.get();
    for (const [name, priv] of [["a-privileged", true], ["b-plain", false], ["c-plain", false]]) {
      await s.admin.post(PSPS_PATH, psp(name as string, priv as boolean));
    }
    await s.admin.post("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NS },
    });
    for (let i = 0; i < POD_COUNT; i++) {
      await s.admin.post(PODS_PATH, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `pod-${String(i).padStart(2, "0")}`, namespace: NS },
        spec: {
          containers: [{
            name: "c",
            image: "nginx",
            ...(i % 3 === 0 ? { securityContext: { privileged: true } } : {}),
          }],
        },
      });
    }
    return s;
  })();
  return seeded;
}

/** Runs `fn` with a proxy in front of the seeded server. */
async function withProxy<T>(
  handler: Handler,
  fn: (proxy: FaultProxy, s: Apiserver) => Promise<T>,
): Promise<T> {
  const s = await seed();
  const proxy = await startFaultProxy(s, handler);
  try {
    return await fn(proxy, s);
  } finally {
    await proxy.close();
  }
}

/** audit-pods of the faults namespace as JSON, through `kubeconfig`, in pages of 10. */
function audit(kubeconfig: string, extra: string[] = []): Promise<CliResult> {
  return runCli([
    "audit-pods",
    "--kubeconfig",
    kubeconfig,
    "-n",
    NS,
    "--chunk-size",
    "10",
    "-o",
    "json",
    ...extra,
  ]);
}

const isPodPage = (r: ProxiedRequest) => r.method === "GET" && r.path === PODS_PATH;

/** The pod names of a JSON report, sorted. */
function reportedPods(stdout: string): string[] {
  const report = JSON.parse(stdout) as { items: Obj[] };
  return report.items.map((i) => String(i.name)).sort();
}

const ALL_PODS = Array.from({ length: POD_COUNT }, (_, i) => `pod-${String(i).padStart(2, "0")}`);

/** Exit 3, the message matching `pattern`, no stack trace, and no report on stdout. */
function assertFailed(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 3, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.match(r.stderr, /^error: /m);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  assert.equal(r.stdout, "", "no report, not even part of one");
}

let reference: string | undefined;
/** The report of an undisturbed run through a pass-through proxy. */
async function referenceReport(): Promise<string> {
  reference ??= await withProxy(passThrough, async (proxy) => {
    const r = await audit(proxy.kubeconfig);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    assert.deepEqual(reportedPods(r.stdout), ALL_PODS);
    assert.ok(
      proxy.log.filter((e) => e.target.startsWith(PODS_PATH)).length >= 3,
      "pods listed in pages of 10",
    );
    return r.stdout;
  });
  return reference;
}

/** A directory with an existing rules file, for convert --rules-path. */
async function withRulesFile(fn: (dir: string, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "falco-psp-rules-" });
  try {
    const path = `${dir}/rules.yaml`;
    await Deno.writeTextFile(path, "# the previous rules\n");
    await fn(dir, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The previous rules file is untouched and nothing else is in its directory. */
async function assertUntouched(dir: string, path: string): Promise<void> {
  assert.equal(await Deno.readTextFile(path), "# the previous rules\n");
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assert.deepEqual(names, ["rules.yaml"], "no temporary file left");
}

Deno.test({
  ...E2E_TEST,
  name: "faults: the proxy itself changes nothing (reference report over 3 pages)",
  ignore,
  async fn() {
    await referenceReport();
  },
});

Deno.test({
  ...E2E_TEST,
  name: "faults: server stopped mid-listing: exit 3, 'cannot reach', no report",
  ignore,
  async fn() {
    await withProxy(async (req, forward) => {
      if (isPodPage(req) && req.query.has("continue")) return { stop: true };
      return { answer: await forward() };
    }, async (proxy) => {
      const r = await audit(proxy.kubeconfig);
      assertFailed(
        r,
        /cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+ \(context "admin"\).*Check that the cluster is running/,
      );
      assert.ok(proxy.log.some((e) => e.outcome === "stop"), "the server went away mid-listing");
      assert.ok(proxy.log.some((e) => isPodPageEntry(e) && e.outcome === "200"), "after page 1");
    });
  },
});

Deno.test({
  ...E2E_TEST,
  name: "faults: server stopped mid-listing of PSPs: convert keeps the previous --rules-path file",
  ignore,
  async fn() {
    await withProxy(async (req, forward) => {
      if (req.path === PSPS_PATH && req.query.has("continue")) return { stop: true };
      return { answer: await forward() };
    }, async (proxy) => {
      await withRulesFile(async (dir, path) => {
        const r = await runCli([
          "convert",
          "--kubeconfig",
          proxy.kubeconfig,
          "--chunk-size",
          "1",
          "--rules-path",
          path,
        ]);
        assertFailed(r, /cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+/);
        await assertUntouched(dir, path);
      });
    });
  },
});

function isPodPageEntry(e: { method: string; target: string }): boolean {
  return e.method === "GET" && e.target.split("?")[0] === PODS_PATH;
}

/** The real server's answer for a request, cut after half its body. */
async function halfBody(forward: () => Promise<Answer>) {
  const a = await forward();
  return { partial: a, keep: Math.floor(a.body.length / 2) };
}

Deno.test({
  ...E2E_TEST,
  name: "faults: a connection dropped in the middle of a page is retried, and the report is whole",
  ignore,
  async fn() {
    const reference = await referenceReport();
    let dropped = 0;
    await withProxy(async (req, forward) => {
      if (isPodPage(req) && req.query.has("continue") && dropped < 2) {
        dropped++;
        return { ...(await halfBody(forward)), then: "close" };
      }
      return { answer: await forward() };
    }, async (proxy) => {
      const r = await audit(proxy.kubeconfig);
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      assert.equal(r.stdout, reference);
      assert.equal(proxy.log.filter((e) => e.outcome === "partial").length, 2);
    });
  },
});

Deno.test({
  ...E2E_TEST,
  name: "faults: a connection always dropped mid-body fails after bounded retries (exit 3)",
  ignore,
  async fn() {
    await withProxy(async (req, forward) => {
      if (isPodPage(req)) return { ...(await halfBody(forward)), then: "close" };
      return { answer: await forward() };
    }, async (proxy) => {
      const r = await audit(proxy.kubeconfig);
      assertFailed(
        r,
        /the connection to the cluster at https:\/\/127\.0\.0\.1:\d+ \(context "admin"\) broke in the middle of an answer to GET \/api\/v1\/namespaces\/faults\/pods .*also after retries/,
      );
      assert.equal(proxy.log.filter(isPodPageEntry).length, 5, "1 try + 4 retries");
    });
  },
});

Deno.test({
  ...E2E_TEST,
  name: "faults: no answer within --request-timeout: exit 3 naming the flag, without hanging",
  ignore,
  async fn() {
    await withProxy((req, forward) => {
      if (isPodPage(req) && req.query.has("continue")) return { stall: true };
      return forward().then((answer) => ({ answer }));
    }, async (proxy) => {
      const r = await settlesWithin(
        "audit-pods with a stalled request and --request-timeout 1s",
        audit(proxy.kubeconfig, ["--request-timeout", "1s"]),
      );
      assertFailed(
        r,
        /request to the cluster at https:\/\/127\.0\.0\.1:\d+ \(context "admin"\) timed out .*Raise --request-timeout/,
      );
      // not a timing test: the ceiling only guards against the stalled request holding the CLI
      assert.ok(proxy.log.some((e) => e.outcome === "stall"));
    });
  },
});

Deno.test({
  ...E2E_TEST,
  name: "faults: an answer that stops in the middle of its body also times out (exit 3)",
  ignore,
  async fn() {
    await withProxy(async (req, forward) => {
      if (isPodPage(req)) return { ...(await halfBody(forward)), then: "stall" };
      return { answer: await forward() };
    }, async (proxy) => {
      const r = await audit(proxy.kubeconfig, ["--request-timeout", "1500ms"]);
      assertFailed(r, /timed out .*Raise --request-timeout/);
      assert.equal(proxy.log.filter(isPodPageEntry).length, 1, "a timeout is not retried");
    });
  },
});

Deno.test({
  ...E2E_TEST,
  name: "faults: convert with a stalled PSP listing keeps the previous --rules-path file",
  ignore,
  async fn() {
    await withProxy((req, forward) => {
      if (req.path === PSPS_PATH) return { stall: true };
      return forward().then((answer) => ({ answer }));
    }, async (proxy) => {
      await withRulesFile(async (dir, path) => {
        const r = await runCli([
          "convert",
          "--kubeconfig",
          proxy.kubeconfig,
          "--request-timeout",
          "1s",
          "--rules-path",
          path,
        ]);
        assertFailed(r, /timed out/);
        await assertUntouched(dir, path);
      });
    });
  },
});

Deno.test({
  ...E2E_TEST,
  name: "faults: connection refused: exit 3, previous rules file kept",
  ignore,
  async fn() {
    const s = await seed();
    // a port that was just free: nothing listens there
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const dir = await Deno.makeTempDir();
    try {
      const kubeconfig = `${dir}/kubeconfig`;
      await Deno.writeTextFile(
        kubeconfig,
        (await Deno.readTextFile(s.kubeconfig)).replaceAll(s.url, `https://127.0.0.1:${port}`),
      );
      const r = await audit(kubeconfig);
      assertFailed(r, /cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+ .*refused/i);
      await withRulesFile(async (rulesDir, path) => {
        const c = await runCli(["convert", "--kubeconfig", kubeconfig, "--rules-path", path]);
        assertFailed(c, /cannot reach the cluster/);
        await assertUntouched(rulesDir, path);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The etcd behind the server: its client URL, from the etcd process' command line. */
async function etcdUrl(s: Apiserver): Promise<string> {
  const args = (await Deno.readTextFile(`/proc/${s.env.ETCD_PID}/cmdline`)).split("\0");
  return args[args.indexOf("--listen-client-urls") + 1];
}

/**
 * Makes every continue token issued so far too old, as etcd compaction does on a
 * busy cluster: a write (outside the API server's keys) moves the revision on,
 * then etcd compacts up to it.
 */
async function compactEtcd(url: string): Promise<void> {
  const put = await fetch(`${url}/v3/kv/put`, {
    method: "POST",
    body: JSON.stringify({ key: btoa("/falco-psp-faults/bump"), value: btoa(String(Date.now())) }),
  });
  const revision = (await put.json()).header.revision;
  const compact = await fetch(`${url}/v3/kv/compaction`, {
    method: "POST",
    body: JSON.stringify({ revision, physical: true }),
  });
  assert.equal(compact.status, 200, await compact.text());
}

Deno.test({
  ...E2E_TEST,
  name:
    "faults: continue token expired (real 410 after etcd compaction): the listing restarts, no pod twice",
  ignore,
  async fn() {
    const reference = await referenceReport();
    const etcd = await etcdUrl(await seed());
    let compactions = 0;
    await withProxy(async (req, forward) => {
      // the second page's token expires once
      if (isPodPage(req) && req.query.has("continue") && compactions === 0) {
        compactions++;
        await compactEtcd(etcd);
      }
      return { answer: await forward() };
    }, async (proxy) => {
      const r = await audit(proxy.kubeconfig);
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      assert.ok(
        proxy.log.some((e) => isPodPageEntry(e) && e.upstream === 410),
        "the real server answered 410 Gone",
      );
      assert.deepEqual(reportedPods(r.stdout), ALL_PODS, "every pod once");
      assert.equal(r.stdout, reference);
    });
  },
});

Deno.test({
  ...E2E_TEST,
  name: "faults: a continue token that keeps expiring fails after bounded restarts (exit 3)",
  ignore,
  async fn() {
    const etcd = await etcdUrl(await seed());
    await withProxy(async (req, forward) => {
      if (isPodPage(req) && req.query.has("continue")) await compactEtcd(etcd);
      return { answer: await forward() };
    }, async (proxy) => {
      const r = await audit(proxy.kubeconfig);
      assertFailed(
        r,
        /expired the continue token of a paged listing \(410 Gone\) every time it was restarted.*--chunk-size/,
      );
      assert.doesNotMatch(r.stderr, /continue=/, "no opaque token in the message");
      const firstPages = proxy.log.filter((e) =>
        isPodPageEntry(e) && !e.target.includes("continue=")
      );
      assert.equal(firstPages.length, 4, "1 listing + 3 restarts");
    });
  },
});

/** Answers `faults` for the first requests of pod pages, then forwards. */
function failingFirst(faults: Answer[]): Handler {
  let n = 0;
  return async (req, forward) => {
    if (isPodPage(req) && n < faults.length) return { answer: faults[n++] };
    return { answer: await forward() };
  };
}

Deno.test({
  ...E2E_TEST,
  name: "faults: 429 and 5xx are retried with growing backoff (Retry-After honoured), then succeed",
  ignore,
  async fn() {
    const reference = await referenceReport();
    await withProxy(
      failingFirst([
        statusAnswer(429, "TooManyRequests", "too many requests", { "retry-after": "1" }),
        statusAnswer(503, "ServiceUnavailable", "etcd leader changed"),
        statusAnswer(500, "InternalError", "internal error"),
      ]),
      async (proxy) => {
        const r = await audit(proxy.kubeconfig);
        assert.ok(r.code === 0 || r.code === 1, r.stderr);
        assert.equal(r.stdout, reference);
        const tries = proxy.log.filter(isPodPageEntry).slice(0, 4);
        assert.deepEqual(tries.map((e) => e.outcome), ["429", "503", "500", "200"]);
        const gaps = tries.slice(1).map((e, i) => e.at - tries[i].at);
        // lower bounds only: Retry-After 1 s, then backoff 800 ms and 1600 ms
        assert.ok(gaps[0] >= 1000, `waited ${gaps[0]} ms after Retry-After: 1`);
        assert.ok(gaps[1] >= 800, `waited ${gaps[1]} ms`);
        assert.ok(gaps[2] >= 1600, `waited ${gaps[2]} ms`);
      },
    );
  },
});

Deno.test({
  ...E2E_TEST,
  name: "faults: 5xx beyond the retry bound: exit 3 saying so, no report",
  ignore,
  async fn() {
    await withProxy(async (req, forward) => {
      if (isPodPage(req)) return { answer: statusAnswer(503, "ServiceUnavailable", "etcd down") };
      return { answer: await forward() };
    }, async (proxy) => {
      const r = await audit(proxy.kubeconfig);
      assertFailed(
        r,
        /the cluster at https:\/\/127\.0\.0\.1:\d+ \(context "admin"\) failed \(HTTP 503\) on GET \/api\/v1\/namespaces\/faults\/pods\?limit=10 \(server: etcd down\), also after retries/,
      );
      assert.equal(proxy.log.filter(isPodPageEntry).length, 5, "1 try + 4 retries");
    });
  },
});

Deno.test({
  ...E2E_TEST,
  name: "faults: 429 beyond the retry bound: convert exits 3 and keeps the previous rules file",
  ignore,
  async fn() {
    await withProxy(async (req, forward) => {
      if (req.path === PSPS_PATH) {
        return {
          answer: statusAnswer(429, "TooManyRequests", "slow down", { "retry-after": "0" }),
        };
      }
      return { answer: await forward() };
    }, async (proxy) => {
      await withRulesFile(async (dir, path) => {
        const r = await runCli(["convert", "--kubeconfig", proxy.kubeconfig, "--rules-path", path]);
        assertFailed(r, /overloaded \(429 Too Many Requests\) and kept refusing after retries/);
        await assertUntouched(dir, path);
        const tries = proxy.log.filter((e) => e.target.split("?")[0] === PSPS_PATH);
        assert.equal(tries.length, 5);
        // Retry-After: 0 does not mean "hammer": the backoff still applies
        assert.ok(tries[1].at - tries[0].at >= 400, `${tries[1].at - tries[0].at} ms`);
      });
    });
  },
});

/** Starts the CLI (`main.ts`) as a child process, output piped. */
function spawnCli(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${ROOT}/main.ts`, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    cwd: ROOT,
  }).spawn();
}

/** Waits until `cond` holds (polling), failing after `ms`. */
async function waitFor(cond: () => boolean, what: string, ms = CEILING_MS): Promise<void> {
  const until = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > until) throw ceilingError(`waiting for ${what}`, ms, ms);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function interrupted(child: Deno.ChildProcess): Promise<CliResult> {
  child.kill("SIGINT");
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  ...E2E_TEST,
  name: "faults: Ctrl-C (SIGINT) during a long audit: exit 130, no report, no stack trace",
  ignore,
  async fn() {
    await seed();
    // a slow server: each page of one pod takes 300 ms
    await withProxy(async (req, forward) => {
      if (isPodPage(req)) await new Promise((r) => setTimeout(r, 300));
      return { answer: await forward() };
    }, async (proxy) => {
      const child = spawnCli([
        "audit-pods",
        "--kubeconfig",
        proxy.kubeconfig,
        "-n",
        NS,
        "--chunk-size",
        "1",
      ]);
      await waitFor(
        () => proxy.log.filter((e) => isPodPageEntry(e) && e.outcome === "200").length >= 3,
        "three pages listed",
      );
      const r = await interrupted(child);
      assert.equal(r.code, 130, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^error: interrupted$/m);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
      assert.ok(proxy.log.filter(isPodPageEntry).length < POD_COUNT, "stopped mid-listing");
    });
  },
});

Deno.test({
  ...E2E_TEST,
  name:
    "faults: Ctrl-C (SIGINT) while convert waits for the cluster: exit 130, rules file untouched",
  ignore,
  async fn() {
    await withProxy((req, forward) => {
      if (req.path === PSPS_PATH) return { stall: true };
      return forward().then((answer) => ({ answer }));
    }, async (proxy) => {
      await withRulesFile(async (dir, path) => {
        const child = spawnCli(["convert", "--kubeconfig", proxy.kubeconfig, "--rules-path", path]);
        await waitFor(() => proxy.log.some((e) => e.outcome === "stall"), "the PSP request");
        const r = await interrupted(child);
        assert.equal(r.code, 130, r.stderr);
        assert.match(r.stderr, /^error: interrupted$/m);
        await assertUntouched(dir, path);
      });
    });
  },
});
