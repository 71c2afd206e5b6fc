/**
 * The parallel audit of pod files: this thread reads and splits the files into
 * documents (streamDocuments) and builds the report; DocumentAuditors parse and
 * admit the documents in batches, in worker threads once the input proves big
 * enough to pay for starting them (before that, and with `jobs: 1`, in this
 * thread). Outcomes are taken in input order, so the report, the warnings and the
 * first error are those of a one-thread run.
 */
import { emptyInputError, streamDocuments } from "../io/stream.ts";
import type { DocumentText } from "../io/stream.ts";
import type { ReportBuilder, SharedDecision } from "../report/build.ts";
import {
  type AuditSetup,
  type BatchOutcome,
  DocumentAuditor,
  restoreError,
} from "./document_audit.ts";

/** A message to a worker. */
export type WorkerRequest =
  | { type: "setup"; setup: AuditSetup }
  | { type: "batch"; id: number; docs: DocumentText[] };

/** A worker's answer to one batch. */
export interface WorkerReply {
  id: number;
  outcome: BatchOutcome;
}

/** Documents per batch, and characters of text per batch (whichever is reached first). */
const BATCH_DOCS = 64;
const BATCH_CHARS = 256 * 1024;
/**
 * Batches read but not yet taken, per worker: reading runs this far ahead, so that a
 * worker that is done never waits for the one whose batch is taken next.
 */
const QUEUED_PER_WORKER = 8;
/** Workers start once this many documents (or characters) have been read. */
const WORKERS_AFTER_DOCS = 512;
const WORKERS_AFTER_CHARS = 1024 * 1024;

/** Where batches are audited: this thread or a worker. */
interface Lane {
  submit(docs: DocumentText[]): Promise<BatchOutcome>;
  /** Batches submitted and not answered yet. */
  inFlight: number;
  /** Decisions the lane's auditor shared, by its ids; and the report's copies of them. */
  readonly decisions: SharedDecision[];
  readonly adopted: SharedDecision[];
  /** Why the lane stopped (a worker that failed to start or died), if it did. */
  failure(): Error | undefined;
  close(): void;
}

function localLane(setup: AuditSetup): Lane {
  const auditor = new DocumentAuditor(setup);
  return {
    submit: (docs) => Promise.resolve(auditor.audit(docs)),
    decisions: [],
    adopted: [],
    inFlight: 0,
    failure: () => undefined,
    close() {},
  };
}

/** The name audit workers are started with (worker.ts serves only under it). */
export const AUDIT_WORKER_NAME = "falco-psp-audit";

function workerLane(setup: AuditSetup, url?: URL): Lane {
  const options = { type: "module", name: AUDIT_WORKER_NAME } as const;
  // The literal `new URL("./worker.ts", import.meta.url)` is what `deno compile` looks for.
  const worker = url
    ? new Worker(url, options)
    : new Worker(new URL("./worker.ts", import.meta.url), options);
  const pending = new Map<number, { resolve(o: BatchOutcome): void; reject(e: Error): void }>();
  let next = 0;
  let failed: Error | undefined;
  worker.onmessage = (e: MessageEvent<WorkerReply>) => {
    const p = pending.get(e.data.id);
    pending.delete(e.data.id);
    p?.resolve(e.data.outcome);
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    failed = new Error(`audit worker failed: ${e.message}`);
    for (const p of pending.values()) p.reject(failed);
    pending.clear();
  };
  worker.postMessage({ type: "setup", setup } satisfies WorkerRequest);
  return {
    submit(docs) {
      if (failed) return Promise.reject(failed);
      const id = next++;
      const done = new Promise<BatchOutcome>((resolve, reject) => {
        pending.set(id, { resolve, reject });
      });
      worker.postMessage({ type: "batch", id, docs } satisfies WorkerRequest);
      return done;
    },
    decisions: [],
    adopted: [],
    inFlight: 0,
    failure: () => failed,
    close: () => worker.terminate(),
  };
}

/** Options of auditDocuments. */
export interface DocumentAuditOptions {
  /**
   * Threads auditing documents, this one included: 1 audits in this thread; more start
   * `jobs - 1` workers (this thread audits when they all have enough queued).
   */
  jobs: number;
  /** Prints a warning (unknown fields). */
  warn(message: string): void;
  /** Kinds of objects that hold no pod, counted. */
  skipped: Map<string, number>;
  /** The workers' module instead of worker.ts (tests). */
  workerUrl?: URL;
}

/** What auditDocuments did (for tests and benchmarks). */
export interface DocumentAuditStats {
  documents: number;
  /** Worker threads started. */
  workers: number;
  /** Batches audited in this thread, and in workers. */
  localBatches: number;
  workerBatches: number;
}

type Entry =
  | { lane: Lane; docs: DocumentText[]; outcome: Promise<BatchOutcome>; settled: boolean }
  | { end: string; state: { blank: boolean } };

