/**
 * Current Falco (k8saudit 0.18 + json 0.7 + libsinsp) extraction and comparison, on
 * hand-made audit events. Each case pins a documented difference from Falco 0.27
 * (docs/falco.md §8.2) or a plugin quirk read from extract.go.
 */
import assert from "node:assert/strict";
import { auditEventFromObject } from "../../support/falco/event.ts";
import { extractCurrent } from "../../support/falco/extract_current.ts";
import { compareCurrent, fnmatch, pathPrefixMatch } from "../../support/falco/compare_current.ts";
import { evaluate } from "../../support/falco/evaluate.ts";
import { parseCondition } from "../../support/falco/parser.ts";

function podEvent(spec: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return auditEventFromObject({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    auditID: "a1",
    stage: "ResponseComplete",
    verb: "create",
    objectRef: { resource: "pods", namespace: "ns1", name: "p" },
    stageTimestamp: "2026-11-28T12:11:59.074159Z",
    requestObject: { kind: "Pod", metadata: { name: "p" }, spec },
    ...extra,
  });
}

const holds = (cond: string, ev: ReturnType<typeof podEvent>) =>
  evaluate(parseCondition(cond, "current"), ev, "current");

Deno.test("current: missing per-container values are skipped, not <NA>", () => {
  const ev = podEvent({
    containers: [{ name: "a", image: "nginx:1", securityContext: { privileged: true } }, {
      name: "b",
      image: "x",
    }],
  });
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.containers.privileged", undefined), ["true"]);
  assert.equal(holds("ka.req.pod.containers.privileged intersects (true)", ev), true);
  // a container set to true hides its unset sibling
  const ro = podEvent({
    containers: [{ name: "a", image: "n", securityContext: { readOnlyRootFilesystem: true } }, {
      name: "b",
      image: "n",
    }],
  });
  assert.equal(holds("not ka.req.pod.containers.read_only_fs in (true)", ro), false);
});

Deno.test("current: an absent value fails every comparison, so `not X in (...)` is true", () => {
  const ev = podEvent({ containers: [{ name: "a", image: "nginx" }] });
  assert.equal(extractCurrent(ev, "ka.req.pod.containers.read_only_fs", undefined)?.length ?? 0, 0);
  assert.equal(holds("ka.req.pod.containers.read_only_fs exists", ev), false);
  assert.equal(holds("ka.req.pod.containers.read_only_fs in (true)", ev), false);
  assert.equal(holds("not ka.req.pod.containers.read_only_fs in (true)", ev), true);
  assert.equal(holds('not ka.req.pod.volumes.volume_type in (configMap, "<NA>")', ev), true);
  assert.equal(holds("ka.req.pod.fs_group != 5", ev), false);
});

Deno.test("current: all ka.* values are strings; ranges mean nothing", () => {
  const ev = podEvent({
    securityContext: { fsGroup: 2500, supplementalGroups: [1500, 3000] },
    containers: [],
  });
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.fs_group", undefined), ["2500"]);
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.supplemental_groups", undefined), [
    "1500",
    "3000",
  ]);
  assert.equal(holds('ka.req.pod.fs_group in ("2000:3000")', ev), false);
  assert.equal(holds("ka.req.pod.fs_group in (2500)", ev), true);
  assert.equal(holds('ka.req.pod.fs_group < "3"', ev), true, "string order: '2500' < '3'");
  assert.equal(holds("ka.req.pod.supplemental_groups in (1500, 3000, 7)", ev), true);
  assert.equal(
    holds("ka.req.pod.supplemental_groups in (1500)", ev),
    false,
    "in needs every value",
  );
  assert.equal(holds("ka.req.pod.supplemental_groups intersects (3000)", ev), true);
});

Deno.test("current: eff_run_as_user ignores securityContext (plugin reads spec.runAsUser)", () => {
  const ev = podEvent({
    securityContext: { runAsUser: 1000 },
    containers: [{ name: "a", image: "n", securityContext: { runAsUser: 1500 } }, {
      name: "b",
      image: "n",
    }],
  });
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.containers.eff_run_as_user", undefined), [
    "0",
    "0",
  ]);
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.containers.run_as_user", undefined), ["1500"]);
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.run_as_user", undefined), ["1000"]);
});

