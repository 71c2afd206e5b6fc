/**
 * Worker side of the parallel document audit (see pool.ts): the first message is
 * the AuditSetup, each later one a batch of documents, answered in order with its
 * BatchOutcome. pool.ts starts it as `new Worker(new URL("./worker.ts",
 * import.meta.url))`, a form `deno compile` finds and embeds as a bundle of its own.
 */
/// <reference lib="deno.worker" />
import {
  type AuditSetup,
  type BatchOutcome,
  DocumentAuditor,
  transferError,
} from "./document_audit.ts";
import { AUDIT_WORKER_NAME, type WorkerReply, type WorkerRequest } from "./pool.ts";

/** Whether this code runs in an audit worker. */
function inAuditWorker(): boolean {
  return "WorkerGlobalScope" in globalThis &&
    (globalThis as { name?: string }).name === AUDIT_WORKER_NAME;
}

/** Answers the pool's messages in this worker. */
function serveAuditWorker(): void {
  let auditor: DocumentAuditor | undefined;
  let setupError: BatchOutcome["error"];
  self.onmessage = (e: MessageEvent<WorkerRequest>) => {
    const m = e.data;
    if (m.type === "setup") {
      try {
        auditor = new DocumentAuditor(m.setup as AuditSetup);
      } catch (err) {
        setupError = transferError(err);
      }
      return;
    }
    const outcome: BatchOutcome = auditor
      ? auditor.audit(m.docs)
      : { documents: [], decisions: [], firstDecision: 0, error: setupError };
    self.postMessage({ id: m.id, outcome } satisfies WorkerReply);
  };
}

if (inAuditWorker()) serveAuditWorker();
