import assert from "node:assert/strict";
import type { SeccompProfile } from "../../src/model/pod.ts";
import {
  seccompAnnotationForField,
  seccompFieldForAnnotation,
} from "../../src/admission/seccomp.ts";
import {
  admit,
  defaultPod,
  defaultPSP,
  evaluate,
  mutateOnly,
  restrictivePSP,
  validateOnly,
} from "./fixtures.ts";

const ALLOWED = "seccomp.security.alpha.kubernetes.io/allowedProfileNames";
const DEFAULT = "seccomp.security.alpha.kubernetes.io/defaultProfileName";
const POD = "seccomp.security.alpha.kubernetes.io/pod";
const C = (name: string) => `container.seccomp.security.alpha.kubernetes.io/${name}`;
const podPath = `pod.metadata.annotations[${POD}]`;
const cPath = (name = "test-c") => `pod.metadata.annotations[${C(name)}]`;

Deno.test("seccomp: field <-> annotation conversion", () => {
  assert.equal(seccompAnnotationForField({ type: "Unconfined" }), "unconfined");
  assert.equal(seccompAnnotationForField({ type: "RuntimeDefault" }), "runtime/default");
  assert.equal(
    seccompAnnotationForField({ type: "Localhost", localhostProfile: "p.json" }),
    "localhost/p.json",
  );
  assert.equal(seccompAnnotationForField({ type: "Localhost" }), "");
  assert.equal(seccompAnnotationForField({ type: "Bogus" }), "");
  assert.deepEqual(seccompFieldForAnnotation("docker/default"), { type: "RuntimeDefault" });
  assert.deepEqual(seccompFieldForAnnotation("localhost/x"), {
    type: "Localhost",
    localhostProfile: "x",
  });
  assert.equal(seccompFieldForAnnotation("localhost/"), null);
  assert.equal(seccompFieldForAnnotation("foo"), null);
});

Deno.test("seccomp: failInvalidSeccomp and container annotation failures (no allowed annotation)", () => {
  assert.deepEqual(validateOnly(defaultPSP(), defaultPod({}, { [POD]: "foo" })), [
    `${podPath}: Forbidden: seccomp may not be set`,
    `${cPath()}: Forbidden: seccomp may not be set`,
  ]);
  assert.deepEqual(validateOnly(defaultPSP(), defaultPod({}, { [C("test-c")]: "foo" })), [
    `${cPath()}: Forbidden: seccomp may not be set`,
  ]);
  // runtime/default through the field is forbidden too.
  assert.deepEqual(
    validateOnly(
      defaultPSP(),
      defaultPod({ securityContext: { seccompProfile: { type: "RuntimeDefault" } } }),
    ),
    [
      `${podPath}: Forbidden: seccomp may not be set`,
      `${cPath()}: Forbidden: seccomp may not be set`,
    ],
  );
});

Deno.test("seccomp: success cases (TestValidatePodSuccess/ContainerSuccess)", () => {
  const psp = defaultPSP({}, { [ALLOWED]: "foo" });
  assert.deepEqual(validateOnly(psp, defaultPod({}, { [POD]: "foo" })), []);
  assert.deepEqual(validateOnly(psp, defaultPod({}, { [POD]: "foo", [C("test-c")]: "foo" })), []);
});

Deno.test("seccomp: validate messages (seccomp/strategy_test.go)", () => {
  const psp = defaultPSP({}, { [ALLOWED]: "foo" });
  // An empty profile is refused when there is an allowed list: note the double space.
  assert.deepEqual(validateOnly(psp, defaultPod()), [
    `${podPath}: Forbidden:  is not an allowed seccomp profile. Valid values are foo`,
    `${cPath()}: Forbidden:  is not an allowed seccomp profile. Valid values are foo`,
  ]);
  assert.deepEqual(
    validateOnly(
      psp,
      defaultPod({
        securityContext: { seccompProfile: { type: "Localhost", localhostProfile: "foo" } },
      }),
    ),
    [
      `${podPath}: Forbidden: localhost/foo is not an allowed seccomp profile. Valid values are foo`,
      `${cPath()}: Forbidden: localhost/foo is not an allowed seccomp profile. Valid values are foo`,
    ],
  );
  // docker/default and runtime/default are equivalent.
  for (const allowed of ["docker/default", "runtime/default"]) {
    const p = defaultPSP({}, { [ALLOWED]: allowed });
    assert.deepEqual(validateOnly(p, defaultPod({}, { [POD]: "docker/default" })), []);
    assert.deepEqual(validateOnly(p, defaultPod({}, { [POD]: "runtime/default" })), []);
  }
  // A present but empty allowed annotation is one allowed profile: "".
  const empty = defaultPSP({}, { [ALLOWED]: "" });
  assert.deepEqual(validateOnly(empty, defaultPod()), []);
  assert.deepEqual(validateOnly(empty, defaultPod({}, { [POD]: "runtime/default" })), [
    `${podPath}: Forbidden: runtime/default is not an allowed seccomp profile. Valid values are `,
    `${cPath()}: Forbidden: runtime/default is not an allowed seccomp profile. Valid values are `,
  ]);
  // "*,bar" allows anything.
  assert.deepEqual(
    validateOnly(defaultPSP({}, { [ALLOWED]: "*,bar" }), defaultPod({}, { [POD]: "localhost/x" })),
    [],
  );
});

