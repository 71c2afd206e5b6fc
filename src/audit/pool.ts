/**
 * The parallel audit of pod files, audit logs and cluster listings: this thread reads and
 * splits the files into documents (streamDocuments; audit-log lines), hands a cluster
 * listing's objects on as the API server's text (ClusterListing), and builds the report;
 * DocumentAuditors parse and admit the documents in batches, in worker threads
 * once the input proves big enough to pay for starting them (before that, and
 * with `jobs: 1`, in this thread). Outcomes are taken in input order, so the report, the warnings and the
 * first error are those of a one-thread run.
 */
import {
  type DocumentText,
  emptyInputError,
  MAX_LINE_CHARS,
  readDocumentLines,
  readLineBatches,
  streamDocumentsAndListItems,
} from "../io/stream.ts";
import { parseObjects } from "../io/documents.ts";
import type { ListEnd } from "../io/list_stream.ts";
import { type AuditLogStats, AuditLogTally } from "../workloads/audit_log.ts";
import type { ReportBuilder, SharedDecision } from "../report/build.ts";
import { addStats, type CacheStats } from "./decision_cache.ts";
import {
  type AuditSetup,
  type AuditUnit,
  type BatchOutcome,
  type ClusterObjectText,
  DocumentAuditor,
  type ObjectOutcome,
  restoreError,
  type TransferredError,
} from "./document_audit.ts";
import type { OwnerEdge } from "../workloads/extract.ts";
import type { NamespaceLabels } from "../pss/namespace_advice.ts";
import type { PodSubject } from "../workloads/subject.ts";

/** A message to a worker. */
export type WorkerRequest =
  | { type: "setup"; setup: AuditSetup }
  | { type: "batch"; id: number; docs: AuditUnit[] };

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
/** Batches this thread may audit ahead of the oldest batch still in a worker. */
const LOCAL_AHEAD = 32;
/** Workers start once this many documents (or characters) have been read. */
const WORKERS_AFTER_DOCS = 512;
const WORKERS_AFTER_CHARS = 1024 * 1024;

