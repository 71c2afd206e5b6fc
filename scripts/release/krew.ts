/**
 * The Krew plugin manifest (`plugins/falco-psp.yaml`), generated from the
 * release archives and their checksums.
 */
import { stringify } from "yaml";
import { binaryName, type ReleaseTarget } from "./targets.ts";

/** Krew's manifest API version. */
export const KREW_API_VERSION = "krew.googlecontainertools.github.com/v1alpha2";
/** The plugin's name in Krew (`kubectl falco-psp`). */
export const KREW_PLUGIN_NAME = "falco-psp";

/** A built archive as the manifest refers to it. */
export interface ManifestArchive {
  target: ReleaseTarget;
  fileName: string;
  sha256: string;
  /** Completion helper file name inside the archive. */
  helperName: string;
}

/** Inputs of {@link krewManifest}. */
export interface ManifestInput {
  /** Plugin version without `v` (deno.json's). */
  version: string;
  homepage: string;
  /** URL the archives are downloaded from (the release's download folder). */
  downloadUrl: string;
  archives: ManifestArchive[];
}

/** Builds the Krew `Plugin` manifest object. */
export function krewManifestObject(input: ManifestInput): Record<string, unknown> {
  const base = input.downloadUrl.replace(/\/+$/, "");
  return {
    apiVersion: KREW_API_VERSION,
    kind: "Plugin",
    metadata: { name: KREW_PLUGIN_NAME },
    spec: {
      version: `v${input.version}`,
      homepage: input.homepage,
      shortDescription: "PSPs to Falco rules, and PSP admission dry runs",
      description: [
        "Converts PodSecurityPolicies to Falco rules (current Falco and Falco 0.27,",
        "falcoctl-compatible) and audits pods and workloads against PSPs exactly as",
        "the PSP admission controller would, from files or a live cluster, including",
        "clusters where the PodSecurityPolicy API is gone (>= 1.25).",
        "",
      ].join("\n"),
      caveats: [
        "Shell completion of 'kubectl falco-psp' (kubectl >= 1.26) needs the",
        "kubectl_complete-falco_psp helper on PATH; it is in the plugin's folder:",
        '  ln -s "$(dirname "$(readlink -f "$(command -v kubectl-falco_psp)")")/kubectl_complete-falco_psp" \\',
        '    "$(dirname "$(command -v kubectl-falco_psp)")/"',
        "",
      ].join("\n"),
      platforms: input.archives.map((a) => ({
        selector: { matchLabels: { os: a.target.os, arch: a.target.arch } },
        uri: `${base}/${a.fileName}`,
        sha256: a.sha256,
        files: [
          { from: binaryName(a.target), to: "." },
          { from: a.helperName, to: "." },
          { from: "LICENSE", to: "." },
          { from: "README.md", to: "." },
        ],
        bin: binaryName(a.target),
      })),
    },
  };
}

/** The manifest as YAML text. */
export function krewManifest(input: ManifestInput): string {
  return stringify(krewManifestObject(input), { lineWidth: 0 });
}
