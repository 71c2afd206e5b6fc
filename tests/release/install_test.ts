/**
 * `deno task install`: where it installs, and launchers that run the program
 * with the pinned deno and explicit permissions, even from awkward paths.
 */
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { installLaunchers, resolveBinDir } from "../../scripts/install.ts";
import { shQuote, unixLauncher, windowsLauncher } from "../../scripts/launchers.ts";
import denoJson from "../../deno.json" with { type: "json" };

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

Deno.test("target directory: --bin-dir, then --prefix/bin, then FALCO_PSP_BIN_DIR, then ~/.local/bin", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  const all = env({ FALCO_PSP_BIN_DIR: "/e", HOME: "/h" });
  assert.equal(resolveBinDir({ "bin-dir": "/b", prefix: "/p" }, all), "/b");
  assert.equal(resolveBinDir({ prefix: "/p" }, all), "/p/bin");
  assert.equal(resolveBinDir({}, all), "/e");
  assert.equal(resolveBinDir({}, env({ HOME: "/h" })), "/h/.local/bin");
  assert.throws(() => resolveBinDir({}, env({})), /--bin-dir/);
});

Deno.test("launcher: the given deno, explicit permissions (no -A), this checkout's main.ts", () => {
  const text = unixLauncher("/opt/deno", "/src/repo");
  assert.match(text, /^#!\/bin\/sh\n/);
  assert.match(text, /exec '\/opt\/deno' 'run' '--quiet' '--no-prompt' /);
  for (const p of ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-run"]) {
    assert.ok(text.includes(`'${p}'`), p);
  }
  assert.ok(!text.includes("'-A'") && !text.includes("--allow-all"));
  assert.match(text, /'--config=\/src\/repo\/deno\.json' '\/src\/repo\/main\.ts' "\$@"\n$/);
  assert.match(unixLauncher("/d", "/r", ["__complete"]), /'\/r\/main\.ts' '__complete' "\$@"/);
  assert.match(
    windowsLauncher("C:\\deno.exe", "C:\\r"),
    /"C:\\deno\.exe" "run" .* "C:\\r\\main\.ts" %\*\r\n$/,
  );
  assert.equal(shQuote("it's"), `'it'\\''s'`);
});

Deno.test("installed launchers run from a path with spaces and quotes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const binDir = join(dir, "my bin's dir");
    const [plugin, helper] = await installLaunchers({
      binDir,
      repoDir: REPO,
      denoPath: Deno.execPath(),
    });
    assert.equal(plugin, join(binDir, "kubectl-falco_psp"));
    assert.equal(helper, join(binDir, "kubectl_complete-falco_psp"));
    assert.equal((await Deno.stat(plugin)).mode! & 0o777, 0o755);
    const version = await new Deno.Command(plugin, { args: ["--version"], stdout: "piped" })
      .output();
    assert.ok(version.success);
    assert.equal(new TextDecoder().decode(version.stdout).trim(), denoJson.version);
    const complete = await new Deno.Command(helper, { args: ["completion", "f"], stdout: "piped" })
      .output();
    assert.equal(new TextDecoder().decode(complete.stdout), "fish\n:4\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
