import assert from "node:assert/strict";
import { checksFor, effectiveMinor, MAX_MINOR } from "../../src/pss/registry.ts";

const ids = (level: "baseline" | "restricted", minor: number | "latest") =>
  checksFor(level, minor === "latest" ? "latest" : { minor }).map((c) => c.id);

Deno.test("registry: latest is v1.37; newer versions evaluate as the newest", () => {
  assert.equal(MAX_MINOR, 37);
  assert.equal(effectiveMinor("latest"), 37);
  assert.equal(effectiveMinor({ minor: 99 }), 37);
  assert.deepEqual(ids("restricted", 99), ids("restricted", "latest"));
  assert.deepEqual(checksFor("privileged", "latest"), []);
});

Deno.test("registry: baseline checks first, by ID; restricted overrides its baseline twins", () => {
  assert.deepEqual(ids("baseline", 0), [
    "appArmorProfile",
    "capabilities_baseline",
    "hostNamespaces",
    "hostPathVolumes",
    "hostPorts",
    "privileged",
    "procMount",
    "seLinuxOptions",
    "seccompProfile_baseline",
    "sysctls",
    "windowsHostProcess",
  ]);
  // v1.0 restricted: hostPathVolumes replaced by restrictedVolumes; no seccomp/capabilities yet.
  assert.deepEqual(ids("restricted", 0), [
    "appArmorProfile",
    "capabilities_baseline",
    "hostNamespaces",
    "hostPorts",
    "privileged",
    "procMount",
    "seLinuxOptions",
    "seccompProfile_baseline",
    "sysctls",
    "windowsHostProcess",
    "restrictedVolumes",
    "runAsNonRoot",
  ]);
  assert.deepEqual(ids("restricted", 37), [
    "appArmorProfile",
    "hostNamespaces",
    "hostPorts",
    "hostProbesAndHostLifecycle",
    "privileged",
    "seLinuxOptions",
    "sysctls",
    "windowsHostProcess",
    "allowPrivilegeEscalation",
    "capabilities_restricted",
    "procMount_restricted",
    "restrictedVolumes",
    "runAsNonRoot",
    "runAsUser",
    "seccompProfile_restricted",
  ]);
  assert.ok(ids("baseline", 34).includes("hostProbesAndHostLifecycle"));
  assert.ok(!ids("baseline", 33).includes("hostProbesAndHostLifecycle"));
  assert.ok(ids("restricted", 8).includes("allowPrivilegeEscalation"));
  assert.ok(!ids("restricted", 7).includes("allowPrivilegeEscalation"));
});
