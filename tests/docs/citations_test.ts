/**
 * The code cites docs/psp-admission.md and docs/falco.md by section (`docs/falco.md §8.2`,
 * `§2.8-2.10`, `§8 item 19`): every cited section must exist in the repository's docs, so a
 * citation never points at text that is not there.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

async function* sources(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const url = new URL(e.isDirectory ? `${e.name}/` : e.name, dir);
    if (e.isDirectory) yield* sources(url);
    else if (/\.(ts|md)$/.test(e.name)) yield url;
  }
}

/** Section numbers of a doc's headings (`## 2.` -> "2", `### 2.19 ...` -> "2.19"). */
function sections(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.? /gm)) out.add(m[1]);
  return out;
}

/** Numbered items of a section's list (`1. ...`), for `§8 item 19`. */
function items(markdown: string, section: string): Set<string> {
  const start = markdown.search(new RegExp(`^## ${section}\\. `, "m"));
  if (start < 0) return new Set();
  const rest = markdown.slice(start + 1);
  const end = rest.search(/^## /m);
  const body = end < 0 ? rest : rest.slice(0, end);
  return new Set([...body.matchAll(/^(\d+)\. /gm)].map((m) => m[1]));
}

Deno.test("every docs/*.md § citation in src/ and tests/ names a section that exists", async () => {
  const docs = new Map<string, string>();
  for (const name of ["psp-admission.md", "falco.md"]) {
    docs.set(name, await Deno.readTextFile(new URL(`docs/${name}`, ROOT)));
  }
  const missing: string[] = [];
  let cited = 0;
  for (const dir of ["src/", "tests/"]) {
    for await (const file of sources(new URL(dir, ROOT))) {
      const text = await Deno.readTextFile(file);
      const where = file.pathname.slice(ROOT.pathname.length);
      // "docs/x.md §a, §b-c" (a citation may go on over a comment line break)
      for (
        const m of text.matchAll(
          /docs\/(psp-admission|falco)\.md`?((?:[\s*/]*§[\d.]+(?:[–-]§?[\d.]+)?(?: item \d+)?,?)+)/g,
        )
      ) {
        const doc = docs.get(`${m[1]}.md`)!;
        const have = sections(doc);
        for (
          const ref of m[2].matchAll(
            /§([\d.]+?)\.?(?:[–-]§?([\d.]+?))?\.?(?: item (\d+))?(?=[,\s)]|$)/g,
          )
        ) {
          for (const sec of [ref[1], ref[2]].filter((x): x is string => !!x)) {
            cited++;
            if (!have.has(sec)) missing.push(`${where}: docs/${m[1]}.md §${sec}`);
          }
          if (ref[3] && !items(doc, ref[1]).has(ref[3])) {
            missing.push(`${where}: docs/${m[1]}.md §${ref[1]} item ${ref[3]}`);
          }
        }
      }
    }
  }
  console.log(`${cited} cited sections checked`);
  assert.ok(cited >= 30, `only ${cited} citations found: the pattern no longer matches them`);
  assert.deepEqual(missing, []);
});
