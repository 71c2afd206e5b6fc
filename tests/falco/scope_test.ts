import assert from "node:assert/strict";
import {
  GenerateError,
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
  const ns = (t: string) => parseScopeList("p", "falco-rules-psp-namespaces", t, "namespace");
  assert.deepEqual(ns("[default, kube-system]"), ["default", "kube-system"]);
  assert.throws(() => ns("[Default]"), GenerateError);
});

Deno.test("names and text shown in outputs", () => {
  assert.equal(outputName("no_privileged"), "no_privileged");
  assert.throws(() => outputName("a%b"), GenerateError);
  assert.throws(() => outputName("a\nb"), GenerateError);
  assert.equal(shown("/var/%x\n(é)"), "/var/?x?(?)");
});