/** Where batches are audited: this thread or a worker. */
interface Lane {
  submit(docs: AuditUnit[]): Promise<BatchOutcome>;
  /** Batches submitted and not answered yet. */
  inFlight: number;
  /** Decisions the lane's auditor shared, by its ids; and the report's copies of them. */
  readonly decisions: SharedDecision[];
  readonly adopted: SharedDecision[];
  /** The lane's decision cache figures, from its latest outcome. */
  cache?: CacheStats;
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
    failed = new Error(`audit worker failed: ${e.message.replace(/\.$/, "")}`);
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

/** An input of auditDocuments: a file of Kubernetes objects (`-f`) or an audit log. */
export interface DocumentSource {
  file: string;
  kind: "objects" | "audit-log";
  /** Objects: skip what is not a Kubernetes object, with a warning (see extractDocument). */
  lenient?: boolean;
}

/**
 * Objects listed from a cluster, page by page (src/cluster/audit_source.ts), as
 * ClusterObjectTexts for the auditors: each page is handed on as it arrives, so reading
 * the next one overlaps with auditing this one.
 */
export interface ClusterListing {
  objects(io: ListingIo): AsyncIterable<ClusterObjectText>;
}

/** What auditDocuments offers a ClusterListing while it reads. */
export interface ListingIo {
  /** Audits and takes every object yielded so far (before skipping what a restart repeats). */
  drain(): Promise<void>;
  /** Runs `fn` once every object yielded so far is taken (a warning that comes after them). */
  inOrder(fn: () => void): Promise<void>;
  /** restartKeys of the objects taken so far. */
  readonly seen: ReadonlySet<string>;
  /** Records an owner edge (ReplicaSet -> Deployment) or a namespace's labels (`--pss`). */
  edge(e: OwnerEdge): void;
  namespace(ns: NamespaceLabels): void;
  /**
   * The PSPs a pod may use, when this thread must decide it (an access check a worker
   * cannot make, `--check-access`): the listing sets ClusterObjectText.allowed with it.
   */
  access?(subject: PodSubject): Promise<readonly string[]>;
}

/** A cluster listing as an input of auditDocuments. */
export interface ListingSource {
  kind: "listing";
  listing: ClusterListing;
  /** See ListingIo.access. */
  access?: ListingIo["access"];
}

/** Options of auditDocuments. */
export interface DocumentAuditOptions {
  /**
   * Threads auditing documents, this one included: 1 audits in this thread; more start
   * `jobs - 1` workers, and this thread audits a batch itself when they all have enough
   * queued.
   */
  jobs: number;
  /** Prints a warning (unknown fields, a worker that failed). */
  warn(message: string): void;
  /** After the last `objects` source: the kinds of objects that hold no pod, counted. */
  objectsDone?(skipped: Map<string, number>): void;
  /** After each audit log: the counts of pod creations not audited. */
  auditLogDone?(file: string, stats: AuditLogStats): void;
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
  /** The decision caches' figures, summed over threads (absent: no cache). */
  cache?: CacheStats;
}

/** How this thread reads one source and takes its outcomes, in order. */
interface SourceReader {
  /**
   * `beforeWait`: audits and takes all read so far; `inOrder(fn)`: runs fn once all read
   * so far is taken.
   */
  documents(
    beforeWait: () => Promise<void>,
    inOrder: (fn: () => void) => Promise<void>,
  ): AsyncIterable<AuditUnit | ListEnd>;
  /** Takes the outcomes of one document. */
  take(outcomes: ObjectOutcome[]): void;
  /** After the outcomes of a List's last item (ListEnd in `documents`). */
  listEnd?(end: ListEnd): Promise<void>;
  /** After the source's last document. */
  end(): void;
}

/** What a reader does with an outcome's edge and pod (the report's side). */
interface ReportSink {
  edge(o: ObjectOutcome): void;
  namespace(o: ObjectOutcome): void;
  pod(o: ObjectOutcome): void;
}

/** What a reader of Lists streamed item by item needs of auditDocuments. */
interface ListHooks {
  /** A sink into a staged part of the report, and how to add it to the report. */
  stage(): { sink: ReportSink; commit(): void };
  /** Audits a whole document in this thread and takes its outcomes (with `take`). */
  auditWhole(reader: SourceReader, doc: DocumentText): Promise<void>;
}

/** A List's items taken so far, staged until the List's end says what they are. */
interface StagedList {
  sink: ReportSink;
  commit(): void;
  /** Warnings of items skipped whole (lenient), which a whole document gives first. */
  skips: string[];
  warnings: string[];
  skipped: Map<string, number>;
  objects: number;
  /** An item did not read on its own: the whole document decides. */
  unsure: boolean;
  /** The first item's error. */
  error?: TransferredError;
}

/** Whether the skeleton of a List streamed item by item reads as a List (see ListEnd). */
function skeletonIsList(end: ListEnd): boolean {
  let read;
  try {
    read = parseObjects(end.skeleton, end.file, {
      documents: end.documents,
      lines: end.lines,
      whole: true,
    });
  } catch {
    return false;
  }
  if (read.length !== 1) return false;
  const o = read[0].object;
  return typeof o.kind === "string" && o.kind.endsWith("List") && "items" in o &&
    (end.json ? Array.isArray(o.items) && o.items.length === 0 : o.items === null);
}

/**
 * A file of Kubernetes objects, as streamObjects reads it (`-f`). A List document comes item
 * by item (streamDocumentsAndListItems); its items' outcomes are staged (a part of the report,
 * their warnings, kinds and errors) until its end, and count only when the List reads as one,
 * as a whole: its skeleton reads as a List and every item read on its own. Otherwise the
 * document is read again and audited whole in this thread, as it is without streaming. So the
 * report, warnings and errors are those of reading every document whole.
 */
function objectsReader(
  file: string,
  sink: ReportSink,
  warn: (message: string) => void,
  skipped: Map<string, number>,
  lenient: boolean,
  hooks: ListHooks,
): SourceReader {
  const state: { blank: boolean; beforeWait?: () => Promise<void> } = { blank: true };
  let objects = 0;
  let list: StagedList | undefined;
  const apply = (
    outcomes: readonly ObjectOutcome[],
    to: ReportSink,
    say: (message: string) => void,
    kinds: Map<string, number>,
  ) => {
    for (const o of outcomes) {
      o.warnings?.forEach(say);
      to.edge(o);
      to.namespace(o);
      if (o.skipped !== undefined) kinds.set(o.skipped, (kinds.get(o.skipped) ?? 0) + 1);
      to.pod(o);
    }
  };
  const reader: SourceReader = {
    async *documents(beforeWait) {
      state.beforeWait = beforeWait;
      for await (const doc of streamDocumentsAndListItems(file, state)) {
        yield lenient && doc.format !== "list-end" ? { ...doc, lenient } : doc;
      }
    },
    take(outcomes) {
      const item = outcomes[0]?.listItem;
      if (!item) {
        objects += outcomes.length;
        apply(outcomes, sink, warn, skipped);
        return;
      }
      list ??= {
        ...hooks.stage(),
        skips: [],
        warnings: [],
        skipped: new Map(),
        objects: 0,
        unsure: false,
      };
      if (item.unsure) list.unsure = true;
      else if (item.error) list.error ??= item.error;
      if (list.unsure || list.error) return; // the List's answer is not these outcomes
      const rest = outcomes.slice(1);
      list.objects += rest.length;
      const staged = list;
      for (const o of rest) {
        // what was skipped whole warns first in a whole document (extractDocument)
        const skips = o.warnings && !o.pod && o.skipped === undefined && !o.edge && !o.namespace;
        apply(
          [o],
          staged.sink,
          (w) => (skips ? staged.skips : staged.warnings).push(w),
          staged.skipped,
        );
      }
    },
    async listEnd(end) {
      const staged = list;
      list = undefined;
      if (staged && !staged.unsure && end.regular && end.items > 0 && skeletonIsList(end)) {
        if (staged.error) throw restoreError(staged.error);
        staged.skips.forEach(warn);
        staged.warnings.forEach(warn);
        for (const [k, n] of staged.skipped) skipped.set(k, (skipped.get(k) ?? 0) + n);
        objects += staged.objects;
        staged.commit();
        end.kept?.close();
        return;
      }
      const text = end.kept?.text() ?? await readDocumentLines(file, end.lines, end.endLines);
      await hooks.auditWhole(reader, {
        file,
        format: "yaml",
        text,
        lines: end.lines,
        documents: end.documents,
        ...(lenient ? { lenient } : {}),
      });
    },
    end() {
      if (objects > 0) return;
      const empty = emptyInputError(file, state.blank);
      if (!lenient) throw empty;
      warn(`${empty.message} (skipped; --strict makes this an error)`);
    },
  };
  return reader;
}

/** An audit log, as auditLogSubjects reads it: one document per non-blank line. */
function auditLogReader(
  file: string,
  sink: ReportSink,
  done: (stats: AuditLogStats) => void,
): SourceReader {
  const stats: AuditLogStats = { withoutRequestObject: 0, duplicates: 0 };
  const tally = new AuditLogTally(file, stats);
  return {
    async *documents(beforeWait) {
      let lineNo = 0;
      const opts = { maxLineChars: MAX_LINE_CHARS, beforeWait, linesBefore: () => lineNo };
      for await (const lines of readLineBatches(file, opts)) {
        for (const text of lines) {
          lineNo++;
          if (text.trim() === "") continue;
          yield { file, format: "audit-event", text, lines: lineNo - 1, documents: 0 };
        }
      }
    },
    take(outcomes) {
      for (const o of outcomes) {
        sink.edge(o);
        const c = o.podCreation;
        const audited = tally.take({
          podCreation: c && {
            ...c,
            error: c.error && restoreError(c.error),
            subject: o.pod,
          },
        });
        if (audited) sink.pod(o);
      }
    },
    end() {
      tally.end();
      done(stats);
    },
  };
}

/** A cluster listing (see ClusterListing): one unit per object. */
function listingReader(
  source: ListingSource,
  sink: ReportSink,
  builder: Pick<ReportBuilder, "addEdge" | "addNamespace">,
): SourceReader {
  const seen = new Set<string>();
  return {
    documents(drain, inOrder) {
      return source.listing.objects({
        drain,
        inOrder,
        seen,
        edge: (e) => builder.addEdge(e),
        namespace: (ns) => builder.addNamespace(ns),
        ...(source.access ? { access: source.access } : {}),
      });
    },
    take(outcomes) {
      for (const o of outcomes) {
        if (o.key !== undefined) seen.add(o.key);
        sink.edge(o);
        sink.pod(o);
      }
    },
    end() {},
  };
}

type Entry =
  | {
    reader: SourceReader;
    lane: Lane;
    docs: AuditUnit[];
    outcome: Promise<BatchOutcome>;
    settled: boolean;
  }
  | { then: () => void | Promise<void> };

/**
 * Audits the pods of `sources` into `builder`, as the one-thread audit would
 * (streamObjects and extractFromObject for files, auditLogSubjects for audit
 * logs): same report, warnings in the same order, and the error of the first bad
 * document (a file without objects, a log without events is one).
 */
export async function auditDocuments(
  sources: readonly (DocumentSource | ListingSource)[],
  setup: AuditSetup,
  builder: ReportBuilder,
  opts: DocumentAuditOptions,
): Promise<DocumentAuditStats> {
  const local = localLane(setup);
  const workers: Lane[] = [];
  const queue: Entry[] = [];
  let docsRead = 0;
  let charsRead = 0;
  const batches = { localBatches: 0, workerBatches: 0 };
  const skipped = new Map<string, number>();

  let lane: Lane = local;
  const sinkInto = (to: ReportBuilder): ReportSink => ({
    edge(o) {
      if (o.edge) to.addEdge(o.edge);
    },
    namespace(o) {
      if (o.namespace) to.addNamespace(o.namespace);
    },
    pod(o) {
      if (!o.pod) return;
      const id = o.pod.decision;
      const shared = lane.adopted[id] ??= builder.adopt(lane.decisions[id]);
      const prefix = o.pod.messagePrefix;
      to.addShared(
        o.pod.subject,
        shared,
        prefix === undefined ? undefined : prefix + shared.message,
        o.pod.fields,
      );
    },
  });
  const sink = sinkInto(builder);
  const hooks: ListHooks = {
    stage() {
      const staged = builder.stage();
      return { sink: sinkInto(staged), commit: () => builder.absorb(staged) };
    },
    async auditWhole(reader, doc) {
      // An auditor of its own: decision ids of this thread's batches not taken yet stay apart.
      const own = localLane(setup);
      const outcome = await own.submit([doc]);
      const was = lane;
      lane = own;
      try {
        outcome.decisions.forEach((d, i) => own.decisions[outcome.firstDecision + i] = d);
        for (const outcomes of outcome.documents) reader.take(outcomes);
      } finally {
        lane = was;
      }
      if (outcome.error) throw restoreError(outcome.error);
    },
  };

  let workerFailed = false;
  /** Says once that a worker failed (its batches, if any, are audited here instead). */
  const workerFailure = (e: Error) => {
    if (!workerFailed) opts.warn(`${e.message}; auditing in the main thread`);
    workerFailed = true;
  };
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
    if ("then" in entry) return await entry.then();
    lane = entry.lane;
    let outcome: BatchOutcome;
    try {
      outcome = await entry.outcome;
    } catch (e) {
      // A worker that could not start or died: its batches are audited here instead.
      workerFailure(e as Error);
      lane = local;
      outcome = await local.submit(entry.docs);
    }
    outcome.decisions.forEach((d, i) => lane.decisions[outcome.firstDecision + i] = d);
    if (outcome.cache) lane.cache = outcome.cache;
    for (const outcomes of outcome.documents) entry.reader.take(outcomes);
    if (outcome.error) throw restoreError(outcome.error);
  };

