/**
 * `kubectl falco-psp audit-pods`: a dry run of PodSecurityPolicy admission for
 * pods, workload templates and the pod creations of an audit log. The shell is
 * thin: get PSPs, get pod subjects, decide which PSPs each pod may use, admit,
 * collect into an AuditReport, render, and map the result to an exit code. Each
 * "get" step is a function of `AuditInputs`, so a cluster source (issue 4) can
 * replace the file source.
 */
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import {
  type AccessCheck,
  type AuditSetup,
  candidateNames,
  PolicySet,
  rbacAccessFromSpec,
} from "../audit/document_audit.ts";
import { auditDocuments, type DocumentSource } from "../audit/pool.ts";
import { expandPaths, type LoadedObject, loadObjects } from "../io/documents.ts";
import { streamObjects } from "../io/stream.ts";
import { EXIT_OK, EXIT_REFUSED, UsageError } from "../io/errors.ts";
import type { PodSecurityPolicy } from "../model/psp.ts";
import { loadPspFiles } from "../psp/load.ts";
import { ReportBuilder, type ReportBuilderOptions } from "../report/build.ts";
import { renderJsonChunks, renderYamlChunks } from "../report/document.ts";
import { renderJunitChunks } from "../report/junit.ts";
import { type AuditReport, reportFails } from "../report/model.ts";
import { renderSarifChunks } from "../report/sarif.ts";
import { renderTable, terminalSafe } from "../report/table.ts";
import { type AuditLogStats, auditLogSubjects } from "../workloads/audit_log.ts";
import { TOKEN_VOLUME_MODES, type TokenVolumeMode } from "../workloads/service_account_token.ts";
import { extractFromObject, type OwnerEdge, POD_KINDS } from "../workloads/extract.ts";
import type { PodSubject, Requester } from "../workloads/subject.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { addClusterOptions, clusterConfigured, type ClusterFlags } from "../cluster/kubeconfig.ts";
import {
  clusterAuditInputs,
  type ClusterAuditOptions,
  needsCluster,
} from "../cluster/audit_source.ts";

/** Output formats of `-o`. */
export const OUTPUT_FORMATS = ["table", "json", "yaml", "sarif", "junit"] as const;
export type OutputFormat = typeof OUTPUT_FORMATS[number];

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
  /** The pods to audit; `edge` receives ownership learned on the way (ReplicaSet -> Deployment). */
  subjects(edge: (e: OwnerEdge) => void): AsyncIterable<PodSubject>;
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
  };
}

/** The parsed flags of `audit-pods`. */
export interface AuditPodsOptions {
  pspFile: string[];
  filename: string[];
  recursive: boolean;
  auditLog: string[];
  policy: string[];
  rbacFile: string[];
  as?: string;
  asGroup: string[];
  output: OutputFormat;
  /** The ServiceAccount plugin's token volume added before admission (default projected). */
  serviceAccountToken?: TokenVolumeMode;
  showAdmitted: boolean;
  failOn: "refused" | "changed";
  color: boolean;
  /** Cluster: also audit the pod templates of workloads. */
  workloads?: boolean;
  /** Cluster: decide PSP use by SubjectAccessReview instead of reading RBAC. */
  checkAccess?: boolean;
  /** Threads auditing `-f` documents and audit logs (default: defaultJobs()). */
  jobs?: number;
}

/** Prints a warning on stderr (terminal-safe). */
export function warn(message: string): void {
  console.error(`warning: ${terminalSafe(message)}`);
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
  reportOptions: ReportBuilderOptions & { tokenVolume?: TokenVolumeMode } = {},
): Promise<AuditReport> {
  const tokenVolume = reportOptions.tokenVolume ?? "projected";
  const set = new PolicySet(policies.map((p) => p.psp), only);
  const builder = new ReportBuilder(set.names, reportOptions);
  for await (const subject of inputs.subjects((e) => builder.addEdge(e))) {
    const allowed = access ? await access(subject, set.names) : set.names;
    builder.add(subject, set.admit(subject, allowed, tokenVolume));
  }
  return builder.finish();
}

