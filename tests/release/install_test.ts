/**
 * `deno task install`: where it installs, launchers that find a deno and run the installed
 * bundle even from awkward paths, and an installed plugin that outlives its checkout and the
 * deno that installed it.
 */
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { installLaunchers, resolveBinDir, resolveShareDir } from "../../scripts/install.ts";
import { PINNED_DENO, shQuote, unixLauncher, windowsLauncher } from "../../scripts/launchers.ts";
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

Deno.test("share directory: --share-dir, then <prefix>/share/falco-psp, then beside the bin dir", () => {
  assert.equal(resolveShareDir({ "share-dir": "/s", prefix: "/p" }, "/b/bin"), "/s");
  assert.equal(resolveShareDir({ prefix: "/p" }, "/p/bin"), "/p/share/falco-psp");
  assert.equal(resolveShareDir({}, "/h/.local/bin"), "/h/.local/share/falco-psp");
});

Deno.test("launcher: finds a deno (env, the installing one, PATH, caches, npx), all permissions", () => {
  const text = unixLauncher({ program: "/share/main.js", denoPath: "/opt/deno" });
  assert.match(text, /^#!\/bin\/sh\n/);
  assert.match(text, /for d in "\$\{FALCO_PSP_DENO:-\}" "\$\{DENO:-\}" '\/opt\/deno'; do/);
  assert.match(text, /exec "\$deno" 'run' '--quiet' '--no-prompt' '--allow-all' /);
  assert.match(text, /'--no-config' '\/share\/main\.js' "\$@"; fi\n/);
  assert.match(text, new RegExp(`exec npx -y deno@${PINNED_DENO} 'run' `));
  const checkout = unixLauncher({
    program: "/r/main.ts",
    config: "/r/deno.json",
    denoPath: "/d",
    extraArgs: ["__complete"],
  });
  assert.match(checkout, /'--config=\/r\/deno\.json' '\/r\/main\.ts' '__complete' "\$@"/);
  assert.match(
    windowsLauncher({ program: "C:\\s\\main.js", denoPath: "C:\\deno.exe" }),
    /"%deno%" "run" .* "--no-config" "C:\\s\\main\.js" %\*/,
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

async function run(
  cmd: string,
  args: string[],
  opts: { env: Record<string, string>; cwd?: string; stdin?: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: true,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The files of the checkout the program and the installer need (a copy that can be deleted). */
async function copyCheckout(to: string): Promise<void> {
  const files = await new Deno.Command("git", {
    args: ["ls-files", "-z"],
    cwd: REPO,
    stdout: "piped",
  })
    .output();
  for (const f of new TextDecoder().decode(files.stdout).split("\0")) {
    if (!/^(?:main\.ts|deno\.json|deno\.lock|src\/.*|scripts\/.*)$/.test(f)) continue;
    await Deno.mkdir(dirname(join(to, f)), { recursive: true });
    await Deno.copyFile(join(REPO, f), join(to, f));
  }
}

Deno.test("installed plugin outlives its checkout and its deno; /dev and /proc paths work through kubectl", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const checkout = join(dir, "checkout");
    const npxCache = join(dir, "npx-cache");
    const prefix = join(dir, "prefix");
    await copyCheckout(checkout);
    await Deno.mkdir(npxCache);
    // the deno that installs: a copy standing for npx's cached one, deleted afterwards
    const deno = join(npxCache, "deno");
    await Deno.copyFile(Deno.execPath(), deno);
    await Deno.chmod(deno, 0o755);
    const base = {
      HOME: dir,
      NO_COLOR: "1",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".cache", "deno"),
    };
    const installed = await run(deno, ["task", "install", "--prefix", prefix], {
      cwd: checkout,
      env: { ...base, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    });
    assert.equal(installed.code, 0, installed.stderr + installed.stdout);
    assert.match(installed.stdout, new RegExp(`installed ${prefix}/share/falco-psp/main.js\\n`));
    await Deno.remove(checkout, { recursive: true });
    await Deno.remove(npxCache, { recursive: true });

    // kubectl (on PATH) runs the plugin; deno is found from DENO, with an empty Deno cache
    const env = {
      ...base,
      DENO_DIR: join(dir, "empty-deno-dir"),
      PATH: `${prefix}/bin:${Deno.env.get("PATH")}`,
      DENO: Deno.execPath(),
      KUBECONFIG: "/nonexistent",
    };
    const version = await run("kubectl", ["falco-psp", "--version"], { env });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), denoJson.version);

    const psp = await Deno.readTextFile(join(REPO, "fixtures", "plugin", "psp.yaml"));
    const pods = join(REPO, "fixtures", "plugin", "pods.yaml");
    // /dev/stdin in, /dev/stdout out
    const converted = await run(
      "kubectl",
      ["falco-psp", "convert", "/dev/stdin", "--rules-path", "/dev/stdout"],
      { env, stdin: psp },
    );
    assert.equal(converted.code, 0, converted.stderr);
    assert.match(converted.stdout, /^# Falco rules generated by kubectl falco-psp/m);
    // /proc/self/fd/0 in, /dev/stderr and /dev/null out
    const toStderr = await run(
      "kubectl",
      ["falco-psp", "convert", "/proc/self/fd/0", "--rules-path", "/dev/stderr"],
      { env, stdin: psp },
    );
    assert.equal(toStderr.code, 0, toStderr.stderr);
    assert.equal(toStderr.stdout, "");
    assert.equal(toStderr.stderr, converted.stdout);
    const toNull = await run(
      "kubectl",
      ["falco-psp", "convert", "-", "--rules-path", "/dev/null"],
      {
        env,
        stdin: psp,
      },
    );
    assert.equal(toNull.code, 0, toNull.stderr);
    assert.ok((await Deno.stat("/dev/null")).isCharDevice);
    // /dev/fd/N: the shell's process substitution
    const audited = await run(
      "sh",
      [
        "-c",
        `kubectl falco-psp audit-pods --psp-file /dev/fd/3 -f /dev/stdin -o json 3<"$1" <"$2"`,
        "sh",
        join(REPO, "fixtures", "plugin", "psp.yaml"),
        pods,
      ],
      { env },
    );
    assert.ok(audited.code === 0 || audited.code === 1, audited.stderr);
    assert.ok(JSON.parse(audited.stdout).items.length > 0);
    for (const r of [version, converted, toStderr, toNull, audited]) {
      assert.doesNotMatch(r.stderr, /--allow-all|run again/);
    }

    // no deno anywhere: the launcher says how to get one
    const nowhere = join(dir, "empty-path");
    await Deno.mkdir(nowhere);
    const none = await run(join(prefix, "bin", "kubectl-falco_psp"), ["--version"], {
      env: { HOME: dir, PATH: nowhere },
    });
    assert.equal(none.code, 127);
    assert.match(none.stderr, /cannot find deno/);
    assert.match(none.stderr, new RegExp(`npm install -g deno@${PINNED_DENO}`));
    assert.match(none.stderr, /FALCO_PSP_DENO=/);

    // the program removed: the launcher says how to put it back
    await Deno.remove(join(prefix, "share"), { recursive: true });
    const gone = await run("kubectl", ["falco-psp", "--version"], { env });
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /main\.js is missing; reinstall the plugin .*task install/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
