/**
 * `kubectl falco-psp convert`: PodSecurityPolicies -> Falco rules. The shell is thin: get the
 * PSPs (`readPolicies`, the one step a cluster source replaces), generate (pure), write
 * (stdout, one file atomically, or one file per PSP), warnings to stderr.
 */
import { Command, Option } from "@commander-js/extra-typings";
import { writeFileAtomic, writeOutput } from "../io/atomic_write.ts";
import { InputError, IoError, type SourceRef, UsageError } from "../io/errors.ts";
import { terminalText } from "../io/terminal_text.ts";
import type { PodSecurityPolicy } from "../model/psp.ts";
import {
  type FalcoTarget,
  type GeneratedRules,
  GenerateError,
  generateRules,
  generateRulesPerPolicy,
} from "../falco/generate.ts";
import { UnsafeValueError } from "../falco/condition.ts";
import { generatePolicySetRules } from "../falco/policy_set.ts";
import { loadPspFiles } from "../psp/load.ts";
import { addClusterOptions, clusterConfigured, type ClusterFlags } from "../cluster/kubeconfig.ts";
import { clusterPolicySource } from "../cluster/convert_source.ts";

/** A PSP to convert and where it came from (for error messages). */
export interface ConvertPolicy {
  psp: PodSecurityPolicy;
  source: SourceRef;
}

/** Options of `convert`, as parsed. */
export interface ConvertOptions {
  pspPath?: string;
  rulesPath?: string;
  outputDir?: string;
  prefix: boolean;
  falcoVersion: FalcoTarget;
  recursive: boolean;
  /**
   * One policy-set rule set (true) or rules per PSP (false); undefined: a set when several PSPs
   * go into one current-target file.
   */
  policySet?: boolean;
  /** Documents of directory files that are not Kubernetes objects are errors, not skipped. */
  strict?: boolean;
}

/** Where the PSPs come from: files, directories and stdin (`-`). A cluster source replaces this. */
export type PolicySource = (
  inputs: readonly string[],
  opts: ConvertOptions,
) => Promise<{ policies: ConvertPolicy[]; warnings: string[] }>;

/**
 * Reads the PSPs from the positional inputs and `--psp-path`: validated and defaulted as the
 * API server stores them; names a cluster refuses (the Falco docs' `no_privileged`) and
 * missing strategy rules are accepted with a warning.
 */
const readPolicies: PolicySource = async (inputs, opts) => {
  const paths = [...(opts.pspPath ? [opts.pspPath] : []), ...inputs];
  if (!paths.length) {
    throw new UsageError(
      "no input: give PodSecurityPolicy files or directories, --psp-path, or - for stdin " +
        "(or a kubeconfig, to read them from a cluster)",
    );
  }
  const { psps, warnings } = await loadPspFiles(paths, {
    allowInvalidNames: true,
    allowMissingRules: true,
    recursive: opts.recursive,
    strict: opts.strict,
  });
  return { policies: psps.map((p) => ({ psp: p.psp, source: p.source })), warnings };
};

/**
 * `-R` named the rules file before it meant `--recursive` (as in kubectl): `convert ... -R FILE`
 * from an older script is refused with what to write instead, rather than read FILE as a PSP
 * and print the rules to stdout. `-R` before a directory (or a flag, or nothing) is recursion.
 */
export function checkLegacyRulesFlag(args: readonly string[]): void {
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] === "--") return;
    if (args[i] !== "-R") continue;
    const next = args[i + 1];
    if (next.startsWith("-") && next !== "-") continue;
    let dir = false;
    try {
      dir = Deno.statSync(next).isDirectory;
    } catch { /* not a directory */ }
    if (dir) continue;
    throw new UsageError(
      `-R means --recursive now, as in kubectl, and takes no value; to write the rules to ` +
        `${JSON.stringify(next)}, pass --rules-path ${next} (falcoctl's long flag)`,
    );
  }
}

