/**
 * The audit run: get PSPs, pod subjects and which PSPs each pod may use (AuditInputs),
 * admit every pod in one thread (`auditPods`) or several (`auditPodsInParallel`),
 * render the report, and map it to an exit code (`runAudit`).
 */
import {
  type AuditSetup,
  type CachedDecision,
  cachedDecision,
  candidateNames,
  messagePrefixFor,
  PolicySet,
  reusableFor,
} from "./document_audit.ts";
import {
  type CacheBudget,
  cacheBudgetFromEnv,
  type CacheStats,
  cacheStatsWanted,
  DecisionCache,
  DEFAULT_CACHE_BUDGET,
  formatCacheStats,
} from "./decision_cache.ts";
import { type AccessCheck, type AuditInputs, type AuditPolicy, warn } from "./inputs.ts";
import { auditDocuments, type DocumentSource, type ListingSource } from "./pool.ts";
import { EXIT_OK, EXIT_REFUSED, UsageError } from "../io/errors.ts";
import {
  NO_USABLE_HINT,
  ReportBuilder,
  type ReportBuilderOptions,
  type SharedDecision,
} from "../report/build.ts";
import { type AuditReport, reportFails } from "../report/model.ts";
import { type OutputFormat, renderReportChunks, writeChunks } from "../report/render.ts";
import type { TokenVolumeMode } from "../workloads/service_account_token.ts";
import { formatVersion } from "../pss/api.ts";
import type { PssSetting } from "../pss/pod_result.ts";
import type { ReportPssSetting } from "../report/model.ts";
import { migrationView } from "../report/migration.ts";

/** The report's record of `--pss` (and whether PSPs were audited too). */
function reportPss(pss: PssSetting | undefined, psp: boolean): ReportPssSetting | undefined {
  return pss && { level: pss.level, version: formatVersion(pss.version), psp };
}

/**
 * Audits every subject: for each pod, the PSPs it may use (`only`, then
 * `access`), then `admitPod` (the other PSPs still count as existing); the
 * decisions go into the report builder. Holds only the report's items, not the pods.
 * `reportOptions.positions: false` skips finding input positions of fields (SARIF only).
 * Pods that have not been through admission yet (files, templates, audit-log request
 * objects; not pods read from a cluster) first get the ServiceAccount plugin's token
 * volume (`tokenVolume`, default `projected`), as the API server would add it.
 */
export async function auditPods(
  policies: readonly AuditPolicy[],
  inputs: Pick<AuditInputs, "subjects">,
  access: AccessCheck | undefined,
  only?: ReadonlySet<string>,
  reportOptions: Omit<ReportBuilderOptions, "pss"> & {
    tokenVolume?: TokenVolumeMode;
    pss?: PssSetting;
    /** The decision cache's budget (default DEFAULT_CACHE_BUDGET); null: no cache. */
    decisionCache?: CacheBudget | null;
    /** Receives the decision cache's figures after the audit. */
    cacheStats?: (stats: CacheStats) => void;
  } = {},
): Promise<AuditReport> {
  const tokenVolume = reportOptions.tokenVolume ?? "projected";
  const set = new PolicySet(policies.map((p) => p.psp), only, reportOptions.pss);
  const builder = new ReportBuilder(set.names, {
    ...reportOptions,
    pss: reportPss(reportOptions.pss, policies.length > 0),
  });
  const budget = reportOptions.decisionCache === undefined
    ? DEFAULT_CACHE_BUDGET
    : reportOptions.decisionCache;
  const cache = budget ? new DecisionCache<CachedDecision<SharedDecision>>(budget) : undefined;
  for await (
    const subject of inputs.subjects(
      (e) => builder.addEdge(e),
      reportOptions.pss ? (ns) => builder.addNamespace(ns) : undefined,
    )
  ) {
    const allowed = access ? await access(subject, set.names) : set.names;
    const key = cache && set.decisionKey(subject, allowed, tokenVolume);
    if (key) {
      const hit = cache!.get(key, (e) => reusableFor(e, subject.pod));
      if (hit) {
        const prefix = messagePrefixFor(hit, subject.pod);
        const message = prefix === undefined ? undefined : prefix + hit.decision.message;
        builder.addRepeat(subject, hit.decision, hit.verdict, message);
        continue;
      }
    } else cache?.skip();
    const decision = set.admit(subject, allowed, tokenVolume);
    const shared = builder.add(subject, decision);
    if (key) cache!.set(key, cachedDecision(shared, decision, subject.pod));
  }
  if (cache) reportOptions.cacheStats?.(cache.stats());
  return builder.finish();
}

