/**
 * `hostProbesAndHostLifecycle` (baseline, v1.34+): probes and lifecycle handlers may not name a
 * `host` (httpGet / tcpSocket), which would let the kubelet reach other hosts for the pod.
 */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  containersNamed,
  forbid,
  type HandlerView,
  joinQuote,
  pluralize,
  type PssMetadata,
  type PssPodSpec,
  sortedSet,
  visitContainers,
} from "../check.ts";

function hosts(h: HandlerView | null | undefined, out: string[]): boolean {
  if (h == null || typeof h !== "object") return false;
  let found = false;
  const http = h.httpGet?.host;
  if (typeof http === "string" && http !== "") {
    out.push(http);
    found = true;
  }
  const tcp = h.tcpSocket?.host;
  if (typeof tcp === "string" && tcp !== "") {
    out.push(tcp);
    found = true;
  }
  return found;
}

function hostProbesAndHostLifecycle1_34(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const bad: string[] = [];
  const forbidden: string[] = [];
  visitContainers(spec, (c) => {
    let found = false;
    for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      if (hosts(p, forbidden)) found = true;
    }
    if (c.lifecycle != null) {
      if (hosts(c.lifecycle.postStart, forbidden)) found = true;
      if (hosts(c.lifecycle.preStop, forbidden)) found = true;
    }
    if (found) bad.push(c.name);
  });
  if (bad.length === 0) return ALLOWED;
  const containers = sortedSet(bad);
  const hostSet = sortedSet(forbidden);
  return forbid(
    "probe or lifecycle host",
    `${containersNamed(containers)} ${pluralize("uses", "use", containers.length)} ${
      pluralize("probe or lifecycle host", "probe or lifecycle hosts", hostSet.length)
    } ${joinQuote(hostSet)}`,
  );
}

/** The check, as upstream's check_hostProbesAndhostLifecycle.go defines it. */
export const hostProbesAndHostLifecycle: Check = {
  id: "hostProbesAndHostLifecycle",
  level: "baseline",
  versions: [{ minVersion: 34, check: hostProbesAndHostLifecycle1_34 }],
};
