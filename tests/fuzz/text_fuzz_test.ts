/**
 * Text-level fuzzing of the input readers (issue 5), seeded (FUZZ_SEED), a fixed number of cases:
 * valid PSP and pod files (YAML and JSON) are mutated as text (characters inserted, deleted and
 * replaced, lines duplicated, swapped and re-indented, YAML indicators and quotes sprinkled in)
 * and read as the CLI reads them: parseObjects, then loadPsps (convert, audit-pods --psp-file)
 * or extractFromObject (audit-pods -f). The only exceptions allowed are InputErrors, and each
 * names the file, and nothing is printed behind the program's back (no process warning from the
 * YAML library, which would reach the user's terminal raw).
 */
import assert from "node:assert/strict";
import process from "node:process";
import { stringify as stringifyYaml } from "yaml";
import { parseObjects } from "../../src/io/documents.ts";
import { InputError } from "../../src/io/errors.ts";
import { loadPsps } from "../../src/psp/load.ts";
import { extractFromObject } from "../../src/workloads/extract.ts";
import {
  fuzzCases,
  fuzzSeed,
  hostileString,
  Random,
  randomPod,
  randomPsp,
  timeCeiling,
} from "./random.ts";

const SEED = fuzzSeed();
/** Mutated files: the same ones, and outcome, on any machine. */
const CASES = fuzzCases(500);

const SNIPPETS = [
  "- ",
  ": ",
  "? ",
  "&a ",
  "*a",
  "!!str ",
  "|",
  ">",
  "'",
  '"',
  "{",
  "}",
  "[",
  "]",
  ",",
  "#",
  "---\n",
  "...\n",
  "\t",
  "<<: *a\n",
  "%YAML 1.1\n",
  "\\",
  "\u0000",
  "\ufeff",
];

/** Applies 1..4 random text mutations. */
function mutateText(r: Random, text: string): string {
  let t = text;
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(t.length + 1);
    switch (r.int(6)) {
      case 0:
        t = t.slice(0, at) + r.pick(SNIPPETS) + t.slice(at);
        break;
      case 1:
        t = t.slice(0, at) + t.slice(at + 1 + r.int(8));
        break;
      case 2:
        t = t.slice(0, at) + hostileString(r, 3) + t.slice(at + 1);
        break;
      default: {
        const lines = t.split("\n");
        const i = r.int(lines.length);
        const j = r.int(lines.length);
        if (r.chance(0.4)) lines.splice(j, 0, lines[i]);
        else if (r.chance(0.5)) [lines[i], lines[j]] = [lines[j], lines[i]];
        else lines[i] = " ".repeat(r.int(6)) + lines[i].trimStart();
        t = lines.join("\n");
      }
    }
  }
  return t;
}

Deno.test("fuzz readers: mutated PSP and pod files give objects or InputErrors naming the file", () => {
  const r = new Random(SEED);
  const failures = new Map<string, string>();
  const tally = { read: 0, inputErrors: 0 };
  const emitted: string[] = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = ((w: string | Error) => {
    emitted.push(String(w instanceof Error ? w.message : w));
  }) as typeof process.emitWarning;
  const ceiling = timeCeiling("fuzz readers", CASES, SEED);
  let i = 0;
  for (; i < CASES; i++, ceiling(i)) {
    const isPsp = r.chance(0.5);
    const obj = isPsp ? randomPsp(r) : randomPod(r);
    const base = r.chance(0.5) ? JSON.stringify(obj, null, r.pick([0, 2])) : stringifyYaml(obj);
    const text = mutateText(r, r.chance(0.3) ? `${base}\n---\n${base}` : base);
    try {
      const objects = parseObjects(text, "fuzz.yaml");
      if (isPsp) loadPsps(objects, { allowInvalidNames: true, allowMissingRules: true });
      else for (const lo of objects) extractFromObject(lo);
      tally.read++;
    } catch (e) {
      if (e instanceof InputError && e.message.startsWith("fuzz.yaml")) {
        tally.inputErrors++;
        continue;
      }
      const key = `${(e as Error).name}: ${(e as Error).message}`.slice(0, 90);
      if (!failures.has(key)) {
        failures.set(key, `iteration ${i}: ${key}\n${JSON.stringify(text).slice(0, 1500)}`);
      }
    }
  }
  process.emitWarning = emitWarning;
  console.log(
    `readers: ${i} mutated files, seed ${SEED}: ${tally.read} read, ${tally.inputErrors} input errors, ${failures.size} distinct failure(s)`,
  );
  assert.deepEqual([...failures.values()], [], `FUZZ_SEED=${SEED}`);
  assert.deepEqual([...new Set(emitted)], [], `FUZZ_SEED=${SEED}: process warnings`);
});