/**
 * auditPods with the pods parsed and admitted by `jobs` threads (auditDocuments): the
 * `-f` documents and audit-log lines of a file source (`inputs.documents`; the access
 * check must be one a worker can rebuild: none, or RBAC from objects), or the objects of a
 * cluster listing (`inputs.listing`; an access check a worker cannot rebuild, as
 * `--check-access`, is made in this thread, once per service account and namespace, and
 * its answer sent with each object). Same report as auditPods.
 */
export async function auditPodsInParallel(
  policies: readonly AuditPolicy[],
  inputs: Pick<AuditInputs, "documents" | "listing">,
  access: AccessCheck | undefined,
  only: ReadonlySet<string> | undefined,
  opts: {
    tokenVolume?: TokenVolumeMode;
    jobs: number;
    warn?: (message: string) => void;
    report?: Omit<ReportBuilderOptions, "positions">;
    pss?: PssSetting;
    /** The decision cache's budget per thread (default DEFAULT_CACHE_BUDGET); null: none. */
    decisionCache?: CacheBudget | null;
    /** Receives the decision caches' figures (summed over threads) after the audit. */
    cacheStats?: (stats: CacheStats) => void;
    /**
     * SARIF: the report keeps the input positions of the fields of each row's first pod, as
     * the one-thread audit does; they are found where the pod's text is, so the audit takes
     * one thread (`jobs` is then 1).
     */
    positions?: boolean;
  },
): Promise<AuditReport> {
  const tokenVolume = opts.tokenVolume ?? "projected";
  const names = candidateNames(policies.map((p) => p.psp), only);
  const positions = opts.positions === true;
  const builder = new ReportBuilder(names, {
    ...opts.report,
    positions,
    pss: reportPss(opts.pss, policies.length > 0),
  });
  const { documents, listing } = inputs;
  const setup: AuditSetup = {
    policies: policies.map((p) => p.psp),
    ...(only ? { only: [...only] } : {}),
    ...(access?.rbac ? { rbac: access.rbac } : {}),
    ...(documents?.selection ? { selection: documents.selection } : {}),
    tokenVolume,
    ...(opts.pss ? { pss: opts.pss } : {}),
    ...(listing ? { listing: { notJson: listing.notJson } } : {}),
    ...(opts.decisionCache !== undefined ? { decisionCache: opts.decisionCache } : {}),
    ...(positions ? { positions } : {}),
  };
  const sources: (DocumentSource | ListingSource)[] = documents ? await documents.sources() : [];
  if (listing) {
    sources.push({
      kind: "listing",
      listing,
      ...(access && !access.rbac
        ? { access: async (subject) => await access(subject, names) }
        : {}),
    });
  }
  const stats = await auditDocuments(sources, setup, builder, {
    jobs: positions ? 1 : opts.jobs,
    warn: opts.warn ?? warn,
    ...(documents
      ? {
        objectsDone: (skipped) => documents.skipped(skipped),
        auditLogDone: (file, stats) => documents.auditLogRead(file, stats),
      }
      : {}),
  });
  if (stats.cache) opts.cacheStats?.(stats.cache);
  return builder.finish();
}

/**
 * Most threads used without `--jobs`: each one holds a V8 heap of its own (tens of MB),
 * and the main thread, which reads the input and builds the report for all of them,
 * keeps more from paying off much.
 */
const DEFAULT_MAX_JOBS = 4;

/** The default of `--jobs`: one thread per CPU, at most DEFAULT_MAX_JOBS. */
export function defaultJobs(cpus = navigator.hardwareConcurrency): number {
  return Math.max(1, Math.min(DEFAULT_MAX_JOBS, cpus || 1));
}

/** How to run an audit and print its report (from the flags of `audit-pods`). */
export interface AuditRunOptions {
  /** PSP files were given (only for the message when none is found). */
  pspFilesGiven: boolean;
  /** `--policy`: only these PSPs may be used (each must exist). */
  policy: readonly string[];
  output: OutputFormat;
  /** The ServiceAccount plugin's token volume added before admission (default projected). */
  serviceAccountToken?: TokenVolumeMode;
  /** Threads auditing `-f` documents, audit logs and cluster listings (default: defaultJobs()). */
  jobs?: number;
  showAdmitted: boolean;
  /** table: also show changes without effect. */
  showCosmetic?: boolean;
  /** table: the terminal's width; undefined for no limit. */
  width?: number;
  color: boolean;
  failOn: "refused" | "changed";
  /** The pod creator RBAC checks when a pod's source names none (`--creator`). */
  requester?: string;
  /** How to change RBAC that leaves pods no PSP (default NO_USABLE_HINT). */
  noUsableHint?: string;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** `--pss`: evaluate the pods against the Pod Security Standards too (or only, without PSPs). */
  pss?: PssSetting;
  /**
   * The decision cache's budget per thread; null: no cache; undefined: as
   * `FALCO_PSP_DECISION_CACHE` says (decision_cache.ts).
   */
  decisionCache?: CacheBudget | null;
}

