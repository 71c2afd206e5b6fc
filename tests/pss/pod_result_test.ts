import assert from "node:assert/strict";
import { podPss } from "../../src/pss/pod_result.ts";

const pod = (spec: Record<string, unknown>) => ({ metadata: { name: "p" }, spec });
const restrictedOk = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  containers: [{
    name: "app",
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  }],
};

Deno.test("podPss: level asked, level met and what keeps the pod from the next level", () => {
  const privileged = pod({ hostPID: true, containers: [{ name: "a" }] });
  const r = podPss(privileged, { level: "restricted", version: "latest" });
  assert.equal(r.levelMet, "privileged");
  assert.equal(r.allowed, false);
  assert.equal(r.level, "restricted");
  assert.deepEqual(r.violations.map((v) => v.check), [
    "hostNamespaces",
    "allowPrivilegeEscalation",
    "capabilities_restricted",
    "runAsNonRoot",
    "seccompProfile_restricted",
  ]);
  assert.deepEqual(r.next, {
    level: "baseline",
    violations: [{ check: "hostNamespaces", reason: "host namespaces", detail: "hostPID=true" }],
  });
  // --pss alone: the first level failed, with its violations.
  const alone = podPss(privileged, { level: null, version: { minor: 30 } });
  assert.equal(alone.level, "baseline");
  assert.equal(alone.version, "v1.30");
  assert.deepEqual(alone.violations, r.next!.violations);
  const ok = podPss(pod(restrictedOk), { level: null, version: "latest" });
  assert.deepEqual([ok.level, ok.allowed, ok.levelMet, ok.next], [
    "restricted",
    true,
    "restricted",
    null,
  ]);
  const base = podPss(pod({ containers: [{ name: "a" }] }), {
    level: "baseline",
    version: "latest",
  });
  assert.deepEqual([base.allowed, base.levelMet, base.next?.level], [
    true,
    "baseline",
    "restricted",
  ]);
  assert.equal(podPss(privileged, { level: "privileged", version: "latest" }).allowed, true);
});
