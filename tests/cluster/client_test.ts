import assert from "node:assert/strict";
import {
  ClusterClient,
  type HttpRequest,
  type HttpResponse,
  httpsTransport,
  withQuery,
} from "../../src/cluster/client.ts";
import { loadConnection } from "../../src/cluster/kubeconfig.ts";
import { ApiError, TransportError } from "../../src/cluster/errors.ts";
import { IoError } from "../../src/io/errors.ts";

const CTX = { server: "https://k.example", contextName: "test", secrets: ["s3cret-token"] };

type Handler = (req: HttpRequest, n: number) => HttpResponse | Promise<HttpResponse>;

function fake(handler: Handler) {
  const calls: HttpRequest[] = [];
  const sleeps: number[] = [];
  const client = new ClusterClient(
    (req) => {
      calls.push(req);
      return Promise.resolve(handler(req, calls.length));
    },
    CTX,
    { sleep: (ms) => (sleeps.push(ms), Promise.resolve()), pageSize: 2 },
  );
  return { client, calls, sleeps };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers,
  body: JSON.stringify(body),
});
const status = (code: number, reason: string, message: string, details?: unknown) =>
  json(code, {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    code,
    reason,
    message,
    details,
  });

Deno.test("withQuery encodes parameters and leaves out empty ones", () => {
  assert.equal(withQuery("/api/v1/pods"), "/api/v1/pods");
  assert.equal(
    withQuery("/api/v1/pods", { limit: 2, continue: undefined, labelSelector: "a in (x,y)" }),
    "/api/v1/pods?limit=2&labelSelector=a+in+%28x%2Cy%29",
  );
});

Deno.test("list pages on metadata.continue and stamps apiVersion/kind on items", async () => {
  const pages: Record<string, unknown> = {
    "": {
      kind: "PodList",
      apiVersion: "v1",
      metadata: { continue: "t1" },
      items: [{ metadata: { name: "a" } }, { metadata: { name: "b" } }],
    },
    t1: {
      kind: "PodList",
      apiVersion: "v1",
      metadata: { continue: "t2" },
      items: [{ metadata: { name: "c" } }, { metadata: { name: "d" } }],
    },
    t2: { kind: "PodList", apiVersion: "v1", metadata: {}, items: [{ metadata: { name: "e" } }] },
  };
  const { client, calls } = fake((req) => json(200, pages[String(req.query?.continue ?? "")]));
  const items = await client.list("/api/v1/pods", { labelSelector: "app=x", fieldSelector: "f=1" });
  assert.deepEqual(items.map((i) => (i.metadata as { name: string }).name), [
    "a",
    "b",
    "c",
    "d",
    "e",
  ]);
  assert.ok(items.every((i) => i.kind === "Pod" && i.apiVersion === "v1"));
  assert.deepEqual(calls.map((c) => c.query?.continue), [undefined, "t1", "t2"]);
  assert.ok(
    calls.every((c) =>
      c.query?.limit === 2 && c.query?.labelSelector === "app=x" && c.query?.fieldSelector === "f=1"
    ),
  );
});

Deno.test("list restarts from the beginning on 410 Gone, without duplicates", async () => {
  let gone = true;
  const { client, calls } = fake((req) => {
    if (!req.query?.continue) {
      return json(200, {
        kind: "PodList",
        apiVersion: "v1",
        metadata: { continue: "old" },
        items: [{ metadata: { name: "a" } }],
      });
    }
    if (gone) {
      gone = false;
      return status(410, "Expired", "The provided continue parameter is too old");
    }
    return json(200, {
      kind: "PodList",
      apiVersion: "v1",
      metadata: {},
      items: [{ metadata: { name: "b" } }],
    });
  });
  const items = await client.list("/api/v1/pods");
  assert.deepEqual(items.map((i) => (i.metadata as { name: string }).name), ["a", "b"]);
  assert.equal(calls.length, 4);
});

Deno.test("list gives up after a bounded number of 410 restarts", async () => {
  const { client, calls } = fake((req) =>
    req.query?.continue
      ? status(410, "Expired", "too old")
      : json(200, { kind: "PodList", metadata: { continue: "x" }, items: [] })
  );
  await assert.rejects(
    client.list("/api/v1/pods"),
    (e) => e instanceof ApiError && e.status === 410,
  );
  assert.equal(calls.length, 8, "1 first try + 3 restarts, two requests each");
});

Deno.test("429 and 5xx are retried with backoff honouring Retry-After, then succeed", async () => {
  const { client, sleeps } = fake((_req, n) =>
    n === 1
      ? status(429, "TooManyRequests", "slow down", undefined)
      : n === 2
      ? { ...status(503, "ServiceUnavailable", "x"), headers: { "retry-after": "2" } }
      : n === 3
      ? status(500, "InternalError", "boom")
      : json(200, { ok: true })
  );
  assert.deepEqual(await client.get("/version"), { ok: true });
  assert.deepEqual(sleeps, [400, 2000, 1600]);
});