Deno.test("current: add_capabilities yields each container's add list as JSON text", () => {
  const ev = podEvent({
    containers: [
      {
        name: "a",
        image: "n",
        securityContext: { capabilities: { add: ["NET_ADMIN", "SYS_TIME"] } },
      },
      { name: "b", image: "n" },
    ],
  });
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.containers.add_capabilities", undefined), [
    '["NET_ADMIN","SYS_TIME"]',
  ]);
  assert.equal(holds("ka.req.pod.containers.add_capabilities intersects (NET_ADMIN)", ev), false);
});

Deno.test("current: host_port falls back to containerPort; volume_type lists keys but name", () => {
  const ev = podEvent({
    containers: [{
      name: "a",
      image: "n",
      ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 8081 }],
    }],
    volumes: [{ name: "v", hostPath: { path: "/var/log" } }, { name: "w", emptyDir: {} }],
  });
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.containers.host_port", undefined), [
    "80",
    "8081",
  ]);
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.volumes.volume_type", undefined), [
    "hostPath",
    "emptyDir",
  ]);
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.volumes.hostpath", undefined), ["/var/log"]);
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.volumes.hostpath", "1"), undefined);
});

Deno.test("current: init and ephemeral containers have their own fields", () => {
  const ev = podEvent({
    containers: [{ name: "a", image: "nginx:1.25" }],
    initContainers: [{ name: "i", image: "busybox:1.36", securityContext: { privileged: true } }],
    ephemeralContainers: [{ name: "e", image: "localhost:5000/dbg:1" }],
  });
  assert.equal(holds("ka.req.pod.containers.privileged intersects (true)", ev), false);
  assert.equal(holds("ka.req.pod.initContainers.privileged intersects (true)", ev), true);
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.initContainers.image.repository", undefined), [
    "busybox",
  ]);
  // the plugin's split: Split(Split(image, ":")[0], "@")[0]
  assert.deepEqual(
    extractCurrent(ev, "ka.req.pod.ephemeralContainers.image.repository", undefined),
    [
      "localhost",
    ],
  );
});

Deno.test("current: json plugin pointers, indexes and compact values", () => {
  const ev = podEvent({
    containers: [{ name: "a", image: "n", securityContext: { runAsUser: 7 } }],
  });
  assert.deepEqual(extractCurrent(ev, "jevt.value", "/stage"), ["ResponseComplete"]);
  assert.deepEqual(
    extractCurrent(ev, "json.value", "/requestObject/spec/containers/0/securityContext"),
    [
      '{"runAsUser":7}',
    ],
  );
  assert.deepEqual(extractCurrent(ev, "json.value", "/requestObject/spec/containers/1"), undefined);
  assert.deepEqual(extractCurrent(ev, "jevt.rawtime", undefined), ["1795867919074159000"]);
  assert.equal(holds("jevt.rawtime exists and not jevt.rawtime=0", ev), true);
});

Deno.test("current: list fields reject other operators; missing JSON null is a value", () => {
  assert.throws(
    () => compareCurrent(["a"], true, "pmatch", ["/a"]),
    /'pmatch' operator not supported list filters/,
  );
  const ev = podEvent({ hostPID: null, containers: [] });
  assert.deepEqual(extractCurrent(ev, "ka.req.pod.host_pid", undefined), ["null"]);
});

Deno.test("current: pmatch is a component prefix match; glob is fnmatch", () => {
  assert.equal(pathPrefixMatch(["/var/log"], "/var/log"), true);
  assert.equal(pathPrefixMatch(["/var/log"], "/var/log/pods"), true);
  assert.equal(pathPrefixMatch(["/var/log"], "/var/logs"), false);
  assert.equal(pathPrefixMatch(["/var/log/"], "/var//log"), true);
  assert.equal(pathPrefixMatch(["/opt/app"], "/opt"), false);
  assert.equal(pathPrefixMatch(["/"], "/etc"), true);
  assert.equal(pathPrefixMatch(["/data/*"], "/data/x/y"), true);
  assert.equal(fnmatch("/var/*", "/var/log/x"), true, "fnmatch without FNM_PATHNAME: * crosses /");
  assert.equal(fnmatch("[!a]x", "bx"), true);
  assert.equal(fnmatch("a?c", "ac"), false);
});
