import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { gunzipSync } from "fflate";
import { parse } from "yaml";
import { LEVELS, type Version } from "../../src/pss/api.ts";
import { evaluatePod, type PodLike, preparePod } from "../../src/pss/evaluate.ts";
import { podPss, type PssSetting, violationsAt } from "../../src/pss/pod_result.ts";
import { MAX_MINOR } from "../../src/pss/registry.ts";
import { sharedOrIgnore } from "../support/shared.ts";

const pod = (spec: Record<string, unknown>) => ({ metadata: { name: "p" }, spec });
const restrictedOk = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  containers: [{
    name: "app",
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  }],
};

Deno.test("podPss: level asked, level met and what keeps the pod from the next level", () => {
  const privileged = pod({ hostPID: true, containers: [{ name: "a" }] });
  const r = podPss(privileged, { level: "restricted", version: "latest" });
  assert.equal(r.levelMet, "privileged");
  assert.equal(r.allowed, false);
  assert.equal(r.level, "restricted");
  assert.deepEqual(r.violations.map((v) => v.check), [
    "hostNamespaces",
    "allowPrivilegeEscalation",
    "capabilities_restricted",
    "runAsNonRoot",
    "seccompProfile_restricted",
  ]);
  assert.deepEqual(r.next, {
    level: "baseline",
    violations: [{ check: "hostNamespaces", reason: "host namespaces", detail: "hostPID=true" }],
  });
  // --pss alone: the first level failed, with its violations.
  const alone = podPss(privileged, { level: null, version: { minor: 30 } });
  assert.equal(alone.level, "baseline");
  assert.equal(alone.version, "v1.30");
  assert.deepEqual(alone.violations, r.next!.violations);
  const ok = podPss(pod(restrictedOk), { level: null, version: "latest" });
  assert.deepEqual([ok.level, ok.allowed, ok.levelMet, ok.next], [
    "restricted",
    true,
    "restricted",
    null,
  ]);
  const base = podPss(pod({ containers: [{ name: "a" }] }), {
    level: "baseline",
    version: "latest",
  });
  assert.deepEqual([base.allowed, base.levelMet, base.next?.level], [
    true,
    "baseline",
    "restricted",
  ]);
  assert.equal(podPss(privileged, { level: "privileged", version: "latest" }).allowed, true);
});

/**
 * violationsAt, from a result computed once at one setting, against evaluating the pod afresh at
 * every level and every policy version (v1.0 to one past the newest, and latest): the same
 * violations, in the same order, with the same texts. `pods` are raw pod objects.
 */
function assertExactEverywhere(pods: readonly PodLike[], what: string): number {
  const versions: Version[] = [
    ...Array.from({ length: MAX_MINOR + 2 }, (_, minor) => ({ minor })),
    "latest",
  ];
  let compared = 0;
  const settings: PssSetting[] = [
    { level: "restricted", version: "latest" },
    { level: null, version: { minor: 22 } },
  ];
  pods.forEach((pod, i) => {
    const result = podPss(pod, settings[i % settings.length]);
    const prepared = preparePod(pod);
    for (const level of LEVELS) {
      for (const version of versions) {
        const want = evaluatePod(prepared, { level, version }).violations;
        const got = violationsAt(result, level, version);
        if (!isDeepStrictEqual(got, want)) {
          assert.fail(
            `${what} #${i} at ${level}:${JSON.stringify(version)}: got ${
              JSON.stringify(got)
            }, want ${JSON.stringify(want)}`,
          );
        }
        compared++;
      }
    }
  });
  return compared;
}

const FIXTURES = sharedOrIgnore("pss/fixtures.json.gz", import.meta.url);
const REALWORLD = sharedOrIgnore("oracle/realworld/corpus.json", import.meta.url);

Deno.test({
  name: "violationsAt: upstream fixture pods, every level and version, as evaluated afresh",
  ignore: FIXTURES.ignore,
  fn() {
    const fixtures: { yaml: string }[] = JSON.parse(
      new TextDecoder().decode(gunzipSync(Deno.readFileSync(FIXTURES.url))),
    );
    assert.equal(fixtures.length, 4537);
    const n = assertExactEverywhere(fixtures.map((f) => parse(f.yaml)), "fixture");
    console.log(`violationsAt = evaluatePod: ${n}/${n} (fixture pod, level, version) triples`);
  },
});

Deno.test({
  name: "violationsAt: real-world pods, every level and version, as evaluated afresh",
  ignore: REALWORLD.ignore,
  async fn() {
    const corpus: { pods: PodLike[] } = JSON.parse(await Deno.readTextFile(REALWORLD.url));
    assert.equal(corpus.pods.length, 216);
    const n = assertExactEverywhere(corpus.pods, "real-world pod");
    console.log(`violationsAt = evaluatePod: ${n}/${n} (real-world pod, level, version) triples`);
  },
});

Deno.test("violationsAt: a version the result was not computed at, without the pod", () => {
  // Baseline at v1.22 refuses the sysctl that v1.27 made safe; at latest only restricted's
  // checks refuse the pod. Computed at latest, asked at v1.22.
  const p = podPss(
    pod({
      securityContext: { sysctls: [{ name: "net.ipv4.ip_local_reserved_ports", value: "1" }] },
      containers: [{ name: "s" }],
    }),
    { level: "baseline", version: "latest" },
  );
  assert.equal(p.allowed, true);
  assert.deepEqual(violationsAt(p, "baseline", { minor: 22 }), [
    { check: "sysctls", reason: "forbidden sysctls", detail: "net.ipv4.ip_local_reserved_ports" },
  ]);
  assert.deepEqual(violationsAt(p, "baseline", { minor: 27 }), []);
  assert.deepEqual(violationsAt(p, "privileged", { minor: 22 }), []);
});
