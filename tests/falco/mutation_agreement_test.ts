/**
 * The current-target "Mutation" rules against the real API server: for every corpus PSP alone
 * and every pod it admitted, the Mutation rules fire on the pod's audit event exactly for the
 * PSP fields whose defaults changed the pod (verdicts.json `result`, the admitted pod, compared
 * with corpus.json's submitted pod). AppArmor is left out: `result` does not record the
 * `container.apparmor...` annotations.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { generateRules } from "../../src/falco/generate.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { loadPsps } from "../../src/psp/load.ts";
import { firingRules, loadRules } from "../support/falco/mod.ts";
import { readOracle } from "../support/falco/oracle_agreement.ts";
import { ORACLE_DIR } from "../support/shared.ts";
import { type Admitted, mutatedFields } from "../support/admitted_pod.ts";

const MUTATION = /^PSP (?:.* )?Mutation \(([A-Za-z]+)[^)]*\) K8s Audit$/;

type Obj = Record<string, unknown>;

/** Whether a container of the pod uses an image of the PSP's falco-rules-psp-images list. */
function inImageScope(psp: PodSecurityPolicy, pod: Obj): boolean {
  const list = psp.metadata.annotations?.["falco-rules-psp-images"];
  if (list === undefined) return true;
  const images = parseYaml(list) as string[];
  const spec = pod.spec as Record<string, { image: string }[] | undefined>;
  return ["containers", "initContainers", "ephemeralContainers"].some((k) =>
    (spec[k] ?? []).some((c) => images.includes(c.image.split(":")[0].split("@")[0]))
  );
}

Deno.test("current-target Mutation rules fire exactly on the fields whose defaults changed an admitted pod", async () => {
  const oracle = await readOracle();
  const corpus = JSON.parse(
    await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR)),
  );
  const pods = new Map<string, Obj>(corpus.pods.map((p: Obj) => [(p.metadata as Obj).name, p]));
  const eventOf = new Map(
    oracle.events.map((e) => [((e.json as Obj).objectRef as Obj).name as string, e]),
  );
  const { psps } = loadPsps(corpus.psps.map((o: Obj, i: number) => ({
    object: { apiVersion: "policy/v1beta1", kind: "PodSecurityPolicy", ...o },
    source: { file: "corpus.json", item: i },
    locate: () => undefined,
  })));
  let pairs = 0;
  let outOfScope = 0;
  const disagreements: string[] = [];
  for (const { psp } of psps) {
    const ruleset = loadRules(
      generateRules([psp], { target: "current", prefix: true }).yaml,
      "current",
    );
    assert.deepEqual(ruleset.errors, []);
    for (const v of oracle.verdicts) {
      if (v.policies !== psp.metadata.name || v.status !== "allowed") continue;
      const admitted = (v as unknown as { result: Admitted }).result;
      const event = eventOf.get(v.pod);
      assert.ok(event, `audit event of ${v.pod}`);
      const pod = pods.get(v.pod)!;
      if (!inImageScope(psp, pod)) {
        outOfScope++;
        continue;
      }
      const expected = mutatedFields(psp, pod, admitted);
      const fired = new Set(
        firingRules(ruleset, event).flatMap((r) => MUTATION.exec(r.name)?.[1] ?? []),
      );
      fired.delete("apparmor");
      pairs++;
      const missing = [...expected].filter((f) => !fired.has(f));
      const extra = [...fired].filter((f) => !expected.has(f));
      if (missing.length || extra.length) {
        disagreements.push(
          `${psp.metadata.name} / ${v.pod}: missing [${missing}] extra [${extra}]`,
        );
      }
    }
  }
  console.log(
    `falco mutation agreement: ${
      pairs - disagreements.length
    }/${pairs} admitted (PSP, pod) pairs (${outOfScope} outside falco-rules-psp-images, not compared)`,
  );
  assert.ok(pairs > 500, `admitted pairs compared: ${pairs}`);
  assert.deepEqual(disagreements, []);
});
