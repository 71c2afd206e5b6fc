import assert from "node:assert/strict";
import {
  admit,
  defaultPod,
  defaultPSP,
  goodPod,
  messageList,
  mutateOnly,
  restrictivePSP,
  validateOnly,
} from "./fixtures.ts";

const ALLOWED = "apparmor.security.beta.kubernetes.io/allowedProfileNames";
const DEFAULT = "apparmor.security.beta.kubernetes.io/defaultProfileName";
const KEY = "container.apparmor.security.beta.kubernetes.io/test-c";
const PATH = `pod.metadata.annotations[${KEY}]`;

Deno.test("apparmor: failNilAppArmor / failInvalidAppArmor / pass AppArmor allowed profiles", () => {
  const psp = defaultPSP({}, { [ALLOWED]: "runtime/default" });
  assert.deepEqual(validateOnly(psp, defaultPod()), [
    `${PATH}: Forbidden: AppArmor profile must be set`,
  ]);
  assert.deepEqual(validateOnly(psp, defaultPod({}, { [KEY]: "localhost/foo" })), [
    `${PATH}: Forbidden: localhost/foo is not an allowed profile. Allowed values: "runtime/default"`,
  ]);
  assert.deepEqual(validateOnly(psp, defaultPod({}, { [KEY]: "runtime/default" })), []);
});

Deno.test("apparmor: unconstrained PSPs accept anything; the old pod-level key is not the container key", () => {
  assert.deepEqual(validateOnly(defaultPSP(), defaultPod({}, { [KEY]: "localhost/bad" })), []);
  const psp = defaultPSP({}, { [ALLOWED]: "runtime/default" });
  assert.deepEqual(
    validateOnly(
      psp,
      defaultPod({}, { "apparmor.security.beta.kubernetes.io/test-c": "runtime/default" }),
    ),
    [
      `${PATH}: Forbidden: AppArmor profile must be set`,
    ],
  );
});

Deno.test('apparmor: an allowed annotation of "" allows only the empty profile\'s absence', () => {
  const psp = defaultPSP({}, { [ALLOWED]: "" });
  assert.deepEqual(validateOnly(psp, defaultPod()), [
    `${PATH}: Forbidden: AppArmor profile must be set`,
  ]);
  const defaulted = admit(
    defaultPod(),
    defaultPSP({}, { [ALLOWED]: "", [DEFAULT]: "runtime/default" }),
  );
  assert.equal(
    messageList(defaulted),
    `${PATH}: Forbidden: runtime/default is not an allowed profile. Allowed values: ""`,
  );
});

Deno.test("apparmor: the default is added only when the container has no profile, for init containers too", () => {
  const psp = defaultPSP({}, { [DEFAULT]: "runtime/default" });
  const pod = defaultPod({ initContainers: [{ name: "init" }] }, { [KEY]: "localhost/mine" });
  const { changes } = mutateOnly(psp, pod);
  assert.deepEqual(changes, [
    {
      field: "metadata.annotations[container.apparmor.security.beta.kubernetes.io/init]",
      from: null,
      to: "runtime/default",
      pspField: "apparmor",
    },
  ]);
  // An empty annotation counts as unset.
  assert.deepEqual(mutateOnly(psp, defaultPod({}, { [KEY]: "" })).changes, [
    {
      field: `metadata.annotations[${KEY}]`,
      from: "",
      to: "runtime/default",
      pspField: "apparmor",
    },
  ]);
  // A constrained PSP without a default adds nothing.
  assert.deepEqual(
    mutateOnly(defaultPSP({}, { [ALLOWED]: "runtime/default" }), defaultPod()).changes,
    [],
  );
});

// admission_test.go TestAdmitAppArmor: every PSP is named `restrictive`.
Deno.test("apparmor: TestAdmitAppArmor", () => {
  const unconstrained = restrictivePSP();
  const defaulted = restrictivePSP({}, { [DEFAULT]: "runtime/default" });
  const appArmorPSP = restrictivePSP({}, { [ALLOWED]: "runtime/default" });
  const appArmorDefaultPSP = restrictivePSP({}, {
    [DEFAULT]: "runtime/default",
    [ALLOWED]: "runtime/default,localhost/foo",
  });
  const run = (psp: typeof unconstrained, profile?: string) => {
    const d = admit(goodPod({}, profile === undefined ? {} : { [KEY]: profile }), psp);
    return d.verdict === "refused" ? messageList(d) : d.admitted!.metadata.annotations![KEY] ?? "";
  };
  assert.equal(run(unconstrained), "");
  assert.equal(run(unconstrained, "runtime/default"), "runtime/default");
  assert.equal(run(defaulted), "runtime/default");
  assert.equal(run(appArmorPSP), `${PATH}: Forbidden: AppArmor profile must be set`);
  assert.equal(run(appArmorDefaultPSP), "runtime/default");
  assert.equal(run(appArmorDefaultPSP, "localhost/foo"), "localhost/foo");
  assert.equal(
    run(appArmorPSP, "localhost/bar"),
    `${PATH}: Forbidden: localhost/bar is not an allowed profile. Allowed values: "runtime/default"`,
  );
});
