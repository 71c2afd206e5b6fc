/**
 * Conformance: every fixture of the upstream Pod Security Admission library (4,537 pods,
 * baseline and restricted, policy versions v1.0 to v1.37; `pss/fixtures.json.gz` of the shared
 * directory, never committed, so the test is ignored with the reason where it is absent) is
 * evaluated at its level and version; a `fail` fixture must be forbidden, with the
 * check its file names among the violations, and a `pass` fixture allowed. Prints the agreement.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "fflate";
import { parse } from "yaml";
import { parseLevel, parseVersion } from "../../src/pss/api.ts";
import { evaluatePod, violatesMessage } from "../../src/pss/evaluate.ts";
import { MAX_MINOR } from "../../src/pss/registry.ts";
import { sharedOrIgnore } from "../support/shared.ts";

const PSS = sharedOrIgnore("pss/fixtures.json.gz", import.meta.url);

interface Fixture {
  level: string;
  version: string;
  expect: "pass" | "fail";
  file: string;
  yaml: string;
}

function load(): Fixture[] {
  return JSON.parse(new TextDecoder().decode(gunzipSync(Deno.readFileSync(PSS.url))));
}

/**
 * What the message of a failing fixture must contain: upstream's `expectErrorSubstring` of the
 * fixture generator for the check the file is named after (test/fixtures_*.go; the check ID
 * where a generator sets none). `capabilities_restricted2.yaml` -> "unrestricted capabilities".
 */
const EXPECTED_SUBSTRING: Record<string, string> = {
  allowprivilegeescalation: "allowPrivilegeEscalation",
  apparmorprofile: "forbidden AppArmor profile",
  capabilities_baseline: "capabilities",
  capabilities_restricted: "unrestricted capabilities",
  hostnamespaces: "host namespaces",
  hostpathvolumes: "hostPath",
  hostports: "hostPort",
  hostprobesandhostlifecycle: "probe or lifecycle host",
  privileged: "privileged",
  procmount: "procMount",
  procmount_restricted: "procMount",
  restrictedvolumes: "restricted volume types",
  runasnonroot: "runAsNonRoot",
  runasuser: "runAsUser",
  seccompprofile_baseline: "seccompProfile",
  seccompprofile_restricted: "seccompProfile",
  selinuxoptions: "seLinuxOptions",
  sysctls: "forbidden sysctl",
  windowshostprocess: "hostProcess",
};

function expectedSubstring(file: string): string | undefined {
  const stem = /^([a-z_]+?)\d+\.yaml$/.exec(file)?.[1];
  if (stem === undefined) return undefined;
  const s = EXPECTED_SUBSTRING[stem];
  assert.ok(s, `no expected substring for fixture ${file}`);
  return s;
}

Deno.test({
  name: "pss fixtures: every upstream fixture agrees (level, version, pass/fail, failing check)",
  ignore: PSS.ignore,
  fn() {
    const fixtures = load();
    assert.equal(fixtures.length, 4537, "fixtures in fixtures.json.gz");
    const disagreements: string[] = [];
    const versions = new Set<string>();
    for (const f of fixtures) {
      versions.add(f.version);
      const pod = parse(f.yaml);
      const lv = { level: parseLevel(f.level), version: parseVersion(f.version) };
      const result = evaluatePod(pod, lv);
      const want = f.expect === "pass";
      const substring = expectedSubstring(f.file);
      let ok = result.allowed === want;
      // A fail fixture must fail for the check it targets, as upstream's fixture test asks.
      if (ok && !want && substring) {
        ok = violatesMessage(lv, result.violations).includes(substring);
      }
      if (!ok) {
        disagreements.push(
          `${f.level} ${f.version} ${f.file} expect ${f.expect}: ${
            JSON.stringify(result.violations)
          }`,
        );
      }
    }
    const agree = fixtures.length - disagreements.length;
    console.log(
      `pss fixture agreement: ${agree}/${fixtures.length} (${
        (100 * agree / fixtures.length).toFixed(2)
      }%), ${versions.size} policy versions, latest = v1.${MAX_MINOR}`,
    );
    assert.deepEqual(disagreements.slice(0, 20), [], `${disagreements.length} disagree`);
    assert.equal(versions.size, 38);
  },
});
