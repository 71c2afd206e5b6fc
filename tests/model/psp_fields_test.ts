import assert from "node:assert/strict";
import type { PodSecurityPolicySpec } from "../../src/model/psp.ts";
import {
  PSP_CONTROLS,
  PSP_FIELD_TABLE,
  PSP_FIELDS,
  PSP_SPEC_SHAPES,
  type PspSpecField,
} from "../../src/model/psp_fields.ts";
import { checkPspShape } from "../../src/psp/shape.ts";

/** True only when A and B are the same type (checked by `deno check`/`deno test`). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

// src/model/psp.ts declares exactly the table's spec fields (a compile error otherwise).
const specKeysMatch: Equal<keyof PodSecurityPolicySpec, PspSpecField> = true;

Deno.test("the PSP type declares exactly the table's spec fields", () => {
  assert.equal(specKeysMatch, true);
  assert.equal(new Set(PSP_FIELDS).size, PSP_FIELDS.length, "no field twice");
  assert.deepEqual(
    Object.keys(PSP_SPEC_SHAPES),
    PSP_FIELD_TABLE.filter((f) => f.where === "spec").map((f) => f.name),
  );
});

Deno.test("every field belongs to a control and every control but admission has fields", () => {
  const ids = PSP_CONTROLS.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const f of PSP_FIELD_TABLE) assert.ok(ids.includes(f.control), f.name);
  const used = new Set(PSP_FIELD_TABLE.map((f) => f.control));
  assert.deepEqual(ids.filter((id) => !used.has(id)), ["admission"]);
});

Deno.test("annotation controls name their annotations; spec fields have none", () => {
  for (const f of PSP_FIELD_TABLE) {
    if (f.where === "spec") assert.deepEqual(f.annotations, [], f.name);
    else {
      assert.equal(f.annotations.length, 2, f.name);
      for (const a of f.annotations) assert.match(a, new RegExp(`^${f.name}\\.security\\.`), a);
    }
  }
});

/** A value of the wrong JSON type for a shape. */
function wrongValue(t: string): unknown {
  return t === "string" ? 1 : "x";
}

Deno.test("the shape checks know every spec field of the table, with its JSON type", () => {
  for (const f of PSP_FIELD_TABLE.filter((f) => f.where === "spec")) {
    const psp = { metadata: { name: "p" }, spec: { [f.name]: wrongValue(f.shape.t) } };
    const report = checkPspShape(psp);
    assert.deepEqual(report.unknownFields, [], f.name);
    assert.deepEqual(report.errors.map((e) => e.field), [`spec.${f.name}`], f.name);
  }
  const unknown = checkPspShape({ metadata: { name: "p" }, spec: { seccomp: "x" } });
  assert.deepEqual(unknown.unknownFields.map((u) => u.field), ["spec.seccomp"]);
});
