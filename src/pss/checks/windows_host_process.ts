/** `windowsHostProcess` (baseline, v1.0+): no Windows HostProcess pod or container. */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  containersNamed,
  forbid,
  type PssMetadata,
  type PssPodSpec,
  visitContainers,
} from "../check.ts";

function windowsHostProcess1_0(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.windowsOptions?.hostProcess === true) bad.push(c.name);
  });
  const setters: string[] = [];
  if (spec.securityContext?.windowsOptions?.hostProcess === true) setters.push("pod");
  if (bad.length > 0) {
    setters.push(`${containersNamed(bad)}`);
  }
  if (setters.length === 0) return ALLOWED;
  return forbid(
    "hostProcess",
    `${setters.join(" and ")} must not set securityContext.windowsOptions.hostProcess=true`,
  );
}

/** The check, as upstream's check_windowsHostProcess.go defines it. */
export const windowsHostProcess: Check = {
  id: "windowsHostProcess",
  level: "baseline",
  versions: [{ minVersion: 0, check: windowsHostProcess1_0 }],
};