/**
 * auditPods for the file source, with the `-f` documents and audit-log lines parsed
 * and admitted by `jobs` threads (auditDocuments). Same report as auditPods. Needs a
 * file source (`inputs.documents`) and an access check that a worker can rebuild
 * (none, or RBAC from objects).
 */
export async function auditPodsInParallel(
  policies: readonly AuditPolicy[],
  inputs: Required<Pick<AuditInputs, "documents">>,
  access: AccessCheck | undefined,
  only: ReadonlySet<string> | undefined,
  opts: { tokenVolume?: TokenVolumeMode; jobs: number; warn?: (message: string) => void },
): Promise<AuditReport> {
  const tokenVolume = opts.tokenVolume ?? "projected";
  const builder = new ReportBuilder(candidateNames(policies.map((p) => p.psp), only), {
    positions: false,
  });
  const setup: AuditSetup = {
    policies: policies.map((p) => p.psp),
    ...(only ? { only: [...only] } : {}),
    ...(access?.rbac ? { rbac: access.rbac } : {}),
    tokenVolume,
  };
  await auditDocuments(await inputs.documents.sources(), setup, builder, {
    jobs: opts.jobs,
    warn: opts.warn ?? warn,
    objectsDone: (skipped) => inputs.documents.skipped(skipped),
    auditLogDone: (file, stats) => inputs.documents.auditLogRead(file, stats),
  });
  return builder.finish();
}

/** Renders the report in the chosen format, in chunks (big reports exceed one string). Pure. */
export function renderReportChunks(
  report: AuditReport,
  format: OutputFormat,
  opts: { showAdmitted?: boolean; color?: boolean; failOn?: "refused" | "changed" } = {},
): Iterable<string> {
  switch (format) {
    case "json":
      return renderJsonChunks(report);
    case "yaml":
      return renderYamlChunks(report);
    case "sarif":
      return renderSarifChunks(report, { version: denoJson.version, failOn: opts.failOn });
    case "junit":
      return renderJunitChunks(report, { failOn: opts.failOn });
    default:
      return [renderTable(report, { showAdmitted: opts.showAdmitted, color: opts.color })];
  }
}

/**
 * Writes chunks to stdout, encoded into one reused buffer of 256 KiB and written
 * when full (a report of 100,000 pods is hundreds of MB: no copy of it is made).
 */
export async function writeChunks(chunks: Iterable<string>): Promise<void> {
  const encoder = new TextEncoder();
  const buf = new Uint8Array(256 * 1024);
  let used = 0;
  const flush = async () => {
    let written = 0;
    while (written < used) written += await Deno.stdout.write(buf.subarray(written, used));
    used = 0;
  };
  for (const chunk of chunks) {
    let rest = chunk;
    while (rest.length > 0) {
      const { read, written } = encoder.encodeInto(rest, buf.subarray(used));
      used += written;
      if (read === rest.length) break;
      rest = rest.slice(read);
      await flush();
    }
  }
  await flush();
}

/**
 * Pod subjects from `-f` paths, streamed one document (or JSON line) at a time;
 * other kinds are counted for a warning.
 */
export async function* fileSubjects(
  paths: readonly string[],
  recursive: boolean,
  edge: (e: OwnerEdge) => void,
  skipped: Map<string, number>,
  onWarning: (message: string) => void = warn,
): AsyncGenerator<PodSubject> {
  for (const file of await expandPaths(paths, recursive)) {
    for await (const lo of streamObjects(file)) {
      const { subject, edge: e, warnings } = extractFromObject(lo, undefined, {
        unknownFields: true,
      });
      warnings?.forEach(onWarning);
      if (e) edge(e);
      if (subject) yield subject;
      else {
        const kind = typeof lo.object.kind === "string" ? lo.object.kind : "(no kind)";
        skipped.set(kind, (skipped.get(kind) ?? 0) + 1);
      }
    }
  }
}

