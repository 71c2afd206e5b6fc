import assert from "node:assert/strict";
import { appArmorProfile } from "../../../src/pss/checks/app_armor_profile.ts";
import { ctr, run, said } from "../helpers.ts";

const KEY = "container.apparmor.security.beta.kubernetes.io/";

Deno.test("appArmorProfile: fields and annotations, in upstream's words", () => {
  assert.deepEqual(
    said(run(appArmorProfile, 0, { securityContext: { appArmorProfile: { type: "Unconfined" } } })),
    ["forbidden AppArmor profile", 'pod must not set AppArmor profile type to "Unconfined"'],
  );
  assert.deepEqual(
    said(run(appArmorProfile, 0, {
      containers: [ctr("foo", { appArmorProfile: { type: "Unconfined" } })],
    }, { [KEY + "foo"]: "unconfined" })),
    [
      "forbidden AppArmor profiles",
      `container "foo" and annotation must not set AppArmor profile type to "Unconfined", "${KEY}foo="unconfined""`,
    ],
  );
  // Go's %q escapes the annotation value.
  assert.deepEqual(said(run(appArmorProfile, 0, {}, { [KEY + "a"]: 'x"\n' })), [
    "forbidden AppArmor profile",
    `annotation must not set AppArmor profile type to "${KEY}a="x\\"\\n""`,
  ]);
  assert.equal(
    said(run(appArmorProfile, 0, {
      securityContext: { appArmorProfile: { type: "RuntimeDefault" } },
      containers: [ctr("a", { appArmorProfile: { type: "Localhost" } })],
    }, { [KEY + "a"]: "localhost/p", [KEY + "b"]: "runtime/default", [KEY + "c"]: "" })),
    "allowed",
  );
});
