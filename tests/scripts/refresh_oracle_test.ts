/**
 * scripts/refresh-oracle.ts: fixtures/oracle holds exactly the project-made recorded answers,
 * equal to the shared directory's copies where it exists, and the script's check mode tells a
 * differing or broken source apart.
 */
import assert from "node:assert/strict";
import { differing, FIXTURES_DIR, ORACLE_FILES } from "../../scripts/refresh-oracle.ts";
import { runDeno } from "../support/cli.ts";
import { sharedOrIgnore } from "../support/shared.ts";

const SCRIPT = new URL("../../scripts/refresh-oracle.ts", import.meta.url).pathname;
const SHARED_ORACLE = sharedOrIgnore("oracle/corpus.json", import.meta.url);

/** A shared directory whose oracle/ holds copies of the fixtures. */
async function fakeShared(): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const name of ORACLE_FILES) {
    const dest = `${dir}/oracle/${name}`;
    await Deno.mkdir(dest.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.copyFile(new URL(name, FIXTURES_DIR), dest);
  }
  return dir;
}

const check = (shared: string) =>
  runDeno(["run", "--allow-read", "--allow-write", "--allow-env", SCRIPT, "--check"], {
    env: { FALCO_PSP_SHARED: shared },
  });

Deno.test("fixtures/oracle holds the listed files and no third-party material", async () => {
  const present: string[] = [];
  for (const sub of ["", "falco/"]) {
    for await (const e of Deno.readDir(new URL(sub, FIXTURES_DIR))) {
      if (e.isFile && e.name !== "README.md") present.push(sub + e.name);
    }
  }
  assert.deepEqual(present.sort(), [...ORACLE_FILES].sort());
  assert.ok(ORACLE_FILES.every((f) => !/realworld|pss/.test(f)));
});

Deno.test({
  name: "fixtures/oracle equals the shared directory's recorded answers",
  ignore: SHARED_ORACLE.ignore,
}, async () => {
  assert.deepEqual(await differing(), [], "run `deno task refresh-oracle`");
});

Deno.test("refresh-oracle --check: equal, differing and broken sources", async () => {
  const shared = await fakeShared();
  try {
    const equal = await check(shared);
    assert.equal(equal.code, 0, equal.stderr);
    assert.match(equal.stdout, new RegExp(`^0 of ${ORACLE_FILES.length} files differ`, "m"));

    await Deno.writeTextFile(`${shared}/oracle/falco/public-load.json`, "[]\n");
    const changed = await check(shared);
    assert.equal(changed.code, 1);
    assert.match(changed.stdout, /^differs: fixtures\/oracle\/falco\/public-load\.json$/m);
    assert.match(changed.stdout, /^1 of \d+ files differ/m);

    await Deno.writeTextFile(`${shared}/oracle/verdicts.json`, "{ not json");
    const broken = await check(shared);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /refresh-oracle: verdicts\.json: not valid json/);

    await Deno.remove(`${shared}/oracle/corpus.json`);
    const missing = await check(shared);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*\/oracle\/corpus\.json/);
  } finally {
    await Deno.remove(shared, { recursive: true });
  }
});
