import assert from "node:assert/strict";
import { compileSeLinux, equalSeLinuxLevels } from "../../src/admission/selinux.ts";
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

Deno.test("selinux: provider creation", () => {
  assert.equal(compileSeLinux({ rule: "RunAsAny" }), null);
  assert.throws(() => compileSeLinux({ rule: "MustRunAs" }), {
    message: "MustRunAs requires SELinuxOptions",
  });
  assert.throws(() => compileSeLinux({ rule: "Bogus" }), {
    message: "Unrecognized SELinuxContext strategy type Bogus",
  });
});

Deno.test("selinux: level equality sorts categories (selinux/mustrunas_test.go)", () => {
  assert.ok(equalSeLinuxLevels("s0:c6,c0", "s0:c0,c6"));
  assert.ok(equalSeLinuxLevels("s0", "s0"));
  assert.ok(!equalSeLinuxLevels("s0", "s0:c1,c2"));
  assert.ok(!equalSeLinuxLevels("s0:c6", "s1:c6"));
  assert.ok(!equalSeLinuxLevels("s0:c0,c8", "s0:c1,c7"));
  assert.ok(!equalSeLinuxLevels("s0:c1", "s0:c1,c1"));
});

Deno.test("selinux: failNilSELinux / failInvalidSELinux (TestValidatePodFailures)", () => {
  const psp = defaultPSP({ seLinux: { rule: "MustRunAs", seLinuxOptions: { level: "foo" } } });
  assert.deepEqual(validateOnly(psp, defaultPod()), [
    "spec.securityContext.seLinuxOptions: Required value",
    "spec.containers[0].securityContext.seLinuxOptions: Required value",
  ]);
  assert.deepEqual(
    validateOnly(psp, defaultPod({ securityContext: { seLinuxOptions: { level: "bar" } } })),
    [
      'spec.securityContext.seLinuxOptions.level: Invalid value: "bar": must be foo',
      'spec.containers[0].securityContext.seLinuxOptions.level: Invalid value: "bar": must be foo',
    ],
  );
});

Deno.test("selinux: container options replace the pod's as a whole (failSELinuxPSP)", () => {
  const psp = defaultPSP({ seLinux: { rule: "MustRunAs", seLinuxOptions: { level: "foo" } } });
  const pod = defaultPod({
    securityContext: { seLinuxOptions: { level: "foo" } },
    containers: [container({ seLinuxOptions: { level: "bar" } })],
  });
  assert.deepEqual(validateOnly(psp, pod), [
    'spec.containers[0].securityContext.seLinuxOptions.level: Invalid value: "bar": must be foo',
  ]);
  const full = defaultPSP({
    seLinux: {
      rule: "MustRunAs",
      seLinuxOptions: { user: "u", role: "r", type: "t", level: "s0:c1,c2" },
    },
  });
  const partial = defaultPod({
    securityContext: { seLinuxOptions: { user: "u", role: "r", type: "t", level: "s0:c1,c2" } },
    containers: [container({ seLinuxOptions: { level: "s0:c2,c1" } })],
  });
  assert.deepEqual(validateOnly(full, partial), [
    'spec.containers[0].securityContext.seLinuxOptions.role: Invalid value: "": must be r',
    'spec.containers[0].securityContext.seLinuxOptions.type: Invalid value: "": must be t',
    'spec.containers[0].securityContext.seLinuxOptions.user: Invalid value: "": must be u',
  ]);
});

Deno.test("selinux: an empty expected value prints `must be ` with a trailing space", () => {
  const psp = defaultPSP({ seLinux: { rule: "MustRunAs", seLinuxOptions: { level: "s0" } } });
  const pod = defaultPod({
    securityContext: { seLinuxOptions: { level: "s0", user: "x" } },
    containers: [],
  });
  assert.deepEqual(validateOnly(psp, pod), [
    'spec.securityContext.seLinuxOptions.user: Invalid value: "x": must be ',
  ]);
});

Deno.test("selinux: pod-level options are required even when every container sets its own", () => {
  const psp = defaultPSP({ seLinux: { rule: "MustRunAs", seLinuxOptions: { level: "foo" } } });
  const pod = defaultPod({ containers: [container({ seLinuxOptions: { level: "foo" } })] });
  assert.deepEqual(validateOnly(psp, pod), ["spec.securityContext.seLinuxOptions: Required value"]);
});

