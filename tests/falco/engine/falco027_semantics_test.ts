/**
 * Falco 0.27 k8s_audit semantics (json_evt.cpp, docs/falco.md §7): the int/range
 * value model, all-or-nothing `<NA>`, set operators, and the pmatch quirk.
 */
import assert from "node:assert/strict";
import { auditEventFromObject } from "../../support/falco/event.ts";
import {
  compare027,
  extract027,
  jeq,
  jvalue,
  jvalueString,
  sinspRepository,
} from "../../support/falco/extract_027.ts";
import { evaluate } from "../../support/falco/evaluate.ts";
import { parseCondition } from "../../support/falco/parser.ts";

function podEvent(spec: Record<string, unknown>) {
  return auditEventFromObject({
    auditID: "a1",
    stage: "ResponseComplete",
    verb: "create",
    objectRef: { resource: "pods", namespace: "ns1" },
    stageTimestamp: "2026-11-28T12:11:59.074159Z",
    requestObject: { spec },
  });
}
const holds = (cond: string, ev: ReturnType<typeof podEvent>) =>
  evaluate(parseCondition(cond, "0.27"), ev, "0.27");
const values = (ev: ReturnType<typeof podEvent>, field: string, idx?: string) =>
  extract027(ev, field, idx).first.map(jvalueString);

Deno.test("0.27: 'a:b' is a range, an integer equals a range containing it", () => {
  assert.equal(jeq(jvalue("35"), jvalue("30:40")), true);
  assert.equal(jeq(jvalue("41"), jvalue("30:40")), false);
  assert.equal(jeq(jvalue("nginx:1.25"), jvalue("nginx:1.25")), true, "not numeric: a string");
  const ev = podEvent({ securityContext: { fsGroup: 2500 }, containers: [] });
  assert.equal(holds('ka.req.pod.fs_group in ("2000:3000")', ev), true);
  assert.equal(holds('ka.req.pod.fs_group in ("1:10", "<NA>")', ev), false);
});

Deno.test("0.27: one container lacking the value makes the whole field <NA>", () => {
  const ev = podEvent({
    containers: [{ name: "a", image: "n", securityContext: { privileged: true } }, {
      name: "b",
      image: "n",
    }],
  });
  assert.deepEqual(values(ev, "ka.req.pod.containers.privileged"), ["<NA>"]);
  assert.equal(holds("ka.req.pod.containers.privileged intersects (true)", ev), false);
  assert.equal(holds('not ka.req.pod.containers.privileged in (false, "<NA>")', ev), false);
});

Deno.test("0.27: eff_run_as_user combines pod and container values, default 0", () => {
  const ev = podEvent({
    securityContext: { runAsUser: 1000 },
    containers: [{ name: "a", securityContext: { runAsUser: 0 } }, { name: "b" }],
  });
  assert.deepEqual(values(ev, "ka.req.pod.containers.eff_run_as_user"), ["0", "1000"]);
  assert.equal(holds('ka.req.pod.containers.eff_run_as_user intersects ("0:0")', ev), true);
  assert.equal(holds('ka.req.pod.containers.eff_run_as_user in ("1:65535")', ev), false);
  const bare = podEvent({ containers: [{ name: "a" }] });
  assert.deepEqual(values(bare, "ka.req.pod.containers.eff_run_as_user"), ["0"]);
});

Deno.test("0.27: containers.run_as_user reads runAsGroup (json_evt.cpp bug)", () => {
  const ev = podEvent({
    containers: [{ name: "a", securityContext: { runAsUser: 5, runAsGroup: 9 } }],
  });
  assert.deepEqual(values(ev, "ka.req.pod.containers.run_as_user"), ["9"]);
});

Deno.test("0.27: capabilities are flattened; = is set equality; exists needs one value", () => {
  const ev = podEvent({
    containers: [{
      name: "a",
      securityContext: { capabilities: { add: ["NET_ADMIN", "SYS_TIME"] } },
    }],
  });
  assert.deepEqual(values(ev, "ka.req.pod.containers.add_capabilities"), ["NET_ADMIN", "SYS_TIME"]);
  assert.equal(
    holds("ka.req.pod.containers.add_capabilities in (NET_ADMIN, SYS_TIME, CHOWN)", ev),
    true,
  );
  assert.equal(holds("ka.req.pod.containers.add_capabilities = SYS_TIME", ev), false);
  assert.equal(holds("ka.req.pod.containers.add_capabilities exists", ev), false);
  assert.equal(holds("ka.req.pod.containers.add_capabilities[1] exists", ev), true);
  assert.equal(holds("ka.req.pod.containers.add_capabilities[1] startswith SYS", ev), true);
});

Deno.test("0.27: pmatch fails on any real host path (the prefix search is never filled)", () => {
  const ev = podEvent({ volumes: [{ name: "v", hostPath: { path: "/var/log" } }], containers: [] });
  assert.equal(holds('ka.req.pod.volumes.hostpath pmatch (/var/log, "<NA>")', ev), false);
  const none = podEvent({ volumes: [{ name: "v", emptyDir: {} }], containers: [] });
  assert.deepEqual(values(none, "ka.req.pod.volumes.hostpath"), ["<NA>"]);
  assert.equal(holds("ka.req.pod.volumes.hostpath pmatch (/var/log)", none), true);
});

Deno.test("0.27: host_port, volume types, hostNetwork and the image repository", () => {
  const ev = podEvent({
    hostNetwork: true,
    containers: [{ name: "a", image: "docker.io/library/nginx:1", ports: [{ containerPort: 80 }] }],
    volumes: [{ name: "v", secret: {} }],
  });
  assert.deepEqual(values(ev, "ka.req.pod.containers.host_port"), ["80"]);
  assert.equal(
    holds('not ka.req.pod.containers.host_port in ("80:80", "8000:9000", "<NA>")', ev),
    false,
  );
  assert.deepEqual(values(ev, "ka.req.pod.volumes.volume_type"), ["secret"]);
  assert.equal(holds("ka.req.pod.host_network intersects (true)", ev), true);
  assert.deepEqual(values(ev, "ka.req.pod.containers.image.repository"), [
    "docker.io/library/nginx",
  ]);
  assert.equal(sinspRepository("localhost:5000/foo:1"), "localhost:5000/foo");
  assert.equal(sinspRepository("nginx@sha256:abc"), "nginx");
});

Deno.test("0.27: jevt fields and unsupported operators", () => {
  const ev = podEvent({ containers: [] });
  assert.deepEqual(values(ev, "jevt.value", "/stage"), ["ResponseComplete"]);
  assert.deepEqual(values(ev, "jevt.value", "/nope"), ["<NA>"]);
  assert.equal(holds("jevt.rawtime exists", ev), true);
  assert.equal(holds("jevt.rawtime=0", ev), false);
  assert.throws(
    () => compare027(extract027(ev, "ka.verb", undefined), "glob", ["c*"]),
    /unsupported/,
  );
});
