import assert from "node:assert/strict";
import {
  canonicalImage,
  imageMatches,
  ImageRefError,
  parseImageRef,
  repositoryName,
  repositorySpellings,
  spellingsRegex,
} from "../../src/falco/image_ref.ts";

const SHA = "sha256:" + "0123456789abcdef".repeat(4);

Deno.test("parseImageRef normalizes as Docker and containerd do", () => {
  const cases: [string, string, string][] = [
    // text, normalized repository, containerd's canonical form
    ["nginx", "docker.io/library/nginx", "docker.io/library/nginx:latest"],
    ["nginx:1.25", "docker.io/library/nginx", "docker.io/library/nginx:1.25"],
    ["library/nginx", "docker.io/library/nginx", "docker.io/library/nginx:latest"],
    ["docker.io/nginx", "docker.io/library/nginx", "docker.io/library/nginx:latest"],
    ["index.docker.io/library/nginx", "docker.io/library/nginx", "docker.io/library/nginx:latest"],
    [`nginx@${SHA}`, "docker.io/library/nginx", `docker.io/library/nginx@${SHA}`],
    // a tag beside a digest is dropped (ParseDockerRef)
    [`nginx:1.25@${SHA}`, "docker.io/library/nginx", `docker.io/library/nginx@${SHA}`],
    ["envoyproxy/envoy:v1.28", "docker.io/envoyproxy/envoy", "docker.io/envoyproxy/envoy:v1.28"],
    [
      "quay.io/jetstack/cert-manager-controller:v1.17.0",
      "quay.io/jetstack/cert-manager-controller",
      "quay.io/jetstack/cert-manager-controller:v1.17.0",
    ],
    [
      "registry.local:5000/team/app",
      "registry.local:5000/team/app",
      "registry.local:5000/team/app:latest",
    ],
    [
      "registry.local:5000/team/app:2",
      "registry.local:5000/team/app",
      "registry.local:5000/team/app:2",
    ],
    ["localhost/app", "localhost/app", "localhost/app:latest"],
    ["localhost:5000/app", "localhost:5000/app", "localhost:5000/app:latest"],
    // an upper-case first component is a registry
    ["Registry/app", "Registry/app", "Registry/app:latest"],
    // a one-component name is always on Docker Hub, even with a dot
    ["ka.verb", "docker.io/library/ka.verb", "docker.io/library/ka.verb:latest"],
  ];
  for (const [text, repo, canonical] of cases) {
    const ref = parseImageRef(text);
    assert.equal(repositoryName(ref), repo, text);
    assert.equal(canonicalImage(ref), canonical, text);
  }
});

Deno.test("parseImageRef refuses what is not a reference, saying why", () => {
  for (
    const [text, why] of [
      ["Nginx", /lowercase/],
      ["nginx:", /invalid tag/],
      ["nginx@sha256:xyz", /invalid digest/],
      ["team//app", /path component/],
      ["-nginx", /path component/],
      [":1.0", /no repository/],
      [`a/${"b".repeat(260)}`, /longer than 255/],
    ] as const
  ) {
    assert.throws(
      () => parseImageRef(text),
      (e: Error) => e instanceof ImageRefError && why.test(e.message),
      text,
    );
  }
});

Deno.test("repositorySpellings: every text that normalizes to the repository", () => {
  assert.deepEqual(repositorySpellings(parseImageRef("nginx")), [
    "nginx",
    "library/nginx",
    "docker.io/nginx",
    "docker.io/library/nginx",
    "index.docker.io/nginx",
    "index.docker.io/library/nginx",
  ]);
  assert.deepEqual(repositorySpellings(parseImageRef("docker.io/team/app")), [
    "team/app",
    "docker.io/team/app",
    "index.docker.io/team/app",
  ]);
  assert.deepEqual(repositorySpellings(parseImageRef("quay.io/x/y")), ["quay.io/x/y"]);
  // each spelling normalizes back to the repository, and nothing else does
  for (const item of ["nginx", "team/app", "registry.local:5000/team/app", "a.b/c"]) {
    const ref = parseImageRef(item);
    for (const s of repositorySpellings(ref)) {
      assert.equal(repositoryName(parseImageRef(s)), repositoryName(ref), `${s} of ${item}`);
    }
  }
});

Deno.test("spellingsRegex matches exactly the spellings (checked on a fixed sample)", () => {
  const sample = [
    "nginx",
    "library/nginx",
    "docker.io/nginx",
    "docker.io/library/nginx",
    "index.docker.io/nginx",
    "index.docker.io/library/nginx",
    "xnginx",
    "nginxx",
    "docker.io/library/library/nginx",
    "index.docker.io/library",
    "dockerxio/nginx",
    "index-docker.io/nginx",
    "team/app",
    "docker.io/team/app",
    "index.docker.io/team/app",
    "quay.io/team/app",
    "registry.local:5000/team/app",
    "registryxlocal:5000/team/app",
  ];
  for (const item of ["nginx", "team/app", "registry.local:5000/team/app"]) {
    const ref = parseImageRef(item);
    const re = new RegExp(`^(?:${spellingsRegex(ref)})$`);
    assert.ok(!spellingsRegex(ref).includes("\\"), "no backslash");
    for (const s of sample) {
      assert.equal(re.test(s), repositorySpellings(ref).includes(s), `${item} vs ${s}`);
    }
  }
});

Deno.test("imageMatches: repositories cover every tag and digest, exact items their canonical form", () => {
  const cases: [string, string, boolean][] = [
    ["nginx", "nginx:1.25", true],
    ["nginx", "docker.io/library/nginx", true],
    ["nginx", `index.docker.io/library/nginx@${SHA}`, true],
    ["nginx", "nginx-extra:1", false],
    ["nginx", "team/nginx", false],
    ["registry.local:5000/team/app", "registry.local:5000/team/app:2", true],
    ["registry.local:5000/team/app", "registry.local/team/app:2", false],
    ["nginx:1.25", "docker.io/library/nginx:1.25", true],
    ["nginx:1.25", "nginx:1.26", false],
    ["nginx:1.25", `nginx:1.25@${SHA}`, false], // containerd runs the digest
    ["nginx:latest", "nginx", true],
    ["nginx:latest", "docker.io/library/nginx", true],
    [`nginx@${SHA}`, `nginx:1.25@${SHA}`, true],
    [`nginx@${SHA}`, `index.docker.io/nginx@${SHA}`, true],
    [`nginx@${SHA}`, "nginx:1.25", false],
    ["nginx", "Nginx", false], // not a reference
  ];
  for (const [item, image, want] of cases) {
    assert.equal(imageMatches(parseImageRef(item), image), want, `${item} vs ${image}`);
  }
});
