/**
 * What the ServiceAccount admission plugin does to a pod before PSP admission
 * sees it (docs/psp-admission.md §1, step 2): unless automounting is disabled, every
 * container and init container gets a read-only mount of the service account
 * token at /var/run/secrets/kubernetes.io/serviceaccount, and the pod gets the
 * token volume, appended to `spec.volumes`. A PSP must then allow that volume's
 * type: `secret` (Kubernetes <= 1.20) or a `projected` volume (1.21+, which PSP
 * allows whenever `secret` is allowed). Pods read from a cluster already carry it;
 * manifests and audit-log request objects do not.
 */
import type { Container, Pod, Volume, VolumeMount } from "../model/pod.ts";

/** Which token volume the ServiceAccount plugin adds: 1.21+ `projected`, 1.20 `secret`, or none. */
export type TokenVolumeMode = "projected" | "secret" | "none";

export const TOKEN_VOLUME_MODES: readonly TokenVolumeMode[] = ["projected", "secret", "none"];

/** Where the plugin mounts the token. */
export const TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";
/** The name prefix of the projected token volume (`kube-api-access-` and a random suffix). */
export const PROJECTED_TOKEN_PREFIX = "kube-api-access-";
/** Stands in for the plugin's random 5-character suffix (names never appear in PSP messages). */
const SUFFIX = "xxxxx";

/** Whether a pod is a static pod's mirror (the ServiceAccount plugin leaves those alone). */
export function isMirrorPod(pod: Pick<Pod, "metadata">): boolean {
  return pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
}

/**
 * The service account PSP admission checks for a pod: `serviceAccountName` (or the
 * deprecated `serviceAccount`), defaulted to `default` by the ServiceAccount plugin;
 * `""` (no service account, so only the requester is checked) for a mirror pod, which
 * the plugin does not default.
 */
export function podServiceAccount(pod: Pick<Pod, "metadata" | "spec">): string {
  const named = pod.spec.serviceAccountName || pod.spec.serviceAccount;
  return named || (isMirrorPod(pod) ? "" : "default");
}

/**
 * The token Secret's name without its random suffix: the token controller names it
 * `<sa>-token-<5 random>`, the prefix cut to 58 characters (generated names are at most 63).
 */
function tokenSecretPrefix(sa: string): string {
  return `${sa}-token-`.slice(0, 58);
}

/** A secret volume of the service account's token Secret (whatever its random suffix). */
function isTokenSecretVolume(v: Volume, prefix: string): boolean {
  const name = (v.secret as { secretName?: unknown } | undefined)?.secretName;
  return typeof name === "string" && name.length === prefix.length + 5 &&
    name.startsWith(prefix) && /^[a-z0-9]{5}$/.test(name.slice(prefix.length));
}

/**
 * Returns the pod as the ServiceAccount admission plugin would hand it to PSP
 * admission; the input pod is not modified (unchanged pods are returned as is).
 * The service account's own `automountServiceAccountToken` is unknown offline
 * and taken as not disabling it. `suffix` stands for the plugin's random 5 characters in
 * the volume names it makes (a stand-in by default: names never appear in PSP messages);
 * the token Secret's own suffix is the token controller's and stays a stand-in.
 */
export function withServiceAccountToken(pod: Pod, mode: TokenVolumeMode, suffix = SUFFIX): Pod {
  if (mode === "none") return pod;
  if (isMirrorPod(pod)) return pod;
  const spec = pod.spec;
  if (spec.automountServiceAccountToken === false) return pod;
  const sa = spec.serviceAccountName || spec.serviceAccount || "default";
  const volumes = spec.volumes ?? [];
  const prefix = tokenSecretPrefix(sa);
  const secretName = `${prefix}${SUFFIX}`;
  // The plugin reuses the first volume named kube-api-access-* (projected, whatever its
  // type), or the first secret volume of the token Secret (secret).
  const existing = volumes.find((v) =>
    mode === "projected"
      ? v.name.startsWith(PROJECTED_TOKEN_PREFIX)
      : isTokenSecretVolume(v, prefix)
  );
  let name = existing?.name;
  if (name === undefined) {
    // secret: named after the Secret, dots made dashes (a mount's name may not hold one),
    // with another random suffix if a volume already has that name
    name = mode === "projected"
      ? `${PROJECTED_TOKEN_PREFIX}${suffix}`
      : secretName.replaceAll(".", "-");
    if (mode === "secret" && volumes.some((v) => v.name === name)) name = `${name}-${suffix}`;
  }
  const mount: VolumeMount = { name, readOnly: true, mountPath: TOKEN_MOUNT_PATH };
  let needsVolume = false;
  const addMount = (cs: Container[] | null | undefined) => {
    if (!cs) return cs;
    return cs.map((c) => {
      if ((c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH)) return c;
      needsVolume = true;
      return { ...c, volumeMounts: [...(c.volumeMounts ?? []), mount] };
    });
  };
  const initContainers = addMount(spec.initContainers);
  const containers = addMount(spec.containers) ?? [];
  if (!needsVolume) return pod;
  const newSpec = { ...spec, containers };
  if (spec.initContainers) newSpec.initContainers = initContainers;
  if (!existing) newSpec.volumes = [...volumes, tokenVolume(name, mode, secretName)];
  return { ...pod, spec: newSpec };
}

function tokenVolume(name: string, mode: "projected" | "secret", secretName: string): Volume {
  if (mode === "secret") return { name, secret: { secretName, defaultMode: 420 } };
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
        {
          downwardAPI: {
            items: [{
              path: "namespace",
              fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" },
            }],
          },
        },
      ],
    },
  };
}
