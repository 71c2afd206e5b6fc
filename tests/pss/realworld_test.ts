/**
 * The real-world corpus (216 pods from public charts and manifests, 77 PSPs;
 * oracle/realworld/corpus.json of the shared directory, never committed) audited with `audit-pods --psp-file ... --pss`: every pod gets its
 * strictest Pod Security Standards level beside its PSP verdict, the same level the core
 * evaluator gives the pod directly. Prints the counts per level (and per PSP verdict).
 */
import assert from "node:assert/strict";
import { strictestLevel } from "../../src/pss/evaluate.ts";
import { runDeno } from "../support/cli.ts";
import { sharedOrIgnore } from "../support/shared.ts";

const CORPUS = sharedOrIgnore("oracle/realworld/corpus.json", import.meta.url);
const ROOT = new URL("../../", import.meta.url).pathname;

interface Corpus {
  psps: Record<string, unknown>[];
  pods: { metadata: { name: string; namespace?: string }; spec: unknown }[];
}

Deno.test({
  name: "realworld corpus: audit-pods --pss gives every pod its level, beside the PSP verdict",
  ignore: CORPUS.ignore,
  async fn() {
    const corpus: Corpus = JSON.parse(await Deno.readTextFile(CORPUS.url));
    assert.equal(corpus.pods.length, 216);
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/psps.json`,
        JSON.stringify({ kind: "List", items: corpus.psps }),
      );
      await Deno.writeTextFile(
        `${dir}/pods.json`,
        JSON.stringify({ kind: "List", items: corpus.pods }),
      );
      const r = await runDeno([
        "run",
        "-A",
        "main.ts",
        "audit-pods",
        "--psp-file",
        `${dir}/psps.json`,
        "-f",
        `${dir}/pods.json`,
        "--service-account-token",
        "none",
        "--pss",
        "-o",
        "json",
      ], {
        cwd: ROOT,
        env: { KUBECONFIG: "/nonexistent/kubeconfig", KUBERNETES_SERVICE_HOST: "" },
      });
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.items.length, 216, "one item per pod");
      const direct = new Map(
        corpus.pods.map((p) => [p.metadata.name, strictestLevel(p, "latest")]),
      );
      const byVerdict: Record<string, Record<string, number>> = {};
      for (const it of doc.items) {
        assert.equal(it.pss.levelMet, direct.get(it.name), it.name);
        (byVerdict[it.verdict] ??= { privileged: 0, baseline: 0, restricted: 0 })[
          it.pss.levelMet
        ]++;
      }
      const met = doc.summary.pss.levelMet;
      console.log(
        `realworld corpus, ${doc.items.length} pods, PSS latest (v1.37), strictest level met: ` +
          `restricted ${met.restricted}, baseline ${met.baseline}, privileged ${met.privileged}`,
      );
      for (const [verdict, m] of Object.entries(byVerdict)) {
        console.log(
          `  PSP ${verdict} (any of the 77 PSPs): restricted ${m.restricted}, baseline ${m.baseline}, privileged ${m.privileged}`,
        );
      }
      assert.equal(met.restricted + met.baseline + met.privileged, 216);
      assert.ok(met.privileged > 0 && met.baseline > 0, "the corpus has pods at several levels");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
