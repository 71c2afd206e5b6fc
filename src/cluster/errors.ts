/**
 * Turning API server answers and connection failures into messages that say
 * what went wrong and what to do, without ever echoing a credential.
 * Pure functions: the client (client.ts) raises these errors.
 */
import { IoError } from "../io/errors.ts";

/** What a request was about, derived from its method and path. */
export interface RequestTarget {
  verb: string;
  /** API group; "" for the core group. */
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * Derives verb, group, resource, namespace and name from an API path, the way
 * the API server's RequestInfo does for resource requests. Returns undefined
 * for non-resource paths (/readyz, discovery of a group).
 */
export function describeRequest(method: string, path: string): RequestTarget | undefined {
  const parts = path.split("?")[0].split("/").filter((p) => p !== "").map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    group = "";
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource) return undefined;
  const m = method.toUpperCase();
  const verb = m === "GET"
    ? (name === undefined ? "list" : "get")
    : m === "POST"
    ? "create"
    : m === "PUT"
    ? "update"
    : m === "PATCH"
    ? "patch"
    : m === "DELETE"
    ? (name === undefined ? "deletecollection" : "delete")
    : m.toLowerCase();
  return { verb, group, version, resource, namespace, name, subresource };
}

/** The parts of a metav1.Status the messages use. */
export interface ApiStatus {
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: unknown[] };
}

/** A non-2xx answer from the API server. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly apiStatus: ApiStatus | undefined,
    readonly retryAfterSeconds?: number,
  ) {
    super(`${method} ${path}: HTTP ${status}${apiStatus?.message ? `: ${apiStatus.message}` : ""}`);
    this.name = "ApiError";
  }
  /** The request's target, when the path is a resource path. */
  get target(): RequestTarget | undefined {
    return describeRequest(this.method, this.path);
  }
}

