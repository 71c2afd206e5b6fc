/**
 * Rule ids come from the PSP field that raised each violation or made each change (admission
 * knows it; src/model/psp_fields.ts maps it to its control). Checked on the whole oracle corpus
 * (every pod against every PSP) against the rule the violation's path and message name, worked
 * out independently here.
 */
import assert from "node:assert/strict";
import { admitPod, compilePolicy } from "../../src/admission/admit.ts";
import type { Pod } from "../../src/model/pod.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { PSP_CONTROLS, PSP_FIELD_TABLE } from "../../src/model/psp_fields.ts";
import { ALL_RULES, ruleFor } from "../../src/report/rules.ts";
import { ORACLE_DIR } from "../support/shared.ts";

/** The control a violation's (or change's) path shows, as a reader of the message would say. */
function controlOfPath(field: string, message: string): string {
  const rules: [RegExp, string][] = [
    [/seccomp/, "seccomp"],
    [/apparmor/, "apparmor"],
    [/\.sysctls\[\d+\]$/, "sysctls"],
    [/^spec\.volumes\[\d+\]$/, "volumes"],
    [/^spec\.volumes\[\d+\]\.hostPath|\.volumeMounts\[\d+\]\.readOnly$/, "allowedHostPaths"],
    [/^spec\.volumes\[\d+\]\.driver$/, "allowedFlexVolumes"],
    [/^spec\.volumes\[\d+\]\.csi/, "allowedCSIDrivers"],
    [/seLinuxOptions/, "seLinux"],
    [/\.(runAsUser|runAsNonRoot)$/, "runAsUser"],
    [
      /Containers\[\d+\]\.securityContext(\.runAsGroup)?$|containers\[\d+\]\.securityContext(\.runAsGroup)?$/,
      "runAsGroup",
    ],
    [/\.hostPort$/, "hostPorts"],
    [/\.procMount$/, "allowedProcMountTypes"],
    [/^spec\.runtimeClassName$/, "runtimeClass"],
    [/\.capabilities\.add$/, "allowedCapabilities"],
    [
      /\.capabilities(\.drop)?$/,
      message.includes("required to be dropped") ? "requiredDropCapabilities" : "capabilities",
    ],
  ];
  for (const [re, id] of rules) if (re.test(field)) return id;
  return field.slice(field.lastIndexOf(".") + 1);
}

Deno.test("rules: every control has a rule, admission last as the fallback", () => {
  assert.deepEqual(ALL_RULES.map((r) => r.id), PSP_CONTROLS.map((c) => c.id));
  assert.equal(ruleFor(null).id, "admission");
  assert.equal(ruleFor(undefined).id, "admission");
  for (const f of PSP_FIELD_TABLE) assert.equal(ruleFor(f.name).id, f.control);
  assert.equal(
    ruleFor("forbiddenSysctls").title,
    "Sysctls (allowedUnsafeSysctls, forbiddenSysctls)",
  );
});

Deno.test("rules: on the oracle corpus each violation's and change's PSP field names its control", async () => {
  const corpus = JSON.parse(await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR)));
  const psps = (corpus.psps as PodSecurityPolicy[]).map(compilePolicy);
  const seen = new Map<string, number>();
  let violations = 0;
  let changes = 0;
  // The corpus has no pod asking for an unmasked /proc, which every 1.20 PSP refuses.
  const unmasked: Pod = {
    metadata: { name: "unmasked" },
    spec: { containers: [{ name: "c", securityContext: { procMount: "Unmasked" } }] },
  };
  for (const pod of [...corpus.pods as Pod[], unmasked]) {
    for (const psp of psps) {
      for (const r of admitPod(pod, [psp]).results) {
        for (const v of r.violations) {
          violations++;
          assert.notEqual(v.pspField, null, v.text);
          const id = ruleFor(v.pspField).id;
          // A nil capabilities list under a PSP that only requires drops is that field's.
          const expected = controlOfPath(v.field, v.message);
          if (!(expected === "capabilities" && v.pspField === "requiredDropCapabilities")) {
            assert.equal(id, expected, `${v.text} (${v.pspField})`);
          }
          seen.set(id, (seen.get(id) ?? 0) + 1);
        }
        for (const c of r.changes) {
          changes++;
          const id = ruleFor(c.pspField).id;
          const expected = controlOfPath(c.field, "");
          if (!(expected === "capabilities" && c.pspField === "requiredDropCapabilities")) {
            assert.equal(id, expected, `${c.field} (${c.pspField})`);
          }
          seen.set(id, (seen.get(id) ?? 0) + 1);
        }
      }
    }
  }
  console.log(
    `rules: ${violations} violations and ${changes} changes in ${seen.size} controls`,
  );
  const controls = PSP_CONTROLS.map((c) => c.id).filter((id) => id !== "admission");
  assert.deepEqual(controls.filter((id) => !seen.has(id)), []);
});
