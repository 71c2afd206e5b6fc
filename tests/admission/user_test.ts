import assert from "node:assert/strict";
import { compileRunAsUser, MustRunAsNonRoot, MustRunAsUser } from "../../src/admission/user.ts";
import { ProviderError } from "../../src/admission/strategy.ts";
import { compilePolicy } from "../../src/admission/admit.ts";
import {
  admit,
  container,
  defaultPod,
  defaultPSP,
  goodPod,
  messageList,
  permissivePSP,
  validateOnly,
} from "./fixtures.ts";

Deno.test("user: RunAsAny compiles to nothing; MustRunAs needs a range; unknown rules fail", () => {
  assert.equal(compileRunAsUser({ rule: "RunAsAny" }), null);
  assert.ok(compileRunAsUser({ rule: "MustRunAsNonRoot" }) instanceof MustRunAsNonRoot);
  assert.ok(
    compileRunAsUser({ rule: "MustRunAs", ranges: [{ min: 1, max: 1 }] }) instanceof MustRunAsUser,
  );
  assert.throws(() => compileRunAsUser({ rule: "MustRunAs" }), {
    name: "ProviderError",
    message: "MustRunAs requires at least one range",
  });
  assert.throws(() => compileRunAsUser({ rule: "MustRunAs", ranges: [] }), ProviderError);
  assert.throws(() => compileRunAsUser({ rule: "Sometimes" }), {
    message: "Unrecognized RunAsUser strategy type Sometimes",
  });
});

Deno.test("user: a PSP whose provider cannot be created is unusable (TestCreateProvidersFromConstraints)", () => {
  const p = compilePolicy(defaultPSP({ runAsUser: { rule: "MustRunAs" } }));
  assert.equal(p.error, "MustRunAs requires at least one range");
});

Deno.test("user: MustRunAs validate with ranges [{1,1},{10,20}]", () => {
  const psp = defaultPSP({
    runAsUser: { rule: "MustRunAs", ranges: [{ min: 1, max: 1 }, { min: 10, max: 20 }] },
  });
  const pod = (uid?: number) =>
    defaultPod({ containers: [container(uid === undefined ? {} : { runAsUser: uid })] });
  assert.deepEqual(validateOnly(psp, pod(15)), []);
  assert.deepEqual(validateOnly(psp, pod(1)), []);
  assert.deepEqual(validateOnly(psp, pod(20)), []);
  assert.deepEqual(validateOnly(psp, pod()), [
    "spec.containers[0].securityContext.runAsUser: Required value",
  ]);
  assert.deepEqual(validateOnly(psp, pod(21)), [
    "spec.containers[0].securityContext.runAsUser: Invalid value: 21: must be in the ranges: [{1 1} {10 20}]",
  ]);
});

Deno.test("user: failUserPSP (TestValidateContainerFailures)", () => {
  const psp = defaultPSP({ runAsUser: { rule: "MustRunAs", ranges: [{ min: 999, max: 999 }] } });
  assert.deepEqual(validateOnly(psp, defaultPod({ containers: [container({ runAsUser: 1 })] })), [
    "spec.containers[0].securityContext.runAsUser: Invalid value: 1: must be in the ranges: [{999 999}]",
  ]);
  assert.deepEqual(
    validateOnly(psp, defaultPod({ containers: [container({ runAsUser: 999 })] })),
    [],
  );
});

Deno.test("user: MustRunAsNonRoot validate, first match wins", () => {
  const psp = defaultPSP({ runAsUser: { rule: "MustRunAsNonRoot" } });
  const v = (sc: Record<string, unknown>) =>
    validateOnly(psp, defaultPod({ containers: [container(sc)] }));
  assert.deepEqual(v({ runAsUser: 0 }), [
    "spec.containers[0].securityContext.runAsUser: Invalid value: 0: running with the root UID is forbidden",
  ]);
  assert.deepEqual(v({ runAsUser: 1 }), []);
  assert.deepEqual(v({ runAsNonRoot: false }), [
    "spec.containers[0].securityContext.runAsNonRoot: Invalid value: false: must be true",
  ]);
  assert.deepEqual(v({ runAsNonRoot: true, runAsUser: 1 }), []);
  assert.deepEqual(v({}), [
    "spec.containers[0].securityContext.runAsNonRoot: Required value: must be true",
  ]);
  // UID 0 is refused even with runAsNonRoot: true.
  assert.deepEqual(v({ runAsNonRoot: true, runAsUser: 0 }), [
    "spec.containers[0].securityContext.runAsUser: Invalid value: 0: running with the root UID is forbidden",
  ]);
});