Deno.test("retries are bounded and the last error is raised", async () => {
  const { client, calls, sleeps } = fake(() => status(503, "ServiceUnavailable", "down"));
  await assert.rejects(
    client.get("/api/v1/pods"),
    (e) => e instanceof ApiError && e.status === 503,
  );
  assert.equal(calls.length, 5);
  assert.deepEqual(sleeps, [400, 800, 1600, 3200]);
});

Deno.test("4xx other than 429 is not retried", async () => {
  const { client, calls } = fake(() => status(403, "Forbidden", "nope"));
  await assert.rejects(client.get("/api/v1/pods"), ApiError);
  assert.equal(calls.length, 1);
});

Deno.test("a reset connection is retried; a refused one is not", async () => {
  let n = 0;
  const reset = new ClusterClient(
    () => {
      n++;
      if (n === 1) {
        return Promise.reject(
          new TransportError("unreachable", "GET", "/x", "read ECONNRESET"),
        );
      }
      return Promise.resolve(json(200, { fine: 1 }));
    },
    CTX,
    { sleep: () => Promise.resolve() },
  );
  assert.deepEqual(await reset.get("/x"), { fine: 1 });
  let m = 0;
  const refused = new ClusterClient(
    () => {
      m++;
      return Promise.reject(
        new TransportError("unreachable", "GET", "/x", "connect ECONNREFUSED 127.0.0.1:1"),
      );
    },
    CTX,
    { sleep: () => Promise.resolve() },
  );
  await assert.rejects(refused.get("/x"), TransportError);
  assert.equal(m, 1);
});

Deno.test("client.fail maps errors to IoError (exit 3) without the credential", () => {
  const { client } = fake(() => json(200, {}));
  const e = client.fail(
    new TransportError(
      "tls",
      "GET",
      "/api",
      "certificate signed by unknown authority; Bearer s3cret-token",
    ),
  );
  assert.ok(e instanceof IoError);
  assert.equal(e.exitCode, 3);
  assert.match(e.message, /TLS failure/);
  assert.doesNotMatch(e.message, /s3cret-token/);
});

