import assert from "node:assert/strict";
import {
  admit,
  container,
  defaultPod,
  defaultPSP,
  goodPod,
  messageList,
  mutateOnly,
  restrictivePSP,
  validateOnly,
} from "./fixtures.ts";

Deno.test("readOnlyRootFilesystem: failReadOnlyRootFS nil/false and the passes", () => {
  const pod = (v?: boolean) =>
    defaultPod({ containers: [container(v === undefined ? {} : { readOnlyRootFilesystem: v })] });
  const ro = defaultPSP({ readOnlyRootFilesystem: true });
  assert.deepEqual(validateOnly(ro, pod()), [
    'spec.containers[0].securityContext.readOnlyRootFilesystem: Invalid value: "null": ReadOnlyRootFilesystem may not be nil and must be set to true',
  ]);
  assert.deepEqual(validateOnly(ro, pod(false)), [
    "spec.containers[0].securityContext.readOnlyRootFilesystem: Invalid value: false: ReadOnlyRootFilesystem must be set to true",
  ]);
  for (const v of [undefined, false, true]) {
    assert.deepEqual(validateOnly(defaultPSP(), pod(v)), []);
  }
});

// provider_test.go TestGenerateContainerSecurityContextReadOnlyRootFS.
Deno.test("readOnlyRootFilesystem: TestGenerateContainerSecurityContextReadOnlyRootFS", () => {
  const after = (psp: boolean, v: boolean | null) =>
    mutateOnly(
      defaultPSP({ readOnlyRootFilesystem: psp }),
      defaultPod({ containers: [container(v === null ? null : { readOnlyRootFilesystem: v })] }),
    ).pod.spec.containers[0].securityContext?.readOnlyRootFilesystem ?? null;
  assert.equal(after(false, null), null);
  assert.equal(after(false, false), false);
  assert.equal(after(false, true), true);
  assert.equal(after(true, null), true);
  assert.equal(after(true, false), false);
  assert.equal(after(true, true), true);
});

// admission_test.go TestAdmitReadOnlyRootFilesystem.
Deno.test("readOnlyRootFilesystem: TestAdmitReadOnlyRootFilesystem", () => {
  const noRorfs = restrictivePSP({}, {}, "no-rorfs");
  const rorfs = restrictivePSP({ readOnlyRootFilesystem: true }, {}, "rorfs");
  const run = (psp: typeof rorfs, v?: boolean) => {
    const d = admit(
      goodPod({ containers: [container(v === undefined ? {} : { readOnlyRootFilesystem: v })] }),
      psp,
    );
    return d.verdict === "refused"
      ? messageList(d)
      : d.admitted!.spec.containers[0].securityContext!.readOnlyRootFilesystem;
  };
  assert.equal(run(noRorfs, true), true);
  assert.equal(run(noRorfs, false), false);
  assert.equal(
    run(rorfs, false),
    "spec.containers[0].securityContext.readOnlyRootFilesystem: Invalid value: false: ReadOnlyRootFilesystem must be set to true",
  );
  assert.equal(run(rorfs), true);
  assert.equal(run(rorfs, true), true);
});
