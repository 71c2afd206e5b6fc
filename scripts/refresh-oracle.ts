/**
 * Copies the recorded answers made for this project (fixtures/oracle/README.md,
 * fixtures/oracle/falco/README.md) from the shared directory where they were recorded
 * (`$FALCO_PSP_SHARED`, else `../shared` beside the checkout) into fixtures/oracle/.
 * Only the files listed in ORACLE_FILES: material from other public repositories
 * (`oracle/realworld/`, `oracle/falco/realworld-*`, `pss/`) is never copied.
 *
 *   deno task refresh-oracle            copy the files that differ, say which
 *   deno task refresh-oracle --check    only compare; exit 1 when a file differs
 *
 * Every source is read and checked (JSON parses, gzip inflates) before anything is written,
 * and each file is replaced by a rename, so a failed refresh changes nothing.
 */
import { gunzipSync } from "fflate";

/** The project-made files, relative to `<shared>/oracle/` and to `fixtures/oracle/`. */
export const ORACLE_FILES: readonly string[] = [
  "corpus.json",
  "verdicts.json",
  "audit-events.jsonl",
  "falco/public-load.json",
  "falco/public-replay.json",
  "falco/public-rules.yaml.gz",
];

const ROOT = new URL("../", import.meta.url);
/** Where the files live in the repository. */
export const FIXTURES_DIR: URL = new URL("fixtures/oracle/", ROOT);

/** `<shared>/oracle/` for a shared directory given as a path (default: ../shared). */
export function sharedOracleDir(shared = Deno.env.get("FALCO_PSP_SHARED")): URL {
  const dir = shared
    ? new URL(`file://${shared.replace(/\/?$/, "/")}`)
    : new URL("../shared/", ROOT);
  return new URL("oracle/", dir);
}

/** Throws naming the file when its content is not what its name says. */
function checkContent(name: string, bytes: Uint8Array): void {
  try {
    if (name.endsWith(".gz")) gunzipSync(bytes);
    else if (name.endsWith(".json")) JSON.parse(new TextDecoder().decode(bytes));
    else if (name.endsWith(".jsonl")) {
      const lines = new TextDecoder().decode(bytes).split("\n").filter((l) => l.trim() !== "");
      lines.forEach((l) => JSON.parse(l));
    }
  } catch (e) {
    throw new Error(`${name}: not valid ${name.replace(/.*\./, "")}: ${(e as Error).message}`);
  }
}

function same(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

async function readOrUndefined(url: URL): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(url);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** The listed files whose shared copy differs from the fixture (reads both sides). */
export async function differing(from: URL = sharedOracleDir()): Promise<string[]> {
  const out: string[] = [];
  for (const name of ORACLE_FILES) {
    const src = await Deno.readFile(new URL(name, from));
    if (!same(src, await readOrUndefined(new URL(name, FIXTURES_DIR)))) out.push(name);
  }
  return out;
}

async function main(args: string[]): Promise<number> {
  const from = sharedOracleDir();
  const check = args.includes("--check");
  const sources = new Map<string, Uint8Array>();
  for (const name of ORACLE_FILES) {
    const url = new URL(name, from);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(url);
    } catch (e) {
      console.error(`refresh-oracle: cannot read ${url.pathname}: ${(e as Error).message}`);
      return 1;
    }
    checkContent(name, bytes);
    sources.set(name, bytes);
  }
  const changed = await differing(from);
  if (check) {
    for (const name of changed) console.log(`differs: fixtures/oracle/${name}`);
    console.log(`${changed.length} of ${ORACLE_FILES.length} files differ from ${from.pathname}`);
    return changed.length === 0 ? 0 : 1;
  }
  for (const name of changed) {
    const dest = new URL(name, FIXTURES_DIR);
    await Deno.mkdir(new URL(".", dest), { recursive: true });
    const tmp = new URL(`${dest.pathname}.refresh-tmp`, "file:///");
    await Deno.writeFile(tmp, sources.get(name)!);
    await Deno.rename(tmp, dest);
    console.log(`updated: fixtures/oracle/${name}`);
  }
  console.log(`${changed.length} of ${ORACLE_FILES.length} files updated from ${from.pathname}`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`refresh-oracle: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
