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

Deno.test("namespace advice: current PSA labels are checked (who they reject, notes)", () => {
  const subjects = [
    subject("web", "Deployment/a", restrictedOk),
    subject("web", "Deployment/b", { containers: [{ name: "b" }] }),
  ];
  const labels = (l: Record<string, string>) => [{ name: "web", labels: { team: "x", ...l } }];
  const [a] = namespaceAdvice(
    subjects,
    labels({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    }),
    "latest",
  );
  assert.deepEqual(a.current!.labels, {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
  });
  assert.deepEqual(a.current!.enforce, { level: "restricted", version: "latest" });
  assert.deepEqual(a.current!.rejected.map((r) => r.workload), ["Deployment/b"]);
  assert.equal(a.current!.note, undefined);
  const [b] = namespaceAdvice(
    subjects,
    labels({
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/enforce-version": "v1.25",
    }),
    "latest",
  );
  assert.deepEqual(b.current!.rejected, []);
  assert.match(b.current!.note!, /checked at latest .*not v1\.25/);
  const [c] = namespaceAdvice(
    subjects,
    labels({ "pod-security.kubernetes.io/enforce": "strict" }),
    "latest",
  );
  assert.match(c.current!.note!, /"strict" is not a level/);
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
