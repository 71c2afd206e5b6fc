import assert from "node:assert/strict";
import { admitPod, compilePolicy, validatingPhase } from "../../src/admission/admit.ts";
import type { Pod } from "../../src/model/pod.ts";
import {
  admit,
  container,
  defaultPSP,
  goodPod,
  permissivePSP,
  restrictivePSP,
} from "./fixtures.ts";

function basePod(annotations: Record<string, string> = {}): Pod {
  return {
    metadata: { annotations },
    spec: {
      serviceAccountName: "default",
      containers: [{ name: "mycontainer", image: "myimage" }],
    },
  };
}

const mutating1 = restrictivePSP(
  { runAsUser: { rule: "MustRunAs", ranges: [{ min: 1, max: 1 }] } },
  {},
  "mutating1",
);
const mutating2 = restrictivePSP(
  { runAsUser: { rule: "MustRunAs", ranges: [{ min: 2, max: 2 }] } },
  {},
  "mutating2",
);
const privileged = permissivePSP();

// admission_test.go TestAdmitPreferNonmutating, the CREATE cases.
Deno.test("admit: TestAdmitPreferNonmutating (create)", () => {
  const allowAll = admit(basePod(), privileged);
  assert.equal(allowAll.verdict, "admitted");
  assert.equal(allowAll.policy, "privileged");
  assert.equal(allowAll.admitted!.spec.containers[0].securityContext, undefined);

  const preferNonMutating = admit(basePod(), mutating2, mutating1, privileged);
  assert.equal(preferNonMutating.policy, "privileged");
  assert.equal(preferNonMutating.verdict, "admitted");

  const deterministic = admit(basePod(), mutating2, mutating1);
  assert.equal(deterministic.verdict, "changed");
  assert.equal(deterministic.policy, "mutating1");
  assert.equal(deterministic.admitted!.spec.containers[0].securityContext!.runAsUser, 1);
  assert.equal(deterministic.admitted!.spec.securityContext!.runAsUser, undefined);

  // On create an existing kubernetes.io/psp annotation is ignored and overwritten.
  const annotated = admit(basePod({ "kubernetes.io/psp": "mutating2" }), mutating2, mutating1);
  assert.equal(annotated.policy, "mutating1");
  assert.equal(annotated.admitted!.metadata.annotations!["kubernetes.io/psp"], "mutating1");
});

Deno.test("admit: results list every candidate in byte-wise name order, with violations and changes", () => {
  const d = admit(
    goodPod({ hostPID: true }),
    permissivePSP({}, {}, "b"),
    restrictivePSP({}, {}, "A"),
    defaultPSP({}, {}, "a"),
  );
  assert.deepEqual(d.results.map((r) => [r.policy, r.allowed]), [["A", false], ["a", false], [
    "b",
    true,
  ]]);
  assert.deepEqual(d.results[0].violations.map((v) => v.field), ["spec.securityContext.hostPID"]);
  assert.equal(
    d.results[0].violations[0].message,
    "Invalid value: true: Host PID is not allowed to be used",
  );
  assert.ok(d.results[0].changes.length > 0); // restrictive defaults are reported even when refused
  assert.equal(d.policy, "b");
});

Deno.test("admit: refused pods list every candidate's violations, duplicates kept", () => {
  const d = admit(
    goodPod({ hostPID: true }),
    restrictivePSP({}, {}, "policy1"),
    restrictivePSP({}, {}, "policy2"),
  );
  const line =
    "spec.securityContext.hostPID: Invalid value: true: Host PID is not allowed to be used";
  assert.equal(d.verdict, "refused");
  assert.equal(d.policy, null);
  assert.equal(d.admitted, null);
  assert.equal(
    d.message,
    `pods "pod" is forbidden: PodSecurityPolicy: unable to admit pod: [${line} ${line}]`,
  );
});

Deno.test("admit: the pod's name in messages: name, else generateName, else Unknown", () => {
  const refusedAs = (metadata: Pod["metadata"]) =>
    admitPod({
      metadata,
      spec: { containers: [{ name: "c", securityContext: { privileged: true } }] },
    }, [
      compilePolicy(defaultPSP()),
    ]).message!.split(" is forbidden")[0];
  assert.equal(refusedAs({ name: "n", generateName: "g-" }), 'pods "n"');
  assert.equal(refusedAs({ generateName: "g-" }), 'pods "g-"');
  assert.equal(refusedAs({}), 'pods "Unknown"');
});