/** Turns a generator refusal into an input error naming file, document and field. */
function inputErrorFor(e: unknown, policies: readonly ConvertPolicy[]): never {
  if (e instanceof GenerateError) {
    const p = policies.find((x) => x.psp.metadata?.name === e.policy);
    // the source names the PSP's file and document; the field and detail follow once
    if (p) throw new InputError(p.source, e.field, e.detail);
    const files = [...new Set(policies.map((x) => x.source.file))].join(", ") || "-";
    throw new InputError({ file: files }, undefined, e.message);
  }
  if (e instanceof UnsafeValueError) {
    throw new InputError(
      policies.length === 1 ? policies[0].source : { file: "-" },
      undefined,
      e.message,
    );
  }
  throw e;
}

/** A file name for one PSP's rules: its name with unsafe characters replaced, made unique. */
function policyFileName(name: string, used: Set<string>): string {
  const base = (name || "psp").replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  let file = `${base}.yaml`;
  for (let n = 2; used.has(file); n++) file = `${base}_${n}.yaml`;
  used.add(file);
  return file;
}

function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) console.error(`warning: ${terminalText(w, { oneLine: true })}`);
}

/** Runs the conversion with parsed options. */
async function runConvert(
  inputs: readonly string[],
  opts: ConvertOptions,
  source: PolicySource = readPolicies,
): Promise<void> {
  if (opts.rulesPath !== undefined && opts.outputDir !== undefined) {
    throw new UsageError("--rules-path and --output-dir cannot be used together");
  }
  if (opts.policySet && opts.outputDir !== undefined) {
    throw new UsageError(
      "--policy-set writes one rules file for the PodSecurityPolicies together; it cannot be used with --output-dir",
    );
  }
  if (opts.policySet && opts.falcoVersion === "0.27") {
    throw new UsageError("--policy-set needs the current Falco target, not --falco-version 0.27");
  }
  if (opts.policySet && !opts.prefix) {
    throw new UsageError(
      "--policy-set names every rule after its PodSecurityPolicy; drop --no-prefix",
    );
  }
  const { policies, warnings } = await source(inputs, opts);
  printWarnings(warnings);
  if (!policies.length) {
    throw new InputError(
      { file: [opts.pspPath, ...inputs].filter(Boolean).join(", ") || "-" },
      undefined,
      "no PodSecurityPolicy found",
    );
  }
  const genOpts = { target: opts.falcoVersion, prefix: opts.prefix };
  const psps = policies.map((p) => p.psp);
  if (opts.outputDir !== undefined) {
    let files: { policy: string; rules: GeneratedRules }[];
    try {
      files = generateRulesPerPolicy(psps, genOpts);
    } catch (e) {
      inputErrorFor(e, policies);
    }
    try {
      await Deno.mkdir(opts.outputDir, { recursive: true });
    } catch (e) {
      throw new IoError(`cannot create ${opts.outputDir}: ${(e as Error).message}`);
    }
    const used = new Set<string>();
    for (const f of files) {
      printWarnings(f.rules.warnings);
      const path = `${opts.outputDir.replace(/\/+$/, "")}/${policyFileName(f.policy, used)}`;
      await writeFileAtomic(path, f.rules.yaml);
      console.error(`wrote ${terminalText(path, { oneLine: true })}`);
    }
    return;
  }
  const policySet = opts.policySet ??
    (opts.falcoVersion === "current" && opts.prefix && psps.length > 1);
  let rules: GeneratedRules;
  try {
    rules = policySet ? generatePolicySetRules(psps) : generateRules(psps, genOpts);
  } catch (e) {
    inputErrorFor(e, policies);
  }
  printWarnings(rules.warnings);
  await writeOutput(opts.rulesPath, rules.yaml);
}