Deno.test({
  name:
    "httpsTransport: plain HTTP (kubectl proxy), bearer token, one header line per impersonated group",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    let request = "";
    const served = (async () => {
      const conn = await listener.accept();
      const buf = new Uint8Array(65536);
      const n = await conn.read(buf);
      request = new TextDecoder().decode(buf.subarray(0, n ?? 0));
      const body = JSON.stringify({ kind: "PodList", apiVersion: "v1", metadata: {}, items: [] });
      await conn.write(
        new TextEncoder().encode(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        ),
      );
      conn.close();
    })();
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/kc`,
        JSON.stringify({
          "current-context": "c",
          clusters: [{ name: "k", cluster: { server: `http://127.0.0.1:${port}` } }],
          users: [{ name: "u", user: { token: "tok-abcdef" } }],
          contexts: [{ name: "c", context: { cluster: "k", user: "u" } }],
        }),
      );
      const conn = await loadConnection({
        kubeconfig: `${dir}/kc`,
        as: "jane",
        asGroup: ["g1", "g2"],
      });
      const client = new ClusterClient(httpsTransport(conn, "test-agent"), CTX, { retries: 0 });
      assert.deepEqual(await client.list("/api/v1/pods"), []);
      await served;
      const lines = request.split("\r\n").map((l) => l.toLowerCase());
      assert.ok(lines[0].startsWith("get /api/v1/pods?limit=500 "), lines[0]);
      assert.ok(lines.includes("authorization: bearer tok-abcdef"));
      assert.ok(lines.includes("impersonate-user: jane"));
      assert.deepEqual(lines.filter((l) => l.startsWith("impersonate-group:")), [
        "impersonate-group: g1",
        "impersonate-group: g2",
      ]);
      assert.ok(lines.includes("user-agent: test-agent"));
    } finally {
      listener.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("progress is reported only for listings of more than one page", async () => {
  const seen: string[] = [];
  const page = (names: string[], cont?: string) =>
    json(200, {
      kind: "PodList",
      apiVersion: "v1",
      metadata: { continue: cont },
      items: names.map((name) => ({ metadata: { name } })),
    });
  const client = new ClusterClient(
    (req) =>
      Promise.resolve(
        req.path === "/one"
          ? page(["a"])
          : req.query?.continue
          ? page(["c"])
          : page(["a", "b"], "next"),
      ),
    CTX,
    { onPage: (what, n) => seen.push(`${what}:${n}`), pageSize: 2 },
  );
  await client.list("/one", { what: "small" });
  assert.deepEqual(seen, []);
  await client.list("/two", { what: "pods" });
  assert.deepEqual(seen, ["pods:2", "pods:3"]);
});

Deno.test("prefetch: the next page is requested while the caller works on the current one", async () => {
  const log: string[] = [];
  const page = (names: string[], cont?: string) =>
    json(200, {
      kind: "PodList",
      apiVersion: "v1",
      metadata: { continue: cont },
      items: names.map((name) => ({ metadata: { name } })),
    });
  const transport = (req: HttpRequest) => {
    const c = String(req.query?.continue ?? "");
    log.push(`request ${c || "first"}`);
    return Promise.resolve(
      c === "" ? page(["a"], "t1") : c === "t1" ? page(["b"], "t2") : page(["c"]),
    );
  };
  for (const prefetch of [false, true]) {
    log.length = 0;
    const client = new ClusterClient(transport, CTX, { prefetch, pageSize: 1 });
    for await (const items of client.pages("/api/v1/pods")) {
      log.push(`audit ${items.map((i) => (i.metadata as { name: string }).name).join()}`);
    }
    assert.deepEqual(
      log,
      prefetch
        ? ["request first", "request t1", "audit a", "request t2", "audit b", "audit c"]
        : ["request first", "audit a", "request t1", "audit b", "request t2", "audit c"],
    );
  }
});

Deno.test("prefetch: a caller that stops early leaves no unhandled failure behind", async () => {
  let calls = 0;
  const client = new ClusterClient(
    (req) => {
      calls++;
      return req.query?.continue
        ? Promise.reject(new TransportError("unreachable", "GET", "/p", "read ECONNRESET"))
        : Promise.resolve(
          json(200, { kind: "PodList", metadata: { continue: "t" }, items: [{ metadata: {} }] }),
        );
    },
    CTX,
    { prefetch: true, retries: 0, sleep: () => Promise.resolve() },
  );
  for await (const _ of client.pages("/api/v1/pods")) break;
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(calls, 2, "the prefetch was sent, and its failure was swallowed");
});

Deno.test("a 410 on a prefetched page restarts the listing without duplicates", async () => {
  let expired = false;
  const names: string[] = [];
  const client = new ClusterClient(
    (req) => {
      const c = req.query?.continue;
      if (!c) {
        return Promise.resolve(json(200, {
          kind: "PodList",
          apiVersion: "v1",
          metadata: { continue: "t1" },
          items: [{ metadata: { uid: "1", name: "a" } }, { metadata: { uid: "2", name: "b" } }],
        }));
      }
      if (!expired) {
        expired = true;
        return Promise.resolve(status(410, "Expired", "continue parameter is too old"));
      }
      return Promise.resolve(json(200, {
        kind: "PodList",
        apiVersion: "v1",
        metadata: {},
        items: [{ metadata: { uid: "3", name: "c" } }],
      }));
    },
    CTX,
    { prefetch: true, pageSize: 2 },
  );
  for await (const page of client.pages("/api/v1/pods")) {
    names.push(...page.map((i) => (i.metadata as { name: string }).name));
  }
  assert.deepEqual(names, ["a", "b", "c"]);
});

Deno.test("rawPages yields each page's item texts, unparsed, and which restart a page is of", async () => {
  let expired = false;
  const { client } = fake((req) => {
    const c = req.query?.continue;
    if (!c) {
      return json(200, {
        kind: "PodList",
        apiVersion: "v1",
        metadata: { continue: "t1" },
        items: [{ metadata: { uid: "1", name: "a" } }, { metadata: { uid: "2", name: "b" } }],
      });
    }
    if (!expired) {
      expired = true;
      return status(410, "Expired", "continue parameter is too old");
    }
    return json(200, { kind: "PodList", apiVersion: "v1", items: [{ metadata: { name: "c" } }] });
  });
  const pages = [];
  for await (const page of client.rawPages("/api/v1/pods")) pages.push(page);
  const item = (uid: string, name: string) => JSON.stringify({ metadata: { uid, name } });
  assert.deepEqual(pages, [
    {
      path: "/api/v1/pods",
      apiVersion: "v1",
      kind: "Pod",
      items: [item("1", "a"), item("2", "b")],
      restart: 0,
    },
    {
      path: "/api/v1/pods",
      apiVersion: "v1",
      kind: "Pod",
      items: [item("1", "a"), item("2", "b")],
      restart: 1,
    },
    {
      path: "/api/v1/pods",
      apiVersion: "v1",
      kind: "Pod",
      items: ['{"metadata":{"name":"c"}}'],
      restart: 1,
    },
  ]);
});

Deno.test("a list answer that is cut or not JSON is the same error in pages and rawPages", async () => {
  for (const body of ['{"kind":"PodList","items":[{"metadata":{}}', "<html>proxy</html>"]) {
    const { client } = fake(() => ({ status: 200, headers: {}, body }));
    for (const listing of [client.pages("/api/v1/pods"), client.rawPages("/api/v1/pods")]) {
      await assert.rejects(
        listing.next(),
        (e) =>
          e instanceof TransportError && e.kind === "other" &&
          e.message === "GET /api/v1/pods: the server's answer is not JSON",
      );
    }
    assert.match(
      client.fail(await client.rawPages("/api/v1/pods").next().catch((e) => e)).message,
      /^request to the cluster at https:\/\/k\.example \(context "test"\) failed: the server's answer is not JSON$/,
    );
  }
});
