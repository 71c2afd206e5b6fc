/**
 * Hostile sizes that are not nesting or single values: 200,000 list items in a PSP, 200,000
 * objects in a file. Nothing may overflow the stack (spread arguments, recursion), and error
 * messages stay short.
 */
import assert from "node:assert/strict";
import { GenerateError, generateRules } from "../../src/falco/generate.ts";
import { MAX_LIST_ITEMS } from "../../src/falco/scope.ts";
import { checkLoad } from "../support/falco/mod.ts";
import { type LoadedObject, loadObjects } from "../../src/io/documents.ts";
import { loadPsps } from "../../src/psp/load.ts";
import { isInputRefusal } from "./meaning.ts";

const N = 200_000;

function psp(spec: Record<string, unknown>): LoadedObject {
  return {
    object: {
      apiVersion: "policy/v1beta1",
      kind: "PodSecurityPolicy",
      metadata: { name: "big" },
      spec: {
        seLinux: { rule: "RunAsAny" },
        runAsUser: { rule: "RunAsAny" },
        supplementalGroups: { rule: "RunAsAny" },
        fsGroup: { rule: "RunAsAny" },
        ...spec,
      },
    },
    source: { file: "big.json", document: 1 },
    locate: () => undefined,
  };
}

Deno.test("200,000 invalid sysctls: one short input error, no stack overflow", () => {
  const obj = psp({ forbiddenSysctls: Array(N).fill("bad sysctl") });
  assert.throws(() => loadPsps([obj]), (e: unknown) => {
    assert.ok(isInputRefusal(e), `not an input error: ${e}`);
    assert.match((e as Error).message, /spec\.forbiddenSysctls\[0\].*and 199999 more/);
    assert.ok((e as Error).message.length < 2_000, "the message lists every error");
    return true;
  });
});

Deno.test("200,000 runAsUser ranges: an input error naming the list, no stack overflow", () => {
  const ranges = Array.from({ length: N }, (_, i) => ({ min: 2 * i + 1, max: 2 * i + 1 }));
  const { psps } = loadPsps([psp({ runAsUser: { rule: "MustRunAs", ranges } })]);
  for (const target of ["current", "0.27"] as const) {
    assert.throws(
      () => generateRules(psps.map((p) => p.psp), { target, prefix: true }),
      (e: unknown) => {
        assert.ok(e instanceof GenerateError, `${target}: ${(e as Error).name}`);
        assert.match(
          e.message,
          new RegExp(`spec\\.runAsUser\\.ranges.*${N} items.*at most ${MAX_LIST_ITEMS}`),
        );
        assert.ok(e.message.length < 2_000);
        return true;
      },
    );
  }
});

Deno.test(`the largest lists allowed (${MAX_LIST_ITEMS} items) give rules both targets load`, () => {
  const n = MAX_LIST_ITEMS;
  const ranges = Array.from({ length: n }, (_, i) => ({ min: 3 * i + 1, max: 3 * i + 1 }));
  const caps = Array.from({ length: n }, (_, i) => `CAP_X${i}`);
  const { psps } = loadPsps([psp({
    runAsUser: { rule: "MustRunAs", ranges },
    hostPorts: ranges,
    allowedCapabilities: caps,
  })]);
  for (const target of ["current", "0.27"] as const) {
    const generated = generateRules(psps.map((p) => p.psp), { target, prefix: true });
    const check = checkLoad(generated.yaml, target);
    assert.deepEqual(check.errors, [], `${target}: errors`);
    assert.deepEqual(check.warnings, [], `${target}: warnings`);
    const rules = check.ruleset.rules.map((r) => r.name);
    assert.ok(rules.includes("PSP big Violation (runAsUser=MustRunAs) K8s Audit"), target);
    assert.ok(rules.some((r) => r.startsWith("PSP big Violation (allowedCapabilities)")), target);
  }
});

Deno.test("200,000 objects in one file are all read", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      `{"kind": "List", "items": [${Array(N).fill('{"kind": "X"}').join(",")}]}`,
    );
    assert.equal((await loadObjects([file])).length, N);
  } finally {
    await Deno.remove(file);
  }
});
