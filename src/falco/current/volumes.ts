/**
 * Current-target rows for volumes: volume types, host paths, FlexVolume and inline CSI drivers.
 */
import type { AllowedHostPath, PodSecurityPolicySpec } from "../../model/psp.ts";
import { and, cmp, type Cond, exists, FALSE, macro, not, or, str, valOf } from "../condition.ts";
import type { MacroDef } from "../context.ts";
import type { FieldRule } from "../field_rule.ts";
import {
  jv,
  ka,
  KINDS,
  MAX_PROJECTED_SOURCES,
  MAX_VOLUMES,
  type Path,
  RO_BOUNDS,
  SPEC,
} from "./support.ts";

/** PSP `volumes` strings to the pod volume keys `ka.req.pod.volumes.volume_type` yields. */
function volumeKey(fsType: string): string {
  return fsType === "cephFS" ? "cephfs" : fsType;
}

function allowsVolume(spec: PodSecurityPolicySpec, fsType: string): boolean {
  const v = spec.volumes ?? [];
  return v.includes("*") || v.includes(fsType);
}

/** hasPathPrefix of docs/psp-admission.md §4, for a path field and one allowed prefix. */
function pathHasPrefix(f: ReturnType<typeof jv>, prefix: string): Cond {
  const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return or(p.endsWith("/") ? FALSE : cmp(f, "=", str(p)), cmp(f, "startswith", str(`${p}/`)));
}

function matchesAny(f: ReturnType<typeof jv>, entries: readonly AllowedHostPath[]): Cond {
  return or(...entries.map((e) => pathHasPrefix(f, e.pathPrefix ?? "")));
}

/** `volumes`. */
export const volumes: FieldRule = {
  field: "volumes",
  audit: (ctx) => {
    const vols = ctx.psp.spec.volumes ?? [];
    if (vols.includes("*")) return undefined;
    const exemptProjected = vols.includes("secret") && !vols.includes("projected");
    const allowed = [
      ...new Set([...vols.map(volumeKey), ...(exemptProjected ? ["projected"] : [])]),
    ];
    const type = ka("ka.req.pod.volumes.volume_type");
    const typeRefused = and(exists(type), not(cmp(type, "in", allowed.map(str))));
    let projectedRefused = FALSE;
    if (exemptProjected) {
      projectedRefused = or(
        ...ctx.indices([...SPEC, "volumes"], MAX_VOLUMES).map((i) => {
          const sources: Path = [...SPEC, "volumes", i, "projected", "sources"];
          const exempt = and(
            ...ctx.indices(sources, MAX_PROJECTED_SOURCES).map((s) => {
              const src = [...sources, s];
              return or(
                not(exists(jv(...src))),
                and(
                  cmp(jv(...src, "serviceAccountToken", "path"), "=", str("token")),
                  not(exists(jv(...src, "serviceAccountToken", "audience"))),
                ),
                cmp(jv(...src, "configMap", "name"), "=", str("kube-root-ca.crt")),
                cmp(
                  jv(...src, "downwardAPI", "items"),
                  "=",
                  str(
                    '[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]',
                  ),
                ),
              );
            }),
            not(exists(jv(...sources, MAX_PROJECTED_SOURCES))),
          );
          return and(exists(jv(...SPEC, "volumes", i, "projected")), not(exempt));
        }),
      );
    }
    return {
      cond: or(typeRefused, projectedRefused),
      text: `volume type outside of the allowed set [${vols.join(",")}]`,
    };
  },
};

/** `allowedHostPaths`. */
export const allowedHostPaths: FieldRule = {
  field: "allowedHostPaths",
  audit: (ctx) => {
    const entries = ctx.psp.spec.allowedHostPaths ?? [];
    if (!entries.length || !allowsVolume(ctx.psp.spec, "hostPath")) return undefined;
    const path = (i: number) => jv(...SPEC, "volumes", i, "hostPath", "path");
    const notAllowed = or(
      ...ctx.indices([...SPEC, "volumes"], MAX_VOLUMES).map((i) =>
        and(exists(path(i)), not(matchesAny(path(i), entries)))
      ),
    );
    const ro = entries.filter((e) => e.readOnly);
    const rw = entries.filter((e) => !e.readOnly);
    const macros: MacroDef[] = [];
    let writable = FALSE;
    if (ro.length) {
      const parts: Cond[] = [];
      for (const v of ctx.indices([...SPEC, "volumes"], RO_BOUNDS.volumes)) {
        const roOnly = and(
          exists(path(v)),
          matchesAny(path(v), ro),
          not(matchesAny(path(v), rw)),
        );
        const mounts = or(
          ...KINDS.flatMap((kind) =>
            ctx.indices([...SPEC, kind], RO_BOUNDS.containers).flatMap((c) =>
              ctx.indices([...SPEC, kind, c, "volumeMounts"], RO_BOUNDS.mounts).map((m) => {
                const mount: Path = [...SPEC, kind, c, "volumeMounts", m];
                return and(
                  cmp(jv(...mount, "name"), "=", valOf(jv(...SPEC, "volumes", v, "name"))),
                  not(cmp(jv(...mount, "readOnly"), "=", str("true"))),
                );
              })
            )
          ),
        );
        const name = ctx.id(`host_path_writable_${v}`);
        macros.push({ name, cond: and(roOnly, mounts) });
        parts.push(macro(name));
      }
      writable = or(...parts);
    }
    return {
      cond: or(notAllowed, writable),
      text: `hostPath volume outside of the allowed paths [${
        entries.map((e) => `${e.pathPrefix}${e.readOnly ? " (readOnly)" : ""}`).join(",")
      }] or mounted writable`,
      macros,
    };
  },
};

/** `allowedFlexVolumes`. */
export const allowedFlexVolumes: FieldRule = {
  field: "allowedFlexVolumes",
  audit: ({ psp }) => {
    const drivers = (psp.spec.allowedFlexVolumes ?? []).map((d) => d.driver);
    if (!drivers.length || !allowsVolume(psp.spec, "flexVolume")) return undefined;
    const f = ka("ka.req.pod.volumes.flexvolume_driver");
    return {
      cond: and(exists(f), not(cmp(f, "in", drivers.map(str)))),
      text: `flexVolume driver outside of the allowed set [${drivers.join(",")}]`,
    };
  },
};

/** `allowedCSIDrivers`. */
export const allowedCSIDrivers: FieldRule = {
  field: "allowedCSIDrivers",
  audit: (ctx) => {
    const names = (ctx.psp.spec.allowedCSIDrivers ?? []).map((d) => d.name);
    if (!names.length || !allowsVolume(ctx.psp.spec, "csi")) return undefined;
    return {
      cond: or(
        ...ctx.indices([...SPEC, "volumes"], MAX_VOLUMES).map((i) => {
          const f = jv(...SPEC, "volumes", i, "csi", "driver");
          return and(exists(f), not(cmp(f, "in", names.map(str))));
        }),
      ),
      text: `inline CSI driver outside of the allowed set [${names.join(",")}]`,
    };
  },
};
