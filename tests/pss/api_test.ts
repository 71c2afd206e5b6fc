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
  // Any minor Go's Atoi takes (int64); past that ParseVersion refuses it.
  assert.deepEqual(parseVersion("v1.1234567"), { minor: 1234567 });
  assert.equal(typeof parseVersion("v1.9223372036854775807"), "object");
  for (
    const bad of [
      "1.30",
      "v1.030",
      "v2.0",
      "v1",
      "v1.30.1",
      "",
      "Latest",
      "v1.9223372036854775808",
      "v1.10000000000000000000",
    ]
  ) {
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
