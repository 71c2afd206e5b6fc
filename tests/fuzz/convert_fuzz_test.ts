/**
 * Property-based fuzzing of `convert` (issue 5), seeded (FUZZ_SEED), a fixed number of cases: random
 * and mutated PSPs go through the loader (parseObjects, loadPsps) and the pure generator
 * (generateRules) for both targets. Properties: the only exceptions are the project's input
 * refusals; every generated file is YAML that the test-side Falco engine loads without error;
 * and hostile text in a free-text field never changes a condition (same structure as with a
 * benign value, literals equal to the hostile text).
 */
import assert from "node:assert/strict";
import { parseAllDocuments, stringify as stringifyYaml } from "yaml";
import { generateRules } from "../../src/falco/generate.ts";
import { parseObjects } from "../../src/io/documents.ts";
import { loadPsps } from "../../src/psp/load.ts";
import { parseImageRef } from "../../src/falco/image_ref.ts";
import { checkLoad } from "../support/falco/load_check.ts";
import {
  assertSameMeaning,
  convertObject,
  fired,
  isInputRefusal,
  loadClean,
  podCreateEvent,
  privilegedPod,
  TARGETS,
} from "../hostile/meaning.ts";
import { fuzzCases, fuzzSeed, hostileString, Random, randomPsp, timeCeiling } from "./random.ts";

const SEED = fuzzSeed();
/** Seeded cases per test: the same cases, and outcome, on any machine. */
const CASES = fuzzCases(120);

/** Runs `body` for CASES seeded cases, collecting distinct failures. */
function fuzz(name: string, body: (r: Random, i: number) => string | undefined): void {
  const r = new Random(SEED);
  const failures = new Map<string, string>();
  const ceiling = timeCeiling(`fuzz ${name}`, CASES, SEED);
  let i = 0;
  for (; i < CASES; i++, ceiling(i)) {
    let problem: string | undefined;
    try {
      problem = body(r, i);
    } catch (e) {
      problem = `${(e as Error).name}: ${(e as Error).message}`;
    }
    if (problem) {
      const key = problem.split("\n")[0].replace(/"[^"]*"/g, '"…"').slice(0, 120);
      if (!failures.has(key)) failures.set(key, `iteration ${i}: ${problem.slice(0, 1500)}`);
    }
  }
  console.log(`${name}: ${i} iterations, seed ${SEED}, ${failures.size} distinct failure(s)`);
  assert.deepEqual(
    [...failures.values()],
    [],
    `FUZZ_SEED=${SEED}: ${failures.size} distinct failure(s)`,
  );
}

Deno.test("fuzz convert: random and mutated PSPs give input errors or loadable YAML", () => {
  const tally = { rules: 0, refused: 0 };
  fuzz("convert", (r) => {
    const psp = randomPsp(r);
    const text = r.chance(0.5) ? JSON.stringify(psp) : stringifyYaml(psp);
    for (const target of TARGETS) {
      let yaml: string;
      try {
        const { psps } = loadPsps(parseObjects(text, "fuzz.yaml"), {
          allowInvalidNames: true,
          allowMissingRules: true,
        });
        if (!psps.length) continue;
        yaml = generateRules(psps.map((p) => p.psp), { target, prefix: true }).yaml;
      } catch (e) {
        if (isInputRefusal(e)) {
          tally.refused++;
          continue;
        }
        return `uncaught ${(e as Error).name} (${target}): ${(e as Error).message}\n${text}`;
      }
      tally.rules++;
      const doc = parseAllDocuments(yaml);
      if (!Array.isArray(doc) || doc.length !== 1 || doc[0].errors.length) {
        return `not one YAML document (${target}):\n${yaml.slice(0, 500)}`;
      }
      const check = checkLoad(yaml, target);
      if (check.errors.length) {
        return `load errors (${target}): ${check.errors.join("; ")}\nPSP: ${text}`;
      }
    }
    return undefined;
  });
  console.log(`  ${tally.rules} rules files, ${tally.refused} refusals`);
  // Most random PSPs are refused (a seed decides which); a tenth must still give rules files.
  assert.ok(
    tally.rules >= CASES / 10,
    `FUZZ_SEED=${SEED}: ${tally.rules} rules files from ${CASES} cases, too few to mean anything`,
  );
});

/** A free-text place in a PSP where a value is data for the rules (exact-match semantics). */
interface TextSlot {
  name: string;
  set(psp: Record<string, unknown>, value: string): void;
  /** The form of the hostile text the conditions must hold. */
  literal?(h: string): string;
  /** Values with a meaning of their own there (wildcards), not hostile text. */
  skip?(h: string): boolean;
  /** For scope annotations: events in and out of scope. */
  inScope?(value: string): ReturnType<typeof podCreateEvent>[];
}

const spec = (p: Record<string, unknown>) => p.spec as Record<string, unknown>;
const annotate = (p: Record<string, unknown>, key: string, value: string) => {
  const meta = p.metadata as Record<string, unknown>;
  meta.annotations = { ...(meta.annotations as object ?? {}), [key]: value };
};

