/**
 * A small JSON client for the Kubernetes API on top of `@kubernetes/client-node`'s
 * KubeConfig (which supplies TLS, tokens, client certificates and exec
 * credential plugins): raw GET/POST with bounded retries on 429/5xx, paged
 * listing on `metadata.continue` restarted on 410 Gone, and errors mapped to
 * actionable messages (errors.ts). Plain JSON objects throughout, as the
 * models expect.
 */
import { terminalText } from "../io/terminal_text.ts";
import { listItem, type ListText, restartKey, splitListText } from "./list_text.ts";
import https from "node:https";
import http from "node:http";
import type { ClusterConnection } from "./kubeconfig.ts";
import {
  ApiError,
  type ApiStatus,
  classifyConnectionError,
  describeFailure,
  type FailureContext,
  TransportError,
} from "./errors.ts";

/** One HTTP request to the API server. `path` starts with "/". */
export interface HttpRequest {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

/** The answer: status, lower-cased headers, body text. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends one request; rejects with TransportError when no HTTP answer arrives. */
export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

/** Builds the path with its query string (undefined values left out). */
export function withQuery(path: string, query?: HttpRequest["query"]): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * The real transport: node:https with the options client-node derives from the
 * kubeconfig (CA, client certificate, bearer token, exec plugin), plus
 * impersonation headers (one header line per group, as the API server needs).
 */
export function httpsTransport(conn: ClusterConnection, userAgent: string): Transport {
  const kc = conn.kubeConfig;
  return async (req) => {
    const opts: https.RequestOptions & { headers: Record<string, string | string[]> } = {
      headers: {},
    };
    try {
      await kc.applyToHTTPSOptions(opts);
    } catch (e) {
      // exec plugins and unreadable cert files fail here
      throw new TransportError(
        "other",
        req.method,
        req.path,
        `credentials: ${(e as Error).message}`,
      );
    }
    const url = new URL(conn.server + withQuery(req.path, req.query));
    const headers = opts.headers;
    headers["Accept"] = "application/json";
    headers["User-Agent"] = userAgent;
    if (conn.impersonateUser) headers["Impersonate-User"] = conn.impersonateUser;
    if (conn.impersonateGroups.length) headers["Impersonate-Group"] = [...conn.impersonateGroups];
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const mod = url.protocol === "http:" ? http : https;
    return await new Promise<HttpResponse>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = mod.request(
        {
          ...opts,
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ""),
          port: url.port || (url.protocol === "http:" ? 80 : 443),
          path: url.pathname + url.search,
          method: req.method,
          headers,
        },
        (res) => {
          const chunks: Uint8Array[] = [];
          res.on("data", (c: Uint8Array) => chunks.push(c));
          res.on("end", () => {
            clearTimeout(timer);
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (v !== undefined) {
                out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
              }
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: out,
              body: new TextDecoder().decode(concat(chunks)),
            });
          });
          res.on("error", (e: Error) => {
            clearTimeout(timer);
            // The answer had begun: the connection broke (or timed out) in its middle.
            const kind = classifyConnectionError(e) === "timeout" ? "timeout" : "broken";
            const got = chunks.reduce((n, c) => n + c.length, 0);
            const expected = res.headers["content-length"];
            reject(
              new TransportError(
                kind,
                req.method,
                req.path,
                `${e.message}: the connection closed after ${got}${
                  expected ? ` of ${expected}` : ""
                } bytes of the answer`,
              ),
            );
          });
        },
      );
      r.on("error", (e: Error) => {
        clearTimeout(timer);
        reject(new TransportError(classifyConnectionError(e), req.method, req.path, e.message));
      });
      if (conn.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          r.destroy(
            Object.assign(new Error(`no answer within ${conn.timeoutMs} ms`), {
              code: "ETIMEDOUT",
            }),
          );
        }, conn.timeoutMs);
      }
      if (body !== undefined) r.write(body);
      r.end();
    });
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Retry and paging settings (defaults suit real clusters; tests shorten them). */
export interface ClientOptions {
  /** Retries after a 429/5xx or a reset connection; default 4. */
  retries?: number;
  /** First backoff delay in ms, doubled each time; default 400. */
  backoffMs?: number;
  /** Upper bound of one backoff (and of Retry-After); default 10 s. */
  maxBackoffMs?: number;
  /** Page size for lists; default 500 (kubectl's; the CLI passes --chunk-size); 0: one request. */
  pageSize?: number;
  /** Times a listing restarts from scratch after 410 Gone; default 3. */
  listRestarts?: number;
  /** Request the next page of a listing while the caller works on the current one; default false. */
  prefetch?: boolean;
  /**
   * Namespaces listed at a time when listing across all namespaces; 1 (the
   * default) lists them in one cluster-wide listing, as kubectl does.
   */
  listConcurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called after each page of a listing with the running count. */
  onPage?: (what: string, count: number) => void;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/** Options of one listing. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Shown in progress output, e.g. "pods". */
  what?: string;
}

