/** `hostPorts` (baseline, v1.0+): no container port with a non-zero hostPort. */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  containersNamed,
  forbid,
  pluralize,
  type PssMetadata,
  type PssPodSpec,
  sortedSet,
  visitContainers,
} from "../check.ts";

function hostPorts1_0(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const bad: string[] = [];
  const ports: string[] = [];
  visitContainers(spec, (c) => {
    if (!Array.isArray(c.ports)) return;
    let valid = true;
    for (const p of c.ports) {
      const hp = p?.hostPort;
      if (typeof hp === "number" && hp !== 0) {
        valid = false;
        ports.push(String(hp));
      }
    }
    if (!valid) bad.push(c.name);
  });
  if (bad.length === 0) return ALLOWED;
  const set = sortedSet(ports);
  return forbid(
    "hostPort",
    `${containersNamed(bad)} ${pluralize("uses", "use", bad.length)} ${
      pluralize("hostPort", "hostPorts", set.length)
    } ${set.join(", ")}`,
  );
}

/** The check, as upstream's check_hostPorts.go defines it. */
export const hostPorts: Check = {
  id: "hostPorts",
  level: "baseline",
  versions: [{ minVersion: 0, check: hostPorts1_0 }],
};
