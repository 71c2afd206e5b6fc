/**
 * `capabilities_restricted` (restricted, v1.22+; replaces `capabilities_baseline`): every
 * container drops ALL and adds at most NET_BIND_SERVICE; from v1.25 a Windows pod is exempt.
 */
import {
  ALLOWED,
  type Check,
  type CheckResult,
  containersNamed,
  forbid,
  joinQuote,
  type PssMetadata,
  type PssPodSpec,
  sortedSet,
  visitContainers,
} from "../check.ts";

function capabilitiesRestricted1_22(_meta: PssMetadata, spec: PssPodSpec): CheckResult {
  const missingDropAll: string[] = [];
  const adding: string[] = [];
  const caps: string[] = [];
  visitContainers(spec, (c) => {
    const capabilities = c.securityContext?.capabilities;
    if (capabilities == null) {
      missingDropAll.push(c.name);
      return;
    }
    const drop = Array.isArray(capabilities.drop) ? capabilities.drop : [];
    if (!drop.includes("ALL")) missingDropAll.push(c.name);
    let added = false;
    for (const cap of Array.isArray(capabilities.add) ? capabilities.add : []) {
      if (cap !== "NET_BIND_SERVICE") {
        added = true;
        caps.push(String(cap));
      }
    }
    if (added) adding.push(c.name);
  });
  const details: string[] = [];
  if (missingDropAll.length > 0) {
    details.push(
      `${containersNamed(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`,
    );
  }
  if (adding.length > 0) {
    details.push(
      `${containersNamed(adding)} must not include ${
        joinQuote(sortedSet(caps))
      } in securityContext.capabilities.add`,
    );
  }
  return details.length === 0 ? ALLOWED : forbid("unrestricted capabilities", details.join("; "));
}

function capabilitiesRestricted1_25(meta: PssMetadata, spec: PssPodSpec): CheckResult {
  if (spec.os?.name === "windows") return ALLOWED;
  return capabilitiesRestricted1_22(meta, spec);
}

const OVERRIDES = ["capabilities_baseline"];

/** The check, as upstream's check_capabilities_restricted.go defines it. */
export const capabilitiesRestricted: Check = {
  id: "capabilities_restricted",
  level: "restricted",
  versions: [
    { minVersion: 22, check: capabilitiesRestricted1_22, overrides: OVERRIDES },
    { minVersion: 25, check: capabilitiesRestricted1_25, overrides: OVERRIDES },
  ],
};
