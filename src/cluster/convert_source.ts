/**
 * The cluster source of `convert`: PodSecurityPolicies read from the cluster
 * (all of them, or the names given), as loaded objects so that they go through
 * the same validation and defaulting as PSPs read from files.
 */
import type { LoadedObject } from "../io/documents.ts";
import type { SourceRef } from "../io/errors.ts";
import type { PodSecurityPolicy } from "../model/psp.ts";
import { loadPsps } from "../psp/load.ts";
import { clearProgress, connect } from "./client.ts";
import { type ClusterFlags, loadConnection } from "./kubeconfig.ts";
import { listPodSecurityPolicies } from "./resources.ts";

const HINT = "pass PodSecurityPolicy files instead (positional FILE arguments or --psp-path)";

/**
 * Reads PSPs from the cluster the flags select: every PSP (paged), or the
 * named ones (each must exist). Each object's source is `cluster`, item = its
 * position. Failures are IoErrors (exit 3) saying what to do.
 */
async function clusterPspObjects(
  flags: ClusterFlags,
  names: readonly string[] = [],
): Promise<LoadedObject[]> {
  const conn = await loadConnection(flags);
  const client = connect(conn, { noPspApiHint: HINT });
  const psps = await listPodSecurityPolicies(client, names, HINT);
  clearProgress();
  // API order is by name; keep it (stable output for the same cluster state).
  return psps.map((object, item) => ({
    object,
    source: { file: "cluster", item },
    locate: () => undefined,
  }));
}

/** The PSPs read for `convert`, validated and defaulted, with the loader's warnings. */
export type ClusterPolicies = Promise<{
  policies: { psp: PodSecurityPolicy; source: SourceRef }[];
  warnings: string[];
}>;

/**
 * A `convert` policy source reading the cluster: the PSPs go through the same
 * loader as files (validation, defaults, warnings); sources are `cluster`.
 */
export function clusterPolicySource(
  flags: ClusterFlags,
  names: readonly string[],
): () => ClusterPolicies {
  return async () => {
    const objects = await clusterPspObjects(flags, names);
    const { psps, warnings } = loadPsps(objects, {
      allowInvalidNames: true,
      allowMissingRules: true,
    });
    return { policies: psps.map((p) => ({ psp: p.psp, source: p.source })), warnings };
  };
}
