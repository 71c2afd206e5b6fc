/**
 * The current-target table (src/falco/current.ts) against the one PSP field table
 * (src/model/psp_fields.ts): every field has exactly one row, in the table's modules, and no
 * row names anything else.
 */
import assert from "node:assert/strict";
import { CURRENT_FIELD_RULES } from "../../src/falco/current.ts";
import { PSP_FIELDS } from "../../src/model/psp_fields.ts";

Deno.test("current target: one row per PSP field of src/model/psp_fields.ts", () => {
  const rows = CURRENT_FIELD_RULES.map((r) => r.field);
  assert.deepEqual([...rows].sort(), [...PSP_FIELDS].sort());
  assert.equal(new Set(rows).size, rows.length, "no field has two rows");
});

Deno.test("current target: every row can give a rule (none is an empty placeholder)", () => {
  for (const r of CURRENT_FIELD_RULES) {
    assert.ok(r.audit || r.mutation || r.syscall, r.field);
  }
});
