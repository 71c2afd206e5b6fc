import assert from "node:assert/strict";
import { parseLevelVersion } from "../../src/pss/api.ts";
import { evaluatePod, strictestLevel, violatesMessage } from "../../src/pss/evaluate.ts";

const pod = (spec: Record<string, unknown>, annotations?: Record<string, string>) => ({
  metadata: { name: "p", annotations },
  spec,
});

const restrictedOk = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  containers: [{
    name: "app",
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  }],
};

Deno.test("evaluate: the API server's aggregated message, in check order", () => {
  const lv = parseLevelVersion("restricted:latest");
  const p = pod({
    hostNetwork: true,
    containers: [{
      name: "app",
      securityContext: { privileged: true },
      ports: [{ containerPort: 80 }],
    }],
  });
  const r = evaluatePod(p, lv);
  assert.equal(r.allowed, false);
  assert.equal(r.version, "latest");
  assert.equal(
    violatesMessage(lv, r.violations),
    'violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true), ' +
      'hostPort (container "app" uses hostPort 80), ' +
      'privileged (container "app" must not set securityContext.privileged=true), ' +
      'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), ' +
      'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
  assert.deepEqual(r.violations.map((v) => v.check).slice(0, 3), [
    "hostNamespaces",
    "hostPorts",
    "privileged",
  ]);
  assert.deepEqual(evaluatePod(p, parseLevelVersion("privileged")), {
    level: "privileged",
    version: "latest",
    allowed: true,
    violations: [],
  });
});

Deno.test("evaluate: strictest level met, by version", () => {
  assert.equal(strictestLevel(pod(restrictedOk), "latest"), "restricted");
  assert.equal(strictestLevel(pod({ containers: [{ name: "a" }] }), "latest"), "baseline");
  assert.equal(
    strictestLevel(pod({ hostPID: true, containers: [{ name: "a" }] }), "latest"),
    "privileged",
  );
  // runAsUser=0 is refused by restricted only from v1.23.
  const root = {
    ...restrictedOk,
    securityContext: { ...restrictedOk.securityContext, runAsUser: 0 },
  };
  assert.equal(strictestLevel(pod(root), { minor: 22 }), "restricted");
  assert.equal(strictestLevel(pod(root), { minor: 23 }), "baseline");
});
