/**
 * Image scope by reference (issue 13.5), in both rule sources of the current target: a PSP
 * whose `falco-rules-psp-images` lists repositories and exact images (Docker Hub names, a
 * registry with a port, a tag, `latest`, a digest) is converted; for every image of a fixed
 * sample of spellings,
 * - k8s_audit: the Violation (privileged) rule fires on a privileged pod's audit event
 *   (container, init container, second container) exactly when
 *   image_ref.ts says the image is covered;
 * - syscall: the System Activity (privileged) rule's condition, evaluated on the container
 *   fields the container plugin reports (image as the runtime names it: containerd's
 *   canonical form, or as written for Docker), matches exactly the same images.
 */
import assert from "node:assert/strict";
import { canonicalImage, imageMatches, parseImageRef } from "../../src/falco/image_ref.ts";
import { MAX_VALUE_BYTES } from "../../src/falco/condition.ts";
import type { CheckExpr, Expr } from "../support/falco/ast.ts";
import { basePsp, convertObject, fired, loadClean, podCreateEvent } from "../hostile/meaning.ts";
import { GenerateError } from "../../src/falco/scope.ts";

const SHA = "sha256:" + "0123456789abcdef".repeat(4);
const OTHER_SHA = "sha256:" + "fedcba9876543210".repeat(4);
const ITEMS = [
  "nginx",
  "registry.local:5000/team/app",
  "quay.io/org/tool:1.0",
  "busybox:latest",
  `redis@${SHA}`,
  "team/web",
];

/** Spellings of covered and uncovered images (tags, digests, registries, look-alikes). */
const SAMPLE = [
  "nginx",
  "nginx:1.25",
  "library/nginx:1.25",
  "docker.io/nginx",
  "docker.io/library/nginx:1.25",
  "index.docker.io/library/nginx",
  `index.docker.io/library/nginx@${SHA}`,
  `nginx:1.25@${SHA}`,
  "nginx-extra",
  "mirror.io/library/nginx",
  "team/nginx",
  "registry.local:5000/team/app",
  "registry.local:5000/team/app:2",
  `registry.local:5000/team/app@${SHA}`,
  `registry.local:5000/team/app:2@${SHA}`,
  "registry.local:5000/team/app2",
  "registry.local:5000/team/app/sub",
  "registry.local/team/app",
  "registry.local:5001/team/app",
  "quay.io/org/tool:1.0",
  "quay.io/org/tool:1.01",
  "quay.io/org/tool",
  `quay.io/org/tool:1.0@${SHA}`,
  "busybox",
  "busybox:latest",
  "docker.io/library/busybox",
  "busybox:1.36",
  `busybox@${SHA}`,
  `redis@${SHA}`,
  `redis:7@${SHA}`,
  `docker.io/library/redis@${SHA}`,
  `redis@${OTHER_SHA}`,
  "redis:7",
  "team/web:3",
  "docker.io/team/web",
  "index.docker.io/team/web:3",
  "team/web2",
  "other/web",
];

const covered = (image: string) => ITEMS.some((i) => imageMatches(parseImageRef(i), image));

function convert(items: readonly string[]) {
  const conv = convertObject(
    basePsp("scoped", { "falco-rules-psp-images": JSON.stringify(items) }),
    "current",
  );
  if (!conv.ok) throw conv.error;
  return conv;
}

Deno.test("k8s_audit: a pod is in scope when a container's image is a listed one, however spelled", () => {
  const rules = loadClean(convert(ITEMS).yaml, "current", "scoped");
  const violation = "PSP scoped Violation (privileged) K8s Audit";
  let inScope = 0;
  for (const image of SAMPLE) {
    const want = covered(image);
    if (want) inScope++;
    const privileged = { securityContext: { privileged: true } };
    const shapes: Record<string, unknown>[] = [
      { containers: [{ name: "c", image, ...privileged }] },
      {
        containers: [{ name: "c", image: "other/img:1", ...privileged }],
        initContainers: [{ name: "i", image }],
      },
      {
        containers: [
          // the listed text inside another container's strings is not an image
          {
            name: "a",
            image: "other/img:1",
            env: [{ name: "X", value: `,"image":"${image}"` }],
            args: [`{"image":"${image}"}`],
          },
          { name: "b", image, ...privileged },
        ],
      },
    ];
    for (const spec of shapes) {
      const f = fired(rules, podCreateEvent("default", spec)).includes(violation);
      assert.equal(f, want, `${image} in ${JSON.stringify(spec)}`);
    }
    // an image named only inside strings does not put the pod in scope
    const decoy = podCreateEvent("default", {
      containers: [{
        name: "c",
        image: "other/img:1",
        args: [`,"image":"${image}"`],
        ...privileged,
      }],
    });
    assert.equal(fired(rules, decoy).includes(violation), covered("other/img:1"), image);
  }
  console.log(
    `image scope (k8s_audit): ${inScope}/${SAMPLE.length} sample images in scope, 3 pod shapes each`,
  );
  assert.ok(inScope > 10 && inScope < SAMPLE.length - 10, "the sample has both kinds");
});

