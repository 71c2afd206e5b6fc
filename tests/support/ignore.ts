/**
 * Ignored tests say why. A test that cannot run here (no shell, no kube-apiserver, third-party
 * material absent) is declared with `ignore: ignoreIf(import.meta.url, reason)`: when there is
 * a reason it prints one line `IGNORED ./tests/<file>: <reason>` (once per file and reason),
 * which `.ci/run` collects beside the counts of ignored tests per file.
 */
const ROOT = new URL("../../", import.meta.url).href;
const printed = new Set<string>();

/** The `./tests/...` form Deno's test reporter gives a test module's path. */
export function testFile(moduleUrl: string): string {
  return moduleUrl.startsWith(ROOT) ? `./${moduleUrl.slice(ROOT.length)}` : moduleUrl;
}

/**
 * `ignore` value for Deno.test: true when `reason` is given, after printing it for the test
 * module `moduleUrl` (pass `import.meta.url`).
 */
export function ignoreIf(moduleUrl: string, reason: string | undefined): boolean {
  if (reason === undefined) return false;
  const line = `IGNORED ${testFile(moduleUrl)}: ${reason}`;
  if (!printed.has(line)) {
    printed.add(line);
    console.warn(line);
  }
  return true;
}
