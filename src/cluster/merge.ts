/**
 * Running several paged listings at once (e.g. one per namespace) and reading
 * their pages as one stream, with a bounded number of pages held in memory.
 */

/**
 * Yields the values of `sources`, running at most `width` of them at a time
 * and interleaving their values as they arrive (order between sources is not
 * kept; within one source it is). At most `buffer` values wait unread: a source
 * pauses until the reader catches up. The first error of any source stops the
 * others (after their current step) and is thrown to the reader; a reader that
 * stops early stops them too.
 */
export async function* mergeConcurrent<T>(
  sources: readonly (() => AsyncIterable<T>)[],
  width: number,
  buffer = Math.max(2, width),
): AsyncGenerator<T> {
  const queue: T[] = [];
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let running = 0;
  let next = 0;
  // One waiter each: the reader waits for values, workers wait for room.
  let wakeReader: (() => void) | undefined;
  const roomWaiters: (() => void)[] = [];
  const notifyReader = () => {
    wakeReader?.();
    wakeReader = undefined;
  };
  const notifyWorkers = () => roomWaiters.splice(0).forEach((w) => w());

  const worker = async () => {
    try {
      while (!stopped && !failure && next < sources.length) {
        const iterator = sources[next++]()[Symbol.asyncIterator]();
        try {
          while (!stopped && !failure) {
            const step = await iterator.next();
            if (step.done) break;
            queue.push(step.value);
            notifyReader();
            while (queue.length >= buffer && !stopped && !failure) {
              await new Promise<void>((r) => roomWaiters.push(r));
            }
          }
        } finally {
          if (stopped || failure) await iterator.return?.(undefined);
        }
      }
    } catch (e) {
      failure ??= { error: e };
      notifyWorkers();
    } finally {
      running--;
      notifyReader();
    }
  };

  running = Math.min(width, sources.length);
  const workers = Array.from({ length: running }, worker);
  try {
    while (true) {
      if (failure) throw failure.error;
      if (queue.length) {
        const value = queue.shift()!;
        notifyWorkers();
        yield value;
        continue;
      }
      if (running === 0) break;
      await new Promise<void>((r) => (wakeReader = r));
    }
  } finally {
    stopped = true;
    notifyWorkers();
    await Promise.allSettled(workers);
  }
}