/** The container plugin's split of an image name: repository, tag, digest. */
function containerFields(image: string): Record<string, string> {
  let rest = image;
  let digest = "";
  const at = rest.indexOf("@");
  if (at >= 0) [rest, digest] = [rest.slice(0, at), rest.slice(at + 1)];
  let tag = "";
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) [rest, tag] = [rest.slice(0, colon), rest.slice(colon + 1)];
  return {
    "evt.type": "container",
    "container.id": "0123456789ab",
    "container.privileged": "true",
    "container.image": image,
    "container.image.repository": rest,
    "container.image.tag": tag,
    "container.image.digest": digest,
  };
}

/** Evaluates a syscall condition over the container fields (string operators only). */
function evalContainer(e: Expr, fields: Record<string, string>): boolean {
  switch (e.kind) {
    case "and":
      return e.children.every((c) => evalContainer(c, fields));
    case "or":
      return e.children.some((c) => evalContainer(c, fields));
    case "not":
      return !evalContainer(e.child, fields);
    case "macro":
      throw new Error(`unexpanded macro ${e.name}`);
    case "check":
      return check(e, fields);
  }
}

function check(c: CheckExpr, fields: Record<string, string>): boolean {
  const v = fields[c.field];
  assert.ok(v !== undefined, `field ${c.field} is not simulated`);
  const rhs = c.value?.kind === "value"
    ? [c.value.item.value]
    : c.value?.kind === "list"
    ? c.value.items.map((i) => i.value)
    : [];
  switch (c.op) {
    case "=":
    case "==":
      return v === rhs[0];
    case "!=":
      return v !== rhs[0];
    case "in":
      return rhs.includes(v);
    case "contains":
      return v.includes(rhs[0]);
    case "endswith":
      return v.endsWith(rhs[0]);
    case "startswith":
      return v.startsWith(rhs[0]);
  }
  throw new Error(`operator ${c.op} is not simulated`);
}

Deno.test("syscall: the runtime's image name matches the same items (containerd canonical, Docker as written)", () => {
  const rules = loadClean(convert(ITEMS).yaml, "current", "scoped");
  const rule = rules.rules.find((r) =>
    r.name === "PSP scoped Violation (privileged) System Activity"
  );
  assert.ok(rule, "the privileged System Activity rule");
  let matched = 0;
  for (const image of SAMPLE) {
    const want = covered(image);
    const canonical = canonicalImage(parseImageRef(image));
    assert.equal(
      evalContainer(rule.expr, containerFields(canonical)),
      want,
      `containerd: ${canonical}`,
    );
    assert.equal(evalContainer(rule.expr, containerFields(image)), want, `docker: ${image}`);
    if (want) matched++;
  }
  // a host process is never in scope
  const host = { ...containerFields("nginx"), "container.id": "host" };
  assert.equal(evalContainer(rule.expr, host), false);
  console.log(
    `image scope (syscall): ${matched}/${SAMPLE.length} sample images match, as containerd and as Docker name them`,
  );
});

Deno.test("image scope values stay within Falco's 255-byte limit; longer ones are refused, naming the item", () => {
  const long = `registry.example.com:5000/${"a".repeat(200)}/app`;
  const ok = convert([`quay.io/${"b".repeat(200)}`, `${"c".repeat(200)}:1`]);
  for (const line of ok.yaml.split("\n")) {
    for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)) {
      const v = m[1] ?? m[2];
      assert.ok(
        new TextEncoder().encode(v).length <= MAX_VALUE_BYTES || !line.includes("condition"),
        v,
      );
    }
  }
  assert.throws(
    () => convert([long]),
    (e: Error) =>
      e instanceof GenerateError && /falco-rules-psp-images/.test(e.message) &&
      /255 bytes/.test(e.message),
  );
});
