/**
 * The Falco 0.27 table (src/falco/legacy_rows.ts) against the one PSP field table
 * (src/model/psp_fields.ts): every field has exactly one row, and a row either writes rules
 * or says why the 0.27 rules do not check its field.
 */
import assert from "node:assert/strict";
import { LEGACY_FIELD_RULES } from "../../src/falco/legacy_rows.ts";
import { generateRules } from "../../src/falco/generate.ts";
import { PSP_FIELDS } from "../../src/model/psp_fields.ts";
import { loadPsps } from "../../src/psp/load.ts";

Deno.test("0.27 target: one row per PSP field of src/model/psp_fields.ts", () => {
  const rows = LEGACY_FIELD_RULES.map((r) => r.field);
  assert.deepEqual([...rows].sort(), [...PSP_FIELDS].sort());
  assert.equal(new Set(rows).size, rows.length, "no field has two rows");
  for (const r of LEGACY_FIELD_RULES) {
    assert.ok(r.falcoctl || r.added || r.unchecked, `${r.field}: rules or a reason`);
  }
});

Deno.test("0.27 target: a field a PSP restricts gets a rule or is named as unchecked", () => {
  // Every field set to its most restrictive form: each must show up in a rule name or in the
  // uncovered list (header and warnings), never silently dropped.
  const { psps } = loadPsps([{
    object: {
      apiVersion: "policy/v1beta1",
      kind: "PodSecurityPolicy",
      metadata: {
        name: "strict",
        annotations: {
          "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
          "apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default",
        },
      },
      spec: {
        privileged: false,
        hostPID: false,
        hostIPC: false,
        hostNetwork: false,
        hostPorts: [],
        volumes: [],
        allowedHostPaths: [{ pathPrefix: "/var/log", readOnly: true }],
        allowedFlexVolumes: [{ driver: "example/lvm" }],
        allowedCSIDrivers: [{ name: "csi.example.com" }],
        fsGroup: { rule: "MustRunAs", ranges: [{ min: 1, max: 9 }] },
        supplementalGroups: { rule: "MustRunAs", ranges: [{ min: 1, max: 9 }] },
        runAsUser: { rule: "MustRunAsNonRoot" },
        runAsGroup: { rule: "MustRunAs", ranges: [{ min: 1, max: 9 }] },
        seLinux: { rule: "MustRunAs", seLinuxOptions: { level: "s0:c1" } },
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        defaultAllowPrivilegeEscalation: false,
        allowedCapabilities: [],
        defaultAddCapabilities: ["CHOWN"],
        requiredDropCapabilities: ["ALL"],
        allowedProcMountTypes: ["Default"],
        forbiddenSysctls: ["kernel.*"],
        allowedUnsafeSysctls: [],
        runtimeClass: { allowedRuntimeClassNames: ["gvisor"] },
      },
    },
    source: { file: "test" },
    locate: () => undefined,
  }]);
  const g = generateRules([psps[0].psp], { target: "0.27", prefix: true });
  const named = (f: string) =>
    new RegExp(`Violation \\(${f}[=,)]`).test(g.yaml) || g.uncovered.some((u) => u.field === f);
  // allowedProcMountTypes is dropped as the v1.20 API server drops it (ProcMountType gate off,
  // which also drops a pod's procMount): nothing is restricted, nothing to name.
  assert.equal(psps[0].psp.spec.allowedProcMountTypes, undefined);
  assert.deepEqual(PSP_FIELDS.filter((f) => !named(f)), ["allowedProcMountTypes"]);
});
