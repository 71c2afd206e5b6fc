/** The agreement machinery on a hand-made oracle: scope and uncovered exceptions. */
import assert from "node:assert/strict";
import { auditEventFromObject } from "../../support/falco/event.ts";
import { type Oracle, runOracleAgreement } from "../../support/falco/oracle_agreement.ts";
import type { PodSecurityPolicy } from "../../../src/model/psp.ts";

function podEvent(name: string, image: string) {
  return auditEventFromObject({
    auditID: name,
    stage: "ResponseComplete",
    verb: "create",
    objectRef: { resource: "pods", namespace: "ns", name },
    stageTimestamp: "2026-11-28T12:00:00Z",
    requestObject: {
      metadata: { name },
      spec: { containers: [{ name: "c", image, securityContext: { privileged: true } }] },
    },
  });
}

const REFUSED = 'pods "x" is forbidden: PodSecurityPolicy: unable to admit pod: ' +
  "[spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed]";

const psp = {
  metadata: { name: "p", annotations: { "falco-rules-psp-images": "[redis]" } },
  spec: {},
} as unknown as PodSecurityPolicy;

const oracle: Oracle = {
  psps: [psp],
  verdicts: [
    { pod: "a", policies: "p", status: "forbidden", message: REFUSED },
    { pod: "b", policies: "p", status: "forbidden", message: REFUSED },
  ],
  events: [podEvent("a", "nginx:1"), podEvent("b", "redis:7")],
};

const rulesFor = (cond: string) => `
- rule: PSP p Violation (privileged) K8s Audit
  desc: d
  condition: ${cond}
  output: "o %ka.user.name"
  priority: WARNING
  source: k8s_audit
`;

Deno.test("scope: a pod outside falco-rules-psp-images is expected to fire nothing", () => {
  const scoped = () => ({
    yaml: rulesFor(
      "ka.req.pod.containers.image.repository intersects (redis) and ka.req.pod.containers.privileged intersects (true)",
    ),
    warnings: [],
    uncovered: [],
  });
  const r = runOracleAgreement(scoped, oracle);
  assert.deepEqual([r.pairs, r.agreeing, r.disagreements.length], [2, 2, 0]);
  assert.match([...r.exceptions.keys()].join(), /scope: PSP p: no container image of the pod/);
  const unscoped = () => ({
    yaml: rulesFor("ka.req.pod.containers.privileged intersects (true)"),
    warnings: [],
    uncovered: [],
  });
  const u = runOracleAgreement(unscoped, oracle);
  assert.deepEqual(u.disagreements.map((d) => [d.pod, d.extra]), [["a", ["privileged"]]]);
});

Deno.test("uncovered: a field the generator declares uncovered is excepted, not agreed", () => {
  const none = () => ({
    yaml: "- required_engine_version: 0.46.0\n",
    warnings: [],
    uncovered: [{ policy: "p", field: "privileged", reason: "no field can check it" }],
  });
  const r = runOracleAgreement(none, oracle);
  assert.deepEqual([r.pairs, r.agreeing, r.excepted, r.disagreements.length], [2, 1, 1, 0]); // pod a is out of scope
  assert.match(
    [...r.exceptions.keys()].join(),
    /uncovered: PSP p field privileged: no field can check it/,
  );
});
