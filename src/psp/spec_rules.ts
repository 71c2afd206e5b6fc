/**
 * The spec rules of a PodSecurityPolicy: `ValidatePodSecurityPolicySpec` and the PSP-specific
 * annotation checks (AppArmor, seccomp) of a Kubernetes 1.20 API server, in its order
 * (docs/psp-admission.md §6; `pkg/apis/policy/validation/validation.go`), and the errors its
 * admission gets building a provider for a valid PSP (§6.3). Pure.
 */
import type { IDRange, PodSecurityPolicy } from "../model/psp.ts";
import {
  APPARMOR_ALLOWED_PROFILES,
  APPARMOR_DEFAULT_PROFILE,
  SECCOMP_ALLOWED_PROFILES,
  SECCOMP_DEFAULT_PROFILE,
} from "../model/psp.ts";
import {
  duplicate,
  type FieldError,
  forbidden,
  goIdRanges,
  goQuote,
  goStringSlice,
  invalid,
  notSupported,
  required,
  tooLong,
} from "../validation/field.ts";
import { byteLength, dnsSubdomainErrors } from "../validation/names.ts";

/** Appends every item (no spread: hostile PSPs may hold 100k list items, beyond argument limits). */
function pushAll<T>(to: T[], items: readonly T[]): void {
  for (const x of items) to.push(x);
}

/** Every volume type a PSP may list, plus `*`, sorted as the server prints them. */
const PSP_VOLUME_TYPES: readonly string[] = [
  "*",
  "awsElasticBlockStore",
  "azureDisk",
  "azureFile",
  "cephFS",
  "cinder",
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "fc",
  "flexVolume",
  "flocker",
  "gcePersistentDisk",
  "gitRepo",
  "glusterfs",
  "hostPath",
  "iscsi",
  "nfs",
  "persistentVolumeClaim",
  "photonPersistentDisk",
  "portworxVolume",
  "projected",
  "quobyte",
  "rbd",
  "scaleIO",
  "secret",
  "storageos",
  "vsphereVolume",
];
const VOLUME_SET = new Set(PSP_VOLUME_TYPES);

const RUN_AS_USER_RULES = ["MustRunAs", "MustRunAsNonRoot", "RunAsAny"];
const SELINUX_RULES = ["MustRunAs", "RunAsAny"];
const GROUP_RULES = ["MayRunAs", "MustRunAs", "RunAsAny"];
/** runAsGroup lists its rules unsorted (docs/psp-admission.md §6.2). */
const RUN_AS_GROUP_RULES = ["MustRunAs", "RunAsAny", "MayRunAs"];
const PROC_MOUNT_TYPES = ["Default", "Unmasked"];

const SYSCTL_PATTERN_FMT = "([a-z0-9]([-_a-z0-9]*[a-z0-9])?\\.)*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]";
const SYSCTL_PATTERN_RE = new RegExp(`^${SYSCTL_PATTERN_FMT}$`);
const SYSCTL_MAX_LENGTH = 253;

/** `ValidateAppArmorProfileFormat`: the error for a bad profile name, or undefined. */
function appArmorProfileError(p: string): string | undefined {
  if (p === "" || p === "runtime/default" || p === "unconfined" || p.startsWith("localhost/")) {
    return undefined;
  }
  return `invalid AppArmor profile name: ${goQuote(p)}`;
}

/** `ValidateSeccompProfile`. */
function seccompProfileErrors(p: string, field: string): FieldError[] {
  if (p === "runtime/default" || p === "docker/default" || p === "unconfined") return [];
  if (p.startsWith("localhost/")) {
    const local = p.slice("localhost/".length);
    const errs: FieldError[] = [];
    if (local.startsWith("/")) errs.push(invalid(field, goQuote(local), "must be a relative path"));
    if (local.split("/").includes("..")) {
      errs.push(invalid(field, goQuote(local), "must not contain '..'"));
    }
    return errs;
  }
  return [invalid(field, goQuote(p), "must be a valid seccomp profile")];
}

