import assert from "node:assert/strict";
import { admit, defaultPod, defaultPSP, mutateOnly, validateOnly } from "./fixtures.ts";

const strategies = {
  "nil-strategy": undefined,
  "empty-strategy": { allowedRuntimeClassNames: [] },
  "no-default": { allowedRuntimeClassNames: ["foo", "bar"] },
  "defaulting": { allowedRuntimeClassNames: [] as string[], defaultRuntimeClassName: "foo" },
};

// provider_test.go TestDefaultRuntimeClassName (MutatePod only).
Deno.test("runtimeClass: TestDefaultRuntimeClassName", () => {
  for (const [name, runtimeClass] of Object.entries(strategies)) {
    const psp = defaultPSP({ runtimeClass });
    const none = mutateOnly(psp, defaultPod()).pod.spec.runtimeClassName ?? null;
    assert.equal(none, name === "defaulting" ? "foo" : null, name);
    assert.equal(
      mutateOnly(psp, defaultPod({ runtimeClassName: "tim" })).pod.spec.runtimeClassName,
      "tim",
      name,
    );
  }
});

// provider_test.go TestAllowedRuntimeClassNames (ValidatePod only).
Deno.test("runtimeClass: TestAllowedRuntimeClassNames", () => {
  const v = (runtimeClass: object | undefined, name?: string) =>
    validateOnly(
      defaultPSP({ runtimeClass: runtimeClass as never }),
      defaultPod(name === undefined ? {} : { runtimeClassName: name }),
    );
  const bad = (name: string) => [`spec.runtimeClassName: Invalid value: "${name}"`];
  for (const n of [undefined, "good", "bad"]) assert.deepEqual(v(undefined, n), []);
  assert.deepEqual(v({ allowedRuntimeClassNames: [] }), []);
  assert.deepEqual(v({ allowedRuntimeClassNames: [] }, "good"), bad("good"));
  assert.deepEqual(v({ allowedRuntimeClassNames: [] }, "bad"), bad("bad"));
  for (const n of [undefined, "good", "bad"]) {
    assert.deepEqual(v({ allowedRuntimeClassNames: ["*"], defaultRuntimeClassName: "foo" }, n), []);
  }
  assert.deepEqual(v({ allowedRuntimeClassNames: ["good"] }, "good"), []);
  assert.deepEqual(v({ allowedRuntimeClassNames: ["good"] }, "bad"), bad("bad"));
  assert.deepEqual(v({ allowedRuntimeClassNames: ["good"] }), []);
});

Deno.test("runtimeClass: the default makes admission report a change", () => {
  const psp = defaultPSP({
    runtimeClass: { allowedRuntimeClassNames: ["gvisor"], defaultRuntimeClassName: "gvisor" },
  });
  const d = admit(defaultPod(), psp);
  assert.equal(d.verdict, "changed");
  assert.equal(d.admitted!.spec.runtimeClassName, "gvisor");
  assert.deepEqual(d.results[0].changes, [{
    field: "spec.runtimeClassName",
    from: null,
    to: "gvisor",
    pspField: "runtimeClass",
  }]);
  assert.equal(
    admit(defaultPod({ runtimeClassName: "kata" }), psp).message?.endsWith(
      '[spec.runtimeClassName: Invalid value: "kata"]',
    ),
    true,
  );
});
