import assert from "node:assert/strict";
import { writeFileAtomic } from "../../src/io/atomic_write.ts";
import { IoError } from "../../src/io/errors.ts";

Deno.test("writeFileAtomic replaces the whole file and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = `${dir}/rules.yaml`;
    await Deno.writeTextFile(f, "old");
    await writeFileAtomic(f, "new content");
    assert.equal(await Deno.readTextFile(f), "new content");
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["rules.yaml"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic failure leaves the previous file untouched", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // the target is a directory: rename fails after the temp file was written
    await Deno.mkdir(`${dir}/target`);
    await Deno.writeTextFile(`${dir}/target/keep`, "x");
    await assert.rejects(writeFileAtomic(`${dir}/target`, "new"), IoError);
    assert.equal(await Deno.readTextFile(`${dir}/target/keep`), "x");
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["target"]);
    await assert.rejects(writeFileAtomic(`${dir}/nodir/x.yaml`, "new"), /cannot write/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
