import assert from "node:assert/strict";
import {
  labelCommand,
  namespaceAdvice,
  namespaceLabelsOf,
  shellWord,
} from "../../src/pss/namespace_advice.ts";
import { podPss } from "../../src/pss/pod_result.ts";

const restrictedOk = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  containers: [{
    name: "app",
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  }],
};
const subject = (namespace: string, workload: string, spec: Record<string, unknown>) => ({
  namespace,
  workload,
  pods: 1,
  pss: podPss({ metadata: {}, spec }, { level: null, version: "latest" }),
});

Deno.test("namespace advice: strictest enforce level, what the next one refuses, commands", () => {
  const advice = namespaceAdvice(
    [
      subject("web", "Deployment/a", restrictedOk),
      subject("web", "Deployment/b", { containers: [{ name: "b" }] }),
      subject("tight", "Pod/t", restrictedOk),
      subject("ops", "DaemonSet/agent", { hostPID: true, containers: [{ name: "x" }] }),
    ],
    [],
    "latest",
  );
  assert.deepEqual(advice.map((a) => [a.namespace, a.level, a.next?.level ?? null]), [
    ["ops", "privileged", "baseline"],
    ["tight", "restricted", null],
    ["web", "baseline", "restricted"],
  ]);
  const web = advice[2];
  assert.equal(web.version, "v1.37");
  assert.deepEqual(web.next!.breaks.map((b) => b.workload), ["Deployment/b"]);
  assert.deepEqual(web.next!.breaks[0].violations.map((v) => v.check), [
    "allowPrivilegeEscalation",
    "capabilities_restricted",
    "runAsNonRoot",
    "seccompProfile_restricted",
  ]);
  assert.equal(
    web.command,
    "kubectl label --overwrite ns web pod-security.kubernetes.io/enforce=baseline " +
      "pod-security.kubernetes.io/enforce-version=v1.37 pod-security.kubernetes.io/warn=restricted " +
      "pod-security.kubernetes.io/warn-version=v1.37 pod-security.kubernetes.io/audit=restricted " +
      "pod-security.kubernetes.io/audit-version=v1.37",
  );
  assert.match(advice[1].command, /enforce=restricted .*\/warn=restricted /);
  assert.equal(
    namespaceAdvice([subject("x", "Pod/p", restrictedOk)], [], { minor: 30 })[0].version,
    "v1.30",
  );
});

/** A baseline pod with a sysctl baseline allows from v1.27 on (net.ipv4.ip_local_reserved_ports). */
const sysctl127 = {
  securityContext: { sysctls: [{ name: "net.ipv4.ip_local_reserved_ports", value: "8080" }] },
  containers: [{ name: "s" }],
};
/** A baseline pod until v1.33: its probe names a host, which baseline forbids from v1.34 on. */
const probeHost = {
  containers: [{ name: "p", livenessProbe: { httpGet: { host: "10.0.0.1", port: 80 } } }],
};

Deno.test("namespace advice: current PSA labels are checked at their own level and version", () => {
  const subjects = [
    subject("web", "Deployment/a", restrictedOk),
    subject("web", "Deployment/b", { containers: [{ name: "b" }] }),
    subject("web", "Deployment/sysctl", sysctl127),
    subject("web", "Deployment/probe", probeHost),
  ];
  const labels = (l: Record<string, string>) => [{ name: "web", labels: { team: "x", ...l } }];
  const check = (l: Record<string, string>, version: "latest" | { minor: number } = "latest") =>
    namespaceAdvice(subjects, labels(l), version)[0].current!;
  const a = check({
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
  });
  assert.deepEqual(a.labels, {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
  });
  assert.deepEqual(a.enforce, { level: "restricted", version: "latest" });
  assert.deepEqual(a.rejected.map((r) => r.workload), [
    "Deployment/b",
    "Deployment/sysctl",
    "Deployment/probe",
  ]);
  assert.deepEqual(a.warn?.workloads.map((r) => r.workload), a.rejected.map((r) => r.workload));
  assert.equal(a.audit, undefined);
  assert.equal(a.note, undefined);
  // baseline pinned to v1.22: the sysctl is not safe yet, the probe host not checked yet; the
  // audit's own version (latest, or v1.30) does not matter.
  for (const version of ["latest", { minor: 30 }] as const) {
    const b = check({
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/enforce-version": "v1.22",
      "pod-security.kubernetes.io/audit": "baseline",
    }, version);
    assert.deepEqual(b.enforce, { level: "baseline", version: "v1.22" });
    assert.deepEqual(b.rejected, [{
      workload: "Deployment/sysctl",
      pods: 1,
      violations: [{
        check: "sysctls",
        reason: "forbidden sysctls",
        detail: "net.ipv4.ip_local_reserved_ports",
      }],
    }]);
    // audit=baseline without a version: latest, where only the probe host is refused.
    assert.deepEqual(b.audit, {
      level: "baseline",
      version: "latest",
      workloads: [{
        workload: "Deployment/probe",
        pods: 1,
        violations: [{
          check: "hostProbesAndHostLifecycle",
          reason: "probe or lifecycle host",
          detail: 'container "p" uses probe or lifecycle host "10.0.0.1"',
        }],
      }],
    });
    assert.equal(b.note, undefined);
  }
  // As PSA reads invalid values: enforce level -> restricted, version -> latest; warn and
  // audit fail open (privileged).
  const c = check({
    "pod-security.kubernetes.io/enforce": "strict",
    "pod-security.kubernetes.io/enforce-version": "v1.022",
    "pod-security.kubernetes.io/warn": "Baseline",
  });
  assert.deepEqual(c.enforce, { level: "restricted", version: "latest" });
  assert.equal(c.rejected.length, 3);
  assert.deepEqual(c.warn, { level: "privileged", version: "latest", workloads: [] });
  assert.equal(
    c.note,
    'pod-security.kubernetes.io/enforce: must be one of privileged, baseline, restricted (got "strict"); PSA reads it as restricted; ' +
      'pod-security.kubernetes.io/enforce-version: must be "latest" or "v1.<minor>", e.g. v1.30 (got "v1.022"); PSA reads it as latest; ' +
      'pod-security.kubernetes.io/warn: must be one of privileged, baseline, restricted (got "Baseline"); PSA reads it as privileged (it fails open)',
  );
  // Only a warn label: enforce is the cluster's default.
  const d = check({ "pod-security.kubernetes.io/warn-version": "v1.25" });
  assert.deepEqual([d.enforce, d.rejected], [{ level: "privileged", version: "latest" }, []]);
  assert.deepEqual(d.warn, { level: "privileged", version: "v1.25", workloads: [] });
  assert.match(d.note!, /^no enforce label: the cluster's default applies/);
  assert.equal(namespaceAdvice(subjects, labels({}), "latest")[0].current, undefined);
});

Deno.test("namespace advice: Namespace objects and shell-safe commands", () => {
  assert.deepEqual(
    namespaceLabelsOf({ kind: "Namespace", metadata: { name: "a", labels: { k: "v", n: 1 } } }),
    { name: "a", labels: { k: "v" } },
  );
  assert.equal(namespaceLabelsOf({ kind: "Pod", metadata: { name: "a" } }), undefined);
  assert.equal(shellWord("kube-system"), "kube-system");
  assert.equal(shellWord("a b;rm -rf /'"), `'a b;rm -rf /'\\'''`);
  assert.match(
    labelCommand("x y", "baseline", "restricted", "v1.30"),
    /^kubectl label --overwrite ns 'x y' /,
  );
});
