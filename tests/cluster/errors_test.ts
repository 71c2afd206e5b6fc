import assert from "node:assert/strict";
import {
  ApiError,
  classifyConnectionError,
  describeFailure,
  describeRequest,
  NoPspApiError,
  redact,
  shownPath,
  TransportError,
} from "../../src/cluster/errors.ts";

const CTX = { server: "https://k.example:6443", contextName: "prod", secrets: ["tok-123456"] };

Deno.test("describeRequest derives verb, group, resource, namespace and name", () => {
  assert.deepEqual(describeRequest("GET", "/api/v1/namespaces/ns1/pods?limit=500"), {
    verb: "list",
    group: "",
    version: "v1",
    resource: "pods",
    namespace: "ns1",
    name: undefined,
    subresource: undefined,
  });
  assert.deepEqual(describeRequest("GET", "/apis/policy/v1beta1/podsecuritypolicies/restricted"), {
    verb: "get",
    group: "policy",
    version: "v1beta1",
    resource: "podsecuritypolicies",
    namespace: undefined,
    name: "restricted",
    subresource: undefined,
  });
  assert.equal(
    describeRequest("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews")?.verb,
    "create",
  );
  assert.equal(describeRequest("GET", "/api/v1/namespaces")?.resource, "namespaces");
  assert.equal(describeRequest("GET", "/readyz"), undefined);
  assert.equal(describeRequest("GET", "/apis/policy/v1beta1"), undefined);
});

const forbidden = (path: string, message: string) =>
  new ApiError(
    403,
    "GET",
    path,
    { kind: "Status", reason: "Forbidden", code: 403, message } as never,
  );

Deno.test("403 names the missing permission: verb, resource, group, namespace", () => {
  const e = describeFailure(
    forbidden(
      "/apis/batch/v1/namespaces/team-a/cronjobs?limit=500",
      'cronjobs.batch is forbidden: User "jane" cannot list resource "cronjobs" in API group "batch" in the namespace "team-a"',
    ),
    CTX,
  );
  assert.equal(e.exitCode, 3);
  assert.match(
    e.message,
    /Missing permission: verb "list" on resource "cronjobs" in API group "batch" in namespace "team-a"/,
  );
  assert.match(e.message, /kubectl auth can-i list cronjobs\.batch -n team-a/);
  assert.match(e.message, /User "jane"/);
  const core = describeFailure(forbidden("/api/v1/pods", "x"), CTX);
  assert.match(core.message, /API group "" \(core\) at cluster scope/);
});

Deno.test("401, timeouts, unreachable and TLS say what to do", () => {
  const e401 = describeFailure(
    new ApiError(401, "GET", "/api/v1/pods", { message: "Unauthorized" }),
    CTX,
  );
  assert.match(e401.message, /rejected the credentials \(401 Unauthorized\).*--user\/--context/);
  const t = describeFailure(
    new TransportError("timeout", "GET", "/api/v1/pods", "no answer within 1000 ms"),
    CTX,
  );
  assert.match(t.message, /timed out.*--request-timeout/);
  const u = describeFailure(
    new TransportError("unreachable", "GET", "/api", "connect ECONNREFUSED"),
    CTX,
  );
  assert.match(
    u.message,
    /cannot reach the cluster at https:\/\/k\.example:6443 \(context "prod"\)/,
  );
  const tls = describeFailure(
    new TransportError("tls", "GET", "/api", "invalid peer certificate: UnknownIssuer"),
    CTX,
  );
  assert.match(tls.message, /certificate-authority.*--insecure-skip-tls-verify/);
});

Deno.test("404 of the PSP collection means no PodSecurityPolicy API; of a name, not found", () => {
  const api = describeFailure(
    new ApiError(404, "GET", "/apis/policy/v1beta1/podsecuritypolicies?limit=500", {
      message: "the server could not find the requested resource",
      reason: "NotFound",
      details: {},
    }),
    { ...CTX, noPspApiHint: "pass --psp-file" },
  );
  assert.ok(api instanceof NoPspApiError);
  assert.match(api.message, /this cluster has no PodSecurityPolicy API.*; pass --psp-file/);
  const named = describeFailure(
    new ApiError(404, "GET", "/apis/policy/v1beta1/podsecuritypolicies/nope", {
      message: 'podsecuritypolicies.policy "nope" not found',
      reason: "NotFound",
      details: { name: "nope", group: "policy", kind: "podsecuritypolicies" },
    }),
    CTX,
  );
  assert.ok(!(named instanceof NoPspApiError));
  assert.match(named.message, /podsecuritypolicies "nope" not found/);
});