/** The file source: PSPs from `--psp-file`, pods from `-f` and `--audit-log`, RBAC from `--rbac-file`. */
export function fileInputs(
  opts: AuditPodsOptions,
  onWarning: (message: string) => void = warn,
): AuditInputs {
  const requester: Requester | undefined = opts.as
    ? { user: opts.as, groups: opts.asGroup }
    : undefined;
  const documents: NonNullable<AuditInputs["documents"]> = {
    async sources() {
      const files = await expandPaths(opts.filename, opts.recursive);
      return [
        ...files.map((file) => ({ file, kind: "objects" as const })),
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
        allowInvalidNames: true,
      });
      warnings.forEach(onWarning);
      return psps.map((p) => ({ psp: p.psp, source: p.source.file }));
    },
    async *subjects(edge) {
      const skipped = new Map<string, number>();
      yield* fileSubjects(opts.filename, opts.recursive, edge, skipped, onWarning);
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
        if (opts.as) onWarning("--as/--as-group have no effect without --rbac-file");
        return undefined;
      }
      const objects = await loadObjects(opts.rbacFile, { recursive: opts.recursive });
      return rbacAccessFromObjects(objects, requester, onWarning);
    },
  };
}

/**
 * The RBAC access check from loaded objects (files or a cluster listing): picks
 * the Roles, ClusterRoles and bindings, reports what grants nothing, indexes them.
 */
export function rbacAccessFromObjects(
  objects: readonly LoadedObject[],
  requester: Requester | undefined,
  onWarning: (message: string) => void = warn,
): AccessCheck {
  const spec = {
    objects: objects.map((o) => ({ object: o.object, source: o.source })),
    ...(requester ? { requester } : {}),
  };
  const { check, warnings } = rbacAccessFromSpec(spec);
  warnings.forEach(onWarning);
  return Object.assign(check, { rbac: spec });
}

/**
 * Checks flag combinations that commander cannot. With a cluster configured,
 * missing PSP or pod inputs are read from it instead.
 */
export function checkUsage(opts: AuditPodsOptions, clusterAvailable = false): void {
  const podFiles = opts.filename.length > 0 || opts.auditLog.length > 0;
  if (opts.workloads && podFiles) {
    throw new UsageError(
      "--workloads reads workloads from the cluster; it cannot be used with -f or --audit-log",
    );
  }
  if (opts.checkAccess && opts.rbacFile.length) {
    throw new UsageError("--check-access and --rbac-file cannot be used together");
  }
  if (!clusterAvailable && (opts.workloads || opts.checkAccess)) {
    throw new UsageError(
      `${
        opts.workloads ? "--workloads" : "--check-access"
      } needs a cluster: no kubeconfig found (pass --kubeconfig or set KUBECONFIG)`,
    );
  }
  if (clusterAvailable) {
    // PSPs and pods not given as files come from the cluster
  } else if (opts.pspFile.length === 0) {
    throw new UsageError(
      "no PodSecurityPolicies: pass --psp-file (or a kubeconfig, to read them from a cluster)",
    );
  }
  if (!clusterAvailable && !podFiles) {
    throw new UsageError(
      "nothing to audit: pass -f/--filename or --audit-log (or a kubeconfig, to read pods from a cluster)",
    );
  }
  const stdin = [...opts.pspFile, ...opts.filename, ...opts.auditLog, ...opts.rbacFile]
    .filter((p) => p === "-").length;
  if (stdin > 1) throw new UsageError("only one input may be read from stdin (-)");
  if (opts.asGroup.length && !opts.as) {
    throw new UsageError("--as-group needs --as (the user the groups belong to)");
  }
}

