/**
 * `kubectl falco-psp audit-pods`: flag parsing. The flags choose the inputs (files,
 * src/audit/inputs.ts; a cluster, src/cluster/audit_source.ts) and the run's options;
 * src/audit/run.ts audits, src/report/render.ts renders.
 */
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import {
  type FileInputOptions,
  fileInputs,
  RBAC_MODES,
  rbacAccessFromObjects,
  type RbacMode,
  warn,
} from "../audit/inputs.ts";
import { runAudit } from "../audit/run.ts";
import { UsageError } from "../io/errors.ts";
import { parseLevelVersion, parseVersion, PolicyParseError } from "../pss/api.ts";
import type { PssSetting } from "../pss/pod_result.ts";
import { terminalWidth } from "../io/terminal_width.ts";
import { OUTPUT_FORMATS, type OutputFormat } from "../report/render.ts";
import { LabelSelectorError, parseLabelSelector } from "../workloads/label_selector.ts";
import type { ObjectSelection } from "../workloads/selection.ts";
import { TOKEN_VOLUME_MODES, type TokenVolumeMode } from "../workloads/service_account_token.ts";
import { addClusterOptions, clusterConfigured, type ClusterFlags } from "../cluster/kubeconfig.ts";
import {
  clusterAuditInputs,
  type ClusterAuditOptions,
  needsCluster,
} from "../cluster/audit_source.ts";

/** The parsed flags of `audit-pods`. */
export interface AuditPodsOptions extends FileInputOptions {
  policy: string[];
  output: OutputFormat;
  /** The ServiceAccount plugin's token volume added before admission (default projected). */
  serviceAccountToken?: TokenVolumeMode;
  showAdmitted: boolean;
  /** Table: also show changes without effect (the seccomp annotation copied from the field). */
  showCosmetic?: boolean;
  failOn: "refused" | "changed";
  color: boolean;
  /** Cluster: also audit the pod templates of workloads. */
  workloads?: boolean;
  /** Cluster: decide PSP use by SubjectAccessReview instead of reading RBAC. */
  checkAccess?: boolean;
  /** Where the RBAC deciding PSP use comes from (default auto). */
  rbac?: RbacMode;
  /** Threads auditing `-f` documents, audit logs and cluster listings (default: defaultJobs()). */
  jobs?: number;
  /** `--pss [LEVEL][:VERSION]`: Pod Security Standards too (or only, without PSPs). */
  pss?: PssSetting;
}

/**
 * Parses `--pss`: `LEVEL[:VERSION]` (version default `latest`), a version alone (`v1.30`,
 * `latest`: no level, report the strictest level each pod meets), or nothing (the same, at
 * `latest`).
 */
function parsePss(value: string | true): PssSetting {
  if (value === true) return { level: null, version: "latest" };
  try {
    if (value === "latest" || value.startsWith("v")) {
      return { level: null, version: parseVersion(value) };
    }
    return parseLevelVersion(value);
  } catch (e) {
    if (e instanceof PolicyParseError) {
      throw new InvalidArgumentError(
        `expected LEVEL[:VERSION] (privileged, baseline, restricted; latest or v1.<minor>), e.g. restricted:v1.30: ${e.message}`,
      );
    }
    throw e;
  }
}

/** Whether PSPs are audited at all: with `--pss`, pods from files need `--psp-file` for them. */
function pspWanted(opts: AuditPodsOptions): boolean {
  const podFiles = opts.filename.length > 0 || opts.auditLog.length > 0;
  return !opts.pss || opts.pspFile.length > 0 || !podFiles;
}

/**
 * Checks flag combinations that commander cannot. With a cluster configured,
 * missing PSP or pod inputs are read from it instead.
 */
