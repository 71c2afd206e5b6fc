/**
 * Issue 9.7 on real material (the real-world corpus, read from the shared directory): which
 * seccomp annotation writes are without effect, checked against what kube-apiserver v1.20.2
 * stored for every pod a single PSP admitted.
 */
import assert from "node:assert/strict";
import { admitPod, compilePolicy } from "../../src/admission/admit.ts";
import { seccompAnnotationForField } from "../../src/admission/seccomp.ts";
import type { Pod } from "../../src/model/pod.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { ReportBuilder } from "../../src/report/build.ts";
import { sharedOrIgnore } from "../support/shared.ts";
import { SECCOMP_POD } from "./helpers.ts";

const CORPUS = sharedOrIgnore("oracle/realworld/corpus.json", import.meta.url);
const VERDICTS = sharedOrIgnore("oracle/realworld/verdicts.json.gz", import.meta.url);

interface Verdict {
  pod: string;
  policies: string;
  status: string;
  psp?: string;
  result?: { annotations: Record<string, string> };
}

async function gunzipJson(path: string): Promise<unknown> {
  const file = await Deno.open(path);
  const text = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip")))
    .text();
  return JSON.parse(text);
}

Deno.test({
  name: "real world: the seccomp copy of a pod's own field is the only change without effect",
  ignore: CORPUS.ignore || VERDICTS.ignore,
  fn: async () => {
    const corpus = JSON.parse(await Deno.readTextFile(CORPUS.path)) as {
      psps: PodSecurityPolicy[];
      pods: Pod[];
    };
    const { verdicts } = await gunzipJson(VERDICTS.path) as { verdicts: Verdict[] };
    const psps = new Map(corpus.psps.map((p) => [p.metadata.name!, compilePolicy(p)]));
    const pods = new Map(corpus.pods.map((p) => [p.metadata.name!, p]));
    let copies = 0;
    let defaults = 0;
    let nowAdmitted = 0;
    const podsWithCopy = new Set<string>();
    for (const v of verdicts) {
      if (v.status !== "allowed" || v.policies === "all" || v.policies.startsWith("set:")) continue;
      const pod = pods.get(v.pod)!;
      const d = admitPod(pod, [psps.get(v.policies)!]);
      assert.equal(d.policy, v.psp, `${v.pod} x ${v.policies}`);
      const field = pod.spec.securityContext?.seccompProfile;
      const stored = v.result!.annotations[SECCOMP_POD];
      for (const c of d.results[0].changes) {
        if (c.field !== `metadata.annotations[${SECCOMP_POD}]`) {
          assert.equal(c.effect, undefined, `${v.pod} x ${v.policies}: ${c.field}`);
          continue;
        }
        // What admission wrote is what the server stored.
        assert.equal(c.to, stored, `${v.pod} x ${v.policies}`);
        if (c.effect === "none") {
          // Without effect: the pod's own field says the same profile.
          assert.ok(field, `${v.pod}: a copy needs the pod's field`);
          assert.equal(seccompAnnotationForField(field), c.to);
          copies++;
          podsWithCopy.add(v.pod);
        } else {
          // The PSP's default: the pod had no profile; the server stores one (and, for the
          // version skew, the field too: comparing with the stored pod could not tell).
          assert.equal(field, undefined, `${v.pod} x ${v.policies}`);
          defaults++;
        }
      }
      const b = new ReportBuilder([v.policies]);
      b.add({
        workload: { kind: "Pod", namespace: "corpus", name: v.pod },
        pod,
        namespace: "corpus",
        fromTemplate: false,
        podCount: 1,
        source: { file: "corpus.json" },
        podPath: [],
      }, d);
      const item = b.finish().items[0];
      const real = d.results[0].changes.filter((c) => c.effect !== "none");
      assert.equal(
        item.verdict,
        real.length > 0 ? "changed" : "admitted",
        `${v.pod} x ${v.policies}`,
      );
      if (d.verdict === "changed" && item.verdict === "admitted") nowAdmitted++;
    }
    const withField = corpus.pods.filter((p) => p.spec.securityContext?.seccompProfile).length;
    console.log(
      `real world: ${copies} seccomp copies without effect (${podsWithCopy.size} of ${withField} pods with a pod-level seccompProfile), ${defaults} PSP default profiles; ${nowAdmitted} (pod, PSP) admissions were "changed" only by the copy`,
    );
    assert.equal(podsWithCopy.size, withField, "every pod with the field gets the copy");
    assert.ok(nowAdmitted > 0 && defaults > 0);
  },
});