Deno.test("admit: no usable PSP means no providers available; unusable PSPs are skipped", () => {
  const unusable = compilePolicy(defaultPSP({ runAsUser: { rule: "MustRunAs" } }, {}, "broken"));
  assert.equal(unusable.error, "MustRunAs requires at least one range");
  const none = admitPod(goodPod(), []);
  assert.equal(
    none.message,
    'pods "pod" is forbidden: PodSecurityPolicy: no providers available to validate pod request',
  );
  const onlyBroken = admitPod(goodPod(), [unusable]);
  assert.equal(onlyBroken.verdict, "refused");
  assert.match(onlyBroken.message!, /no providers available to validate pod request$/);
  assert.deepEqual(onlyBroken.results, [
    {
      policy: "broken",
      allowed: false,
      violations: [],
      changes: [],
      error: "MustRunAs requires at least one range",
    },
  ]);
  const withGood = admitPod(goodPod(), [unusable, compilePolicy(permissivePSP())]);
  assert.equal(withGood.policy, "privileged");
});

Deno.test("admit: PSPs the requester may not use hide their violations (unable to admit pod: [])", () => {
  const d = admitPod(goodPod(), [], { otherPolicies: [compilePolicy(permissivePSP())] });
  assert.equal(d.message, 'pods "pod" is forbidden: PodSecurityPolicy: unable to admit pod: []');
});

Deno.test("admit: never mutates the pod or depends on candidate order", () => {
  const pod = goodPod({
    hostNetwork: true,
    containers: [container(null, { ports: [{ containerPort: 80 }] })],
  });
  const before = structuredClone(pod);
  const psps = [
    restrictivePSP({ hostNetwork: true, hostPorts: [{ min: 80, max: 80 }] }, {}, "r"),
    permissivePSP({}, {}, "p"),
  ];
  const a = admit(pod, ...psps);
  const b = admit(pod, ...[...psps].reverse());
  assert.deepEqual(pod, before);
  assert.deepEqual(a, b);
  assert.equal(a.policy, "p");
});

Deno.test("admit: the admitted pod is as the API server stores it", () => {
  const psp = restrictivePSP(
    { runAsUser: { rule: "MustRunAsNonRoot" } },
    {
      "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
      "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
    },
  );
  const d = admit(basePod(), psp);
  assert.equal(d.verdict, "changed");
  assert.deepEqual(d.admitted!.metadata.annotations, {
    "kubernetes.io/psp": "restrictive",
    "seccomp.security.alpha.kubernetes.io/pod": "runtime/default",
  });
  assert.deepEqual(d.admitted!.spec.securityContext, {
    supplementalGroups: [999],
    fsGroup: 999,
    seLinuxOptions: { level: "s9:z0,z1" },
    seccompProfile: { type: "RuntimeDefault" },
  });
  assert.deepEqual(d.admitted!.spec.containers[0].securityContext, {
    runAsGroup: 999,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
  });
});

