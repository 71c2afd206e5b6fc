/**
 * File output: a regular file is replaced atomically (a temporary sibling renamed over it, through
 * a symlink onto its target, the link kept); stdout, stderr, FIFOs, character devices and the
 * caller's descriptors (`/dev/fd/N`, `/proc/.../fd/N`) are written to directly.
 */
import { dirname, isAbsolute, join } from "node:path";
import { IoError, ioFailureText } from "./errors.ts";

/** Temporary files of writes in progress (see removeTemporaryFiles). */
const inProgress = new Set<string>();

/**
 * Removes the temporary files of writes in progress, for a process that is
 * interrupted (Ctrl-C) and exits before they finish. Best effort, synchronous.
 */
export function removeTemporaryFiles(): void {
  for (const tmp of inProgress) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // not created yet, or already renamed
    }
  }
  inProgress.clear();
}

/** Paths that name this process's stdout or stderr. */
const STDOUT_PATHS = new Set(["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]);
const STDERR_PATHS = new Set(["/dev/stderr", "/dev/fd/2", "/proc/self/fd/2"]);

/** Writes all of `data` to a writer (stdout, stderr, an open file). */
async function writeAll(w: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  let written = 0;
  while (written < data.length) written += await w.write(data.subarray(written));
}

/** The file a chain of symlinks ends at (which may not exist yet); `path` if it is none. */
async function linkTarget(path: string): Promise<string> {
  let p = path;
  for (let hops = 0; hops < 40; hops++) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(p);
    } catch {
      return p; // missing: created here
    }
    if (!info.isSymlink) return p;
    const to = await Deno.readLink(p);
    p = isAbsolute(to) ? to : join(dirname(p), to);
  }
  throw new Error("too many levels of symbolic links");
}

/** Whether output to `path` goes straight to it: not a regular file that can be replaced. */
async function isDirectTarget(path: string): Promise<boolean> {
  if (/^\/dev\/fd\/\d+$|^\/proc\/(?:self|\d+)\/fd\/\d+$/.test(path)) return true;
  try {
    const info = await Deno.stat(path);
    return !info.isFile && !info.isDirectory;
  } catch {
    return false;
  }
}

/**
 * Writes `content` to `path` so that readers see either the old file or the whole new one; on
 * any failure the previous file is untouched. Through a symlink, the link's target is replaced
 * and the link stays. A FIFO, a character device (`/dev/null`) or an inherited descriptor is
 * written to directly (appending, as a shell's `>>` descriptor expects), as are stdout and stderr.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const data = new TextEncoder().encode(content);
  if (STDOUT_PATHS.has(path)) return await writeAll(Deno.stdout, data);
  if (STDERR_PATHS.has(path)) return await writeAll(Deno.stderr, data);
  try {
    if (await isDirectTarget(path)) {
      using f = await Deno.open(path, { write: true, append: true });
      return await writeAll(f, data);
    }
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) throw e;
    throw new IoError(ioFailureText("write", path, e));
  }
  let target: string;
  try {
    target = await linkTarget(path);
  } catch (e) {
    throw new IoError(ioFailureText("write", path, e));
  }
  const dir = target.includes("/") ? target.slice(0, target.lastIndexOf("/") + 1) : "";
  const base = target.slice(dir.length);
  const tmp = `${dir}.${base}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  inProgress.add(tmp);
  try {
    let mode: number | undefined;
    try {
      mode = (await Deno.stat(target)).mode ?? undefined;
    } catch {
      mode = undefined;
    }
    await Deno.writeFile(tmp, data, { mode: mode ?? 0o644, createNew: true });
    if (mode !== undefined) await Deno.chmod(tmp, mode & 0o777); // whatever the umask
    await Deno.rename(tmp, target);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new IoError(ioFailureText("write", path, e));
  } finally {
    inProgress.delete(tmp);
  }
}

/** Writes to stdout, or to `path` (writeFileAtomic) when it is given and is not `-`. */
export async function writeOutput(path: string | undefined, content: string): Promise<void> {
  if (path === undefined || path === "-") {
    return await writeAll(Deno.stdout, new TextEncoder().encode(content));
  }
  await writeFileAtomic(path, content);
}
