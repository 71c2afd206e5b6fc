/**
 * "Generated files must load in their Falco with no error and no warning" (issue 2):
 * every file the generator writes for the oracle corpus and for the seed example, for both
 * targets, loaded by the test-side Falco engine (tests/support/falco/load_check.ts):
 * Falco 0.27's Lua loader for "0.27", Falco 0.40/0.41/0.42 with the k8saudit and json
 * plugins for "current". The current target must also declare required_engine_version
 * and its plugin requirements (issue 2, "Two targets").
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { checkLoad } from "../support/falco/load_check.ts";
import type { GenerateRules } from "../support/falco/oracle_agreement.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { SHARED_DIR } from "../support/shared.ts";

const SHARED = SHARED_DIR;
const GENERATOR = new URL("../../src/falco/generate.ts", import.meta.url);

async function loadGenerator(): Promise<GenerateRules | undefined> {
  try {
    await Deno.stat(GENERATOR);
  } catch {
    return undefined;
  }
  const mod = await import(GENERATOR.href);
  return mod.generateRules as GenerateRules;
}

/** The PSP of the Falco 0.27 docs page (../shared/seed). */
async function seedPsp(): Promise<PodSecurityPolicy> {
  const page = await Deno.readTextFile(new URL("seed/000_7e39e79a8ff469ca.txt", SHARED));
  const start = page.indexOf("apiVersion: policy/v1beta1");
  const end = page.indexOf("  readOnlyRootFilesystem: true", start);
  assert.ok(start >= 0 && end > start, "the PSP is found in the seed page");
  return parseYaml(page.slice(start, end + "  readOnlyRootFilesystem: true".length + 1));
}

async function corpusPsps(): Promise<PodSecurityPolicy[]> {
  return JSON.parse(await Deno.readTextFile(new URL("oracle/corpus.json", SHARED))).psps;
}

function problems(label: string, yaml: string, target: "current" | "0.27"): string[] {
  const r = checkLoad(yaml, target);
  return [
    ...r.errors.map((e) => `${label}: error: ${e}`),
    ...r.warnings.map((w) => `${label}: warning: ${w}`),
    ...r.requirements.map((q) => `${label}: requirement: ${q}`),
    ...r.hazards.map((h) => `${label}: runtime hazard: ${h}`),
  ];
}

for (const target of ["current", "0.27"] as const) {
  Deno.test(`generated ${target}-target files load with no error and no warning`, async (t) => {
    const generateRules = await loadGenerator();
    if (!generateRules) {
      console.log("load check: not run, src/falco/generate.ts does not exist yet");
      return;
    }
    const psps = await corpusPsps();
    const seed = await seedPsp();
    assert.equal(psps.length, 33);
    await t.step("each corpus PSP alone", () => {
      const found = psps.flatMap((p) =>
        problems(
          `PSP ${p.metadata.name}`,
          generateRules([p], { target, prefix: true }).yaml,
          target,
        )
      );
      assert.deepEqual(found, []);
    });
    await t.step("all corpus PSPs in one file", () => {
      const generated = generateRules(psps, { target, prefix: true });
      assert.deepEqual(problems("all PSPs", generated.yaml, target), []);
      const rules = checkLoad(generated.yaml, target).ruleset.rules;
      assert.equal(new Set(rules.map((r) => r.name)).size, rules.length, "rule names are unique");
    });
    await t.step("the seed PSP, with and without prefix", () => {
      for (const prefix of [true, false]) {
        const text: string = generateRules([seed], { target, prefix }).yaml;
        assert.deepEqual(problems(`seed (prefix ${prefix})`, text, target), []);
      }
    });
  });
}