// admission_test.go TestAdmitRunAsUser: exact pod and container securityContexts after admission.
Deno.test("user: TestAdmitRunAsUser", async (t) => {
  const runAsAny = permissivePSP({}, {}, "runAsAny");
  const mustRunAs = permissivePSP(
    { runAsUser: { rule: "MustRunAs", ranges: [{ min: 999, max: 1000 }] } },
    {},
    "mustRunAs",
  );
  const nonRoot = permissivePSP({ runAsUser: { rule: "MustRunAsNonRoot" } }, {}, "runAsNonRoot");
  type SC = Record<string, unknown> | null;
  const cases: [string, SC, SC, typeof runAsAny, SC | string, SC?][] = [
    ["runAsAny no pod request", null, null, runAsAny, null, null],
    ["runAsAny pod request", { runAsUser: 1 }, null, runAsAny, { runAsUser: 1 }, null],
    ["runAsAny container request", null, { runAsUser: 1 }, runAsAny, null, { runAsUser: 1 }],
    [
      "mustRunAs pod request out of range",
      { runAsUser: 1 },
      null,
      mustRunAs,
      "spec.containers[0].securityContext.runAsUser: Invalid value: 1: must be in the ranges: [{999 1000}]",
    ],
    [
      "mustRunAs container request out of range",
      { runAsUser: 999 },
      { runAsUser: 1 },
      mustRunAs,
      "spec.containers[0].securityContext.runAsUser: Invalid value: 1: must be in the ranges: [{999 1000}]",
    ],
    [
      "mustRunAs pod request in range",
      { runAsUser: 999 },
      null,
      mustRunAs,
      { runAsUser: 999 },
      null,
    ],
    ["mustRunAs container request in range", null, { runAsUser: 999 }, mustRunAs, null, {
      runAsUser: 999,
    }],
    [
      "mustRunAs pod and container request in range",
      { runAsUser: 999 },
      { runAsUser: 1000 },
      mustRunAs,
      { runAsUser: 999 },
      { runAsUser: 1000 },
    ],
    ["mustRunAs no request", null, null, mustRunAs, null, { runAsUser: 999 }],
    ["runAsNonRoot no request", null, null, nonRoot, null, { runAsNonRoot: true }],
    [
      "runAsNonRoot pod request root",
      { runAsUser: 0 },
      null,
      nonRoot,
      "spec.containers[0].securityContext.runAsUser: Invalid value: 0: running with the root UID is forbidden",
    ],
    ["runAsNonRoot pod request non-root", { runAsUser: 1 }, null, nonRoot, { runAsUser: 1 }, null],
    [
      "runAsNonRoot container request root",
      { runAsUser: 1 },
      { runAsUser: 0 },
      nonRoot,
      "spec.containers[0].securityContext.runAsUser: Invalid value: 0: running with the root UID is forbidden",
    ],
    ["runAsNonRoot container request non-root", { runAsUser: 1 }, { runAsUser: 2 }, nonRoot, {
      runAsUser: 1,
    }, { runAsUser: 2 }],
  ];
  for (const [name, podSc, cSc, psp, wantPod, wantC] of cases) {
    await t.step(name, () => {
      const pod = goodPod({ securityContext: podSc, containers: [container(cSc)] });
      const d = admit(pod, psp);
      if (typeof wantPod === "string") {
        assert.equal(d.verdict, "refused");
        assert.equal(messageList(d), wantPod);
        return;
      }
      assert.notEqual(d.verdict, "refused", d.message ?? "");
      assert.equal(d.policy, psp.metadata.name);
      // v1 defaulting turns a nil pod securityContext into {}.
      assert.deepEqual(d.admitted!.spec.securityContext, wantPod ?? {});
      assert.deepEqual(d.admitted!.spec.containers[0].securityContext ?? null, wantC);
    });
  }
});

Deno.test("user: pod-level runAsUser is checked only through containers, at the container path", () => {
  const psp = defaultPSP({ runAsUser: { rule: "MustRunAsNonRoot" } });
  // A violating pod-level value is harmless when every container overrides it.
  const overridden = defaultPod({
    securityContext: { runAsUser: 0 },
    containers: [container({ runAsUser: 1500 })],
  });
  assert.deepEqual(validateOnly(psp, overridden), []);
  const inherited = defaultPod({
    securityContext: { runAsUser: 0 },
    initContainers: [{ name: "init", securityContext: null }],
    containers: [container(null)],
  });
  assert.deepEqual(validateOnly(psp, inherited), [
    "spec.initContainers[0].securityContext.runAsUser: Invalid value: 0: running with the root UID is forbidden",
    "spec.containers[0].securityContext.runAsUser: Invalid value: 0: running with the root UID is forbidden",
  ]);
});

Deno.test("user: MustRunAs defaults the container (never the pod); the pod-level value counts as set", () => {
  const psp = defaultPSP({
    runAsUser: { rule: "MustRunAs", ranges: [{ min: 100, max: 200 }, { min: 300, max: 300 }] },
  });
  const d = admit(defaultPod({ initContainers: [{ name: "i" }] }), psp);
  assert.equal(d.verdict, "changed");
  assert.equal(d.admitted!.spec.initContainers![0].securityContext!.runAsUser, 100);
  assert.equal(d.admitted!.spec.containers[0].securityContext!.runAsUser, 100);
  assert.equal(d.admitted!.spec.securityContext!.runAsUser, undefined);
  assert.deepEqual(d.results[0].changes.map((c) => [c.field, c.from, c.to]), [
    ["spec.initContainers[0].securityContext.runAsUser", null, 100],
    ["spec.containers[0].securityContext.runAsUser", null, 100],
  ]);
  const podLevel = admit(defaultPod({ securityContext: { runAsUser: 150 } }), psp);
  assert.equal(podLevel.verdict, "admitted");
});