const TEXT_SLOTS: TextSlot[] = [
  {
    name: "seLinuxOptions.type",
    set: (p, v) => {
      spec(p).seLinux = { rule: "MustRunAs", seLinuxOptions: { type: v, level: "s0" } };
    },
  },
  {
    name: "seLinuxOptions.user",
    set: (p, v) => {
      spec(p).seLinux = { rule: "MustRunAs", seLinuxOptions: { user: v, role: "r" } };
    },
  },
  {
    name: "allowedFlexVolumes.driver",
    set: (p, v) => {
      spec(p).volumes = ["flexVolume"];
      spec(p).allowedFlexVolumes = [{ driver: "example/lvm" }, { driver: v }];
    },
  },
  {
    name: "allowedCSIDrivers.name",
    set: (p, v) => {
      spec(p).volumes = ["csi"];
      spec(p).allowedCSIDrivers = [{ name: v }];
    },
  },
  {
    name: "allowedHostPaths.pathPrefix",
    set: (p, v) => {
      spec(p).volumes = ["hostPath"];
      spec(p).allowedHostPaths = [{ pathPrefix: `/${v.replace(/\/+$/, "")}` }];
    },
    // a trailing '/' of a prefix has its own meaning (docs/psp-admission.md §4): not hostile text
    literal: (h) => h.replace(/\/+$/, ""),
  },
  {
    name: "runtimeClass.allowedRuntimeClassNames",
    skip: (h) => h === "*",
    set: (p, v) => {
      spec(p).runtimeClass = { allowedRuntimeClassNames: [v] };
    },
  },
  {
    name: "falco-rules-psp-images",
    // a valid reference with a registry, path, tag or digest gives other conditions than the
    // one-component placeholder (its spellings); tests/falco/image_scope_test.ts covers those
    skip: (h) => {
      try {
        parseImageRef(h.trim());
      } catch {
        return false;
      }
      return /[/:@]/.test(h.trim());
    },
    set: (p, v) => annotate(p, "falco-rules-psp-images", JSON.stringify([v])),
    literal: (h) => h.trim(),
    inScope: (v) => [podCreateEvent("default", privilegedPod(v))],
  },
  {
    name: "falco-rules-psp-namespaces",
    set: (p, v) => annotate(p, "falco-rules-psp-namespaces", JSON.stringify([v])),
    literal: (h) => h.trim(),
    inScope: (v) => [podCreateEvent(v, privilegedPod("nginx"))],
  },
  {
    name: "seccomp allowedProfileNames",
    set: (p, v) =>
      annotate(
        p,
        "seccomp.security.alpha.kubernetes.io/allowedProfileNames",
        `localhost/${v.replaceAll(",", "")}`,
      ),
    literal: (h) => h.replaceAll(",", ""),
  },
  {
    name: "apparmor allowedProfileNames",
    set: (p, v) =>
      annotate(
        p,
        "apparmor.security.beta.kubernetes.io/allowedProfileNames",
        `localhost/${v.replaceAll(",", "")}`,
      ),
    literal: (h) => h.replaceAll(",", ""),
  },
];

const PLACEHOLDER = "zzbenign";

/** A PSP that loads, converts and checks only one thing besides the slot: privileged. */
function plainPsp(): Record<string, unknown> {
  return {
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata: { name: "fuzz" },
    spec: {
      privileged: false,
      volumes: ["*"],
      seLinux: { rule: "RunAsAny" },
      runAsUser: { rule: "RunAsAny" },
      supplementalGroups: { rule: "RunAsAny" },
      fsGroup: { rule: "RunAsAny" },
    },
  };
}

Deno.test("fuzz convert: hostile text in free-text PSP fields never changes a condition", () => {
  const tally = { same: 0, refused: 0 };
  fuzz("free text", (r) => {
    const slot = r.pick(TEXT_SLOTS);
    const target = r.pick(TARGETS);
    const h = hostileString(r, 6) || "x";
    if (slot.skip?.(h)) return undefined;
    const hostilePsp = plainPsp();
    slot.set(hostilePsp, h);
    const hostile = convertObject(hostilePsp, target);
    if (!hostile.ok) {
      tally.refused++;
      return undefined;
    }
    const benignPsp = plainPsp();
    slot.set(benignPsp, PLACEHOLDER);
    const benign = convertObject(benignPsp, target);
    if (!benign.ok) return `benign ${slot.name} refused: ${benign.error.message}`;
    const what = `${slot.name} = ${JSON.stringify(h)} (${target})`;
    const rs = loadClean(hostile.yaml, target, what);
    assertSameMeaning(
      rs,
      loadClean(benign.yaml, target, `benign ${what}`),
      PLACEHOLDER,
      slot.literal?.(h) ?? h,
      what,
    );
    for (const event of slot.inScope?.(slot.literal?.(h) ?? h) ?? []) {
      if (!fired(rs, event).some((n) => n.includes("(privileged)"))) {
        return `${what}: a privileged pod with that value is not in scope`;
      }
    }
    tally.same++;
    return undefined;
  });
  console.log(`  ${tally.same} accepted with the same meaning, ${tally.refused} refused`);
});
