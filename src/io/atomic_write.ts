/** Atomic file output: write a temporary sibling, then rename over the target. */
import { IoError } from "./errors.ts";

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

/**
 * Writes `content` to `path` so that readers see either the old file or the
 * whole new one; on any failure the previous file is untouched.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  const base = path.slice(dir.length);
  const tmp = `${dir}.${base}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  inProgress.add(tmp);
  try {
    let mode: number | undefined;
    try {
      mode = (await Deno.stat(path)).mode ?? undefined;
    } catch {
      mode = undefined;
    }
    await Deno.writeTextFile(tmp, content, { mode: mode ?? 0o644, createNew: true });
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new IoError(`cannot write ${path}: ${(e as Error).message}`);
  } finally {
    inProgress.delete(tmp);
  }
}

/** Writes to stdout, or atomically to a file when `path` is given and is not `-`. */
export async function writeOutput(path: string | undefined, content: string): Promise<void> {
  if (path === undefined || path === "-") {
    const data = new TextEncoder().encode(content);
    let written = 0;
    while (written < data.length) written += await Deno.stdout.write(data.subarray(written));
    return;
  }
  await writeFileAtomic(path, content);
}