/** The convert command. */
export function convertCommand() {
  const cmd = new Command("convert")
    .description(
      "Convert PodSecurityPolicies to Falco rules that report, without blocking, the pods the policies would refuse or change.",
    )
    .argument("[inputs...]", "PodSecurityPolicy files or directories (YAML or JSON), - for stdin")
    .addOption(
      new Option("-P, --psp-path <path>", "a PodSecurityPolicy file (falcoctl compatible)").env(
        "FALCOCTL_PSP_PATH",
      ),
    )
    .addOption(
      new Option(
        "--rules-path <path>",
        "write the rules to this file (atomically) instead of stdout; - for stdout (falcoctl compatible)",
      ).env("FALCOCTL_RULES_PATH"),
    )
    .option("-d, --output-dir <dir>", "write one rules file per PodSecurityPolicy into <dir>")
    .option(
      "--no-prefix",
      "do not prefix lists, macros and rules with the PSP name (one PSP per file)",
    )
    .addOption(
      new Option(
        "--falco-version <version>",
        "the Falco the rules are for: current (0.43, 0.44, 0.45) or 0.27",
      )
        .choices(["current", "0.27", "0.43", "0.44", "0.45"] as const)
        .default("current" as const),
    )
    .option(
      "--policy-set",
      "one rule set for all the PodSecurityPolicies: a Violation only when every policy would refuse the pod (default with several policies)",
    )
    .option(
      "--no-policy-set",
      "rules per PodSecurityPolicy, as falcoctl wrote them: each policy's rules fire on its own",
    )
    .option("-R, --recursive", "read directories recursively (as kubectl's -R)", false)
    .addOption(new Option("-r", "deprecated: -R/--recursive").hideHelp())
    .option(
      "--strict",
      "documents of directory files that are not Kubernetes objects (kustomize patches, Helm " +
        "templates, values files) are errors, not skipped with a warning",
    )
    .option(
      "--policy <name>",
      "without file inputs: convert only this PodSecurityPolicy of the cluster (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addHelpText(
      "after",
      `
Examples:
  kubectl falco-psp convert psp.yaml > psp_falco_rules.yaml
  kubectl get psp -o yaml | kubectl falco-psp convert - --rules-path psp_falco_rules.yaml
  kubectl falco-psp convert --no-prefix --falco-version 0.27 --psp-path no_privileged.yaml
  kubectl falco-psp convert policies/ --output-dir rules/
  kubectl falco-psp convert --context prod --policy restricted   # from the cluster

Without file inputs the PodSecurityPolicies are read from the cluster of the current
kubeconfig context (all of them, or those named by --policy); a cluster without the
PodSecurityPolicy API (Kubernetes >= 1.25) is an error asking for files.

Several PodSecurityPolicies (a directory, a List from kubectl get psp, a cluster) give one
policy set: a cluster admits a pod when any policy its creator may use admits it, so a set
Violation fires only when every policy of the set would refuse the pod, one rule per policy
naming its first refused field; set Mutation rules follow the policy the API server would
choose. --no-policy-set gives falcoctl's per-policy rules (each fires on its own); one policy,
--output-dir and --falco-version 0.27 always give per-policy rules.

Targets: "current" is Falco 0.43-0.45 with the k8saudit (>= 0.18.0) and json (>= 0.7.0)
plugins; "0.27" is Falco 0.27 with falcoctl-compatible names and conditions.
Warnings (including fields the rules cannot check) go to stderr. Exit code 2 on bad input.`,
    )
    .action(async (inputs, o) => {
      const fromCluster = inputs.length === 0 && !o.pspPath &&
        clusterConfigured(o as ClusterFlags);
      if (o.policy.length && !fromCluster) {
        throw new UsageError(
          "--policy names PodSecurityPolicies to read from a cluster; it cannot be used with file inputs",
        );
      }
      const source = fromCluster ? clusterPolicySource(o as ClusterFlags, o.policy) : readPolicies;
      if (o.r) printWarnings(["-r is deprecated: use -R/--recursive (as in kubectl)"]);
      await runConvert(inputs, {
        pspPath: o.pspPath,
        rulesPath: o.rulesPath,
        outputDir: o.outputDir,
        prefix: o.prefix,
        falcoVersion: o.falcoVersion === "0.27" ? "0.27" : "current",
        recursive: o.recursive || o.r === true,
        policySet: o.policySet,
        strict: o.strict ?? false,
      }, source);
    });
  // PSPs are cluster-scoped: no namespace or selector flags.
  return addClusterOptions(cmd, ["namespace", "allNamespaces", "selector", "fieldSelector"]);
}
