/**
 * Adversarial PSP names in one rules file: names that map to the same falcoctl prefix
 * (`a-b`, `a_b`, `a.b`, `a b`), names that look like another PSP's prefix plus a suffix
 * (`a_psp_ka`, `a_b_2`), names that need the `psp_` prefix. Falco lets a later macro or list
 * of the same name replace an earlier one, so a collision would silently change another PSP's
 * rules. Every list, macro and rule name must be unique, and every rule must mean in the
 * combined file exactly what it means in its PSP's own file (same prefixes).
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { generateRules, generateRulesPerPolicy } from "../../src/falco/generate.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { loadPsps } from "../../src/psp/load.ts";
import { basePsp, loadClean, ruleMeaning, TARGETS } from "./meaning.ts";

const NAMES = [
  "a",
  "a-b",
  "a_b",
  "a.b",
  "a b",
  "a_b_2",
  "a--b",
  "a__b",
  "a_psp_ka",
  "a_psp_ka_container",
  "psp",
  "psp_a",
  "1a",
  "psp_1a",
  "A",
  "ka",
];

/** Each PSP differs (images, privileged, host namespaces) so that a swapped macro shows. */
function policies(): PodSecurityPolicy[] {
  const objects = NAMES.map((name, i) => {
    const p = basePsp(name, { "falco-rules-psp-images": `[image-${i}]` }) as {
      spec: Record<string, unknown>;
    };
    p.spec.privileged = i % 2 === 0;
    p.spec.hostPID = i % 3 === 0;
    return {
      object: p as unknown as Record<string, unknown>,
      source: { file: "names.yaml", document: i + 1 },
      locate: () => undefined,
    };
  });
  return loadPsps(objects, { allowInvalidNames: true }).psps.map((p) => p.psp);
}

for (const target of TARGETS) {
  Deno.test(`names that collide as prefixes keep their rules apart (${target})`, () => {
    const psps = policies();
    const combined = generateRules(psps, { target, prefix: true }).yaml;
    const items = parseYaml(combined) as Record<string, unknown>[];
    for (const kind of ["list", "macro", "rule"]) {
      const names = items.filter((x) => kind in x).map((x) => String(x[kind]));
      const dup = names.filter((n, i) => names.indexOf(n) !== i);
      assert.deepEqual(dup, [], `${kind} names defined twice`);
    }
    const all = loadClean(combined, target, "combined");
    const byName = new Map(all.rules.map((r, i) => [r.name, ruleMeaning(all)[i]]));
    let rules = 0;
    for (const { policy, rules: own } of generateRulesPerPolicy(psps, { target, prefix: true })) {
      const alone = loadClean(own.yaml, target, policy);
      const meanings = ruleMeaning(alone);
      alone.rules.forEach((r, i) => {
        assert.ok(byName.has(r.name), `${policy}: rule ${r.name} missing from the combined file`);
        assert.deepEqual(byName.get(r.name), meanings[i], `${policy}: ${r.name} changed`);
        rules++;
      });
    }
    assert.equal(rules, all.rules.length, "the combined file has rules no PSP has alone");
  });
}
