/**
 * The inputs of an audit: the steps that get PSPs, pod subjects and which PSPs each
 * pod may use (`AuditInputs`), and the file source that implements them from
 * `--psp-file`, `-f`, `--audit-log` and `--rbac-file`. A cluster source
 * (src/cluster/audit_source.ts) replaces any of the steps.
 */
import { type AccessCheck, rbacAccessFromSpec } from "./document_audit.ts";
import type { ClusterListing, DocumentSource } from "./pool.ts";
import { expandInputs, type LoadedObject } from "../io/documents.ts";
import { emptyInputError, loadObjectsFrom, streamDocuments } from "../io/stream.ts";
import type { PodSecurityPolicy } from "../model/psp.ts";
import { loadPspFiles } from "../psp/load.ts";
import { terminalText } from "../io/terminal_text.ts";
import { type AuditLogStats, auditLogSubjects } from "../workloads/audit_log.ts";
import { extractDocument, type OwnerEdge, POD_KINDS } from "../workloads/extract.ts";
import { compileSelection, type ObjectSelection } from "../workloads/selection.ts";
import type { PodSubject, Requester } from "../workloads/subject.ts";
import { type NamespaceLabels, namespaceLabelsOf } from "../pss/namespace_advice.ts";

export type { AccessCheck };

/** A PSP ready for admission, with where it came from. */
export interface AuditPolicy {
  psp: PodSecurityPolicy;
  source: string;
}

/**
 * The steps that get the audit's inputs. The file source implements them from
 * flags; a cluster source replaces any of them.
 */
export interface AuditInputs {
  /** The PSPs (validated and defaulted as the API server stores them). */
  policies(): Promise<AuditPolicy[]>;
  /**
   * The pods to audit; `edge` receives ownership learned on the way (ReplicaSet -> Deployment),
   * `namespace` the labels of Namespace objects met (for the `--pss` advice).
   */
  subjects(
    edge: (e: OwnerEdge) => void,
    namespace?: (ns: NamespaceLabels) => void,
  ): AsyncIterable<PodSubject>;
  /** Which PSPs each pod may use (RBAC); undefined when every PSP may be used. */
  access(): Promise<AccessCheck | undefined>;
  /**
   * The file source's `subjects` as documents, for the parallel audit: the `-f` files then
   * the audit logs, and the warnings the one-thread audit gives after them (objects in `-f`
   * files that hold no pod; pod creations of an audit log that were not audited).
   */
  documents?: {
    sources(): Promise<DocumentSource[]>;
    skipped(kinds: Map<string, number>): void;
    auditLogRead(file: string, stats: AuditLogStats): void;
    /** `-n` and `-l` for the `-f` objects. */
    selection?: ObjectSelection;
  };
  /**
   * The cluster source's `subjects` as a listing, for the parallel audit; `notJson` is the
   * error of a listed object that is not JSON.
   */
  listing?: ClusterListing & { notJson: string };
}

/**
 * Where the RBAC deciding which PSPs each pod may use comes from (`--rbac`): `auto` the
 * `--rbac-file` objects if given, else the cluster's RBAC unless the cluster has no PSP API
 * or its RBAC names none of the given PSPs (then none); `cluster` the cluster's RBAC
 * always; `files` the `--rbac-file` objects; `none` no RBAC: every PSP usable by every pod.
 */
export const RBAC_MODES = ["auto", "cluster", "files", "none"] as const;
export type RbacMode = typeof RBAC_MODES[number];

/** What the file source reads: the file flags of `audit-pods`. */
export interface FileInputOptions {
  pspFile: string[];
  filename: string[];
  recursive: boolean;
  auditLog: string[];
  rbacFile: string[];
  /**
   * Documents that are not Kubernetes objects (or, for `-f`, only parts of them) in files found
   * in directories are errors, as in files named on the command line, instead of skipped.
   */
  strict?: boolean;
  /** The pod creator (`--creator`), for `--rbac-file` (audit-log events carry their own). */
  creator?: string;
  /** The pod creator's groups (`--creator-group`). */
  creatorGroups: string[];
  /** `-n`, `-l` for the `-f` objects (not the audit logs). */
  selection?: ObjectSelection;
}

/** Prints a warning on stderr (terminal-safe). */
export function warn(message: string): void {
  console.error(`warning: ${terminalText(message, { oneLine: true })}`);
}

/**
 * Pod subjects from `-f` paths, streamed one document (or JSON line) at a time;
 * other kinds are counted for a warning. `selection` applies `-n` and `-l` as kubectl does.
 */