/** `ValidatePodSecurityPolicySpecificAnnotations`: the AppArmor and seccomp annotations. */
export function validatePspAnnotations(annotations: Record<string, string>): FieldError[] {
  const errs: FieldError[] = [];
  const at = (key: string) => `metadata.annotations[${key}]`;
  const aaDefault = annotations[APPARMOR_DEFAULT_PROFILE] ?? "";
  if (aaDefault) {
    const e = appArmorProfileError(aaDefault);
    if (e) errs.push(invalid(at(APPARMOR_DEFAULT_PROFILE), goQuote(aaDefault), e));
  }
  const aaAllowed = annotations[APPARMOR_ALLOWED_PROFILES] ?? "";
  if (aaAllowed) {
    for (const p of aaAllowed.split(",")) {
      const e = appArmorProfileError(p);
      if (e) errs.push(invalid(at(APPARMOR_ALLOWED_PROFILES), goQuote(aaAllowed), e));
    }
  }
  const scDefault = annotations[SECCOMP_DEFAULT_PROFILE] ?? "";
  if (scDefault) pushAll(errs, seccompProfileErrors(scDefault, at(SECCOMP_DEFAULT_PROFILE)));
  const scAllowed = annotations[SECCOMP_ALLOWED_PROFILES] ?? "";
  if (scAllowed) {
    for (const p of scAllowed.split(",")) {
      if (p === "*") continue;
      pushAll(errs, seccompProfileErrors(p, at(SECCOMP_ALLOWED_PROFILES)));
    }
  }
  return errs;
}

function idRangeErrors(path: string, r: IDRange): FieldError[] {
  const errs: FieldError[] = [];
  const min = r?.min ?? 0;
  const max = r?.max ?? 0;
  if (min < 0) errs.push(invalid(`${path}.min`, String(min), "min cannot be negative"));
  if (max < 0) errs.push(invalid(`${path}.max`, String(max), "max cannot be negative"));
  if (min > max) errs.push(invalid(`${path}.min`, String(min), "min cannot be greater than max"));
  return errs;
}

function rangesErrors(path: string, ranges: readonly IDRange[] | null | undefined): FieldError[] {
  return (ranges ?? []).flatMap((r, i) => idRangeErrors(`${path}.ranges[${i}]`, r));
}

function sysctlListErrors(path: string, sysctls: readonly string[] | null | undefined) {
  const errs: FieldError[] = [];
  if (!sysctls || sysctls.length === 0) return errs;
  let coversAll = false;
  sysctls.forEach((s, i) => {
    if (s.length === 0) errs.push(invalid(`${path}[${i}]`, goQuote(s), "empty sysctl not allowed"));
    else if (byteLength(s) > SYSCTL_MAX_LENGTH || !SYSCTL_PATTERN_RE.test(s)) {
      errs.push(
        invalid(
          `${path}[${i}]`,
          goQuote(s),
          `must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ${SYSCTL_PATTERN_FMT}`,
        ),
      );
    } else if (s[0] === "*") coversAll = true;
  });
  if (coversAll && sysctls.length > 1) {
    errs.push(forbidden(`${path}.items`, "if '*' is present, must not specify other sysctls"));
  }
  return errs;
}

function sysctlOverlapErrors(
  allowed: readonly string[],
  forbiddenList: readonly string[],
): FieldError[] {
  const errs: FieldError[] = [];
  const a = "spec.allowedUnsafeSysctls";
  const f = "spec.forbiddenSysctls";
  allowed.forEach((al, i) => {
    const alPattern = al.endsWith("*");
    const alPrefix = alPattern ? al.slice(0, -1) : "";
    forbiddenList.forEach((fb, j) => {
      const fbPattern = fb.endsWith("*");
      const fbPrefix = fbPattern ? fb.slice(0, -1) : "";
      if (alPattern && fbPattern) {
        if (alPrefix.startsWith(fbPrefix)) {
          errs.push(invalid(`${a}[${i}]`, goQuote(al), `sysctl overlaps with ${fb}`));
        } else if (fbPrefix.startsWith(alPrefix)) {
          errs.push(invalid(`${f}[${j}]`, goQuote(fb), `sysctl overlaps with ${al}`));
        }
      } else if (alPattern) {
        if (fb.startsWith(alPrefix)) {
          errs.push(invalid(`${f}[${j}]`, goQuote(fb), `sysctl overlaps with ${al}`));
        }
      } else if (fbPattern) {
        if (al.startsWith(fbPrefix)) {
          errs.push(invalid(`${a}[${i}]`, goQuote(al), `sysctl overlaps with ${fb}`));
        }
      } else if (al === fb) {
        errs.push(invalid(`${a}[${i}]`, goQuote(al), `sysctl overlaps with ${fb}`));
      }
    });
  });
  return errs;
}

