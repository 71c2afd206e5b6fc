/**
 * The PSS guarantee derived from a PSP's spec is sound on real material: for every PSP of the
 * oracle corpus (fixtures/oracle/corpus.json) and every corpus pod it admits (as admission
 * leaves it), each check the derivation calls guaranteed passes at the newest policy version.
 */
import assert from "node:assert/strict";
import { admitPod, compilePolicy } from "../../src/admission/admit.ts";
import { loadPsps } from "../../src/psp/load.ts";
import { preparePod, violationsByLevel } from "../../src/pss/evaluate.ts";
import { pspGuarantee } from "../../src/pss/psp_guarantee.ts";
import type { Pod } from "../../src/model/pod.ts";

const corpus = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/oracle/corpus.json", import.meta.url)),
) as { psps: Record<string, unknown>[]; pods: Pod[] };
/** A PSP written to guarantee baseline (SELinux pinned, AppArmor runtime/default, no host access). */
const TIGHT = {
  apiVersion: "policy/v1beta1",
  kind: "PodSecurityPolicy",
  metadata: {
    name: "tight-baseline",
    annotations: {
      "apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default",
      "apparmor.security.beta.kubernetes.io/defaultProfileName": "runtime/default",
      "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
      "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
    },
  },
  spec: {
    allowPrivilegeEscalation: false,
    requiredDropCapabilities: ["ALL"],
    volumes: [
      "configMap",
      "emptyDir",
      "projected",
      "secret",
      "downwardAPI",
      "persistentVolumeClaim",
    ],
    seLinux: { rule: "MustRunAs", seLinuxOptions: { type: "container_t", level: "s0:c1,c2" } },
    runAsUser: { rule: "MustRunAsNonRoot" },
    supplementalGroups: { rule: "RunAsAny" },
    fsGroup: { rule: "RunAsAny" },
  },
};
const psps = loadPsps(
  [...corpus.psps, TIGHT].map((object) => ({
    object,
    source: { file: "corpus.json" },
    locate: () => undefined,
  })),
  { allowInvalidNames: true },
).psps.map((p) => p.psp);

Deno.test("psp guarantee: every guaranteed check holds for every corpus pod the PSP admits", () => {
  let admitted = 0;
  let checked = 0;
  const levels: Record<string, number> = { privileged: 0, baseline: 0, restricted: 0 };
  for (const psp of psps) {
    const g = pspGuarantee(psp);
    levels[g.level]++;
    const compiled = [compilePolicy(psp)];
    for (const pod of corpus.pods) {
      const d = admitPod(pod, compiled);
      if (!d.admitted) continue;
      admitted++;
      const { restricted, baseline } = violationsByLevel(preparePod(d.admitted), "latest");
      const failed = new Set([...baseline, ...restricted].map((v) => v.check));
      for (const c of g.checks) {
        if (!c.guaranteed) continue;
        checked++;
        assert.ok(
          !failed.has(c.check),
          `${psp.metadata.name} guarantees ${c.check} (${c.why}) but admits ${pod.metadata.name}`,
        );
      }
      if (g.level !== "privileged") {
        assert.equal(baseline.length, 0, `${psp.metadata.name}: ${pod.metadata.name}`);
      }
    }
  }
  console.log(
    `psp guarantee: ${psps.length} PSPs (33 of the corpus and one tight) (levels guaranteed: restricted ${levels.restricted}, baseline ${levels.baseline}, privileged ${levels.privileged}); ${admitted} admissions, ${checked} guaranteed checks held`,
  );
  // Real PSPs leave SELinux or AppArmor open (the docs' restricted PSP: seLinux RunAsAny), so
  // only the tight one guarantees baseline; no PSP guarantees restricted (runAsNonRoot, runAsUser).
  assert.deepEqual(levels, { privileged: 33, baseline: 1, restricted: 0 });
  assert.equal(pspGuarantee(psps.at(-1)!).level, "baseline");
  assert.ok(checked > 1000);
});

Deno.test("psp guarantee: the reasons per check, and the PSP fields PSS does not cover", () => {
  const restricted = psps.find((p) => p.metadata.name === "restricted");
  assert.ok(restricted);
  const g = pspGuarantee(restricted);
  const by = Object.fromEntries(g.checks.map((c) => [c.check, c]));
  assert.equal(by.runAsNonRoot.guaranteed, false);
  assert.match(by.runAsNonRoot.why, /runAsNonRoot: true/);
  assert.equal(by.privileged.guaranteed, true);
  assert.ok(g.outsidePsp.some((o) => o.startsWith("hostProbesAndHostLifecycle")));
  const open = pspGuarantee({
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata: { name: "open" },
    spec: {
      privileged: true,
      hostNetwork: true,
      volumes: ["*"],
      readOnlyRootFilesystem: true,
      seLinux: { rule: "RunAsAny" },
      runAsUser: { rule: "RunAsAny" },
      supplementalGroups: { rule: "RunAsAny" },
      fsGroup: { rule: "RunAsAny" },
    },
  } as never);
  assert.equal(open.level, "privileged");
  assert.deepEqual(open.notInPss.map((n) => n.field), ["readOnlyRootFilesystem"]);
  assert.deepEqual(
    open.checks.filter((c) => !c.guaranteed && c.level === "baseline").map((c) => c.check),
    [
      "privileged",
      "hostNamespaces",
      "hostPathVolumes",
      "appArmorProfile",
      "seLinuxOptions",
      "windowsHostProcess",
    ],
  );
});
