import assert from "node:assert/strict";
import {
  byteLength,
  dnsSubdomainErrors,
  labelValueErrors,
  qualifiedNameErrors,
} from "../../src/validation/names.ts";

Deno.test("names: DNS subdomains, qualified names and label values as apimachinery words them", () => {
  assert.deepEqual(dnsSubdomainErrors("a.example-1"), []);
  const [bad] = dnsSubdomainErrors("Bad");
  assert.match(bad, /^a lowercase RFC 1123 subdomain .* \(e\.g\. 'example\.com', regex used/);
  assert.deepEqual(dnsSubdomainErrors("a".repeat(254))[0], "must be no more than 253 characters");
  assert.deepEqual(qualifiedNameErrors("example.com/My_Name"), []);
  assert.deepEqual(qualifiedNameErrors("/x"), ["prefix part must be non-empty"]);
  // Go appends "'x', " per example and " or " between them: the double spaces are the server's.
  assert.match(
    qualifiedNameErrors("a/b/c")[0],
    /\(e\.g\. 'MyName', {2}or 'my\.name', {2}or '123-abc', regex/,
  );
  assert.deepEqual(labelValueErrors(""), []);
  assert.equal(labelValueErrors("-x").length, 1);
  assert.equal(byteLength("é"), 2);
});
