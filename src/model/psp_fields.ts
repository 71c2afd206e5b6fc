/**
 * The PSP fields: one row per `policy/v1beta1` PodSecurityPolicySpec field, in the API's order,
 * plus the two annotation-driven controls (seccomp, AppArmor). This table is the source of the
 * PSP field list: the JSON shape checks (src/psp/shape.ts) derive the spec's shape from it, the
 * report's rule ids (src/report/rules.ts) come from its controls, admission violations name the
 * row that raised them, and tests check src/model/psp.ts and the Falco rule rows against it.
 */
import { bool, int32, int64, list, obj, type Shape, str } from "./json_shape.ts";
import {
  APPARMOR_ALLOWED_PROFILES,
  APPARMOR_DEFAULT_PROFILE,
  SECCOMP_ALLOWED_PROFILES,
  SECCOMP_DEFAULT_PROFILE,
} from "./psp.ts";

const idRanges = list(obj({ min: int64, max: int64 }));
const strategy = obj({ rule: str, ranges: idRanges });

/** One PSP field (or annotation-driven control). */
export interface PspFieldInfo {
  /** The spec field's JSON name, or `seccomp` / `apparmor` for the annotation-driven controls. */
  readonly name: string;
  /** Where the PSP holds it: a `spec` field, or `metadata.annotations` keys. */
  readonly where: "spec" | "annotations";
  /** For annotation controls: the annotation keys (allowed profiles, default profile). */
  readonly annotations: readonly string[];
  /** The JSON shape the API server decodes (annotation values are strings). */
  readonly shape: Shape;
  /** The report control (SARIF rule id, JUnit failure type) its violations belong to. */
  readonly control: PspControlId;
  /** What it governs, in a few words. */
  readonly summary: string;
}

function spec<N extends string>(
  name: N,
  shape: Shape,
  control: PspControlId,
  summary: string,
): PspFieldInfo & { name: N; where: "spec" } {
  return { name, where: "spec", annotations: [], shape, control, summary };
}

function annotated<N extends string>(
  name: N,
  annotations: readonly string[],
  control: PspControlId,
  summary: string,
): PspFieldInfo & { name: N; where: "annotations" } {
  return { name, where: "annotations", annotations, shape: str, control, summary };
}

/**
 * The report controls (SARIF rules), in the order of the SARIF rule table, with their titles.
 * Each groups one or more PSP fields; `admission` (no usable PSP, or an invalid pod) has none.
 */
export const PSP_CONTROLS = [
  { id: "privileged", title: "Privileged containers" },
  { id: "capabilities", title: "Capabilities (defaultAdd, requiredDrop, allowed)" },
  { id: "allowedCapabilities", title: "Capabilities that may be added" },
  { id: "requiredDropCapabilities", title: "Capabilities that must be dropped" },
  { id: "volumes", title: "Volume types" },
  { id: "allowedHostPaths", title: "Host paths and read-only mounts" },
  { id: "allowedFlexVolumes", title: "FlexVolume drivers" },
  { id: "allowedCSIDrivers", title: "Inline CSI drivers" },
  { id: "hostNetwork", title: "Host network" },
  { id: "hostPID", title: "Host PID namespace" },
  { id: "hostIPC", title: "Host IPC namespace" },
  { id: "hostPorts", title: "Host ports" },
  { id: "seLinux", title: "SELinux options" },
  { id: "runAsUser", title: "User IDs and non-root" },
  { id: "runAsGroup", title: "Group IDs" },
  { id: "supplementalGroups", title: "Supplemental groups" },
  { id: "fsGroup", title: "fsGroup" },
  { id: "readOnlyRootFilesystem", title: "Read-only root filesystem" },
  { id: "allowPrivilegeEscalation", title: "Privilege escalation" },
  { id: "sysctls", title: "Sysctls (allowedUnsafeSysctls, forbiddenSysctls)" },
  { id: "allowedProcMountTypes", title: "procMount types" },
  { id: "runtimeClass", title: "Runtime classes" },
  { id: "seccomp", title: "Seccomp profiles" },
  { id: "apparmor", title: "AppArmor profiles" },
  { id: "admission", title: "Admission error (no usable PSP or invalid pod)" },
] as const;

/** A report control id. */
export type PspControlId = typeof PSP_CONTROLS[number]["id"];