function runtimeClassErrors(rc: PodSecurityPolicy["spec"]["runtimeClass"]): FieldError[] {
  if (rc === null || rc === undefined) return [];
  const errs: FieldError[] = [];
  const path = "spec.runtimeClass";
  const names = rc.allowedRuntimeClassNames ?? [];
  const allowed = new Set<string>();
  names.forEach((name, i) => {
    const p = `${path}.allowedRuntimeClassNames[${i}]`;
    if (name !== "*") {
      for (const m of dnsSubdomainErrors(name)) errs.push(invalid(p, goQuote(name), m));
    }
    if (allowed.has(name)) errs.push(duplicate(p, goQuote(name)));
    allowed.add(name);
  });
  const def = rc.defaultRuntimeClassName;
  if (def !== null && def !== undefined) {
    for (const m of dnsSubdomainErrors(def)) {
      errs.push(invalid(`${path}.defaultRuntimeClassName`, goQuote(def), m));
    }
    if (!allowed.has(def) && !allowed.has("*")) {
      errs.push(
        required(`${path}.allowedRuntimeClassNames`, `default ${goQuote(def)} must be allowed`),
      );
    }
  }
  if (allowed.has("*") && names.length > 1) {
    errs.push(
      invalid(
        `${path}.allowedRuntimeClassNames`,
        goStringSlice("string", rc.allowedRuntimeClassNames),
        "if '*' is present, must not specify other RuntimeClass names",
      ),
    );
  }
  return errs;
}

/** `ValidatePodSecurityPolicySpec`, in the server's order. */
export function validatePspSpec(spec: PodSecurityPolicy["spec"]): FieldError[] {
  const errs: FieldError[] = [];
  // runAsUser
  const runAsUser = spec.runAsUser ?? { rule: "" };
  if (!RUN_AS_USER_RULES.includes(runAsUser.rule ?? "")) {
    errs.push(notSupported("spec.runAsUser.rule", runAsUser.rule ?? "", RUN_AS_USER_RULES));
  }
  pushAll(errs, rangesErrors("spec.runAsUser", runAsUser.ranges));
  // runAsGroup (optional)
  const rag = spec.runAsGroup;
  if (rag !== null && rag !== undefined) {
    const rule = rag.rule ?? "";
    if (rule === "RunAsAny") {
      if ((rag.ranges ?? []).length !== 0) {
        errs.push(
          invalid("spec.runAsGroup.ranges", goIdRanges(rag.ranges, "%#v"), "Ranges must be empty"),
        );
      }
    } else if (rule === "MustRunAs" || rule === "MayRunAs") {
      if ((rag.ranges ?? []).length === 0) {
        errs.push(
          invalid(
            "spec.runAsGroup.ranges",
            goIdRanges(rag.ranges, "%#v"),
            "must provide at least one range",
          ),
        );
      }
      pushAll(errs, rangesErrors("spec.runAsGroup", rag.ranges));
    } else {
      errs.push(notSupported("spec.runAsGroup.rule", rule, RUN_AS_GROUP_RULES));
    }
  }
  // seLinux
  const seLinuxRule = spec.seLinux?.rule ?? "";
  if (!SELINUX_RULES.includes(seLinuxRule)) {
    errs.push(notSupported("spec.seLinux.rule", seLinuxRule, SELINUX_RULES));
  }
  // supplementalGroups, fsGroup
  for (const key of ["supplementalGroups", "fsGroup"] as const) {
    const opts = spec[key] ?? {};
    if (!GROUP_RULES.includes(opts.rule ?? "")) {
      errs.push(notSupported(`spec.${key}.rule`, opts.rule ?? "", GROUP_RULES));
    }
    pushAll(errs, rangesErrors(`spec.${key}`, opts.ranges));
  }
  // volumes
  for (const v of spec.volumes ?? []) {
    if (!VOLUME_SET.has(v)) errs.push(notSupported("spec.volumes", v, PSP_VOLUME_TYPES));
  }
  // capabilities (these paths have no `spec.` prefix)
  const drops = spec.requiredDropCapabilities;
  if ((drops ?? []).length > 0 && (spec.allowedCapabilities ?? []).includes("*")) {
    errs.push(
      invalid(
        "requiredDropCapabilities",
        goStringSlice("core.Capability", drops),
        "must be empty when all capabilities are allowed by a wildcard",
      ),
    );
  }
  if (drops !== null && drops !== undefined) {
    for (const key of ["defaultAddCapabilities", "allowedCapabilities"] as const) {
      for (const cap of spec[key] ?? []) {
        if (drops.includes(cap)) {
          errs.push(
            invalid(
              key,
              goQuote(cap),
              `capability is listed in ${key} and requiredDropCapabilities`,
            ),
          );
        }
      }
    }
  }
  // privilege escalation (allowPrivilegeEscalation is defaulted to true before validation)
  if (spec.defaultAllowPrivilegeEscalation === true && spec.allowPrivilegeEscalation === false) {
    errs.push(
      invalid(
        "spec.defaultAllowPrivilegeEscalation",
        "true",
        "Cannot set DefaultAllowPrivilegeEscalation to true without also setting AllowPrivilegeEscalation to true",
      ),
    );
  }
  // allowedProcMountTypes (dropped on create in 1.20, so only reachable via validateStoredPsp)
  (spec.allowedProcMountTypes ?? []).forEach((t, i) => {
    if (!PROC_MOUNT_TYPES.includes(t)) {
      errs.push(notSupported(`spec.allowedProcMountTypes[${i}]`, t, PROC_MOUNT_TYPES));
    }
  });
  // allowedHostPaths: an empty prefix stops the loop
  const hostPaths = spec.allowedHostPaths ?? [];
  for (let i = 0; i < hostPaths.length; i++) {
    const prefix = hostPaths[i]?.pathPrefix ?? "";
    if (prefix === "") {
      errs.push(required(`spec.allowedHostPaths[${i}]`, "is required"));
      break;
    }
    if (prefix.split("/").includes("..")) {
      errs.push(invalid(`spec.allowedHostPaths[${i}]`, goQuote(prefix), "must not contain '..'"));
    }
  }
  // allowedFlexVolumes (doubled path: an upstream bug)
  (spec.allowedFlexVolumes ?? []).forEach((fv, i) => {
    if (!fv?.driver) {
      errs.push(
        required(
          `spec.allowedFlexVolumes.allowedFlexVolumes[${i}].driver`,
          "must specify a driver",
        ),
      );
    }
  });
  // allowedCSIDrivers (doubled, singular path: an upstream bug)
  (spec.allowedCSIDrivers ?? []).forEach((d, i) => {
    const p = `spec.allowedCSIDrivers.allowedCSIDriver[${i}].name`;
    const name = d?.name ?? "";
    if (name.length === 0) errs.push(required(p));
    if (byteLength(name) > 63) errs.push(tooLong(p, 63));
    for (const m of dnsSubdomainErrors(name.toLowerCase())) errs.push(invalid(p, goQuote(name), m));
  });
  // sysctls
  pushAll(errs, sysctlListErrors("spec.allowedUnsafeSysctls", spec.allowedUnsafeSysctls));
  pushAll(errs, sysctlListErrors("spec.forbiddenSysctls", spec.forbiddenSysctls));
  pushAll(errs, sysctlOverlapErrors(spec.allowedUnsafeSysctls ?? [], spec.forbiddenSysctls ?? []));
  // runtimeClass
  pushAll(errs, runtimeClassErrors(spec.runtimeClass));
  return errs;
}