  const ticks = new MessageChannel();
  /** One turn of the event loop (a message to ourselves: no timer clamping). */
  const turn = () =>
    new Promise<void>((resolve) => {
      ticks.port2.onmessage = () => resolve();
      ticks.port1.postMessage(0);
    });
  let batch: AuditUnit[] = [];
  let batchChars = 0;
  const dispatch = async (reader: SourceReader) => {
    if (batch.length === 0) return;
    if (
      workers.length === 0 && opts.jobs > 1 &&
      (docsRead >= WORKERS_AFTER_DOCS || charsRead >= WORKERS_AFTER_CHARS)
    ) {
      for (let i = 1; i < opts.jobs; i++) workers.push(workerLane(setup, opts.workerUrl));
    }
    // Let the event loop deliver a worker's answer before choosing: answers arrive one per
    // turn, and a thread that audits without turns would see the workers full and starve them.
    if (workers.length) await turn();
    // The least busy worker with room; when all are full, this thread audits the batch.
    let to = local;
    for (const w of workers) {
      const failed = w.failure();
      if (failed) workerFailure(failed);
      if (failed || w.inFlight >= QUEUED_PER_WORKER) continue;
      if (to === local || w.inFlight < to.inFlight) to = w;
    }
    to.inFlight++;
    if (to === local) batches.localBatches++;
    else batches.workerBatches++;
    const entry: Entry = {
      reader,
      lane: to,
      docs: batch,
      outcome: to.submit(batch),
      settled: false,
    };
    // Taken (and thrown) in order by `take`, or dropped after an error.
    const settle = () => {
      to.inFlight--;
      entry.settled = true;
    };
    entry.outcome.then(settle, settle);
    queue.push(entry);
    batch = [];
    batchChars = 0;
    // Take what is answered at the head; wait for the head only when too far behind.
    const limit = workers.length ? QUEUED_PER_WORKER * workers.length + LOCAL_AHEAD : 1;
    while (queue.length && ("then" in queue[0] || queue[0].settled)) await take();
    while (queue.length > limit) await take();
  };

