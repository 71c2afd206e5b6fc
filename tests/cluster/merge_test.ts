import assert from "node:assert/strict";
import { mergeConcurrent } from "../../src/cluster/merge.ts";

const tick = () => new Promise((r) => setTimeout(r, 1));

/** A source yielding `values` with a pause before each, recording how many run at once. */
function source(values: number[], active: { now: number; max: number }) {
  return async function* () {
    active.now++;
    active.max = Math.max(active.max, active.now);
    try {
      for (const v of values) {
        await tick();
        yield v;
      }
    } finally {
      active.now--;
    }
  };
}

Deno.test("mergeConcurrent yields every value once, in order within a source, width at a time", async () => {
  const active = { now: 0, max: 0 };
  const sources = [[1, 2, 3], [10, 20], [], [100], [1000, 2000, 3000, 4000]].map((v) =>
    source(v, active)
  );
  const out: number[] = [];
  for await (const v of mergeConcurrent(sources, 2)) out.push(v);
  assert.deepEqual([...out].sort((a, b) => a - b), [1, 2, 3, 10, 20, 100, 1000, 2000, 3000, 4000]);
  for (const group of [[1, 2, 3], [10, 20], [1000, 2000, 3000, 4000]]) {
    assert.deepEqual(out.filter((v) => group.includes(v)), group, "order within a source");
  }
  assert.equal(active.max, 2, "never more than width sources at once");
  assert.equal(active.now, 0, "all sources finished");
});

Deno.test("mergeConcurrent holds at most `buffer` unread values (a slow reader pauses sources)", async () => {
  let produced = 0;
  const sources = [0, 1, 2].map(() =>
    async function* () {
      for (let i = 0; i < 50; i++) {
        produced++;
        yield i;
      }
    }
  );
  let read = 0;
  for await (const _ of mergeConcurrent(sources, 3, 4)) {
    read++;
    await tick();
    await tick();
    // each of the 3 sources may have produced one value past a full buffer
    assert.ok(produced - read <= 4 + 3, `produced ${produced}, read ${read}`);
  }
  assert.equal(read, 150);
});

Deno.test("mergeConcurrent: an error of one source stops the others and reaches the reader", async () => {
  const stopped: string[] = [];
  const forever = (name: string) =>
    async function* () {
      try {
        for (let i = 0;; i++) {
          await tick();
          yield i;
        }
      } finally {
        stopped.push(name);
      }
    };
  const failing = async function* () {
    await tick();
    yield 1;
    await tick();
    throw new Error("namespace b: connection reset");
  };
  await assert.rejects(async () => {
    for await (const _ of mergeConcurrent([forever("a"), failing, forever("c")], 3)) {
      // read everything
    }
  }, /connection reset/);
  assert.deepEqual(stopped.sort(), ["a", "c"]);
});

Deno.test("mergeConcurrent: a reader that stops early stops the running sources", async () => {
  const stopped: number[] = [];
  const sources = [0, 1, 2, 3].map((n) =>
    async function* () {
      try {
        for (let i = 0; i < 100; i++) {
          await tick();
          yield i;
        }
      } finally {
        stopped.push(n);
      }
    }
  );
  let read = 0;
  for await (const _ of mergeConcurrent(sources, 2)) {
    if (++read === 5) break;
  }
  assert.deepEqual(stopped.sort(), [0, 1], "the two running sources, and no other started");
});