/** The connection failed before an HTTP answer arrived. */
export class TransportError extends Error {
  constructor(
    /** "broken": the connection closed in the middle of an answer. */
    readonly kind: "unreachable" | "tls" | "timeout" | "broken" | "other",
    readonly method: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${method} ${path}: ${detail}`);
    this.name = "TransportError";
  }
}

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO",
]);
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "EPIPE",
  "EADDRNOTAVAIL",
]);

/** Classifies a low-level connection error (Node-style code or Deno message). */
export function classifyConnectionError(
  err: unknown,
): "unreachable" | "tls" | "timeout" | "other" {
  const e = err as { code?: string; name?: string; message?: string };
  const code = e?.code ?? "";
  const msg = `${e?.name ?? ""} ${e?.message ?? String(err)}`;
  if (code === "ETIMEDOUT" || /timed? ?out/i.test(msg)) return "timeout";
  if (TLS_CODES.has(code) || /certificate|\btls\b|\bssl\b|handshake|UnknownIssuer/i.test(msg)) {
    return "tls";
  }
  if (
    UNREACHABLE_CODES.has(code) ||
    /connection refused|refused|not known|dns|unreachable|reset|lookup|ConnectionRefused/i.test(msg)
  ) return "unreachable";
  return "other";
}

/** Replaces every known secret and anything after "Bearer " with a placeholder. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join("<redacted>");
  }
  return out.replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 <redacted>");
}

function groupLabel(group: string): string {
  return group === "" ? `"" (core)` : `"${group}"`;
}

function scopeLabel(t: RequestTarget): string {
  return t.namespace ? `in namespace "${t.namespace}"` : "at cluster scope";
}

function whatLabel(t: RequestTarget): string {
  const res = t.group ? `${t.resource}.${t.group}` : t.resource;
  return `${t.verb} ${res}${t.name ? ` "${t.name}"` : ""} ${scopeLabel(t)}`;
}

/** A request path for messages: the (long, opaque) continue token left out. */
export function shownPath(path: string): string {
  return path.replace(/([?&])continue=[^&]*(&?)/, (_m, sep, next) => (next ? sep : "")).replace(
    /[?&]$/,
    "",
  );
}

/** Context for messages: which server and context the failure concerns. */
export interface FailureContext {
  server: string;
  contextName: string;
  secrets?: readonly string[];
  /** What to suggest when the PodSecurityPolicy API is missing (404). */
  noPspApiHint?: string;
}

/** The PodSecurityPolicy API (policy/v1beta1) is not served by this cluster. */
export class NoPspApiError extends IoError {
  constructor(hint: string) {
    super(
      `this cluster has no PodSecurityPolicy API (policy/v1beta1 podsecuritypolicies; removed in Kubernetes 1.25); ${hint}`,
    );
  }
}

/** Whether a 404 means "no such API" rather than "no such object". */
export function isMissingApi(err: ApiError): boolean {
  return err.status === 404 && !err.apiStatus?.details?.name;
}

/**
 * Maps a failed request to an IoError (exit 3) whose message names the
 * problem and the fix. Credentials in server or error text are redacted.
 */
export function describeFailure(err: unknown, ctx: FailureContext): IoError {
  const secrets = ctx.secrets ?? [];
  const where = `the cluster at ${ctx.server} (context "${ctx.contextName}")`;
  const fin = (msg: string) => new IoError(redact(msg, secrets));
  if (err instanceof IoError) return err; // already described
  if (err instanceof TransportError) {
    switch (err.kind) {
      case "unreachable":
        return fin(
          `cannot reach ${where}: ${err.detail}. Check that the cluster is running and reachable, and that --context/--kubeconfig select the right one.`,
        );
      case "tls":
        return fin(
          `TLS failure talking to ${where}: ${err.detail}. The server's certificate is not trusted by the kubeconfig's certificate-authority (or has the wrong name or dates); fix certificate-authority(-data) in the kubeconfig, or pass --insecure-skip-tls-verify if you accept the risk.`,
        );
      case "broken":
        return fin(
          `the connection to ${where} broke in the middle of an answer to ${err.method} ${
            shownPath(err.path)
          } (${err.detail}), also after retries. Check the network path to the cluster (proxies, load balancers) and try again.`,
        );
      case "timeout":
        return fin(
          `request to ${where} timed out (${err.method} ${err.path}: ${err.detail}). Raise --request-timeout (e.g. --request-timeout=2m, 0 for no limit) or check the connection.`,
        );
      default:
        return fin(`request to ${where} failed: ${err.detail}`);
    }
  }
  if (err instanceof ApiError) {
    const t = err.target;
    const serverText = err.apiStatus?.message ? ` (server: ${err.apiStatus.message})` : "";
    switch (err.status) {
      case 401:
        return fin(
          `${where} rejected the credentials (401 Unauthorized)${serverText}. Log in again or refresh the token/certificate of the kubeconfig user, or choose another with --user/--context.`,
        );
      case 403: {
        if (!t) return fin(`forbidden by ${where}${serverText}`);
        const ns = t.namespace ? ` -n ${t.namespace}` : "";
        const res = t.group ? `${t.resource}.${t.group}` : t.resource;
        // The server says who may not do what: `pods is forbidden: User "x" cannot list ...`.
        const said = /is forbidden: (.*)$/s.exec(err.apiStatus?.message ?? "")?.[1];
        return fin(
          `forbidden: ${
            said ?? `cannot ${whatLabel(t)}`
          }. Missing permission: verb "${t.verb}" on resource "${t.resource}" in API group ${
            groupLabel(t.group)
          } ${
            scopeLabel(t)
          }; ask a cluster admin for a Role/ClusterRole granting it (check: kubectl auth can-i ${t.verb} ${res}${
            t.name ? `/${t.name}` : ""
          }${ns}).`,
        );
      }
      case 404:
        if (
          t && t.group === "policy" && t.resource === "podsecuritypolicies" && isMissingApi(err)
        ) {
          return new NoPspApiError(ctx.noPspApiHint ?? "pass --psp-file");
        }
        if (t && !isMissingApi(err)) {
          return fin(`${t.resource} "${err.apiStatus?.details?.name}" not found ${scopeLabel(t)}`);
        }
        return fin(
          `${where} does not serve ${
            t ? `${t.resource} in ${t.group || "core"}/${t.version}` : err.path
          } (404). The cluster's Kubernetes version may not have this API.`,
        );
      case 410:
        return fin(
          `${where} expired the continue token of a paged listing (410 Gone) every time it was restarted, on ${err.method} ${
            shownPath(err.path)
          }${serverText}: objects change faster than they can be listed. Try again, or list in bigger pages (--chunk-size, 0 for one request).`,
        );
      case 429:
        return fin(
          `${where} is overloaded (429 Too Many Requests) and kept refusing after retries${serverText}; try again later.`,
        );
      case 504:
        return fin(
          `${where} timed out answering ${err.method} ${
            shownPath(err.path)
          } (504)${serverText}; raise --request-timeout or narrow the query (-n, -l).`,
        );
      default:
        if (err.status >= 500) {
          return fin(
            `${where} failed (HTTP ${err.status}) on ${err.method} ${
              shownPath(err.path)
            }${serverText}, also after retries; check the API server's health (kubectl get --raw /readyz).`,
          );
        }
        return fin(
          `${where} refused ${err.method} ${shownPath(err.path)} (HTTP ${err.status})${serverText}`,
        );
    }
  }
  return fin(`request to ${where} failed: ${(err as Error)?.message ?? String(err)}`);
}