/** Runs the audit from parsed flags and inputs; returns the exit code. */
export async function runAuditPods(opts: AuditPodsOptions, inputs: AuditInputs): Promise<number> {
  const policies = await inputs.policies();
  if (policies.length === 0) {
    throw new UsageError(
      `no PodSecurityPolicy found in ${
        opts.pspFile.length ? "the --psp-file inputs" : "the cluster"
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
  const access = await inputs.access();
  // Field positions are printed by SARIF only; finding them costs a lookup per field, so
  // SARIF takes the one-thread path, which keeps each pod's positions at hand.
  const positions = opts.output === "sarif";
  const report = inputs.documents && !positions && (!access || access.rbac)
    ? await auditPodsInParallel(policies, { documents: inputs.documents }, access, only, {
      tokenVolume: opts.serviceAccountToken,
      jobs: opts.jobs ?? defaultJobs(),
    })
    : await auditPods(policies, inputs, access, only, {
      positions,
      tokenVolume: opts.serviceAccountToken,
    });
  const color = opts.color && opts.output === "table" && !Deno.env.get("NO_COLOR") &&
    Deno.stdout.isTerminal();
  await writeChunks(
    renderReportChunks(report, opts.output, {
      showAdmitted: opts.showAdmitted,
      color,
      failOn: opts.failOn,
    }),
  );
  return reportFails(report, opts.failOn) ? EXIT_REFUSED : EXIT_OK;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** Most threads `--jobs` takes. */
export const MAX_JOBS = 64;

/**
 * Most threads used without `--jobs`: each one holds a V8 heap of its own (tens of MB),
 * and the main thread, which reads the input and builds the report for all of them,
 * keeps more from paying off much.
 */
export const DEFAULT_MAX_JOBS = 4;

/** The default of `--jobs`: one thread per CPU, at most DEFAULT_MAX_JOBS. */
export function defaultJobs(cpus = navigator.hardwareConcurrency): number {
  return Math.max(1, Math.min(DEFAULT_MAX_JOBS, cpus || 1));
}

/** Parses `--jobs`: a whole number from 1 to MAX_JOBS. */
export function parseJobs(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > MAX_JOBS) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_JOBS}`);
  }
  return n;
}