/** One page of a listing, its items unparsed (see ClusterClient.rawPages). */
export interface RawPage {
  /** The collection listed (without the query). */
  path: string;
  /** The list's apiVersion, and its kind without "List" (the items' kind). */
  apiVersion?: string;
  kind?: string;
  /** Each item's JSON text. */
  items: string[];
  /** 0, or how many times the listing restarted after 410 Gone before this page. */
  restart: number;
}

/** JSON API client: requests with retries, paged lists, mapped errors. */
export class ClusterClient {
  readonly #transport: Transport;
  readonly #opts: Required<Omit<ClientOptions, "onPage">> & Pick<ClientOptions, "onPage">;

  constructor(
    transport: Transport,
    readonly failureContext: FailureContext,
    options: ClientOptions = {},
  ) {
    this.#transport = transport;
    this.#opts = {
      retries: options.retries ?? 4,
      backoffMs: options.backoffMs ?? 400,
      maxBackoffMs: options.maxBackoffMs ?? 10_000,
      pageSize: options.pageSize ?? 500,
      listRestarts: options.listRestarts ?? 3,
      prefetch: options.prefetch ?? false,
      listConcurrency: Math.max(1, options.listConcurrency ?? 1),
      sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      onPage: options.onPage,
    };
  }

  /**
   * Sends a request and returns the parsed JSON body. Retries 429/5xx and
   * reset connections with exponential backoff (a longer Retry-After is honoured); throws
   * ApiError for other non-2xx answers and TransportError for connection failures.
   */
  async request<T = unknown>(req: HttpRequest): Promise<T> {
    const body = await this.requestText(req);
    try {
      return JSON.parse(body) as T;
    } catch {
      throw notJson(req);
    }
  }

  /** Sends a request (as `request`) and returns the body's text, unparsed. */
  async requestText(req: HttpRequest): Promise<string> {
    let attempt = 0;
    while (true) {
      let res: HttpResponse | undefined;
      let failure: unknown;
      try {
        res = await this.#transport(req);
      } catch (e) {
        failure = e;
      }
      if (res && res.status >= 200 && res.status < 300) return res.body;
      let retryAfterMs: number | undefined;
      if (res) {
        const status = parseStatus(res.body);
        const ra = Number(res.headers["retry-after"]);
        const err = new ApiError(
          res.status,
          req.method,
          withQuery(req.path, req.query),
          status,
          Number.isFinite(ra) ? ra : undefined,
        );
        if (!RETRY_STATUS.has(res.status) || attempt >= this.#opts.retries) throw err;
        if (err.retryAfterSeconds !== undefined) retryAfterMs = err.retryAfterSeconds * 1000;
      } else {
        // A connection reset before or during the answer is worth another try; one refused is not.
        const retriable = failure instanceof TransportError &&
          (failure.kind === "broken" ||
            (failure.kind === "unreachable" && /reset|EPIPE|socket hang up/i.test(failure.detail)));
        if (!retriable || attempt >= this.#opts.retries) throw failure;
      }
      // Retry-After may lengthen the wait, never shorten it (a "0" must not mean hammering).
      const backoff = Math.min(
        this.#opts.maxBackoffMs,
        Math.max(retryAfterMs ?? 0, this.#opts.backoffMs * 2 ** attempt),
      );
      attempt++;
      await this.#opts.sleep(backoff);
    }
  }

  /** Namespaces to list at a time in an all-namespace listing (1: one cluster-wide listing). */
  get listConcurrency(): number {
    return this.#opts.listConcurrency;
  }

  /** GET returning parsed JSON. */
  get<T = unknown>(path: string, query?: HttpRequest["query"]): Promise<T> {
    return this.request<T>({ method: "GET", path, query });
  }

  /** POST a JSON body, returning the parsed answer. */
  post<T = unknown>(path: string, body: unknown, query?: HttpRequest["query"]): Promise<T> {
    return this.request<T>({ method: "POST", path, body, query });
  }

  /**
   * Lists a collection page by page (`limit` + `continue`), yielding each page's items as
   * JSON texts, unparsed (see list_text.ts), so that a caller need not hold the whole
   * collection nor parse it in this thread. With `prefetch`, the next page is requested
   * as soon as a page arrives, while the caller works on it (at most two pages held). On
   * 410 Gone (continue token expired) the listing restarts from the beginning, a bounded
   * number of times; pages of a restarted listing say so (`restart`), and the caller
   * skips the objects it already had (see `pages`).
   */
  async *rawPages(path: string, options: ListOptions = {}): AsyncGenerator<RawPage> {
    let count = 0;
    let pages = 0;
    const fetchPage = (cont: string | undefined) => {
      const req: HttpRequest = {
        method: "GET",
        path,
        query: {
          limit: this.#opts.pageSize || undefined,
          continue: cont,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
        },
      };
      const p = this.requestText(req).then((text) => {
        try {
          return splitListText(text);
        } catch {
          throw notJson(req);
        }
      });
      // A prefetched page the caller never asks for must not be an unhandled rejection.
      p.catch(() => {});
      return p;
    };
    for (let restart = 0;; restart++) {
      let cont: string | undefined;
      let pending: Promise<ListText> | undefined = fetchPage(undefined);
      try {
        do {
          const page: ListText = await pending!;
          const meta = page.metadata as { continue?: unknown } | undefined;
          cont = (typeof meta?.continue === "string" && meta.continue) || undefined;
          pending = cont && this.#opts.prefetch ? fetchPage(cont) : undefined;
          const listKind = typeof page.kind === "string" ? page.kind : undefined;
          count += page.items.length;
          // progress only for listings of more than one page
          if (cont || pages > 0) this.#opts.onPage?.(options.what ?? path, count);
          pages++;
          yield {
            path,
            apiVersion: page.apiVersion as string | undefined,
            kind: listKind?.endsWith("List") ? listKind.slice(0, -4) : undefined,
            items: page.items,
            restart,
          };
          if (cont && !pending) pending = fetchPage(cont);
        } while (cont);
        return;
      } catch (e) {
        if (e instanceof ApiError && e.status === 410 && restart < this.#opts.listRestarts) {
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * Lists a collection page by page (see `rawPages`), each item parsed (see parsePages).
   */
  pages(path: string, options: ListOptions = {}): AsyncGenerator<Record<string, unknown>[]> {
    return parsePages(this.rawPages(path, options));
  }

  /** Lists a whole collection (see `pages`). */
  async list(path: string, options: ListOptions = {}): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for await (const page of this.pages(path, options)) out.push(...page);
    return out;
  }

  /** Maps any failure from this client to a user-facing IoError. */
  fail(err: unknown, hint?: Partial<FailureContext>): Error {
    return describeFailure(err, { ...this.failureContext, ...hint });
  }
}

/**
 * The pages of listings (see ClusterClient.rawPages), each item parsed and given the list's
 * apiVersion and its kind (the list's kind without "List"), which the API leaves out of list
 * items. A listing restarted after 410 Gone skips the objects already yielded (restartKey).
 */
export async function* parsePages(
  pages: AsyncIterable<RawPage> | Iterable<RawPage>,
): AsyncGenerator<Record<string, unknown>[]> {
  const seen = new Set<string>();
  for await (const page of pages) {
    const items: Record<string, unknown>[] = [];
    for (const text of page.items) {
      let item;
      try {
        item = JSON.parse(text);
      } catch {
        throw notJson({ method: "GET", path: page.path });
      }
      const object = listItem(page, item);
      const key = restartKey(object);
      if (page.restart > 0 && seen.has(key)) continue;
      seen.add(key);
      items.push(object);
    }
    yield items;
  }
}

/** The error of an answer that is not JSON (or not a list's JSON). */
export function notJson(req: Pick<HttpRequest, "method" | "path">): TransportError {
  return new TransportError("other", req.method, req.path, "the server's answer is not JSON");
}

function parseStatus(body: string): ApiStatus | undefined {
  try {
    const s = JSON.parse(body);
    if (s && typeof s === "object" && s.kind === "Status") return s as ApiStatus;
  } catch {
    // not JSON (e.g. a proxy's HTML page)
  }
  const text = body.trim().slice(0, 200);
  return text ? { message: text } : undefined;
}

/** Progress on stderr, only when stderr is a terminal: "listing pods: 1500". */
function terminalProgress(): ((what: string, count: number) => void) | undefined {
  let tty = false;
  try {
    tty = Deno.stderr.isTerminal();
  } catch {
    tty = false;
  }
  if (!tty) return undefined;
  const enc = new TextEncoder();
  return (what, count) => {
    // `what` may name a namespace or selector from the command line: escaped like all else.
    const text = terminalText(what, { oneLine: true });
    Deno.stderr.writeSync(enc.encode(`\r\x1b[Klisting ${text}: ${count}`));
  };
}

/** Clears a progress line written by terminalProgress. */
export function clearProgress(): void {
  try {
    if (Deno.stderr.isTerminal()) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
  } catch {
    // nothing to clear
  }
}

/**
 * How the commands list, chosen from 5 runs of scripts/bench_live.ts (10,000
 * pods in 50 namespaces on kube-apiserver v1.20.2 over loopback, on a 2-core
 * machine shared with other work; each figure the median wall time of 5 runs
 * of `audit-pods -A`, choices interleaved):
 * - prefetching the next page while auditing the current one was 4-7% faster
 *   than one request at a time in 4 runs and slower in one (noise of the
 *   shared machine); it overlaps waiting with work at the cost of one more
 *   page in memory: on.
 * - listing 4 or 8 namespaces at a time ranged from 21% faster to 9% slower
 *   than one prefetched cluster-wide listing. It makes one request per
 *   namespace (51 instead of 20 here; on a cluster of many small namespaces,
 *   hundreds of requests for what one listing returns in a few pages, each
 *   paying the network's latency) and gives up the one consistent snapshot of
 *   a cluster-wide listing: off (1, one cluster-wide listing, as kubectl).
 * - the page size is `--chunk-size` (DEFAULT_CHUNK_SIZE in kubeconfig.ts).
 * `kubectl get pods -A -o json` took 4.2-4.9x as long as `audit-pods -A`.
 * FALCO_PSP_PREFETCH (0/1) and FALCO_PSP_LIST_CONCURRENCY (a number) override
 * these defaults, for that benchmark.
 */
export const LIST_DEFAULTS = { prefetch: true, listConcurrency: 1 } as const;

function envNumber(name: string): number | undefined {
  let text: string | undefined;
  try {
    text = Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env
  }
  return text !== undefined && /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** Creates a client for a resolved connection. */
export function connect(
  conn: ClusterConnection,
  options: ClientOptions & { userAgent?: string; noPspApiHint?: string } = {},
): ClusterClient {
  const transport = httpsTransport(conn, options.userAgent ?? "kubectl-falco_psp");
  const prefetch = envNumber("FALCO_PSP_PREFETCH");
  return new ClusterClient(transport, {
    server: conn.server,
    contextName: conn.contextName,
    secrets: conn.secrets,
    noPspApiHint: options.noPspApiHint,
  }, {
    onPage: terminalProgress(),
    pageSize: conn.pageSize,
    prefetch: prefetch === undefined ? LIST_DEFAULTS.prefetch : prefetch > 0,
    listConcurrency: envNumber("FALCO_PSP_LIST_CONCURRENCY") ?? LIST_DEFAULTS.listConcurrency,
    ...options,
  });
}
