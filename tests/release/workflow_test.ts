/**
 * The GitHub Actions workflows: the release one runs the tests on a `v*` tag,
 * then compiles, packages and publishes what `deno task compile` writes.
 */
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Step {
  name?: string;
  run?: string;
  uses?: string;
}
interface Job {
  needs?: string | string[];
  steps: Step[];
  permissions?: Record<string, string>;
}

async function workflow(name: string) {
  return parse(await Deno.readTextFile(join(REPO, ".github", "workflows", name)));
}

const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");

Deno.test("release workflow: on v* tags, tests first, then compile, check and publish", async () => {
  const wf = await workflow("release.yml");
  assert.deepEqual(wf.on, { push: { tags: ["v*"] } });
  const jobs = wf.jobs as Record<string, Job>;
  assert.match(runs(jobs.test), /bash \.ci\/run/);
  const release = jobs.release;
  assert.deepEqual([release.needs].flat(), ["test"]);
  assert.equal(release.permissions?.contents, "write");
  const script = runs(release);
  assert.match(script, /task compile/);
  assert.match(script, /GITHUB_REF_NAME" != "v\$version"/, "tag must match deno.json's version");
  assert.match(script, /sha256sum -c SHA256SUMS/);
  const publish = script.slice(script.indexOf("gh release create"));
  for (const file of ["*.tar.gz", "*.zip", "SHA256SUMS", "falco-psp.yaml"]) {
    assert.ok(publish.includes(`dist/release/${file}`), file);
  }
  assert.match(
    await Deno.readTextFile(join(REPO, "deno.json")),
    /"compile": "deno run .*scripts\/compile\.ts"/,
  );
});

Deno.test("ci workflow: runs .ci/run on pushes and pull requests", async () => {
  const wf = await workflow("ci.yml");
  assert.ok("push" in wf.on && "pull_request" in wf.on);
  assert.match(runs(wf.jobs.test), /bash \.ci\/run/);
  // it can download the Deno runtime, so the real compile test runs there, not ignored
  assert.equal(wf.jobs.test.env.FALCO_PSP_COMPILE_ONLINE, "1");
  // a clone on its own: nothing reads the workplace's shared directory
  assert.doesNotMatch(JSON.stringify(wf), /shared|FALCO_PSP_SHARED/);
});
