/**
 * Policy sets on hand-made pods: what the corpora do not show. Scope is the union of the
 * PSPs' `falco-rules-psp-images`; a pod one PSP admits fires nothing in set mode (where the
 * per-PSP rules of the other PSP fire); a refused pod fires one rule per PSP, whose output
 * names the PSP and its first refused field.
 */
import assert from "node:assert/strict";
import { generatePolicySetRules } from "../../src/falco/policy_set.ts";
import { generateRules } from "../../src/falco/generate.ts";
import { loadPsps } from "../../src/psp/load.ts";
import { basePsp, fired, loadClean, podCreateEvent } from "../hostile/meaning.ts";

function psps(...objs: unknown[]) {
  return loadPsps(
    objs.map((o, i) => ({
      object: o as Record<string, unknown>,
      source: { file: "set.yaml", document: i + 1 },
      locate: () => undefined,
    })),
    { allowInvalidNames: true, allowMissingRules: true },
  ).psps.map((p) => p.psp);
}

function withSpec(name: string, images: string, spec: Record<string, unknown>) {
  const p = basePsp(name, { "falco-rules-psp-images": images }) as {
    spec: Record<string, unknown>;
  };
  Object.assign(p.spec, spec);
  return p;
}

Deno.test("policy set: union of scopes, nothing for a pod one PSP admits, one rule per PSP otherwise", () => {
  const set = psps(
    // both refuse privileged containers; web also refuses hostNetwork, net allows it
    withSpec("web", "[nginx]", { hostNetwork: false }),
    withSpec("net", "[redis]", {}),
  );
  const rules = loadClean(generatePolicySetRules(set).yaml, "current", "set");
  const perPsp = loadClean(
    generateRules(set, { target: "current", prefix: true }).yaml,
    "current",
    "per PSP",
  );
  const pod = (image: string, extra: Record<string, unknown> = {}) =>
    podCreateEvent("default", {
      ...extra,
      containers: [{ name: "c", image, securityContext: { privileged: true } }],
    });
  // privileged: both refuse; the pod is in scope through either PSP's image list
  for (const image of ["nginx:1.25", "docker.io/library/redis:7"]) {
    assert.deepEqual(fired(rules, pod(image)).sort(), [
      "PSP set Violation (net: privileged) K8s Audit",
      "PSP set Violation (web: privileged) K8s Audit",
    ], image);
  }
  assert.deepEqual(fired(rules, pod("busybox")), [], "outside both scopes");
  // hostNetwork without privileged: web refuses, net admits: the set admits the pod
  const hostNet = podCreateEvent("default", {
    hostNetwork: true,
    containers: [{ name: "c", image: "nginx" }],
  });
  assert.deepEqual(fired(rules, hostNet).filter((n) => n.includes("Violation")), []);
  assert.ok(
    fired(perPsp, hostNet).includes("PSP web Violation (hostNetwork) K8s Audit"),
    `per-PSP rules fire for a pod the set admits (the flood set mode avoids): ${
      fired(perPsp, hostNet)
    }`,
  );
  // both refuse: web for privileged and hostNetwork (privileged comes first in admission's
  // order), net for privileged
  const both = pod("nginx", { hostNetwork: true });
  const names = fired(rules, both).filter((n) => n.includes("Violation")).sort();
  assert.deepEqual(names, [
    "PSP set Violation (net: privileged) K8s Audit",
    "PSP set Violation (web: privileged) K8s Audit",
  ]);
  const yaml = generatePolicySetRules(set).yaml;
  assert.match(yaml, /no policy of the set admits the pod; web refuses it first for/);
});