/**
 * The errors the admission gets when it builds a provider for a valid PSP (docs/psp-admission.md
 * §6.3). A PSP with any of them is silently skipped by the admission: it can never admit a pod.
 * Expects a defaulted, valid PSP.
 */
export function pspProviderErrors(psp: PodSecurityPolicy): string[] {
  const spec = psp.spec ?? ({} as PodSecurityPolicy["spec"]);
  const errs: string[] = [];
  const rangeRule = (rule: string | undefined, ranges: readonly IDRange[] | null | undefined) => {
    if ((rule === "MustRunAs" || rule === "MayRunAs") && (ranges ?? []).length === 0) {
      errs.push(`ranges must be supplied for ${rule}`);
    }
  };
  const userRule = spec.runAsUser?.rule ?? "";
  if (userRule === "MustRunAs" && (spec.runAsUser?.ranges ?? []).length === 0) {
    errs.push("MustRunAs requires at least one range");
  } else if (!RUN_AS_USER_RULES.includes(userRule)) {
    errs.push(`Unrecognized RunAsUser strategy type ${userRule}`);
  }
  if (spec.runAsGroup) {
    const r = spec.runAsGroup.rule ?? "";
    if (!RUN_AS_GROUP_RULES.includes(r)) errs.push(`Unrecognized RunAsGroup strategy type ${r}`);
    else rangeRule(r, spec.runAsGroup.ranges);
  }
  const seRule = spec.seLinux?.rule ?? "";
  if (seRule === "MustRunAs" && !spec.seLinux?.seLinuxOptions) {
    errs.push("MustRunAs requires SELinuxOptions");
  } else if (!SELINUX_RULES.includes(seRule)) {
    errs.push(`Unrecognized SELinuxContext strategy type ${seRule}`);
  }
  const fsRule = spec.fsGroup?.rule ?? "";
  if (!GROUP_RULES.includes(fsRule)) errs.push(`Unrecognized FSGroup strategy type ${fsRule}`);
  else rangeRule(fsRule, spec.fsGroup?.ranges);
  const sgRule = spec.supplementalGroups?.rule ?? "";
  if (!GROUP_RULES.includes(sgRule)) {
    errs.push(`Unrecognized SupplementalGroups strategy type ${sgRule}`);
  } else rangeRule(sgRule, spec.supplementalGroups?.ranges);
  return errs;
}
