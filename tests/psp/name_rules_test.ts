/** The name rules (src/psp/name_rules.ts), as the API server applies them on create. */
import assert from "node:assert/strict";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { validateObjectMeta } from "../../src/psp/name_rules.ts";
import { DNS_MSG, psp, texts } from "./helpers.ts";

Deno.test("name: must be a DNS subdomain; required; length; generateName", () => {
  assert.deepEqual(texts(psp({}, { name: "Bad_Name" })), [
    `metadata.name: Invalid value: "Bad_Name": ${DNS_MSG}`,
  ]);
  const long = "a".repeat(254);
  assert.deepEqual(texts(psp({}, { name: long })), [
    `metadata.name: Invalid value: "${long}": must be no more than 253 characters`,
  ]);
  assert.deepEqual(texts(psp({}, {})), [
    "metadata.name: Required value: name or generateName is required",
  ]);
  // generateName: one trailing dash is allowed (the server appends a suffix)
  assert.deepEqual(texts(psp({}, { generateName: "psp-" })), []);
  assert.deepEqual(texts(psp({}, { generateName: "PSP-" })), [
    `metadata.generateName: Invalid value: "PSP-": ${DNS_MSG}`,
    `metadata.name: Invalid value: "PSP-xxxxx": ${DNS_MSG}`,
  ]);
  assert.deepEqual(texts(psp({}, { name: "a.b-c" })), []);
});

Deno.test("metadata: label and annotation keys, label values, annotation size, generation", () => {
  const labelErrs = texts(psp({}, { name: "p", labels: { "bad key": "ok", good: "bad value" } }));
  assert.equal(labelErrs.length, 2);
  assert.match(labelErrs[0], /^metadata\.labels: Invalid value: "bad key": name part must consist/);
  // Go's RegexError puts "', " after each example and " or " between them: double spaces.
  assert.ok(
    labelErrs[0].includes(
      "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ),
  );
  assert.match(labelErrs[1], /^metadata\.labels: Invalid value: "bad value": a valid label must/);
  assert.deepEqual(
    texts(psp({}, { name: "p", annotations: { "/x": "" } })),
    ['metadata.annotations: Invalid value: "/x": prefix part must be non-empty'],
  );
  // annotation keys are lower-cased before the check
  assert.deepEqual(texts(psp({}, { name: "p", annotations: { "Example.COM/Key": "" } })), []);
  assert.deepEqual(
    texts(psp({}, { name: "p", annotations: { big: "x".repeat(256 * 1024) } })),
    ["metadata.annotations: Too long: must have at most 262144 bytes"],
  );
  assert.deepEqual(
    texts({ ...psp(), metadata: { name: "p", generation: -1 } as PodSecurityPolicy["metadata"] }),
    ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"],
  );
});

Deno.test("generateName: masked prefix, then the generated name is validated too", () => {
  // maskTrailingDash replaces the last two characters: "a-" -> "a"; the generated name is
  // generateName (58 characters at most) plus 5 random ones, shown here as "xxxxx"
  assert.deepEqual(texts(psp({}, { generateName: "a-" })), []);
  assert.deepEqual(texts(psp({}, { generateName: "-" })), [
    `metadata.generateName: Invalid value: "-": ${DNS_MSG}`,
    `metadata.name: Invalid value: "-xxxxx": ${DNS_MSG}`,
  ]);
  // "x_-" masks to "xa", a valid prefix, but the generated "x_-xxxxx" is not a valid name
  assert.deepEqual(texts(psp({}, { generateName: "x_-" })), [
    `metadata.name: Invalid value: "x_-xxxxx": ${DNS_MSG}`,
  ]);
  assert.deepEqual(texts(psp({}, { generateName: "a".repeat(300) })).length, 1);
});

Deno.test("metadata: ownerReferences and finalizers", () => {
  assert.deepEqual(
    texts(psp({}, {
      name: "p",
      ownerReferences: [{ apiVersion: "a/b/c", kind: "", name: "n", uid: "u" }],
    })),
    [
      'metadata.ownerReferences.apiVersion: Invalid value: "a/b/c": version must not be empty',
      'metadata.ownerReferences.kind: Invalid value: "": kind must not be empty',
    ],
  );
  const fin = (finalizers: string[]) =>
    texts({ ...psp(), metadata: { name: "p", finalizers } as PodSecurityPolicy["metadata"] });
  assert.deepEqual(fin(["kubernetes", "example.com/x"]), []);
  assert.deepEqual(fin(["custom"]), [
    'metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
  ]);
  assert.deepEqual(fin(["orphan", "foregroundDeletion"]), [
    'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
  ]);
});

Deno.test("validateObjectMeta: the metadata errors alone, the same as the whole validation's", () => {
  const meta = { name: "Bad_Name", labels: { "a/b/c": "x" }, finalizers: ["custom"] };
  const own = validateObjectMeta(meta).map((e) => e.text);
  assert.equal(own.length, 3);
  assert.deepEqual(own, texts(psp({}, meta as PodSecurityPolicy["metadata"])));
  assert.deepEqual(validateObjectMeta({ name: "fine.example" }), []);
});