Deno.test("messages never contain a known secret or a bearer token", () => {
  const e = describeFailure(
    new ApiError(500, "GET", "/api/v1/pods", {
      message: "proxy saw Authorization: Bearer abc.def-ghi and tok-123456",
    }),
    CTX,
  );
  assert.doesNotMatch(e.message, /abc\.def-ghi|tok-123456/);
  assert.equal(redact("x tok-123456 y", ["tok-123456"]), "x <redacted> y");
  assert.equal(redact("Basic dXNlcjpwYXNz"), "Basic <redacted>");
});

Deno.test("classifyConnectionError recognises Node codes and Deno messages", () => {
  assert.equal(classifyConnectionError({ code: "ECONNREFUSED", message: "x" }), "unreachable");
  assert.equal(
    classifyConnectionError(new Error("Connection refused (os error 111)")),
    "unreachable",
  );
  assert.equal(classifyConnectionError({ code: "ETIMEDOUT", message: "x" }), "timeout");
  assert.equal(
    classifyConnectionError(new Error("invalid peer certificate: UnknownIssuer")),
    "tls",
  );
  assert.equal(
    classifyConnectionError({ code: "DEPTH_ZERO_SELF_SIGNED_CERT", message: "x" }),
    "tls",
  );
  assert.equal(classifyConnectionError(new Error("something odd")), "other");
});

Deno.test("a broken connection, an expired listing and 5xx say what happened, without the continue token", () => {
  const broken = describeFailure(
    new TransportError(
      "broken",
      "GET",
      "/api/v1/pods",
      "aborted: the connection closed after 10 of 20 bytes of the answer",
    ),
    CTX,
  );
  assert.equal(broken.exitCode, 3);
  assert.match(
    broken.message,
    /connection to the cluster at https:\/\/k\.example:6443 \(context "prod"\) broke in the middle of an answer to GET \/api\/v1\/pods \(aborted: .*10 of 20 bytes.*\), also after retries/,
  );
  const token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTAyODN9";
  const gone = describeFailure(
    new ApiError(410, "GET", `/api/v1/pods?limit=500&continue=${token}`, {
      reason: "Expired",
      message: "The provided continue parameter is too old",
    }),
    CTX,
  );
  assert.match(
    gone.message,
    /continue token .*\(410 Gone\).*GET \/api\/v1\/pods\?limit=500 .*--chunk-size/,
  );
  const down = describeFailure(
    new ApiError(503, "GET", `/api/v1/pods?continue=${token}&limit=500`, { message: "etcd" }),
    CTX,
  );
  assert.match(
    down.message,
    /failed \(HTTP 503\) on GET \/api\/v1\/pods\?limit=500 \(server: etcd\)/,
  );
  for (const m of [gone.message, down.message]) assert.ok(!m.includes(token), m);
  const t = describeFailure(
    new TransportError("timeout", "GET", "/api/v1/pods", "no answer within 1000 ms"),
    CTX,
  );
  assert.match(t.message, /timed out \(GET \/api\/v1\/pods: no answer within 1000 ms\)/);
});

Deno.test("shownPath leaves out only the continue parameter", () => {
  assert.equal(shownPath("/api/v1/pods?limit=5&continue=abc"), "/api/v1/pods?limit=5");
  assert.equal(shownPath("/api/v1/pods?continue=abc&limit=5"), "/api/v1/pods?limit=5");
  assert.equal(shownPath("/api/v1/pods?continue=abc"), "/api/v1/pods");
  assert.equal(
    shownPath("/api/v1/pods?limit=1&continue=a&labelSelector=b"),
    "/api/v1/pods?limit=1&labelSelector=b",
  );
  assert.equal(shownPath("/api/v1/pods"), "/api/v1/pods");
});