/** Runs the audit on the inputs, writes the report to stdout; returns the exit code. */
export async function runAudit(opts: AuditRunOptions, inputs: AuditInputs): Promise<number> {
  const policies = await inputs.policies();
  if (policies.length === 0 && !opts.pss) {
    throw new UsageError(
      `no PodSecurityPolicy found in ${
        opts.pspFilesGiven ? "the --psp-file inputs" : "the cluster"
      }`,
    );
  }
  let only: Set<string> | undefined;
  if (opts.policy.length) {
    const known = new Set(policies.map((p) => p.psp.metadata.name!));
    const missing = opts.policy.filter((n) => !known.has(n));
    if (missing.length) {
      throw new UsageError(
        `--policy ${
          missing.map((n) => JSON.stringify(n)).join(", ")
        }: no such PodSecurityPolicy among ${[...known].join(", ")}`,
      );
    }
    only = new Set(opts.policy);
  }
  // Without PSPs (Pod Security Standards only) no pod needs to know which PSPs it may use.
  const access = policies.length > 0 ? await inputs.access() : undefined;
  // Field positions are printed by SARIF only; they are found in each pod's text, so SARIF
  // is audited in this thread (auditPodsInParallel with one job: Lists still stream).
  // Objects read from a cluster have no positions.
  const positions = opts.output === "sarif";
  const reportOptions = {
    ...(opts.requester !== undefined ? { requester: opts.requester } : {}),
    ...(opts.noUsableHint !== undefined ? { noUsableHint: opts.noUsableHint } : {}),
  };
  const decisionCache = opts.decisionCache === undefined
    ? cacheBudgetFromEnv()
    : opts.decisionCache;
  const cacheStats = cacheStatsWanted()
    ? (s?: CacheStats) => (opts.warn ?? warn)(formatCacheStats(s))
    : undefined;
  const parallel = inputs.listing
    ? { listing: inputs.listing }
    : inputs.documents && (!access || access.rbac)
    ? { documents: inputs.documents }
    : undefined;
  const report = parallel
    ? await auditPodsInParallel(policies, parallel, access, only, {
      tokenVolume: opts.serviceAccountToken,
      jobs: opts.jobs ?? defaultJobs(),
      report: reportOptions,
      ...(opts.warn ? { warn: opts.warn } : {}),
      ...(opts.pss ? { pss: opts.pss } : {}),
      decisionCache,
      ...(cacheStats ? { cacheStats } : {}),
      ...(positions && !inputs.listing ? { positions } : {}),
    })
    : await auditPods(policies, inputs, access, only, {
      ...reportOptions,
      positions,
      tokenVolume: opts.serviceAccountToken,
      ...(opts.pss ? { pss: opts.pss } : {}),
      decisionCache,
      ...(cacheStats ? { cacheStats } : {}),
    });
  if (cacheStats && !decisionCache) cacheStats(undefined);
  if (opts.pss && policies.length > 0) {
    report.migration = migrationView(report, policies.map((p) => p.psp));
  }
  const stranded = noUsablePolicyWarning(report, opts.noUsableHint ?? NO_USABLE_HINT);
  if (stranded) (opts.warn ?? warn)(stranded);
  await writeChunks(
    renderReportChunks(report, opts.output, {
      showAdmitted: opts.showAdmitted,
      showCosmetic: opts.showCosmetic,
      color: opts.color,
      width: opts.width,
      failOn: opts.failOn,
    }),
  );
  return reportFails(report, opts.failOn) ? EXIT_REFUSED : EXIT_OK;
}

/**
 * One warning counting the rows RBAC left no PSP to try (each row says whose), or
 * undefined when there are none.
 */
export function noUsablePolicyWarning(report: AuditReport, hint: string): string | undefined {
  const rows = report.items.filter((i) => i.noUsablePolicy);
  if (rows.length === 0) return undefined;
  const pods = rows.reduce((n, i) => n + (i.pods ?? 0), 0);
  const unknown = rows.some((i) => i.pods === null);
  const podText = pods
    ? ` (${pods}${unknown ? "+" : ""} pod${pods === 1 && !unknown ? "" : "s"})`
    : "";
  return `RBAC leaves no PSP usable for ${rows.length} workload${
    rows.length === 1 ? "" : "s"
  }${podText}, refused for that alone (each row names the service account or user); ` +
    `to change that, ${hint}`;
}