/** Every PSP field, spec fields in the API's order, then the annotation-driven controls. */
export const PSP_FIELD_TABLE = [
  spec("privileged", bool, "privileged", "privileged containers"),
  spec(
    "defaultAddCapabilities",
    list(str),
    "capabilities",
    "capabilities added to every container",
  ),
  spec(
    "requiredDropCapabilities",
    list(str),
    "requiredDropCapabilities",
    "capabilities every container must drop",
  ),
  spec("allowedCapabilities", list(str), "allowedCapabilities", "capabilities that may be added"),
  spec("volumes", list(str), "volumes", "volume types"),
  spec("hostNetwork", bool, "hostNetwork", "the host's network namespace"),
  spec("hostPorts", list(obj({ min: int32, max: int32 })), "hostPorts", "host port ranges"),
  spec("hostPID", bool, "hostPID", "the host's PID namespace"),
  spec("hostIPC", bool, "hostIPC", "the host's IPC namespace"),
  spec(
    "seLinux",
    obj({ rule: str, seLinuxOptions: obj({ user: str, role: str, type: str, level: str }) }),
    "seLinux",
    "SELinux options",
  ),
  spec("runAsUser", strategy, "runAsUser", "container user IDs, non-root"),
  spec("runAsGroup", strategy, "runAsGroup", "container primary group IDs"),
  spec("supplementalGroups", strategy, "supplementalGroups", "pod supplemental groups"),
  spec("fsGroup", strategy, "fsGroup", "pod fsGroup"),
  spec("readOnlyRootFilesystem", bool, "readOnlyRootFilesystem", "read-only root filesystems"),
  spec(
    "defaultAllowPrivilegeEscalation",
    bool,
    "allowPrivilegeEscalation",
    "the default of allowPrivilegeEscalation",
  ),
  spec("allowPrivilegeEscalation", bool, "allowPrivilegeEscalation", "privilege escalation"),
  spec(
    "allowedHostPaths",
    list(obj({ pathPrefix: str, readOnly: bool })),
    "allowedHostPaths",
    "hostPath prefixes, read-only mounts",
  ),
  spec(
    "allowedFlexVolumes",
    list(obj({ driver: str })),
    "allowedFlexVolumes",
    "flexVolume drivers",
  ),
  spec("allowedCSIDrivers", list(obj({ name: str })), "allowedCSIDrivers", "inline CSI drivers"),
  spec("allowedUnsafeSysctls", list(str), "sysctls", "unsafe sysctls that may be set"),
  spec("forbiddenSysctls", list(str), "sysctls", "sysctls that may not be set"),
  spec("allowedProcMountTypes", list(str), "allowedProcMountTypes", "procMount types"),
  spec(
    "runtimeClass",
    obj({ allowedRuntimeClassNames: list(str), defaultRuntimeClassName: str }),
    "runtimeClass",
    "runtime class names",
  ),
  annotated(
    "seccomp",
    [SECCOMP_ALLOWED_PROFILES, SECCOMP_DEFAULT_PROFILE],
    "seccomp",
    "seccomp profiles (pod and containers)",
  ),
  annotated(
    "apparmor",
    [APPARMOR_ALLOWED_PROFILES, APPARMOR_DEFAULT_PROFILE],
    "apparmor",
    "AppArmor profiles (per container)",
  ),
] as const satisfies readonly PspFieldInfo[];

/** A PSP field name (a row of the table). */
export type PspField = typeof PSP_FIELD_TABLE[number]["name"];

/** A PSP spec field name (the keys of `PodSecurityPolicySpec`). */
export type PspSpecField = Extract<typeof PSP_FIELD_TABLE[number], { where: "spec" }>["name"];

/** Every PSP field name, in the table's order. */
export const PSP_FIELDS: readonly PspField[] = PSP_FIELD_TABLE.map((f) => f.name);

/** The spec fields and their JSON shapes, in the API's order. */
export const PSP_SPEC_SHAPES: Readonly<Record<PspSpecField, Shape>> = Object.fromEntries(
  PSP_FIELD_TABLE.filter((f) => f.where === "spec").map((f) => [f.name, f.shape]),
) as Record<PspSpecField, Shape>;

const BY_NAME: ReadonlyMap<string, PspFieldInfo> = new Map(
  PSP_FIELD_TABLE.map((f) => [f.name, f]),
);

/** The table row of a PSP field. */
export function pspField(name: PspField): PspFieldInfo {
  return BY_NAME.get(name)!;
}
