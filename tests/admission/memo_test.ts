import assert from "node:assert/strict";
import {
  type AdmissionDecision,
  admitPod,
  type CompiledPolicy,
  compilePolicy,
} from "../../src/admission/admit.ts";
import { AdmissionMemo } from "../../src/admission/memo.ts";
import type { Pod } from "../../src/model/pod.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { ORACLE_DIR } from "../support/shared.ts";
import { defaultPod, defaultPSP } from "./fixtures.ts";

/** The pod as another replica of its ReplicaSet: same spec, own name and bookkeeping. */
function replica(pod: Pod, name: string): Pod {
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      name,
      uid: `uid-${name}`,
      resourceVersion: "42",
      creationTimestamp: "2026-01-01T00:00:00Z",
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u" }],
    },
  };
}

/** Admits pod then its replica through one memo; both must equal `admitPod`'s answers. */
function checkReplica(
  memo: AdmissionMemo,
  pod: Pod,
  name: string,
  candidates: readonly CompiledPolicy[],
): [AdmissionDecision, AdmissionDecision] {
  const first = memo.admit(pod, candidates);
  assert.deepEqual(first, admitPod(pod, candidates));
  const other = replica(pod, name);
  const second = memo.admit(other, candidates);
  assert.deepEqual(second, admitPod(other, candidates), `replica ${name} of ${pod.metadata?.name}`);
  return [first, second];
}

Deno.test("memo: a hit is admitPod's decision for the renamed pod (403 with its own name)", () => {
  const restrictive = [compilePolicy(defaultPSP({}, {}, "restricted"))];
  const pod: Pod = { ...defaultPod(), metadata: { name: "web-1", namespace: "ns" } };
  pod.spec!.containers[0].securityContext = { privileged: true };
  const memo = new AdmissionMemo();
  const [first, second] = checkReplica(memo, pod, 'web-"2"', restrictive);
  assert.equal(second.verdict, "refused");
  assert.equal(second.reason, "Forbidden");
  assert.match(second.message!, /^pods "web-\\"2\\"" is forbidden: PodSecurityPolicy: /);
  assert.match(first.message!, /^pods "web-1" is forbidden/);
  assert.equal(second.results, first.results, "a hit reuses the evaluation");
  // generateName only (no name): the API server's display name falls back to it.
  const generated: Pod = { ...pod, metadata: { generateName: "web-", namespace: "ns" } };
  assert.deepEqual(memo.admit(generated, restrictive), admitPod(generated, restrictive));
});

Deno.test("memo: admitted and changed pods get their own metadata, 422 its own name", () => {
  const permissive = compilePolicy(defaultPSP({ privileged: true }, {}, "permissive"));
  const mutating = compilePolicy(
    defaultPSP({ privileged: true, defaultAllowPrivilegeEscalation: false }, {}, "a-mutating"),
  );
  const memo = new AdmissionMemo();
  const pod: Pod = {
    ...defaultPod(),
    metadata: { name: "p-1", namespace: "ns", labels: { app: "x" }, annotations: { a: "b" } },
  };
  const [a1, a2] = checkReplica(memo, pod, "p-2", [permissive]);
  assert.equal(a2.verdict, "admitted");
  assert.equal(a2.admitted!.metadata!.name, "p-2");
  assert.equal(a1.admitted!.metadata!.name, "p-1", "the memoised decision is not mutated");
  const [, c2] = checkReplica(memo, pod, "p-3", [mutating]);
  assert.equal(c2.verdict, "changed");
  assert.equal(c2.admitted!.metadata!.uid, "uid-p-3");
  const privileged: Pod = structuredClone(pod);
  privileged.spec!.containers[0].securityContext = { privileged: true };
  const [, i2] = checkReplica(memo, privileged, "p-4", [mutating]);
  assert.equal(i2.reason, "Invalid");
  assert.match(i2.message!, /^Pod "p-4" is invalid: /);
});

Deno.test("memo: namespace, annotations, candidates and other PSPs are part of the key", () => {
  const seccomp = compilePolicy(defaultPSP({}, {
    "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
  }, "seccomp"));
  const open = compilePolicy(defaultPSP({}, {}, "open"));
  const memo = new AdmissionMemo();
  const pod: Pod = { ...defaultPod(), metadata: { name: "a", namespace: "ns" } };
  const annotated: Pod = {
    ...pod,
    metadata: {
      ...pod.metadata,
      annotations: { "seccomp.security.alpha.kubernetes.io/pod": "unconfined" },
    },
  };
  for (const [p, c] of [[pod, [seccomp]], [annotated, [seccomp]], [annotated, [open]]] as const) {
    assert.deepEqual(memo.admit(p, c), admitPod(p, c));
  }
  assert.equal(memo.admit(annotated, [seccomp]).verdict, "refused");
  // No candidate: "no providers available" only when no other usable PSP exists.
  for (const otherPolicies of [[], [open]]) {
    assert.deepEqual(memo.admit(pod, [], { otherPolicies }), admitPod(pod, [], { otherPolicies }));
  }
  const other: Pod = { ...pod, metadata: { ...pod.metadata, namespace: "other" } };
  assert.equal(memo.admit(other, [open]).admitted!.metadata!.namespace, "other");
});

Deno.test("memo: values JSON cannot tell apart are never memoised; the size is bounded", () => {
  const open = [compilePolicy(defaultPSP({}, {}, "open"))];
  const memo = new AdmissionMemo(2);
  const withUser = (runAsUser: unknown): Pod =>
    ({
      ...defaultPod(),
      metadata: { name: `u${String(runAsUser)}` },
      spec: {
        ...defaultPod().spec,
        securityContext: { runAsUser: runAsUser as number },
      },
    }) as Pod;
  for (const v of [null, NaN, Infinity, undefined, -0, 0]) {
    const pod = withUser(v);
    assert.deepEqual(memo.admit(pod, open), admitPod(pod, open));
  }
  for (let i = 0; i < 5; i++) {
    const pod: Pod = { ...defaultPod(), metadata: { name: `n${i}`, labels: { i: String(i) } } };
    assert.deepEqual(memo.admit(pod, open), admitPod(pod, open));
  }
});

Deno.test("memo: every oracle corpus pod and its replica, against every corpus PSP", async () => {
  const corpus = JSON.parse(await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR))) as {
    psps: PodSecurityPolicy[];
    pods: Pod[];
  };
  const candidates = corpus.psps.map(compilePolicy);
  const memo = new AdmissionMemo();
  const frozen = structuredClone(corpus.pods);
  const verdicts = new Set<string>();
  for (const pod of corpus.pods) {
    for (const c of [candidates, ...candidates.map((p) => [p])]) {
      const [, second] = checkReplica(memo, pod, `${pod.metadata!.name}-replica`, c);
      verdicts.add(second.verdict);
    }
  }
  assert.deepEqual([...verdicts].sort(), ["admitted", "changed", "refused"]);
  assert.deepEqual(corpus.pods, frozen, "the memo mutated its input pods");
});
