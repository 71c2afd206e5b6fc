/**
 * What a PSP's defaults changed in an admitted pod: the oracle's `result` (the admitted pod's
 * security-relevant parts) compared with the submitted pod, per PSP field. AppArmor is not
 * recorded in `result`.
 */
import type { PodSecurityPolicy } from "../../src/model/psp.ts";

type Obj = Record<string, unknown>;
type SecurityContext = Record<string, unknown> | null | undefined;

/** The admitted pod as verdicts.json records it (`result`). */
export interface Admitted {
  annotations: Record<string, string>;
  podSecurityContext: Obj;
  runtimeClassName: string | null;
  containers: { name: string; securityContext: SecurityContext }[];
  initContainers: { name: string; securityContext: SecurityContext }[];
}

/** JSON text with object keys sorted (the API server writes Go struct order, pods any order). */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(v ?? null);
}

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
const sameSet = (a: unknown, b: unknown) =>
  same(
    [...((a as string[] | undefined) ?? [])].sort(),
    [...((b as string[] | undefined) ?? [])].sort(),
  );

/** The PSP fields whose defaults turned the submitted pod into the admitted one. */
export function mutatedFields(psp: PodSecurityPolicy, pod: Obj, admitted: Admitted): Set<string> {
  const fields = new Set<string>();
  const spec = pod.spec as Obj;
  const meta = pod.metadata as { annotations?: Record<string, string> };
  const seccompKey = "seccomp.security.alpha.kubernetes.io/pod";
  if (!same(meta.annotations?.[seccompKey], admitted.annotations[seccompKey])) {
    fields.add("seccomp");
  }
  const podSc = (spec.securityContext ?? {}) as Obj;
  for (
    const [key, field] of [["fsGroup", "fsGroup"], ["supplementalGroups", "supplementalGroups"], [
      "seLinuxOptions",
      "seLinux",
    ]] as const
  ) {
    if (!same(podSc[key], admitted.podSecurityContext[key])) fields.add(field);
  }
  if (!same(spec.runtimeClassName, admitted.runtimeClassName)) fields.add("runtimeClass");
  const escalationField = psp.spec.defaultAllowPrivilegeEscalation != null &&
      psp.spec.allowPrivilegeEscalation !== false
    ? "defaultAllowPrivilegeEscalation"
    : "allowPrivilegeEscalation";
  for (const kind of ["containers", "initContainers"] as const) {
    const submitted = (spec[kind] ?? []) as { name: string; securityContext?: SecurityContext }[];
    for (const c of submitted) {
      const before = (c.securityContext ?? {}) as Obj;
      const after = (admitted[kind].find((a) => a.name === c.name)?.securityContext ?? {}) as Obj;
      for (
        const [key, field] of [
          ["runAsUser", "runAsUser"],
          ["runAsNonRoot", "runAsUser"],
          ["runAsGroup", "runAsGroup"],
          ["readOnlyRootFilesystem", "readOnlyRootFilesystem"],
          ["allowPrivilegeEscalation", escalationField],
        ] as const
      ) {
        if (!same(before[key], after[key])) fields.add(field);
      }
      const capsBefore = (before.capabilities ?? {}) as Obj;
      const capsAfter = (after.capabilities ?? {}) as Obj;
      if (!sameSet(capsBefore.add, capsAfter.add)) fields.add("defaultAddCapabilities");
      if (!sameSet(capsBefore.drop, capsAfter.drop)) fields.add("requiredDropCapabilities");
    }
  }
  return fields;
}