Deno.test("seccomp: container profile precedence: field, annotation (even empty), pod field, pod annotation", () => {
  const psp = defaultPSP({}, { [ALLOWED]: "runtime/default,unconfined" });
  const c = (sc: object) => [{ name: "test-c", securityContext: sc }];
  const fieldWins = defaultPod({
    containers: c({ seccompProfile: { type: "Localhost", localhostProfile: "x" } }),
  }, {
    [POD]: "runtime/default",
    [C("test-c")]: "unconfined",
  });
  assert.deepEqual(validateOnly(psp, fieldWins), [
    `${cPath()}: Forbidden: localhost/x is not an allowed seccomp profile. Valid values are runtime/default,unconfined`,
  ]);
  const emptyAnnotation = defaultPod({}, { [POD]: "runtime/default", [C("test-c")]: "" });
  assert.deepEqual(validateOnly(psp, emptyAnnotation), [
    `${cPath()}: Forbidden:  is not an allowed seccomp profile. Valid values are runtime/default,unconfined`,
  ]);
  const podFieldBeatsPodAnnotation = defaultPod({
    securityContext: { seccompProfile: { type: "Unconfined" } },
  }, {
    [POD]: "localhost/y",
  });
  assert.deepEqual(validateOnly(psp, podFieldBeatsPodAnnotation), [
    `${podPath}: Forbidden: localhost/y is not an allowed seccomp profile. Valid values are runtime/default,unconfined`,
  ]);
});

Deno.test("seccomp: generate precedence: pod annotation, pod field, default", () => {
  const psp = defaultPSP({}, { [ALLOWED]: "*", [DEFAULT]: "runtime/default" });
  assert.deepEqual(mutateOnly(psp, defaultPod({}, { [POD]: "unconfined" })).changes, []);
  assert.deepEqual(
    mutateOnly(
      psp,
      defaultPod({
        securityContext: { seccompProfile: { type: "Localhost", localhostProfile: "bar" } },
      }),
    ).changes,
    [{
      field: `metadata.annotations[${POD}]`,
      from: null,
      to: "localhost/bar",
      pspField: "seccomp",
      effect: "none",
    }],
  );
  assert.deepEqual(mutateOnly(psp, defaultPod()).changes, [
    {
      field: `metadata.annotations[${POD}]`,
      from: null,
      to: "runtime/default",
      pspField: "seccomp",
    },
  ]);
  // The field is translated even under a PSP with no seccomp annotations at all.
  const plain = evaluate(
    defaultPSP({}, { [ALLOWED]: "*" }),
    defaultPod({ securityContext: { seccompProfile: { type: "RuntimeDefault" } } }),
  );
  assert.deepEqual(plain.changes.map((c) => c.field), [`metadata.annotations[${POD}]`]);
});

Deno.test("seccomp: a default that is not allowed is applied and then refused", () => {
  const psp = defaultPSP({}, { [ALLOWED]: "localhost/a", [DEFAULT]: "runtime/default" });
  assert.deepEqual(evaluate(psp, defaultPod()).errors, [
    `${podPath}: Forbidden: runtime/default is not an allowed seccomp profile. Valid values are localhost/a`,
    `${cPath()}: Forbidden: runtime/default is not an allowed seccomp profile. Valid values are localhost/a`,
  ]);
});