/**
 * Audits the pods of `files` into `builder`, as the one-thread loop over
 * streamObjects and extractFromObject would: same report, warnings in the same
 * order, and the error of the first bad document (a file without objects is one).
 */
export async function auditDocuments(
  files: readonly string[],
  setup: AuditSetup,
  builder: ReportBuilder,
  opts: DocumentAuditOptions,
): Promise<DocumentAuditStats> {
  const local = localLane(setup);
  const workers: Lane[] = [];
  const queue: Entry[] = [];
  let objectsInFile = 0;
  let docsRead = 0;
  let charsRead = 0;
  const stats: DocumentAuditStats = { documents: 0, workers: 0, localBatches: 0, workerBatches: 0 };

  let workerFailed = false;
  /** The error `take` threw (the audit's answer), as opposed to one of reading. */
  let taken: unknown;
  const take = async () => {
    try {
      await takeHead();
    } catch (e) {
      taken = e;
      throw e;
    }
  };
  const takeHead = async () => {
    const entry = queue.shift()!;
    if ("end" in entry) {
      if (objectsInFile === 0) throw emptyInputError(entry.end, entry.state.blank);
      objectsInFile = 0;
      return;
    }
    let { lane } = entry;
    let outcome: BatchOutcome;
    try {
      outcome = await entry.outcome;
    } catch (e) {
      // A worker that could not start or died: its batches are audited here instead.
      if (!workerFailed) opts.warn(`${(e as Error).message}; auditing in the main thread`);
      workerFailed = true;
      lane = local;
      outcome = await local.submit(entry.docs);
    }
    outcome.decisions.forEach((d, i) => lane.decisions[outcome.firstDecision + i] = d);
    for (const objects of outcome.documents) {
      objectsInFile += objects.length;
      for (const o of objects) {
        o.warnings?.forEach(opts.warn);
        if (o.edge) builder.addEdge(o.edge);
        if (o.skipped !== undefined) {
          opts.skipped.set(o.skipped, (opts.skipped.get(o.skipped) ?? 0) + 1);
        }
        if (o.pod) {
          const id = o.pod.decision;
          const shared = lane.adopted[id] ??= builder.adopt(lane.decisions[id]);
          const prefix = o.pod.messagePrefix;
          builder.addShared(
            o.pod.subject,
            shared,
            prefix === undefined ? undefined : prefix + shared.message,
          );
        }
      }
    }
    if (outcome.error) throw restoreError(outcome.error);
  };

  let batch: DocumentText[] = [];
  let batchChars = 0;
  const dispatch = async () => {
    if (batch.length === 0) return;
    if (
      workers.length === 0 && opts.jobs > 1 &&
      (docsRead >= WORKERS_AFTER_DOCS || charsRead >= WORKERS_AFTER_CHARS)
    ) {
      for (let i = 1; i < opts.jobs; i++) workers.push(workerLane(setup, opts.workerUrl));
    }
    // The least busy worker with room; when all are full, this thread audits the batch
    // itself rather than wait.
    let lane = local;
    for (const w of workers) {
      if (w.failure()) continue;
      if (w.inFlight < QUEUED_PER_WORKER && (lane === local || w.inFlight < lane.inFlight)) {
        lane = w;
      }
    }
    lane.inFlight++;
    if (lane === local) stats.localBatches++;
    else stats.workerBatches++;
    const entry: Entry = { lane, docs: batch, outcome: lane.submit(batch), settled: false };
    // Taken (and thrown) in order by `take`, or dropped after an error.
    const settle = () => {
      lane.inFlight--;
      entry.settled = true;
    };
    entry.outcome.then(settle, settle);
    queue.push(entry);
    batch = [];
    batchChars = 0;
    // Take what is answered at the head; wait for the head only when too far behind.
    const limit = workers.length ? (QUEUED_PER_WORKER + 2) * workers.length : 1;
    while (queue.length && ("end" in queue[0] || queue[0].settled)) await take();
    while (queue.length > limit) await take();
  };

  try {
    try {
      for (const file of files) {
        const state = {
          blank: true,
          // The input has no more at hand (a pipe): audit and take all read so far, so that
          // an error in it is not held back until more input comes.
          beforeWait: async () => {
            await dispatch();
            while (queue.length) await take();
          },
        };
        for await (const doc of streamDocuments(file, state)) {
          batch.push(doc);
          batchChars += doc.text.length;
          docsRead++;
          charsRead += doc.text.length;
          if (batch.length >= BATCH_DOCS || batchChars >= BATCH_CHARS) await dispatch();
        }
        await dispatch();
        queue.push({ end: file, state });
      }
    } catch (e) {
      // A read error comes after every document before it: their errors come first.
      if (e !== taken) { while (queue.length) await take(); }
      throw e;
    }
    while (queue.length) await take();
    return { ...stats, documents: docsRead, workers: workers.length };
  } finally {
    for (const lane of workers) lane.close();
  }
}
