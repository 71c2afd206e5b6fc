import assert from "node:assert/strict";
import { generateCapabilities } from "../../src/admission/capabilities.ts";
import {
  admit,
  container,
  defaultPod,
  defaultPSP,
  evaluate,
  goodPod,
  messageList,
  restrictivePSP,
  validateOnly,
} from "./fixtures.ts";

// capabilities_test.go TestGenerateAdds / TestGenerateDrops.
Deno.test("capabilities: generate", () => {
  // Unchanged: the container's own object comes back (order, duplicates and nil kept).
  const same = { add: ["foo", "foo", "bar", "baz"] };
  assert.equal(generateCapabilities(["foo", "bar"], [], same), same);
  assert.equal(generateCapabilities([], [], null), null);
  assert.deepEqual(generateCapabilities(["foo", "foo", "bar", "baz"], [], null), {
    add: ["bar", "baz", "foo"],
  });
  assert.deepEqual(generateCapabilities(["foo"], [], { add: ["FOO"] }), { add: ["FOO", "foo"] });
  assert.deepEqual(
    generateCapabilities(["foo"], [], { drop: ["foo"] }),
    { drop: ["foo"] } as never,
  );
  assert.deepEqual(
    generateCapabilities(["foo", "bar", "baz"], ["abc"], { drop: ["foo"] }),
    { add: ["bar", "baz"], drop: ["abc", "foo"] },
  );
  assert.deepEqual(generateCapabilities(["CHOWN"], ["NET_RAW", "ALL"], { add: ["SYS_ADMIN"] }), {
    add: ["CHOWN", "SYS_ADMIN"],
    drop: ["ALL", "NET_RAW"],
  });
  assert.deepEqual(generateCapabilities(["NET_ADMIN", "CHOWN"], [], { drop: ["NET_ADMIN"] }), {
    add: ["CHOWN"],
    drop: ["NET_ADMIN"],
  });
  assert.deepEqual(generateCapabilities([], ["foo"], null), { drop: ["foo"] });
});

// capabilities_test.go TestValidateAdds / TestValidateDrops (ValidatePod only, no mutation).
Deno.test("capabilities: validate", () => {
  const v = (spec: object, caps: object | null) =>
    validateOnly(defaultPSP(spec), defaultPod({ containers: [container({ capabilities: caps })] }));
  const path = "spec.containers[0].securityContext.capabilities";
  assert.deepEqual(v({}, null), []);
  assert.deepEqual(v({ defaultAddCapabilities: ["foo"] }, null), [
    `${path}: Invalid value: "null": required capabilities are not set on the securityContext`,
  ]);
  assert.deepEqual(v({ requiredDropCapabilities: ["foo"] }, null), [
    `${path}: Invalid value: "null": required capabilities are not set on the securityContext`,
  ]);
  assert.deepEqual(v({}, { add: ["bar"] }), [
    `${path}.add: Invalid value: "bar": capability may not be added`,
  ]);
  assert.deepEqual(v({ allowedCapabilities: ["foo"] }, { add: ["FOO"] }), [
    `${path}.add: Invalid value: "FOO": capability may not be added`,
  ]);
  assert.deepEqual(v({ allowedCapabilities: ["foo"] }, { add: ["foo"] }), []);
  assert.deepEqual(v({ defaultAddCapabilities: ["foo"] }, { add: ["foo"] }), []);
  assert.deepEqual(v({ requiredDropCapabilities: ["foo"] }, { drop: ["bar"] }), [
    `${path}.drop: Invalid value: []core.Capability{"bar"}: foo is required to be dropped but was not found`,
  ]);
  assert.deepEqual(v({ requiredDropCapabilities: ["foo"] }, { drop: ["FOO"] }), [
    `${path}.drop: Invalid value: []core.Capability{"FOO"}: foo is required to be dropped but was not found`,
  ]);
  assert.deepEqual(v({ requiredDropCapabilities: ["foo"] }, {}), [
    `${path}.drop: Invalid value: []core.Capability(nil): foo is required to be dropped but was not found`,
  ]);
  // allowedCapabilities "*" short-circuits, skipping even the required-drop check.
  assert.deepEqual(
    v({ allowedCapabilities: ["*"], requiredDropCapabilities: ["foo"] }, { add: ["x"] }),
    [],
  );
  // A capability both added and dropped is not refused; no CAP_ normalisation.
  assert.deepEqual(
    v({ allowedCapabilities: ["NET_ADMIN"] }, { add: ["NET_ADMIN"], drop: ["NET_ADMIN"] }),
    [],
  );
  assert.deepEqual(v({ allowedCapabilities: ["NET_ADMIN"] }, { add: ["CAP_NET_ADMIN"] }), [
    `${path}.add: Invalid value: "CAP_NET_ADMIN": capability may not be added`,
  ]);
});

