/**
 * A TLS HTTP/1.1 proxy in front of the real kube-apiserver of the end-to-end
 * tests, for the faults a real server cannot be made to show on demand: it
 * forwards each request unless a handler says to stall, drop the connection
 * (before or in the middle of the body), answer something else (429, 5xx,
 * 410), or stop listening altogether as a server that went away. It serves the
 * apiserver's own certificate (valid for 127.0.0.1), so the CLI under test
 * talks TLS with the kubeconfig's CA, as it would to the server itself.
 * One connection per request (`Connection: close`), so every request is seen.
 */
import https from "node:https";
import type { Apiserver } from "../e2e/apiserver.ts";

/** A request as the proxy received it. */
export interface ProxiedRequest {
  /** 1-based number of the request, over the proxy's life. */
  n: number;
  method: string;
  /** Path and query, as sent. */
  target: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** An HTTP answer (from the real server, or made up). */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** What the proxy does with one request. */
export type Reply =
  /** Send this answer. */
  | { answer: Answer }
  /** Send the headers (with the full Content-Length) and `keep` bytes of the body, then close or stall. */
  | { partial: Answer; keep: number; then: "close" | "stall" }
  /** Never answer (until the proxy is closed). */
  | { stall: true }
  /** Close the connection without an answer. */
  | { drop: true }
  /** The server goes away: close the listener and every open connection. */
  | { stop: true };

/** Decides the reply; `forward()` asks the real server. */
export type Handler = (
  req: ProxiedRequest,
  forward: () => Promise<Answer>,
) => Reply | Promise<Reply>;

/** One line of the proxy's log. */
export interface LogEntry {
  n: number;
  method: string;
  target: string;
  /** performance.now() when the request arrived. */
  at: number;
  /** Status sent, or the fault ("stall", "drop", "stop", "partial"). */
  outcome: string;
  /** Status of the real server's answer, when the request was forwarded. */
  upstream?: number;
}

/** A running proxy. */
export interface FaultProxy {
  url: string;
  /** A copy of the server's kubeconfig pointing at the proxy. */
  kubeconfig: string;
  log: LogEntry[];
  /** Stops the proxy (idempotent) and removes its files. */
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  403: "Forbidden",
  404: "Not Found",
  410: "Gone",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** A Kubernetes Status answer. */
export function statusAnswer(
  code: number,
  reason: string,
  message: string,
  headers: Record<string, string> = {},
): Answer {
  return {
    status: code,
    headers: { "content-type": "application/json", ...headers },
    body: enc.encode(JSON.stringify({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      code,
    })),
  };
}

function indexOfCrlfCrlf(buf: Uint8Array, len: number): number {
  for (let i = 3; i < len; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}

/** Reads one HTTP/1.1 request (headers and a Content-Length body); undefined on EOF. */
async function readRequest(
  conn: Deno.Conn,
): Promise<Omit<ProxiedRequest, "n"> | undefined> {
  let buf = new Uint8Array(16 * 1024);
  let len = 0;
  let headEnd = -1;
  while (headEnd < 0) {
    if (len === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    const n = await conn.read(buf.subarray(len));
    if (n === null) return undefined;
    len += n;
    headEnd = indexOfCrlfCrlf(buf, len);
  }
  const lines = dec.decode(buf.subarray(0, headEnd)).split("\r\n").filter((l) => l !== "");
  const [method, target] = lines[0].split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  const want = Number(headers["content-length"] ?? 0);
  const body = new Uint8Array(want);
  let have = Math.min(want, len - headEnd);
  body.set(buf.subarray(headEnd, headEnd + have));
  while (have < want) {
    const n = await conn.read(body.subarray(have));
    if (n === null) return undefined;
    have += n;
  }
  const url = new URL(target, "https://proxy");
  return { method, target, path: url.pathname, query: url.searchParams, headers, body };
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) written += await conn.write(data.subarray(written));
}

function head(a: Answer): Uint8Array {
  const lines = [`HTTP/1.1 ${a.status} ${REASONS[a.status] ?? "Status"}`];
  for (const [k, v] of Object.entries(a.headers)) {
    if (!["content-length", "connection", "transfer-encoding"].includes(k)) {
      lines.push(`${k}: ${v}`);
    }
  }
  lines.push(`content-length: ${a.body.length}`, "connection: close", "", "");
  return enc.encode(lines.join("\r\n"));
}

/** Starts a proxy for `server` whose behaviour `handler` decides. */
export async function startFaultProxy(server: Apiserver, handler: Handler): Promise<FaultProxy> {
  const ca = await Deno.readTextFile(server.env.CA_FILE);
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(`${server.dir}/serving.crt`),
    key: await Deno.readTextFile(`${server.dir}/serving.key`),
  });
  const url = `https://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  const dir = await Deno.makeTempDir({ prefix: "falco-psp-faults-" });
  const kubeconfig = `${dir}/kubeconfig`;
  await Deno.writeTextFile(
    kubeconfig,
    (await Deno.readTextFile(server.kubeconfig)).replaceAll(server.url, url),
  );
  const upstream = new URL(server.url);
  const agent = new https.Agent({ ca, keepAlive: true });
  const log: LogEntry[] = [];
  const open = new Set<Deno.Conn>();
  let count = 0;
  let closed = false;

  const forward = (req: Omit<ProxiedRequest, "n">) => (): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (!["host", "connection", "content-length"].includes(k)) headers[k] = v;
      }
      if (req.body.length) headers["content-length"] = String(req.body.length);
      const r = https.request({
        agent,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.target,
        headers,
      }, (res) => {
        const chunks: Uint8Array[] = [];
        res.on("data", (c: Uint8Array) => chunks.push(c));
        res.on("end", () => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : String(v);
          }
          const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
          let at = 0;
          for (const c of chunks) {
            body.set(c, at);
            at += c.length;
          }
          resolve({ status: res.statusCode ?? 0, headers: out, body });
        });
        res.on("error", reject);
      });
      r.on("error", reject);
      if (req.body.length) r.write(req.body);
      r.end();
    });

  const stop = () => {
    if (closed) return;
    closed = true;
    try {
      listener.close();
    } catch { /* already closed */ }
    for (const c of open) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    open.clear();
  };

  const serve = async (conn: Deno.Conn) => {
    open.add(conn);
    let keepOpen = false;
    try {
      const parsed = await readRequest(conn);
      if (!parsed) return;
      const n = ++count;
      const entry: LogEntry = {
        n,
        method: parsed.method,
        target: parsed.target,
        at: performance.now(),
        outcome: "?",
      };
      log.push(entry);
      const fwd = forward(parsed);
      const reply = await handler({ n, ...parsed }, async () => {
        const a = await fwd();
        entry.upstream = a.status;
        return a;
      });
      if (closed) return;
      if ("stop" in reply) {
        entry.outcome = "stop";
        stop();
      } else if ("drop" in reply) {
        entry.outcome = "drop";
      } else if ("stall" in reply) {
        entry.outcome = "stall";
        keepOpen = true;
      } else if ("partial" in reply) {
        entry.outcome = "partial";
        await writeAll(conn, head(reply.partial));
        await writeAll(conn, reply.partial.body.subarray(0, reply.keep));
        keepOpen = reply.then === "stall";
      } else {
        entry.outcome = String(reply.answer.status);
        await writeAll(conn, head(reply.answer));
        await writeAll(conn, reply.answer.body);
      }
    } catch {
      // the client went away, or the proxy was stopped
    } finally {
      if (!keepOpen) {
        open.delete(conn);
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) serve(conn);
    } catch {
      // listener closed
    }
  })();

  return {
    url,
    kubeconfig,
    log,
    async close() {
      stop();
      await accepting;
      agent.destroy();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Forwards every request unchanged. */
export const passThrough: Handler = async (_req, forward) => ({ answer: await forward() });