function checkUsage(opts: AuditPodsOptions, clusterAvailable = false): void {
  const podFiles = opts.filename.length > 0 || opts.auditLog.length > 0;
  if (opts.workloads && podFiles) {
    throw new UsageError(
      "--workloads reads workloads from the cluster; it cannot be used with -f or --audit-log",
    );
  }
  if (opts.checkAccess && opts.rbacFile.length) {
    throw new UsageError("--check-access and --rbac-file cannot be used together");
  }
  const rbac = opts.rbac ?? "auto";
  if (rbac === "files" && !opts.rbacFile.length) {
    throw new UsageError("--rbac=files needs --rbac-file (the RBAC objects to read)");
  }
  if ((rbac === "cluster" || rbac === "none") && opts.rbacFile.length) {
    throw new UsageError(`--rbac=${rbac} and --rbac-file cannot be used together`);
  }
  if (rbac !== "auto" && opts.checkAccess) {
    throw new UsageError(`--rbac=${rbac} and --check-access cannot be used together`);
  }
  if (rbac === "cluster" && !clusterAvailable) {
    throw new UsageError(
      "--rbac=cluster needs a cluster: no kubeconfig found (pass --kubeconfig or set KUBECONFIG)",
    );
  }
  if (!clusterAvailable && (opts.workloads || opts.checkAccess)) {
    throw new UsageError(
      `${
        opts.workloads ? "--workloads" : "--check-access"
      } needs a cluster: no kubeconfig found (pass --kubeconfig or set KUBECONFIG)`,
    );
  }
  if (clusterAvailable || opts.pss) {
    // PSPs and pods not given as files come from the cluster; with --pss, PSPs are optional
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
  if (opts.creatorGroups.length && !opts.creator) {
    throw new UsageError("--creator-group needs --creator (the user the groups belong to)");
  }
  if (opts.selection?.selector !== undefined) {
    try {
      parseLabelSelector(opts.selection.selector);
    } catch (e) {
      if (!(e instanceof LabelSelectorError)) throw e;
      throw new UsageError(`-l/--selector: ${e.message}`);
    }
  }
}

/**
 * `--as` impersonates for the API calls, as in kubectl (it named the pod creator before
 * `--creator`): without a cluster it can do nothing, which is an error saying so; with one,
 * a warning says what it does now unless `--creator` is given too.
 */
export function checkImpersonation(
  flags: Pick<ClusterFlags, "as" | "asGroup">,
  opts: Pick<AuditPodsOptions, "creator">,
  clusterUsed: boolean,
  onWarning: (message: string) => void,
): void {
  if (!flags.as && !flags.asGroup?.length) return;
  if (!clusterUsed) {
    throw new UsageError(
      "--as/--as-group impersonate a user for the API calls, as in kubectl, and this run " +
        "reads no cluster; to name the pod creator whose RBAC counts, use --creator/--creator-group " +
        "(--as meant that in earlier versions)",
    );
  }
  if (!opts.creator) {
    onWarning(
      `--as impersonates ${JSON.stringify(flags.as ?? "")} for the API calls, as in kubectl; ` +
        "it no longer names the pod creator whose RBAC counts: use --creator for that",
    );
  }
}

/** `-n`/`-l` for the objects of `-f` files (undefined without -f or without either flag). */
function fileSelection(
  flags: { namespace?: string; selector?: string },
  filename: readonly string[],
): ObjectSelection | undefined {
  if (filename.length === 0 || (!flags.namespace && flags.selector === undefined)) return undefined;
  return {
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(flags.selector !== undefined ? { selector: flags.selector } : {}),
  };
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** Most threads `--jobs` takes. */
const MAX_JOBS = 64;

const RBAC_RULE = "a Role or ClusterRole with verb use on podsecuritypolicies, and a binding";

/** How to change RBAC that leaves a pod no PSP, for the RBAC the flags chose. */
export function noUsableHint(opts: Pick<AuditPodsOptions, "rbacFile" | "checkAccess">): string {
  if (opts.rbacFile.length) {
    return `grant one of them "use" of a PSP in the --rbac-file objects (${RBAC_RULE}), ` +
      "or audit without RBAC (no --rbac-file)";
  }
  if (opts.checkAccess) {
    return `grant one of them "use" of a PSP in the cluster (${RBAC_RULE}), ` +
      "or audit without RBAC (--rbac=none instead of --check-access)";
  }
  return `grant one of them "use" of a PSP (${RBAC_RULE}), or audit without RBAC (--rbac=none)`;
}

/** Parses `--jobs`: a whole number from 1 to MAX_JOBS. */
function parseJobs(value: string): number {
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
      "--strict",
      "documents of files found in directories (-f, --psp-file, --rbac-file) that are not " +
        "Kubernetes objects or only parts of them (kustomize patches, Helm templates, values " +
        "files) are errors, not skipped with a warning",
    )
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
    .addOption(
      new Option(
        "--rbac <source>",
        "which PSPs each pod may use: auto (--rbac-file if given, else the cluster's RBAC, " +
          "unless the cluster has no PSP API or its RBAC grants none of the given PSPs: then " +
          "every PSP), cluster, files (--rbac-file), none (every PSP usable by every pod)",
      ).choices(RBAC_MODES).default("auto" as RbacMode),
    )
    .option(
      "--creator <user>",
      "the user creating the pods, whose RBAC counts beside the pod's service account (for " +
        "--rbac-file, the cluster's RBAC and --check-access; audit-log events carry their own)",
    )
    .option("--creator-group <group>", "a group of --creator (repeatable)", collect)
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
      "threads parsing and auditing -f files, audit logs and pods listed from a cluster (default: one per CPU, at most 4; 1: no worker threads)",
      parseJobs,
    )
    .option(
      "--pss [level]",
      "also evaluate each pod against a Pod Security Standards level, LEVEL[:VERSION] " +
        "(privileged, baseline, restricted; version latest or v1.<minor>, default latest), as " +
        "Pod Security Admission would; alone (or with a version only): report the strictest " +
        "level each pod meets. Without PSPs (no --psp-file, or a cluster without the PSP API) " +
        "pods are evaluated against the standards only",
      (v: string) => parsePss(v),
    )
    .option("--show-admitted", "table: also list pods admitted unchanged")
    .option(
      "--show-cosmetic",
      "table: also show changes without effect (the seccomp annotation PSP admission copies " +
        "from the pod's seccompProfile field), also on admitted rows",
    )
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
RBAC (or --check-access, or --rbac-file). --creator/--creator-group name the pod creator for
that check; --as/--as-group impersonate for the API calls, as in kubectl. With -f, -n gives
objects without a namespace theirs (an object naming another is an error) and -l keeps the
objects whose own labels match, as kubectl does.

Exit codes:
  0  nothing refused (with --fail-on changed: nothing refused or changed)
  1  some pod would be refused (or changed, with --fail-on changed; or refused by --pss LEVEL)
  2  bad usage or input
  3  cluster or I/O failure
  4  internal error (a bug: please report it with the stack printed)`,
    )
    .action(async (flags) => {
      const opts: AuditPodsOptions = {
        ...flags,
        pspFile: flags.pspFile ?? [],
        filename: flags.filename ?? [],
        recursive: flags.recursive ?? false,
        strict: flags.strict ?? false,
        auditLog: flags.auditLog ?? [],
        policy: flags.policy ?? [],
        rbacFile: flags.rbacFile ?? [],
        creatorGroups: flags.creatorGroup ?? [],
        output: flags.output as OutputFormat,
        serviceAccountToken: flags.serviceAccountToken as TokenVolumeMode,
        rbac: flags.rbac as RbacMode,
        showAdmitted: flags.showAdmitted ?? false,
        pss: flags.pss === undefined ? undefined : flags.pss === true ? parsePss(true) : flags.pss,
        selection: fileSelection(flags as ClusterFlags, flags.filename ?? []),
      };
      const cluster: ClusterAuditOptions = {
        pspFile: opts.pspFile,
        podFilesGiven: opts.filename.length > 0 || opts.auditLog.length > 0,
        rbacFile: opts.rbacFile,
        workloads: opts.workloads ?? false,
        checkAccess: opts.checkAccess ?? false,
        rbac: opts.rbac ?? "auto",
        requester: opts.creator ? { user: opts.creator, groups: opts.creatorGroups } : undefined,
        pss: opts.pss !== undefined,
      };
      // --as/--as-group impersonate for the API calls, as in kubectl; --creator names the pod creator.
      const clusterFlags = flags as ClusterFlags;
      const useCluster = (pspWanted(opts) || cluster.checkAccess) && needsCluster(cluster) &&
        clusterConfigured(clusterFlags);
      checkUsage(opts, useCluster);
      checkImpersonation(clusterFlags, opts, useCluster, warn);
      const files = fileInputs(opts);
      const inputs = useCluster
        ? await clusterAuditInputs(cluster, clusterFlags, {
          files,
          accessFromObjects: (objects) => rbacAccessFromObjects(objects, cluster.requester),
          warn,
        })
        : files;
      Deno.exitCode = await runAudit({
        ...opts,
        pspFilesGiven: opts.pspFile.length > 0,
        requester: opts.creator,
        noUsableHint: noUsableHint(opts),
        color: opts.color && opts.output === "table" && !Deno.env.get("NO_COLOR") &&
          Deno.stdout.isTerminal(),
        width: opts.output === "table" ? terminalWidth() : undefined,
      }, inputs);
    });
  return addClusterOptions(cmd);
}
