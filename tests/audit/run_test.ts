/**
 * The audit core in-process: auditPods with a source other than files (as a cluster
 * source plugs in), and the default thread count. The CLI end to end:
 * tests/cli/audit_pods_test.ts.
 */
import assert from "node:assert/strict";
import type { AuditPolicy } from "../../src/audit/inputs.ts";
import { auditPods as auditCore, defaultJobs, noUsablePolicyWarning } from "../../src/audit/run.ts";
import { parseObjects } from "../../src/io/documents.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { extractFromObject, type OwnerEdge } from "../../src/workloads/extract.ts";
import type { PodSubject } from "../../src/workloads/subject.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FX = "fixtures/audit/";

async function fixturePolicies(): Promise<AuditPolicy[]> {
  const text = await Deno.readTextFile(`${ROOT}${FX}psps.yaml`);
  return parseObjects(text, "psps.yaml").map((lo) => ({
    psp: lo.object as unknown as PodSecurityPolicy,
    source: "cluster",
  }));
}

function clusterPod(name: string, privileged: boolean, owner?: string): PodSubject {
  const object = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "prod",
      ...(owner ? { ownerReferences: [{ kind: "DaemonSet", name: owner, controller: true }] } : {}),
    },
    spec: { containers: [{ name: "c", image: "i", securityContext: { privileged } }] },
  };
  return extractFromObject({ object, source: { file: "cluster" }, locate: () => undefined })
    .subject!;
}

Deno.test("auditPods takes subjects and access checks from any source", async () => {
  const subjects = {
    async *subjects(_edge: (e: OwnerEdge) => void) {
      yield clusterPod("agent-1", true, "agent");
      yield clusterPod("agent-2", true, "agent");
      yield clusterPod("web", false);
    },
  };
  const policies = await fixturePolicies();
  // Every PSP usable: the privileged PSP admits everything unchanged.
  const all = await auditCore(policies, subjects, undefined);
  assert.deepEqual(
    all.items.map((i) => [i.kind, i.name, i.pods, i.verdict, i.policy, i.source.display]),
    [
      ["DaemonSet", "agent", 2, "admitted", "privileged", "cluster"],
      ["Pod", "web", 1, "admitted", "privileged", "cluster"],
    ],
  );
  // An access check that allows only "restricted" for the DaemonSet's pods, nothing for others.
  const seen: string[][] = [];
  const access = (s: PodSubject, names: readonly string[]) => {
    seen.push([...names]);
    return s.owner ? ["restricted"] : [];
  };
  const r = await auditCore(policies, subjects, access);
  assert.deepEqual(seen[0], ["privileged", "restricted"], "candidates in the admission's order");
  const [agent, web] = r.items;
  assert.equal(agent.verdict, "refused");
  assert.deepEqual(agent.results.map((x) => x.policy), ["restricted"]);
  assert.equal(web.verdict, "refused");
  assert.deepEqual(web.results, []);
  assert.equal(web.message, 'pods "web" is forbidden: PodSecurityPolicy: unable to admit pod: []');
  // `only` (--policy) restricts further; the other PSPs still exist.
  const onlyPrivileged = await auditCore(policies, subjects, access, new Set(["privileged"]));
  assert.equal(onlyPrivileged.items[0].message?.endsWith("unable to admit pod: []"), true);
  assert.deepEqual(onlyPrivileged.summary.policies, ["privileged"]);
});

Deno.test("a pod RBAC leaves no PSP says whose and what to do; one warning counts such rows", async () => {
  const subjects = {
    async *subjects(_edge: (e: OwnerEdge) => void) {
      yield clusterPod("agent-1", true, "agent");
      yield clusterPod("agent-2", true, "agent");
      yield clusterPod("web", false);
    },
  };
  const policies = await fixturePolicies();
  const access = (s: PodSubject) => s.owner ? [] : ["restricted"];
  const r = await auditCore(policies, subjects, access, undefined, { requester: "alice" });
  const [agent, web] = r.items;
  assert.equal(agent.verdict, "refused");
  assert.equal(
    agent.message,
    'pods "agent-1" is forbidden: PodSecurityPolicy: unable to admit pod: []',
  );
  assert.deepEqual(agent.noUsablePolicy, {
    serviceAccount: "prod/default",
    user: "alice",
    text: 'no PSP usable by service account "prod/default" or user "alice" (RBAC grants "use" of ' +
      'none of the candidate PSPs); to change that, grant one of them "use" of a PSP (a Role or ' +
      "ClusterRole with verb use on podsecuritypolicies, and a binding), or audit without RBAC " +
      "(--rbac=none)",
  });
  assert.equal(web.noUsablePolicy, undefined, "refused by its PSP's rules, not by RBAC");
  assert.equal(
    noUsablePolicyWarning(r, "do X"),
    "RBAC leaves no PSP usable for 1 workload (2 pods), refused for that alone (each row names " +
      "the service account or user); to change that, do X",
  );
  const none = await auditCore(policies, subjects, undefined);
  assert.equal(noUsablePolicyWarning(none, "do X"), undefined);
});

Deno.test("--jobs default: one thread per CPU, at most 4", () => {
  assert.deepEqual([1, 2, 3, 4, 8, 64, 0].map((n) => defaultJobs(n)), [1, 2, 3, 4, 4, 4, 1]);
});
