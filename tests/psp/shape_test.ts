/** The JSON shape checks (src/psp/shape.ts). */
import assert from "node:assert/strict";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { checkPspShape, pruneUnknownPspFields } from "../../src/psp/shape.ts";
import { psp } from "./helpers.ts";

Deno.test("shape: wrong JSON types are errors with field paths", () => {
  const bad = {
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata: { name: "p", annotations: { n: 5 } },
    spec: {
      privileged: "yes",
      volumes: "secret",
      hostPorts: [{ min: 2 ** 31, max: 1.5 }],
      runAsUser: { rule: "MustRunAs", ranges: [{ min: "5", max: 10 }] },
      seLinux: ["RunAsAny"],
      allowedCapabilities: [null],
    },
  };
  const r = checkPspShape(bad);
  assert.deepEqual(r.errors.map((e) => e.text), [
    "metadata.annotations[n]: Invalid value: 5: must be a string (quote it in YAML)",
    'spec.privileged: Invalid value: "yes": must be a boolean: write true or false without quotes',
    'spec.volumes: Invalid value: "secret": must be a list',
    "spec.hostPorts[0].min: Invalid value: 2147483648: must be a 32-bit integer",
    "spec.hostPorts[0].max: Invalid value: 1.5: must be an integer",
    'spec.runAsUser.ranges[0].min: Invalid value: "5": must be an integer',
    "spec.seLinux: Invalid value: a list: must be a mapping",
    "spec.allowedCapabilities[0]: Invalid value: null: list items must not be null",
  ]);
  assert.deepEqual(r.errors[3].path, ["spec", "hostPorts", 0, "min"]);
  assert.equal(checkPspShape([1]).errors[0].text, "[]: Invalid value: a list: must be a mapping");
  assert.deepEqual(
    checkPspShape({ ...psp(), spec: { privileged: null, volumes: null } }).errors,
    [],
  );
});

Deno.test("shape: unknown fields are listed and pruned", () => {
  const p = {
    ...psp({ privileged: false }),
    status: {},
    spec: { ...psp().spec, privilegd: true, runAsUser: { rule: "RunAsAny", rnages: [] } },
  };
  const r = checkPspShape(p);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.unknownFields.map((u) => u.field).sort(), [
    "spec.privilegd",
    "spec.runAsUser.rnages",
    "status",
  ]);
  const pruned = pruneUnknownPspFields(p as unknown as PodSecurityPolicy) as unknown as Record<
    string,
    Record<string, unknown>
  >;
  assert.equal("status" in pruned, false);
  assert.equal("privilegd" in pruned.spec, false);
  assert.deepEqual(pruned.spec.runAsUser, { rule: "RunAsAny" });
});
