/**
 * Where the workplace's shared facts live (the oracle recorded from a real
 * kube-apiserver v1.20.2, the Falco 0.27 docs seed): `$FALCO_PSP_SHARED`, else
 * `../shared` beside the repository, else `/work/shared`. Tests that need them
 * fail with the missing path in the message when none exists; they never skip.
 */
const REPO = new URL("../../", import.meta.url);

function exists(url: URL): boolean {
  try {
    return Deno.statSync(url).isDirectory;
  } catch {
    return false;
  }
}

function resolveShared(): URL {
  const fromEnv = Deno.env.get("FALCO_PSP_SHARED");
  if (fromEnv) return new URL(`file://${fromEnv.replace(/\/?$/, "/")}`);
  const candidates = [new URL("../shared/", REPO), new URL("file:///work/shared/")];
  return candidates.find(exists) ?? candidates[0];
}

/** The shared directory (a `file:` URL ending in `/`). */
export const SHARED_DIR: URL = resolveShared();
/** `shared/oracle/`. */
export const ORACLE_DIR: URL = new URL("oracle/", SHARED_DIR);
/** `shared/seed/`. */
export const SEED_DIR: URL = new URL("seed/", SHARED_DIR);