async function* fileSubjects(
  paths: readonly string[],
  opts: { recursive: boolean; strict?: boolean },
  edge: (e: OwnerEdge) => void,
  skipped: Map<string, number>,
  onWarning: (message: string) => void = warn,
  selection?: ObjectSelection,
  namespace?: (ns: NamespaceLabels) => void,
): AsyncGenerator<PodSubject> {
  const sel = compileSelection(selection);
  for (const { file, listed } of await expandInputs(paths, opts.recursive)) {
    const lenient = listed && !opts.strict;
    const state = { blank: true };
    let read = 0;
    for await (const doc of streamDocuments(file, state)) {
      const { objects, skipped: skips, unselected } = extractDocument({ ...doc, lenient }, sel);
      skips.forEach(onWarning);
      read += skips.length + unselected;
      for (const { loaded: lo, extracted: { subject, edge: e, warnings } } of objects) {
        read++;
        warnings?.forEach(onWarning);
        if (e) edge(e);
        if (subject) yield subject;
        else {
          const kind = typeof lo.object.kind === "string" ? lo.object.kind : "(no kind)";
          skipped.set(kind, (skipped.get(kind) ?? 0) + 1);
          const ns = namespace && namespaceLabelsOf(lo.object);
          if (ns) namespace!(ns);
        }
      }
    }
    if (read === 0) {
      const empty = emptyInputError(file, state.blank);
      if (!lenient) throw empty;
      onWarning(`${empty.message} (skipped; --strict makes this an error)`);
    }
  }
}

/** The file source: PSPs from `--psp-file`, pods from `-f` and `--audit-log`, RBAC from `--rbac-file`. */
export function fileInputs(
  opts: FileInputOptions,
  onWarning: (message: string) => void = warn,
): AuditInputs {
  const requester: Requester | undefined = opts.creator
    ? { user: opts.creator, groups: opts.creatorGroups }
    : undefined;
  const documents: NonNullable<AuditInputs["documents"]> = {
    ...(opts.selection ? { selection: opts.selection } : {}),
    async sources() {
      const files = await expandInputs(opts.filename, opts.recursive);
      return [
        ...files.map(({ file, listed }) => ({
          file,
          kind: "objects" as const,
          lenient: listed && !opts.strict,
        })),
        ...opts.auditLog.map((file) => ({ file, kind: "audit-log" as const })),
      ];
    },
    skipped(skipped) {
      if (skipped.size === 0) return;
      const kinds = [...skipped].map(([k, n]) => `${k} x${n}`).join(", ");
      onWarning(
        `skipped objects that hold no pod (${kinds}); audit-pods reads ${POD_KINDS.join(", ")}`,
      );
    },
    auditLogRead(file, stats) {
      if (stats.withoutRequestObject) {
        onWarning(
          `${file}: ${stats.withoutRequestObject} pod creation(s) logged without requestObject (audit level Metadata) were not audited`,
        );
      }
    },
  };
  return {
    async policies() {
      const { psps, warnings } = await loadPspFiles(opts.pspFile, {
        recursive: opts.recursive,
        strict: opts.strict,
        allowInvalidNames: true,
      });
      warnings.forEach(onWarning);
      return psps.map((p) => ({ psp: p.psp, source: p.source.file }));
    },
    async *subjects(edge, namespace) {
      const skipped = new Map<string, number>();
      yield* fileSubjects(opts.filename, opts, edge, skipped, onWarning, opts.selection, namespace);
      documents.skipped(skipped);
      for (const file of opts.auditLog) {
        const stats: AuditLogStats = { withoutRequestObject: 0, duplicates: 0 };
        yield* auditLogSubjects(file, stats, undefined, edge);
        documents.auditLogRead(file, stats);
      }
    },
    documents,
    async access() {
      if (opts.rbacFile.length === 0) {
        if (opts.creator) {
          onWarning("--creator/--creator-group have no effect without --rbac-file");
        }
        return undefined;
      }
      const objects = await loadObjectsFrom(opts.rbacFile, {
        recursive: opts.recursive,
        strict: opts.strict,
        onSkip: onWarning,
      });
      return rbacAccessFromObjects(objects, requester, onWarning, { bootstrapPolicy: true });
    },
  };
}

/**
 * The RBAC access check from loaded objects (files or a cluster listing): picks
 * the Roles, ClusterRoles and bindings, reports what grants nothing, indexes them.
 * `bootstrapPolicy` (for files): Kubernetes' built-in roles and bindings complete them.
 */
export function rbacAccessFromObjects(
  objects: readonly LoadedObject[],
  requester: Requester | undefined,
  onWarning: (message: string) => void = warn,
  opts: { bootstrapPolicy?: boolean } = {},
): AccessCheck {
  const spec = {
    objects: objects.map((o) => ({ object: o.object, source: o.source })),
    ...(requester ? { requester } : {}),
    ...(opts.bootstrapPolicy ? { bootstrapPolicy: true } : {}),
  };
  const { check, warnings } = rbacAccessFromSpec(spec);
  warnings.forEach(onWarning);
  return Object.assign(check, { rbac: spec });
}
