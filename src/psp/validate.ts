/**
 * Validation of PodSecurityPolicy objects exactly as a Kubernetes 1.20 API server validates them
 * on create (docs/psp-admission.md §6; `pkg/apis/policy/validation/validation.go`), plus the shape
 * checks (JSON types) the server's decoder would make, with clear messages for untrusted input.
 *
 * Pure: nothing here reads files or prints.
 */
import type { IDRange, PodSecurityPolicy } from "../model/psp.ts";
import {
  APPARMOR_ALLOWED_PROFILES,
  APPARMOR_DEFAULT_PROFILE,
  SECCOMP_ALLOWED_PROFILES,
  SECCOMP_DEFAULT_PROFILE,
} from "../model/psp.ts";
import { any, int64, list, map, obj, type Shape, str } from "../model/json_shape.ts";
import { PSP_SPEC_SHAPES } from "../model/psp_fields.ts";
import { applyPspDefaults } from "./defaults.ts";
import { terminalText } from "../io/terminal_text.ts";
import {
  duplicate,
  type FieldError,
  fieldError,
  forbidden,
  goIdRanges,
  goQuote,
  goStringSlice,
  invalid,
  invalidObjectMessage,
  notSupported,
  required,
  tooLong,
} from "../validation/field.ts";

export type { FieldError } from "../validation/field.ts";

/** Appends every item (no spread: hostile PSPs may hold 100k list items, beyond argument limits). */
function pushAll<T>(to: T[], items: readonly T[]): void {
  for (const x of items) to.push(x);
}

// ---------------------------------------------------------------------------------------------
// apimachinery name validation (`k8s.io/apimachinery/pkg/util/validation`)

const byteLength = (s: string) => new TextEncoder().encode(s).length;

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  // Go appends "'x', " per example and " or " between them, hence the double spaces.
  return `${msg} (e.g. ${
    examples.map((e) => `'${e}', `).join(" or ")
  }regex used for validation is '${fmt}')`;
}

const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

/** `IsDNS1123Subdomain`: the messages for a value that is not a DNS subdomain (none if it is). */
export function dnsSubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push("must be no more than 253 characters");
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"));
  }
  return errs;
}

const QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** `IsQualifiedName` (label and annotation keys). */
function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else pushAll(errs, dnsSubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${
        regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
      } with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (byteLength(name) > 63) errs.push("name part must be no more than 63 characters");
  if (!QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      `name part ${
        regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
      }`,
    );
  }
  return errs;
}

const LABEL_VALUE_RE = new RegExp(`^(${QUALIFIED_NAME_FMT})?$`);

/** `IsValidLabelValue`. */
function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push("must be no more than 63 characters");
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        `(${QUALIFIED_NAME_FMT})?`,
        "MyValue",
        "my_value",
        "12345",
      ),
    );
  }
  return errs;
}

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Constants of the policy API