// admission_test.go TestPreferValidatedPSP, on the validating phase.
Deno.test("admit: validating phase prefers the annotated PSP and passes only unchanged pods", () => {
  const restrictive = (n: string) =>
    restrictivePSP(
      {
        runAsUser: { rule: "RunAsAny" },
        runAsGroup: { rule: "RunAsAny" },
        seLinux: { rule: "RunAsAny" },
        fsGroup: { rule: "RunAsAny" },
        supplementalGroups: { rule: "RunAsAny" },
      },
      {},
      n,
    );
  const permissive = (n: string) => permissivePSP({}, {}, n);
  const pod = (hint: string) =>
    goodPod({ containers: [container({ allowPrivilegeEscalation: true })] }, {
      "kubernetes.io/psp": hint,
    });
  const c = (...psps: ReturnType<typeof permissivePSP>[]) => psps.map(compilePolicy);
  assert.equal(
    validatingPhase(
      pod(""),
      c(restrictive("001r"), restrictive("002r"), permissive("002p"), permissive("001p")),
    ),
    null,
  );
  const ape =
    "spec.containers[0].securityContext.allowPrivilegeEscalation: Invalid value: true: Allowing privilege escalation for containers is not allowed";
  assert.equal(
    validatingPhase(pod("foo"), c(restrictive("001r"), restrictive("002r"))),
    `pods "pod" is forbidden: PodSecurityPolicy: unable to validate pod: [${ape} ${ape}]`,
  );
  assert.match(
    validatingPhase(pod("001r"), c(restrictive("001r"), restrictive("002r")))!,
    /unable to validate pod/,
  );
  assert.equal(
    validatingPhase(pod("001r"), c(restrictive("001r"), restrictive("002r"), permissive("002p"))),
    null,
  );
  // PSPs that would change the pod are skipped silently.
  const mutating = restrictivePSP({ allowPrivilegeEscalation: true }, {}, "m");
  assert.equal(
    validatingPhase(goodPod(), c(mutating)),
    'pods "pod" is forbidden: PodSecurityPolicy: unable to validate pod: []',
  );
});

Deno.test("admit: ephemeral containers are checked only with the EphemeralContainers gate option", () => {
  const pod = goodPod({
    volumes: [{ name: "logs", hostPath: { path: "/var/log" } }],
    ephemeralContainers: [{
      name: "debug",
      securityContext: { privileged: true },
      volumeMounts: [{ name: "logs", mountPath: "/l" }],
    }],
  });
  const psp = defaultPSP({
    volumes: ["hostPath"],
    allowedHostPaths: [{ pathPrefix: "/var/log", readOnly: true }],
  });
  assert.equal(admit(pod, psp).verdict, "admitted");
  const gated = admitPod(pod, [compilePolicy(psp)], { ephemeralContainers: true });
  assert.equal(gated.verdict, "refused");
  assert.deepEqual(gated.results[0].violations.map((v) => v.field), [
    "spec.ephemeralContainers[0].volumeMounts[0].readOnly",
    "spec.ephemeralContainers[0].securityContext.privileged",
  ]);
});

Deno.test("admit: compiling does not touch the PSP; a compiled PSP carries no state between pods", () => {
  const psp = restrictivePSP({ runAsUser: { rule: "MustRunAs", ranges: [{ min: 5, max: 5 }] } });
  const before = structuredClone(psp);
  const compiled = compilePolicy(psp);
  assert.deepEqual(psp, before);
  assert.equal(compiled.name, "restrictive");
  assert.equal(compiled.error, null);
  const first = admitPod(goodPod(), [compiled]);
  const second = admitPod(goodPod({ containers: [container({ runAsUser: 5 })] }), [compiled]);
  const third = admitPod(goodPod(), [compiled]);
  assert.deepEqual(first, third);
  assert.equal(first.admitted!.spec.containers[0].securityContext!.runAsUser, 5);
  assert.deepEqual(second.results[0].changes.some((c) => c.field.endsWith("runAsUser")), false);
  // Changing an admitted pod does not leak into later decisions.
  first.admitted!.spec.securityContext!.supplementalGroups!.push(1);
  assert.deepEqual(
    admitPod(goodPod(), [compiled]).admitted!.spec.securityContext!.supplementalGroups,
    [999],
  );
  assert.throws(() => admitPod(goodPod(), [{ name: "fake", error: null }]), TypeError);
});

Deno.test("admit: reusing and then changing a candidate list still follows the list's content", () => {
  const list = [compilePolicy(permissivePSP({}, {}, "z")), compilePolicy(defaultPSP({}, {}, "m"))];
  assert.equal(admitPod(goodPod(), list).policy, "m");
  assert.equal(admitPod(goodPod(), list).policy, "m"); // cached order
  list.push(compilePolicy(defaultPSP({}, {}, "a")));
  assert.equal(admitPod(goodPod(), list).policy, "a");
  list[2] = compilePolicy(defaultPSP({ privileged: true }, {}, "b"));
  const d = admitPod(goodPod(), list);
  assert.deepEqual(d.results.map((r) => r.policy), ["b", "m", "z"]);
});