// admission_test.go TestAdmitSELinux.
Deno.test("selinux: TestAdmitSELinux", async (t) => {
  const runAsAny = permissivePSP({}, {}, "runAsAny");
  const opts = { level: "level", role: "role", type: "type", user: "user" };
  const mustRunAs = permissivePSP(
    { seLinux: { rule: "MustRunAs", seLinuxOptions: opts } },
    {},
    "mustRunAs",
  );
  const run = (psp: typeof runAsAny, podSc: object | null, cSc: object | null) => {
    const d = admit(goodPod({ securityContext: podSc, containers: [container(cSc)] }), psp);
    return d.verdict === "refused"
      ? messageList(d)
      : [d.admitted!.spec.securityContext, d.admitted!.spec.containers[0].securityContext ?? null];
  };
  const user = (u: string) => ({ seLinuxOptions: { user: u } });
  await t.step("runAsAny", () => {
    assert.deepEqual(run(runAsAny, null, null), [{}, null]);
    assert.deepEqual(run(runAsAny, {}, null), [{}, null]);
    assert.deepEqual(run(runAsAny, null, {}), [{}, {}]);
    assert.deepEqual(run(runAsAny, user("foo"), null), [user("foo"), null]);
    assert.deepEqual(run(runAsAny, null, user("foo")), [{}, user("foo")]);
    assert.deepEqual(run(runAsAny, user("bar"), user("foo")), [user("bar"), user("foo")]);
  });
  await t.step("mustRunAs with bad pod request: 4 pod-level and 4 container-level errors", () => {
    const fields = (p: string) => [
      `${p}.level: Invalid value: "": must be level`,
      `${p}.role: Invalid value: "": must be role`,
      `${p}.type: Invalid value: "": must be type`,
      `${p}.user: Invalid value: "foo": must be user`,
    ];
    assert.equal(
      run(mustRunAs, user("foo"), null),
      [
        ...fields("spec.securityContext.seLinuxOptions"),
        ...fields("spec.containers[0].securityContext.seLinuxOptions"),
      ]
        .join(" "),
    );
  });
  await t.step(
    "mustRunAs with bad container request: container errors only (pod level defaulted)",
    () => {
      assert.equal(
        run(mustRunAs, null, user("foo")),
        [
          'spec.containers[0].securityContext.seLinuxOptions.level: Invalid value: "": must be level',
          'spec.containers[0].securityContext.seLinuxOptions.role: Invalid value: "": must be role',
          'spec.containers[0].securityContext.seLinuxOptions.type: Invalid value: "": must be type',
          'spec.containers[0].securityContext.seLinuxOptions.user: Invalid value: "foo": must be user',
        ].join(" "),
      );
    },
  );
  await t.step(
    "mustRunAs with no request: the pod gets the PSP's options, the container nothing",
    () => {
      assert.deepEqual(run(mustRunAs, null, null), [{ seLinuxOptions: opts }, null]);
    },
  );
  await t.step("mustRunAs with good pod request", () => {
    assert.deepEqual(run(mustRunAs, { seLinuxOptions: opts }, null), [
      { seLinuxOptions: opts },
      null,
    ]);
  });
});

Deno.test("selinux: the pod default is a change; a PSP option object is never shared with the pod", () => {
  const options = { level: "s0:c123,c456" };
  const psp = defaultPSP({ seLinux: { rule: "MustRunAs", seLinuxOptions: options } });
  const d = admit(defaultPod(), psp);
  assert.equal(d.verdict, "changed");
  assert.deepEqual(d.results[0].changes, [
    {
      field: "spec.securityContext.seLinuxOptions",
      from: null,
      to: { level: "s0:c123,c456" },
      pspField: "seLinux",
    },
  ]);
  d.admitted!.spec.securityContext!.seLinuxOptions!.level = "tampered";
  assert.equal(
    admit(defaultPod(), psp).admitted!.spec.securityContext!.seLinuxOptions!.level,
    "s0:c123,c456",
  );
});