/** The audit-pods command. */
export function auditPodsCommand() {
  const cmd = new Command("audit-pods")
    .description(
      "Dry-run PodSecurityPolicy admission: for every pod, workload template or audit-log pod " +
        "creation, would the PSPs admit it, with which PSP, change it (how), or refuse it (why, in " +
        "the API server's words).",
    )
    .usage("[--psp-file FILE] [-f FILE | --audit-log FILE | -n NAMESPACE | -A] [options]")
    .option("--psp-file <path>", "PSPs: file, directory or - (repeatable)", collect)
    .option(
      "-f, --filename <path>",
      "pods and workloads (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, " +
        "ReplicationController, PodTemplate) as YAML, JSON or JSON lines, read as a stream: " +
        "file, directory or - (repeatable)",
      collect,
    )
    .option("-R, --recursive", "read directories recursively")
    .option(
      "--audit-log <file>",
      "Kubernetes audit log (JSON lines): audit every pod creation in it (repeatable)",
      collect,
    )
    .option(
      "--policy <name>",
      "only these PSPs may be used (repeatable; default: all given)",
      collect,
    )
    .option(
      "--rbac-file <path>",
      "Roles, ClusterRoles and bindings deciding which PSPs each pod may use (repeatable)",
      collect,
    )
    .option(
      "--as <user>",
      "the user creating the pods (for --rbac-file; audit-log events carry their own)",
    )
    .option("--as-group <group>", "a group of --as (repeatable)", collect)
    .addOption(
      new Option("-o, --output <format>", "output format").choices(OUTPUT_FORMATS).default(
        "table" as OutputFormat,
      ),
    )
    .addOption(
      new Option(
        "--service-account-token <volume>",
        "the token volume the ServiceAccount admission plugin adds to pods from files, templates " +
          "and audit logs before PSP admission: projected (Kubernetes 1.21+), secret (1.20 and " +
          "older), none (plugin off, or tokens never automounted)",
      ).choices(TOKEN_VOLUME_MODES).default("projected" as TokenVolumeMode),
    )
    .option(
      "-j, --jobs <n>",
      "threads parsing and auditing -f files and audit logs (default: one per CPU, at most 4; 1: no worker threads)",
      parseJobs,
    )
    .option("--show-admitted", "table: also list pods admitted unchanged")
    .addOption(
      new Option("--fail-on <verdict>", "exit 1 when a pod is refused, or also when changed")
        .choices(["refused", "changed"] as const).default("refused" as const),
    )
    .option("--no-color", "no colours in the table (also: NO_COLOR, or output not a terminal)")
    .option(
      "--workloads",
      "cluster: also audit the pod templates of Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, ReplicaSets and ReplicationControllers",
    )
    .option(
      "--check-access",
      "cluster: ask the API server (SubjectAccessReview) which PSPs each service account may use, instead of reading RBAC",
    )
    .addHelpText(
      "after",
      `
Examples:
  kubectl falco-psp audit-pods --psp-file psps/ -f deploy.yaml
  kubectl falco-psp audit-pods --psp-file psps.yaml --audit-log /var/log/kube-audit.log -o json
  kubectl falco-psp audit-pods --psp-file psps.yaml -f app/ -R --rbac-file rbac.yaml -o sarif
  kubectl falco-psp audit-pods -A --workloads          # pods, workloads, PSPs and RBAC of the cluster
  kubectl falco-psp audit-pods -n prod --psp-file new-psps.yaml --check-access

Without -f/--audit-log, pods (and with --workloads the workload templates) are read from the
cluster of the kubeconfig context; without --psp-file, so are the PSPs (a cluster without the
PodSecurityPolicy API needs --psp-file). Which PSPs a pod may use then comes from the cluster's
RBAC (or --check-access, or --rbac-file). --as/--as-group name the pod creator for that check;
API calls use the kubeconfig's user.

Exit codes:
  0  nothing refused (with --fail-on changed: nothing refused or changed)
  1  some pod would be refused (or changed, with --fail-on changed)
  2  bad usage or input
  3  cluster or I/O failure`,
    )
    .action(async (flags) => {
      const opts: AuditPodsOptions = {
        ...flags,
        pspFile: flags.pspFile ?? [],
        filename: flags.filename ?? [],
        recursive: flags.recursive ?? false,
        auditLog: flags.auditLog ?? [],
        policy: flags.policy ?? [],
        rbacFile: flags.rbacFile ?? [],
        asGroup: flags.asGroup ?? [],
        output: flags.output as OutputFormat,
        serviceAccountToken: flags.serviceAccountToken as TokenVolumeMode,
        showAdmitted: flags.showAdmitted ?? false,
      };
      const cluster: ClusterAuditOptions = {
        pspFile: opts.pspFile,
        podFilesGiven: opts.filename.length > 0 || opts.auditLog.length > 0,
        rbacFile: opts.rbacFile,
        workloads: opts.workloads ?? false,
        checkAccess: opts.checkAccess ?? false,
        requester: opts.as ? { user: opts.as, groups: opts.asGroup } : undefined,
      };
      // --as/--as-group here name the pod creator, not an identity to impersonate.
      const clusterFlags = { ...flags, as: undefined, asGroup: undefined } as ClusterFlags;
      const useCluster = needsCluster(cluster) && clusterConfigured(clusterFlags);
      checkUsage(opts, useCluster);
      const files = fileInputs(opts);
      const inputs = useCluster
        ? await clusterAuditInputs(cluster, clusterFlags, {
          files,
          accessFromObjects: (objects) => rbacAccessFromObjects(objects, cluster.requester),
          warn,
        })
        : files;
      Deno.exitCode = await runAuditPods(opts, inputs);
    });
  // --as/--as-group are the pod creator's (see above), not kubectl's impersonation flags.
  return addClusterOptions(cmd, ["as", "asGroup"]);
}
