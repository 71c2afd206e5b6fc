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
import { generateRules } from "../../src/falco/generate.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { ORACLE_DIR, sharedOrIgnore } from "../support/shared.ts";

const REALWORLD = sharedOrIgnore("oracle/realworld/corpus.json", import.meta.url);

/** The PSP of the Falco 0.27 docs page (fixtures/seed, checked against the page by seed_test). */
async function seedPsp(): Promise<PodSecurityPolicy> {
  const url = new URL("../../fixtures/seed/no_privileged.yaml", import.meta.url);
  return parseYaml(await Deno.readTextFile(url));
}

async function corpusPsps(): Promise<PodSecurityPolicy[]> {
  return JSON.parse(await Deno.readTextFile(new URL("corpus.json", ORACLE_DIR))).psps;
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

for (const target of ["current", "0.27"] as const) {
  Deno.test({
    name: `real-world corpus: generated ${target}-target files load with no error and no warning`,
    ignore: REALWORLD.ignore,
    fn: async (t) => {
      const psps: PodSecurityPolicy[] = JSON.parse(await Deno.readTextFile(REALWORLD.url)).psps;
      assert.equal(psps.length, 77);
      await t.step("each PSP alone", () => {
        const found = psps.flatMap((p) =>
          problems(
            `PSP ${p.metadata.name}`,
            generateRules([p], { target, prefix: true }).yaml,
            target,
          )
        );
        assert.deepEqual(found, []);
      });
      await t.step("all PSPs in one file", () => {
        const generated = generateRules(psps, { target, prefix: true });
        assert.deepEqual(problems("all PSPs", generated.yaml, target), []);
        console.log(
          `real-world, ${target}: ${psps.length} PSPs, ${
            checkLoad(generated.yaml, target).ruleset.rules.length
          } rules in one file, 0 errors, 0 warnings`,
        );
      });
    },
  });
}
