/**
 * Time in tests is only ever a ceiling: no test's outcome may depend on the machine's speed
 * (CI runs on a loaded 2-core machine). Where a test must not wait forever (a command that
 * could hang, a scan that could turn quadratic), it bounds the wait by CEILING_MS, far beyond
 * what the work takes on a slow machine, and the failure says that the ceiling, not a speed
 * target, was passed.
 */

/** The ceiling: FALCO_PSP_TEST_CEILING_S seconds, default 300. */
export const CEILING_MS: number = 1000 * Number(Deno.env.get("FALCO_PSP_TEST_CEILING_S") ?? "300");

/** The error for `what` having run `spentMs` (over `ms`). */
export function ceilingError(what: string, spentMs: number, ms = CEILING_MS): Error {
  return new Error(
    `${what}: still not done after ${Math.round(spentMs / 1000)} s, over the ${ms / 1000} s ` +
      "ceiling: it hangs or does far more work than it should (the ceiling is no speed target; " +
      "raise FALCO_PSP_TEST_CEILING_S only if the machine is that slow)",
  );
}

/** Runs `fn`; throws ceilingError when it took longer than `ms` (synchronous code cannot be cut short). */
export function withinCeiling<T>(what: string, fn: () => T, ms = CEILING_MS): T {
  const started = performance.now();
  const value = fn();
  const spent = performance.now() - started;
  if (spent > ms) throw ceilingError(what, spent, ms);
  return value;
}

/** Settles as `promise` does, or rejects with ceilingError once `ms` have passed. */
export async function settlesWithin<T>(
  what: string,
  promise: Promise<T>,
  ms = CEILING_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ceiling = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(ceilingError(what, ms, ms)), ms);
  });
  try {
    return await Promise.race([promise, ceiling]);
  } finally {
    clearTimeout(timer);
  }
}