/** Every volume type a PSP may list, plus `*`, sorted as the server prints them. */
export const PSP_VOLUME_TYPES: readonly string[] = [
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

// ---------------------------------------------------------------------------------------------
// Semantic validation

/**
 * Validates a PSP as the API server does when it is created: applies the v1beta1 defaulting and
 * field dropping (`applyPspDefaults`), then runs `ValidatePodSecurityPolicy`. Returns the errors
 * in the server's order (empty when the server would accept the object).
 * Wrong JSON types (see `checkPspShape`) are returned instead, as the server's decoder refuses
 * such an object before validating it.
 */
export function validatePsp(psp: PodSecurityPolicy): FieldError[] {
  const shape = checkPspShape(psp).errors;
  if (shape.length) return shape.map(({ field, message, text }) => ({ field, message, text }));
  return validateStoredPsp(applyPspDefaults(psp));
}

/**
 * `ValidatePodSecurityPolicy` on a PSP that is already defaulted (no defaulting or dropping of
 * disabled fields here: `allowedProcMountTypes`, if present, is validated).
 */
export function validateStoredPsp(psp: PodSecurityPolicy): FieldError[] {
  const meta = psp.metadata ?? {};
  return [
    ...validateObjectMeta(meta as Record<string, unknown>),
    ...validatePspAnnotations(meta.annotations ?? {}),
    ...validatePspSpec(psp.spec ?? ({} as PodSecurityPolicy["spec"])),
  ];
}

/** `ValidateObjectMeta` for a cluster-scoped object named by a DNS subdomain. */
function validateObjectMeta(meta: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const name = typeof meta.name === "string" ? meta.name : "";
  const generateName = typeof meta.generateName === "string" ? meta.generateName : "";
  if (generateName) {
    // NameIsDNSSubdomain(prefix=true): maskTrailingDash replaces the last *two* characters.
    const masked = generateName.length > 1 && generateName.endsWith("-")
      ? generateName.slice(0, -2) + "a"
      : generateName;
    for (const m of dnsSubdomainErrors(masked)) {
      errs.push(invalid("metadata.generateName", goQuote(generateName), m));
    }
  }
  // On create the server first generates a name from generateName: at most 58 characters of it
  // plus 5 random ones (`xxxxx` stands for them here).
  const effectiveName = name || (generateName ? generateName.slice(0, 58) + "xxxxx" : "");
  if (!effectiveName) {
    errs.push(required("metadata.name", "name or generateName is required"));
  } else {
    for (const m of dnsSubdomainErrors(effectiveName)) {
      errs.push(invalid("metadata.name", goQuote(effectiveName), m));
    }
  }
  if (typeof meta.generation === "number" && meta.generation < 0) {
    errs.push(
      invalid("metadata.generation", String(meta.generation), "must be greater than or equal to 0"),
    );
  }
  const labels = (meta.labels ?? {}) as Record<string, string>;
  for (const k of Object.keys(labels).sort()) {
    for (const m of qualifiedNameErrors(k)) errs.push(invalid("metadata.labels", goQuote(k), m));
    for (const m of labelValueErrors(labels[k])) {
      errs.push(invalid("metadata.labels", goQuote(labels[k]), m));
    }
  }
  const annotations = (meta.annotations ?? {}) as Record<string, string>;
  let size = 0;
  for (const k of Object.keys(annotations).sort()) {
    for (const m of qualifiedNameErrors(k.toLowerCase())) {
      errs.push(invalid("metadata.annotations", goQuote(k), m));
    }
    size += byteLength(k) + byteLength(annotations[k] ?? "");
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push(tooLong("metadata.annotations", TOTAL_ANNOTATION_SIZE_LIMIT));
  }
  // ownerReferences (the "only one controller" and banned-owner checks are not reproduced)
  const refs = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  for (const ref of refs as Record<string, unknown>[]) {
    const s = (k: string) => typeof ref?.[k] === "string" ? ref[k] as string : "";
    const gv = s("apiVersion").split("/");
    const version = gv.length === 1 ? gv[0] : gv.length === 2 ? gv[1] : "";
    const at = "metadata.ownerReferences";
    if (!version) {
      errs.push(invalid(`${at}.apiVersion`, goQuote(s("apiVersion")), "version must not be empty"));
    }
    if (!s("kind")) errs.push(invalid(`${at}.kind`, goQuote(s("kind")), "kind must not be empty"));
    if (!s("name")) errs.push(invalid(`${at}.name`, goQuote(s("name")), "name must not be empty"));
    if (!s("uid")) errs.push(invalid(`${at}.uid`, goQuote(s("uid")), "uid must not be empty"));
  }
  // finalizers: qualified names; then (core validation) a name without "/" must be standard
  const finalizers = (Array.isArray(meta.finalizers) ? meta.finalizers : []) as string[];
  for (const f of finalizers) {
    for (const m of qualifiedNameErrors(f)) {
      errs.push(invalid("metadata.finalizers", goQuote(f), m));
    }
  }
  if (finalizers.includes("orphan") && finalizers.includes("foregroundDeletion")) {
    errs.push(
      invalid(
        "metadata.finalizers",
        goStringSlice("string", finalizers),
        "finalizer orphan and foregroundDeletion cannot be both set",
      ),
    );
  }
  finalizers.forEach((f, i) => {
    if (!f.includes("/") && !["kubernetes", "orphan", "foregroundDeletion"].includes(f)) {
      errs.push(
        invalid(
          `metadata.finalizers[${i}]`,
          goQuote(f),
          "name is neither a standard finalizer name nor is it fully qualified",
        ),
      );
    }
  });
  return errs;
}

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
function validatePspAnnotations(annotations: Record<string, string>): FieldError[] {
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
function validatePspSpec(spec: PodSecurityPolicy["spec"]): FieldError[] {
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
 * The message of the API server's 422 answer for an invalid PSP:
 * `PodSecurityPolicy.extensions "<name>" is invalid: <errors>` (several errors are joined as
 * `[a, b]`, duplicates removed, as `ErrorList.ToAggregate` does).
 */
export function formatInvalidPspMessage(name: string, errors: readonly FieldError[]): string {
  return invalidObjectMessage("PodSecurityPolicy.extensions", name, errors);
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

// ---------------------------------------------------------------------------------------------
// Shape (JSON type) checks for untrusted input

/** The policy/v1beta1 PodSecurityPolicy as the API server decodes it (spec from the field table). */
const PSP_SHAPE: Shape = obj({
  apiVersion: str,
  kind: str,
  metadata: obj({
    name: str,
    generateName: str,
    namespace: str,
    selfLink: str,
    uid: str,
    resourceVersion: str,
    generation: int64,
    creationTimestamp: any,
    deletionTimestamp: any,
    deletionGracePeriodSeconds: int64,
    labels: map,
    annotations: map,
    ownerReferences: list(any),
    finalizers: list(str),
    clusterName: str,
    managedFields: list(any),
  }),
  spec: obj(PSP_SPEC_SHAPES),
});

/** A shape error: a FieldError plus the path as segments (for locating it in the source). */
export interface ShapeError extends FieldError {
  path: (string | number)[];
}

/** What `checkPspShape` found. */
export interface ShapeReport {
  /** Values of the wrong JSON type: the server would refuse to decode the object. */
  errors: ShapeError[];
  /** Fields the API does not have (the server drops them silently), as rendered paths. */
  unknownFields: { field: string; path: (string | number)[] }[];
}

/**
 * Renders path segments as the API server does: `spec.hostPorts[0].min`, `annotations[k]`
 * (control characters in keys escaped).
 */
export function renderPath(path: readonly (string | number)[]): string {
  let out = "";
  path.map((seg) => typeof seg === "string" ? terminalText(seg, { oneLine: true }) : seg).forEach(
    (seg, i) => {
      if (typeof seg === "number") out += `[${seg}]`;
      else if (i > 0 && (path[i - 1] === "annotations" || path[i - 1] === "labels")) {
        out += `[${seg}]`;
      } else out += i === 0 ? seg : `.${seg}`;
    },
  );
  return out;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return goQuote(v.length > 80 ? v.slice(0, 77) + "..." : v);
  return String(v);
}

const YAML11_BOOLS = /^(y|yes|n|no|on|off|true|false)$/i;

function checkShape(v: unknown, shape: Shape, path: (string | number)[], out: ShapeReport) {
  if (v === null || v === undefined || shape.t === "any") return; // null means "not set"
  const fail = (detail: string) => {
    const field = renderPath(path);
    out.errors.push({ ...fieldError(field, `Invalid value: ${describe(v)}: ${detail}`), path });
  };
  switch (shape.t) {
    case "string":
      if (typeof v !== "string") fail("must be a string");
      return;
    case "bool":
      if (typeof v !== "boolean") {
        fail(
          typeof v === "string" && YAML11_BOOLS.test(v)
            ? "must be a boolean: write true or false without quotes"
            : "must be a boolean (true or false)",
        );
      }
      return;
    case "int": {
      if (typeof v !== "number" || !Number.isInteger(v)) {
        fail("must be an integer");
        return;
      }
      const lim = shape.bits === 32 ? 2 ** 31 : 2 ** 63;
      if (v < -lim || v >= lim || (shape.bits === 64 && !Number.isSafeInteger(v))) {
        fail(
          shape.bits === 32
            ? "must be a 32-bit integer"
            : "must be an integer of at most 15 digits (larger values cannot be read exactly)",
        );
      }
      return;
    }
    case "list":
      if (!Array.isArray(v)) {
        fail("must be a list");
        return;
      }
      v.forEach((item, i) => {
        if (item === null || item === undefined) {
          const field = renderPath([...path, i]);
          out.errors.push({
            ...fieldError(field, "Invalid value: null: list items must not be null"),
            path: [...path, i],
          });
        } else checkShape(item, shape.of, [...path, i], out);
      });
      return;
    case "map":
      if (typeof v !== "object" || Array.isArray(v)) {
        fail("must be a mapping of strings to strings");
        return;
      }
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        if (typeof val !== "string") {
          const p = [...path, k];
          out.errors.push({
            ...fieldError(
              renderPath(p),
              `Invalid value: ${describe(val)}: must be a string (quote it in YAML)`,
            ),
            path: p,
          });
        }
      }
      return;
    case "object":
      if (typeof v !== "object" || Array.isArray(v)) {
        fail("must be a mapping");
        return;
      }
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        const sub = shape.fields[k];
        if (!sub) out.unknownFields.push({ field: renderPath([...path, k]), path: [...path, k] });
        else checkShape(val, sub, [...path, k], out);
      }
  }
}

/**
 * Checks that an untrusted object has the JSON types of a policy/v1beta1 PodSecurityPolicy
 * (booleans, integers in range, lists, mappings, strings) and lists the fields the API does not
 * know. `null` counts as "not set", as for the API server.
 */
export function checkPspShape(object: unknown): ShapeReport {
  const out: ShapeReport = { errors: [], unknownFields: [] };
  if (object === null || typeof object !== "object" || Array.isArray(object)) {
    out.errors.push({
      ...fieldError("[]", `Invalid value: ${describe(object)}: must be a mapping`),
      path: [],
    });
    return out;
  }
  checkShape(object, PSP_SHAPE, [], out);
  return out;
}

/**
 * Returns a copy of a shape-checked PSP without the fields the API does not know (what the
 * server stores after dropping them).
 */
export function pruneUnknownPspFields(psp: PodSecurityPolicy): PodSecurityPolicy {
  return prune(psp, PSP_SHAPE) as PodSecurityPolicy;
}

function prune(v: unknown, shape: Shape): unknown {
  if (v === null || typeof v !== "object") return v;
  if (shape.t === "list" && Array.isArray(v)) return v.map((x) => prune(x, shape.of));
  if (shape.t === "object" && !Array.isArray(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (shape.fields[k]) out[k] = prune(val, shape.fields[k]);
    }
    return out;
  }
  return v;
}