// admission_test.go TestAdmitSeccomp: restrictive PSP with the listed annotations; unnamed pod.
Deno.test("seccomp: TestAdmitSeccomp", async (t) => {
  const pod = (annotations: Record<string, string>) => ({
    metadata: { annotations },
    spec: { containers: [{ name: "container" }] },
  });
  const cases: [string, Record<string, string>, Record<string, string>, string | null][] = [
    ["no seccomp, no pod annotations", {}, {}, null],
    [
      "no seccomp, pod annotations",
      {},
      { [POD]: "foo" },
      `${podPath}: Forbidden: seccomp may not be set ${
        cPath("container")
      }: Forbidden: seccomp may not be set`,
    ],
    [
      "no seccomp, container annotations",
      {},
      { [C("container")]: "foo" },
      `${cPath("container")}: Forbidden: seccomp may not be set`,
    ],
    ["seccomp, allow any no pod annotation", { [ALLOWED]: "*" }, {}, null],
    ["seccomp, allow any pod annotation", { [ALLOWED]: "*" }, { [POD]: "foo" }, null],
    [
      "seccomp, allow any container annotation",
      { [ALLOWED]: "*" },
      { [C("container")]: "foo" },
      null,
    ],
    [
      "seccomp, allow specific pod annotation failure",
      { [ALLOWED]: "foo" },
      { [POD]: "bar" },
      `${podPath}: Forbidden: bar is not an allowed seccomp profile. Valid values are foo ` +
      `${
        cPath("container")
      }: Forbidden: bar is not an allowed seccomp profile. Valid values are foo`,
    ],
    [
      "seccomp, allow specific container annotation failure",
      { [DEFAULT]: "foo", [ALLOWED]: "foo" },
      { [C("container")]: "bar" },
      `${
        cPath("container")
      }: Forbidden: bar is not an allowed seccomp profile. Valid values are foo`,
    ],
    ["seccomp, allow specific pod annotation pass", { [ALLOWED]: "foo" }, { [POD]: "foo" }, null],
    [
      "seccomp, allow specific container annotation pass",
      { [DEFAULT]: "foo", [ALLOWED]: "foo,bar" },
      { [C("container")]: "bar" },
      null,
    ],
  ];
  for (const [name, pspAnnotations, podAnnotations, error] of cases) {
    await t.step(name, () => {
      const d = admit(pod(podAnnotations), restrictivePSP({}, pspAnnotations));
      if (error === null) {
        assert.equal(d.policy, "restrictive", d.message ?? "");
      } else {
        assert.equal(
          d.message,
          `pods "Unknown" is forbidden: PodSecurityPolicy: unable to admit pod: [${error}]`,
        );
      }
    });
  }
  const d = admit(
    pod({ [C("container")]: "bar" }),
    restrictivePSP({}, { [DEFAULT]: "foo", [ALLOWED]: "foo,bar" }),
  );
  assert.equal(d.admitted!.metadata.annotations![POD], "foo");
});

Deno.test("seccomp: only the annotation copied from the pod's own field is a change without effect", () => {
  const psp = defaultPSP({}, { [ALLOWED]: "*", [DEFAULT]: "runtime/default" });
  const field = (seccompProfile: SeccompProfile) =>
    defaultPod({ securityContext: { seccompProfile } });
  const changeOf = (pod: ReturnType<typeof defaultPod>) => mutateOnly(psp, pod).changes;
  // Pod-level field, no annotation: the copy of the same profile, no effect.
  for (
    const [f, a] of [
      [{ type: "RuntimeDefault" }, "runtime/default"],
      [{ type: "Unconfined" }, "unconfined"],
      [{ type: "Localhost", localhostProfile: "p.json" }, "localhost/p.json"],
    ] as const
  ) {
    assert.deepEqual(changeOf(field(f)), [
      {
        field: `metadata.annotations[${POD}]`,
        from: null,
        to: a,
        pspField: "seccomp",
        effect: "none",
      },
    ]);
  }
  // An empty annotation beside the field: the field decides the profile, the copy changes nothing.
  assert.deepEqual(
    changeOf(
      defaultPod({ securityContext: { seccompProfile: { type: "Unconfined" } } }, { [POD]: "" }),
    ),
    [
      {
        field: `metadata.annotations[${POD}]`,
        from: "",
        to: "unconfined",
        pspField: "seccomp",
        effect: "none",
      },
    ],
  );
  // No field: the PSP's default profile is a real change.
  assert.deepEqual(changeOf(defaultPod()), [
    {
      field: `metadata.annotations[${POD}]`,
      from: null,
      to: "runtime/default",
      pspField: "seccomp",
    },
  ]);
  // A container-level field is never copied by PSP admission: no change at all (the API server
  // writes the container annotation after admission, in the stored pod only).
  const container = defaultPod({}, { [POD]: "runtime/default" });
  container.spec.containers[0].securityContext = { seccompProfile: { type: "Unconfined" } };
  assert.deepEqual(changeOf(container), []);
  const d = admit(container, psp);
  assert.equal(d.verdict, "admitted");
  assert.equal(d.admitted!.metadata!.annotations![C("test-c")], "unconfined");
});

Deno.test("seccomp: a pod-level field makes every PSP change the pod, only without effect", () => {
  const pod = defaultPod({ securityContext: { seccompProfile: { type: "RuntimeDefault" } } });
  const psps = [
    defaultPSP({}, { [ALLOWED]: "*" }),
    defaultPSP({}, { [ALLOWED]: "runtime/default", [DEFAULT]: "runtime/default" }),
  ];
  psps[1].metadata.name = "other";
  const d = admit(pod, ...psps);
  assert.equal(d.verdict, "changed", "admission itself still sees the mutation (PSP choice)");
  for (const r of d.results) {
    assert.ok(r.allowed);
    assert.deepEqual(r.changes.map((c) => c.effect), ["none"]);
  }
});
