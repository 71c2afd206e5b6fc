import assert from "node:assert/strict";
import {
  formatLevelVersion,
  parseLevel,
  parseLevelVersion,
  parseVersion,
  PolicyParseError,
} from "../../src/pss/api.ts";

Deno.test("api: levels and versions as the PSA labels take them", () => {
  assert.equal(parseLevel("restricted"), "restricted");
  assert.throws(() => parseLevel("Restricted"), PolicyParseError);
  assert.deepEqual(parseVersion("v1.30"), { minor: 30 });
  assert.deepEqual(parseVersion("v1.0"), { minor: 0 });
  assert.equal(parseVersion("latest"), "latest");
  for (const bad of ["1.30", "v1.030", "v2.0", "v1", "v1.30.1", "", "Latest"]) {
    assert.throws(() => parseVersion(bad), PolicyParseError, bad);
  }
  assert.deepEqual(parseLevelVersion("restricted:v1.30"), {
    level: "restricted",
    version: { minor: 30 },
  });
  assert.deepEqual(parseLevelVersion("baseline"), { level: "baseline", version: "latest" });
  assert.throws(() => parseLevelVersion("baseline:"), PolicyParseError);
  assert.equal(formatLevelVersion(parseLevelVersion("restricted:v1.9")), "restricted:v1.9");
});
