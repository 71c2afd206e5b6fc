/**
 * `restrictedVolumes` (restricted, v1.0+; replaces `hostPathVolumes`): only configMap, csi,
 * downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes.
 * (Upstream patched `image` into the 1.0 revision, so it is allowed at every policy version.)
 */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  forbid,
  joinQuote,
  pluralize,
  type PssMetadata,
  type PssPodSpec,
  sortedSet,
} from "../check.ts";

const ALLOWED_SOURCES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/** The restricted sources in upstream's order, with the name its message uses. */
const RESTRICTED_SOURCES: readonly (readonly [string, string])[] = [
  ["hostPath", "hostPath"],
  ["gcePersistentDisk", "gcePersistentDisk"],
  ["awsElasticBlockStore", "awsElasticBlockStore"],
  ["gitRepo", "gitRepo"],
  ["nfs", "nfs"],
  ["iscsi", "iscsi"],
  ["glusterfs", "glusterfs"],
  ["rbd", "rbd"],
  ["flexVolume", "flexVolume"],
  ["cinder", "cinder"],
  ["cephfs", "cephfs"],
  ["flocker", "flocker"],
  ["fc", "fc"],
  ["azureFile", "azureFile"],
  ["vsphereVolume", "vsphereVolume"],
  ["quobyte", "quobyte"],
  ["azureDisk", "azureDisk"],
  ["photonPersistentDisk", "photonPersistentDisk"],
  ["portworxVolume", "portworxVolume"],
  ["scaleIO", "scaleIO"],
  ["storageos", "storageos"],
];

function restrictedVolumes1_0(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const bad: string[] = [];
  const types: string[] = [];
  for (const v of spec.volumes ?? []) {
    if (v == null || typeof v !== "object") continue;
    let allowed = false;
    for (const k in v) {
      if (ALLOWED_SOURCES.has(k) && v[k] != null) {
        allowed = true;
        break;
      }
    }
    if (allowed) continue;
    bad.push(v.name);
    types.push(RESTRICTED_SOURCES.find(([k]) => v[k] != null)?.[1] ?? "unknown");
  }
  if (bad.length === 0) return ALLOWED;
  const typeSet = sortedSet(types);
  return forbid(
    "restricted volume types",
    `${pluralize("volume", "volumes", bad.length)} ${joinQuote(bad)} ${
      pluralize("uses", "use", bad.length)
    } ${pluralize("restricted volume type", "restricted volume types", typeSet.length)} ${
      joinQuote(typeSet)
    }`,
  );
}

/** The check, as upstream's check_restrictedVolumes.go defines it. */
export const restrictedVolumes: Check = {
  id: "restrictedVolumes",
  level: "restricted",
  versions: [{ minVersion: 0, check: restrictedVolumes1_0, overrides: ["hostPathVolumes"] }],
};
