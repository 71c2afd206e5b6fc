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

async function names(dir: string): Promise<string[]> {
  const out = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("writeFileAtomic through a symlink replaces the target atomically and keeps the link", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/real`);
    await Deno.writeTextFile(`${dir}/real/rules.yaml`, "old", { mode: 0o640 });
    await Deno.chmod(`${dir}/real/rules.yaml`, 0o640);
    const before = (await Deno.stat(`${dir}/real/rules.yaml`)).ino;
    await Deno.symlink("real/rules.yaml", `${dir}/link.yaml`); // relative, as ln -s makes it
    await Deno.symlink(`${dir}/link.yaml`, `${dir}/link2.yaml`); // a chain
    await writeFileAtomic(`${dir}/link2.yaml`, "new");
    assert.ok((await Deno.lstat(`${dir}/link.yaml`)).isSymlink, "the link stays a link");
    assert.ok((await Deno.lstat(`${dir}/link2.yaml`)).isSymlink, "the link stays a link");
    const after = await Deno.stat(`${dir}/real/rules.yaml`);
    assert.equal(await Deno.readTextFile(`${dir}/real/rules.yaml`), "new");
    assert.notEqual(after.ino, before, "a new file renamed over the target (atomic)");
    assert.equal(after.mode! & 0o777, 0o640, "the target's mode is kept");
    assert.deepEqual(await names(`${dir}/real`), ["rules.yaml"], "no temporary file left");
    // a dangling link: its target is created
    await Deno.symlink("real/new.yaml", `${dir}/dangling.yaml`);
    await writeFileAtomic(`${dir}/dangling.yaml`, "x");
    assert.equal(await Deno.readTextFile(`${dir}/real/new.yaml`), "x");
    assert.ok((await Deno.lstat(`${dir}/dangling.yaml`)).isSymlink);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic writes a FIFO directly (no temporary file, no rename)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/out.fifo`;
    const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(mk.success, "mkfifo");
    // the reader is a process: if the FIFO were replaced, it could be killed instead of hanging
    const reader = new Deno.Command("cat", { args: [fifo], stdout: "piped" }).spawn();
    await writeFileAtomic(fifo, "through the fifo\n");
    const fifoKept = (await Deno.lstat(fifo)).isFifo;
    if (!fifoKept) reader.kill();
    const out = await reader.output();
    assert.ok(fifoKept, "still a FIFO");
    assert.equal(new TextDecoder().decode(out.stdout), "through the fifo\n");
    assert.deepEqual(await names(dir), ["out.fifo"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic writes a character device directly, also through a link to it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.symlink("/dev/null", `${dir}/null`);
    await writeFileAtomic(`${dir}/null`, "discarded");
    assert.equal(await Deno.readLink(`${dir}/null`), "/dev/null", "the link is kept");
    assert.deepEqual(await names(dir), ["null"]);
    await writeFileAtomic("/dev/null", "discarded");
    assert.ok((await Deno.stat("/dev/null")).isCharDevice);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