  const lastObjects = sources.findLastIndex((s) => s.kind === "objects");
  try {
    try {
      for (const [i, source] of sources.entries()) {
        const reader = source.kind === "listing"
          ? listingReader(source, sink, builder)
          : source.kind === "objects"
          ? objectsReader(source.file, sink, opts.warn, skipped, source.lenient ?? false, hooks)
          : auditLogReader(source.file, sink, (s) => opts.auditLogDone?.(source.file, s));
        // The input has no more at hand (a pipe): audit and take all read so far, so that
        // an error in it is not held back until more input comes.
        const beforeWait = async () => {
          await dispatch(reader);
          while (queue.length) await take();
        };
        const inOrder = async (fn: () => void) => {
          await dispatch(reader);
          queue.push({ then: fn });
        };
        for await (const doc of reader.documents(beforeWait, inOrder)) {
          if (doc.format === "list-end") {
            // after the List's items are audited and taken, in order
            await dispatch(reader);
            queue.push({ then: () => reader.listEnd!(doc) });
            continue;
          }
          batch.push(doc);
          batchChars += doc.text.length;
          docsRead++;
          charsRead += doc.text.length;
          if (batch.length >= BATCH_DOCS || batchChars >= BATCH_CHARS) await dispatch(reader);
        }
        await dispatch(reader);
        queue.push({ then: () => reader.end() });
        if (i === lastObjects) queue.push({ then: () => opts.objectsDone?.(skipped) });
      }
      if (lastObjects < 0) queue.push({ then: () => opts.objectsDone?.(skipped) });
    } catch (e) {
      // A read error comes after every document before it: their errors come first.
      if (e !== taken) { while (queue.length) await take(); }
      throw e;
    }
    while (queue.length) await take();
    let cache: CacheStats | undefined;
    for (const l of [local, ...workers]) if (l.cache) cache = addStats(cache, l.cache);
    return {
      documents: docsRead,
      workers: workers.length,
      ...batches,
      ...(cache ? { cache } : {}),
    };
  } finally {
    for (const w of workers) w.close();
    ticks.port1.close();
    ticks.port2.close();
  }
}