// admission_test.go TestAdmitCaps, run with containers and again with init containers.
Deno.test("capabilities: TestAdmitCaps", async (t) => {
  const restrictive = restrictivePSP();
  const allowCapInAllowed = restrictivePSP(
    { allowedCapabilities: ["foo"] },
    {},
    "allowCapInAllowed",
  );
  const allowCapInRequired = restrictivePSP(
    { defaultAddCapabilities: ["foo"] },
    {},
    "allowCapInRequired",
  );
  const requireDrop = restrictivePSP({ requiredDropCapabilities: ["foo"] }, {}, "requireDrop");
  const allowAll = restrictivePSP({ allowedCapabilities: ["*"] }, {}, "allowAllCapsInAllowed");
  for (const kind of ["containers", "initContainers"] as const) {
    const pod = (caps: object | null) => {
      const c = container({ capabilities: caps } as never);
      return kind === "containers"
        ? goodPod({ containers: [c] })
        : goodPod({ initContainers: [c], containers: [] });
    };
    const list = (d: ReturnType<typeof admit>) =>
      d.admitted!.spec[kind]![0].securityContext!.capabilities;
    await t.step(kind, () => {
      const err =
        `spec.${kind}[0].securityContext.capabilities.add: Invalid value: "foo": capability may not be added`;
      assert.equal(messageList(admit(pod({ add: ["foo"] }), restrictive)), err);
      assert.equal(
        admit(pod({ add: ["foo"] }), restrictive, allowCapInAllowed).policy,
        "allowCapInAllowed",
      );
      assert.equal(
        admit(pod({ add: ["foo"] }), restrictive, allowCapInRequired).policy,
        "allowCapInRequired",
      );
      // The drop is defaulted, so only the add check fails: once per PSP.
      assert.equal(
        messageList(admit(pod({ add: ["foo"] }), restrictive, requireDrop)),
        `${err} ${err}`,
      );
      assert.equal(admit(pod({ drop: ["foo"] }), requireDrop).policy, "requireDrop");
      assert.deepEqual(list(admit(pod(null), allowCapInRequired)), { add: ["foo"] });
      assert.deepEqual(list(admit(pod(null), requireDrop)), { drop: ["foo"] });
      assert.equal(
        admit(pod({ add: ["foo"] }), restrictive, allowAll).policy,
        "allowAllCapsInAllowed",
      );
    });
  }
});

Deno.test("capabilities: defaults are changes; unchanged capabilities are not", () => {
  const psp = defaultPSP({ requiredDropCapabilities: ["ALL"] });
  const changed = evaluate(psp, defaultPod());
  assert.deepEqual(changed.changes, [
    {
      field: "spec.containers[0].securityContext.capabilities",
      from: null,
      to: { drop: ["ALL"] },
      pspField: "requiredDropCapabilities",
    },
  ]);
  assert.deepEqual(changed.errors, []);
  const kept = evaluate(
    psp,
    defaultPod({ containers: [container({ capabilities: { drop: ["ALL", "ALL"] } })] }),
  );
  assert.deepEqual(kept.changes, []);
  assert.equal(
    admit(defaultPod({ containers: [container({ capabilities: { drop: ["all"] } })] }), psp)
      .verdict,
    "changed",
  );
});
