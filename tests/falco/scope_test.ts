import assert from "node:assert/strict";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import {
  checkListSizes,
  GenerateError,
  isExactImage,
  MAX_LIST_ITEMS,
  namePrefix,
  outputName,
  parseScopeList,
  shown,
} from "../../src/falco/scope.ts";

Deno.test("namePrefix: falcoctl's prefix, and only Falco identifier characters", () => {
  assert.equal(namePrefix("no-privileged"), "no_privileged");
  assert.equal(namePrefix("no privileged"), "no_privileged");
  assert.equal(namePrefix("no_privileged"), "no_privileged");
  assert.equal(namePrefix(""), "psp");
  assert.equal(namePrefix("psp.example.com"), "psp_example_com", "a '.' cannot be in a macro name");
  assert.equal(namePrefix("1-restricted"), "psp_1_restricted", "macro names start with a letter");
});

Deno.test("scope annotations: YAML flow lists and comma lists, validated", () => {
  const images = (t: string) => parseScopeList("p", "falco-rules-psp-images", t, "image");
  assert.deepEqual(images("[nginx]"), ["nginx"]);
  assert.deepEqual(images('[nginx, docker.io/library/redis, "quay.io/x/y"]'), [
    "nginx",
    "docker.io/library/redis",
    "quay.io/x/y",
  ]);
  assert.deepEqual(images(" nginx , redis,,nginx"), ["nginx", "redis"]);
  for (const bad of ["[nginx", "[]", "", "[nginx, {a: b}]", "nginx or x", '["a\\"b"]']) {
    assert.throws(() => images(bad), GenerateError, bad);
  }
  // flow list items are read as written, not as YAML numbers, booleans or nulls
  assert.deepEqual(images("[1.0, 010, 0x1f, 1e3, true, null]"), [
    "1.0",
    "010",
    "0x1f",
    "1e3",
    "true",
    "null",
  ]);
  for (const bad of ["[.inf]", "[!!binary aGVsbG8=]", "[nginx, [redis]]"]) {
    assert.throws(() => images(bad), GenerateError, bad);
  }
  const ns = (t: string) => parseScopeList("p", "falco-rules-psp-namespaces", t, "namespace");
  assert.deepEqual(ns("[default, kube-system]"), ["default", "kube-system"]);
  assert.throws(() => ns("[Default]"), GenerateError);
});

Deno.test("image items: exact images (tag or digest) and repositories, registry ports", () => {
  for (const exact of ["nginx:1.19", "a/b:c@d", "nginx@sha256:00", "registry:5000/app:1"]) {
    assert.ok(isExactImage(exact), exact);
  }
  for (const repo of ["nginx", "docker.io/library/nginx", "registry:5000/app"]) {
    assert.ok(!isExactImage(repo), repo);
  }
});

Deno.test("image items must be image references (Docker's grammar), saying why not", () => {
  const images = (t: string) => parseScopeList("p", "falco-rules-psp-images", t, "image");
  assert.deepEqual(images("[registry.local:5000/team/app, nginx:1.25]"), [
    "registry.local:5000/team/app",
    "nginx:1.25",
  ]);
  for (
    const [bad, why] of [["Nginx", /lowercase/], ["nginx@sha256:zz", /invalid digest/]] as const
  ) {
    assert.throws(
      () => images(bad),
      (e: Error) =>
        e instanceof GenerateError && /not a valid image/.test(e.message) && why.test(e.message),
      bad,
    );
  }
});

Deno.test("checkListSizes: a list longer than MAX_LIST_ITEMS is refused, naming it", () => {
  const psp = (spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
    ({
      apiVersion: "policy/v1beta1",
      kind: "PodSecurityPolicy",
      metadata: { name: "big", annotations },
      spec,
    }) as unknown as PodSecurityPolicy;
  const ranges = (n: number) => Array.from({ length: n }, (_, i) => ({ min: i, max: i }));
  checkListSizes(psp({ runAsUser: { rule: "MustRunAs", ranges: ranges(MAX_LIST_ITEMS) } }));
  assert.throws(
    () =>
      checkListSizes(psp({ runAsUser: { rule: "MustRunAs", ranges: ranges(MAX_LIST_ITEMS + 1) } })),
    (e: Error) =>
      e instanceof GenerateError && /spec\.runAsUser\.ranges: 10001 items/.test(e.message),
  );
  const images = Array.from({ length: MAX_LIST_ITEMS + 1 }, (_, i) => `i${i}`).join(",");
  assert.throws(
    () => checkListSizes(psp({}, { "falco-rules-psp-images": images })),
    /metadata\.annotations\[falco-rules-psp-images\]: 10001 items/,
  );
});

Deno.test("names and text shown in outputs", () => {
  assert.equal(outputName("no_privileged"), "no_privileged");
  assert.throws(() => outputName("a%b"), GenerateError);
  assert.throws(() => outputName("a\nb"), GenerateError);
  assert.equal(shown("/var/%x\n(é)"), "/var/?x?(?)");
});
