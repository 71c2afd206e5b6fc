/**
 * `seLinuxOptions` (baseline, v1.0+; v1.31 adds `container_engine_t`): the SELinux type of the
 * pod and containers only from the allowed set; no custom SELinux user or role.
 */
import {
  ALLOWED,
  type Check,
  type CheckPodFn,
  type CheckResult,
  containersNamed,
  forbid,
  joinQuote,
  pluralize,
  type PssMetadata,
  type PssPodSpec,
  type SELinuxOptionsView,
  sortedSet,
  visitContainers,
} from "../check.ts";

const TYPES_1_0 = new Set(["", "container_t", "container_init_t", "container_kvm_t"]);
const TYPES_1_31 = new Set([...TYPES_1_0, "container_engine_t"]);

function seLinuxOptions(allowedTypes: ReadonlySet<string>): CheckPodFn {
  return (_meta: PssMetadata, spec: PssPodSpec): CheckResult => {
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (o: SELinuxOptionsView): boolean => {
      let ok = true;
      const type = o.type ?? "";
      if (!allowedTypes.has(type)) {
        ok = false;
        badTypes.push(type);
      }
      if ((o.user ?? "").length > 0) {
        ok = false;
        setUser = true;
      }
      if ((o.role ?? "").length > 0) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const badSetters: string[] = [];
    const podOpts = spec.securityContext?.seLinuxOptions;
    if (podOpts != null && !valid(podOpts)) badSetters.push("pod");
    const bad: string[] = [];
    visitContainers(spec, (c) => {
      const o = c.securityContext?.seLinuxOptions;
      if (o != null && !valid(o)) bad.push(c.name);
    });
    if (bad.length > 0) {
      badSetters.push(`${containersNamed(bad)}`);
    }
    if (badSetters.length === 0) return ALLOWED;
    const data: string[] = [];
    const types = sortedSet(badTypes);
    if (types.length > 0) {
      data.push(`${pluralize("type", "types", types.length)} ${joinQuote(types)}`);
    }
    if (setUser) data.push("user may not be set");
    if (setRole) data.push("role may not be set");
    return forbid(
      "seLinuxOptions",
      `${badSetters.join(" and ")} set forbidden securityContext.seLinuxOptions: ${
        data.join("; ")
      }`,
    );
  };
}

/** The check, as upstream's check_seLinuxOptions.go defines it. */
export const seLinuxOptionsCheck: Check = {
  id: "seLinuxOptions",
  level: "baseline",
  versions: [
    { minVersion: 0, check: seLinuxOptions(TYPES_1_0) },
    { minVersion: 31, check: seLinuxOptions(TYPES_1_31) },
  ],
};
