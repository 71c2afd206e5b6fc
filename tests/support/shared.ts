/**
 * Where tests find recorded material.
 *
 * - Made for this project (committed): `fixtures/oracle/` holds what a real kube-apiserver
 *   v1.20.2 answered on the project's corpus (corpus.json, verdicts.json, audit-events.jsonl)
 *   and `fixtures/oracle/falco/` what a real Falco answered about rules generated from it
 *   (public-*). scripts/refresh-oracle.sh copies them from the shared directory.
 * - From other public repositories (never committed): the real-world corpus
 *   (`oracle/realworld/`, `oracle/falco/realworld-*`), the Pod Security Standards fixtures
 *   (`pss/`) and the Falco 0.27 docs page (`seed/`). Tests read them from the shared directory,
 *   `$FALCO_PSP_SHARED`, else `../shared` beside the repository. A test that needs one declares
 *   `ignore: sharedOrIgnore(path, import.meta.url).ignore`, so where the material is absent the
 *   test is reported as ignored with the reason printed (tests/support/ignore.ts), never failed
 *   and never passed silently.
 */
import { ignoreIf } from "./ignore.ts";

const REPO = new URL("../../", import.meta.url);

function resolveShared(): URL {
  const fromEnv = Deno.env.get("FALCO_PSP_SHARED");
  if (fromEnv) return new URL(`file://${fromEnv.replace(/\/?$/, "/")}`);
  return new URL("../shared/", REPO);
}

/** The shared directory of third-party material (a `file:` URL ending in `/`; may not exist). */
export const SHARED_DIR: URL = resolveShared();
/** `fixtures/oracle/`: the kube-apiserver's recorded answers on the project's corpus. */
export const ORACLE_DIR: URL = new URL("fixtures/oracle/", REPO);
/** `fixtures/oracle/falco/`: a real Falco's recorded answers on rules generated from it. */
export const FALCO_ORACLE_DIR: URL = new URL("fixtures/oracle/falco/", REPO);

/** Third-party material in the shared directory, and whether tests that need it are ignored. */
export interface SharedMaterial {
  /** The file or directory (`file:` URL). */
  url: URL;
  /** Its path on disk. */
  path: string;
  /** true when it is absent: pass as Deno.test's `ignore`. */
  ignore: boolean;
  /** Why the tests are ignored, when they are. */
  reason?: string;
}

function present(url: URL): boolean {
  try {
    Deno.statSync(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * `path` (relative to the shared directory, e.g. "pss/fixtures.json.gz") for tests of the
 * module `moduleUrl` (pass `import.meta.url`). When it is absent, the reason is printed once
 * and `ignore` is true.
 */
export function sharedOrIgnore(path: string, moduleUrl: string): SharedMaterial {
  const url = new URL(path, SHARED_DIR);
  const reason = present(url) ? undefined : `${url.pathname} not found: it is read from the ` +
    "shared directory ($FALCO_PSP_SHARED, else ../shared beside the repository), which a clone " +
    "on its own does not have";
  return { url, path: url.pathname, ignore: ignoreIf(moduleUrl, reason), reason };
}
