/**
 * Issue 2: "A pod is in scope when any of its containers uses a listed image, not only
 * when all do" — for both targets (the docs' falcoctl v0.0.2 form, `--no-prefix` with only
 * an image annotation, keeps falcoctl's every-container `in` to stay YAML-equal to the docs).
 */
import assert from "node:assert/strict";
import {
  basePsp,
  convertObject,
  fired,
  loadClean,
  podCreateEvent,
  TARGETS,
} from "../hostile/meaning.ts";

for (const target of TARGETS) {
  Deno.test(`scope (${target}): one listed image among others puts the pod in scope`, () => {
    const conv = convertObject(basePsp("web", { "falco-rules-psp-images": "[nginx]" }), target);
    assert.ok(conv.ok);
    const rules = loadClean(conv.yaml, target, "web");
    const mixed = podCreateEvent("default", {
      containers: [
        // (privileged set on every container: Falco 0.27 reads a list field as <NA> when
        // one container lacks the value)
        { name: "sidecar", image: "busybox", securityContext: { privileged: false } },
        { name: "web", image: "nginx", securityContext: { privileged: true } },
      ],
    });
    assert.deepEqual(fired(rules, mixed), ["PSP web Violation (privileged) K8s Audit"]);
    const other = podCreateEvent("default", {
      containers: [{ name: "c", image: "busybox", securityContext: { privileged: true } }],
    });
    assert.deepEqual(fired(rules, other), []);
  });
}
