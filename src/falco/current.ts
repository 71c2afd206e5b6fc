/**
 * PSP field -> rules for current Falco (0.43-0.45 with the k8saudit >= 0.18.0 and json >= 0.7.0
 * plugins). One row per PSP spec field or annotation. The k8s_audit "Violation" rules fire
 * exactly when Kubernetes 1.20 PSP admission would refuse the pod for that field (after its
 * mutations), the "Mutation" rules when admission would change the pod instead.
 *
 * Semantics this relies on (docs/falco.md §8): all `ka.*`/`json.*` values are strings; list fields
 * only take `exists`/`in`/`intersects`; an absent value makes every comparison false (so
 * `not X in (...)` is true and needs an `exists` guard); `eff_run_as_*` are not used. Ranges
 * are checked with `regex`, per-container values that need the pod-level fallback with
 * `json.value[/requestObject/spec/<kind>/<i>/...]` for the first N containers (a separate
 * "Unchecked" rule fires for larger pods), and hostPath readOnly with `val()`.
 */
import type { AllowedHostPath, IDRange, PodSecurityPolicySpec } from "../model/psp.ts";
import {
  APPARMOR_ALLOWED_PROFILES,
  APPARMOR_DEFAULT_PROFILE,
  SECCOMP_ALLOWED_PROFILES,
  SECCOMP_DEFAULT_PROFILE,
} from "../model/psp.ts";
import {
  and,
  cmp,
  type Cond,
  exists,
  FALSE,
  type Field,
  field,
  jsonField,
  macro,
  MAX_VALUE_BYTES,
  not,
  or,
  sq,
  str,
  TRUE,
  valOf,
  ValueTooLongError,
  word,
} from "./condition.ts";
import type { MacroDef, PspContext } from "./context.ts";
import type { FieldRule } from "./field_rule.ts";
import {
  inRangesAlternatives,
  literalPattern,
  notOneOfStringAlternatives,
  outsideRangesAlternatives,
  splitAlternation,
} from "./regex.ts";
import { GenerateError } from "./scope.ts";

type Path = (string | number)[];

/** Containers checked one by one per kind; larger pods get the "Unchecked" rule. */
export const MAX_CONTAINERS = 8;
/** Volumes checked one by one. */
export const MAX_VOLUMES = 16;
/** Sysctls checked one by one. */
export const MAX_SYSCTLS = 16;
/** Sources of a projected volume checked for the service-account-token exemption. */
export const MAX_PROJECTED_SOURCES = 4;
/** Bounds of the hostPath readOnly cross-check (volume x container x mount). */
export const RO_BOUNDS = { volumes: 8, containers: 3, mounts: 6 } as const;

const SPEC: Path = ["requestObject", "spec"];
const POD_SC: Path = [...SPEC, "securityContext"];
const ANNOTATIONS: Path = ["requestObject", "metadata", "annotations"];
/**
 * The container lists a pod create carries. Not `ephemeralContainers`: a create cannot set
 * them (the API server refuses it), and `kubectl debug` adds them through the
 * `pods/ephemeralcontainers` subresource, which PSP admission ignores (README, "Ephemeral
 * containers").
 */
const KINDS = ["containers", "initContainers"] as const;
type Kind = (typeof KINDS)[number];

const jv = (...path: Path) => jsonField(path);
const ka = (name: string) => field(name);
const kaKind = (kind: Kind, name: string) => field(`ka.req.pod.${kind}.${name}`);

/**
 * `f regex '<head>(<alternatives>)<tail>'` as several regexes of at most MAX_VALUE_BYTES
 * joined by `or` (the same language: each takes some of the alternatives). FALSE when there
 * is no alternative; ValueTooLongError when one alternative alone does not fit.
 */
function regexAny(f: Field, head: string, alternatives: readonly string[], tail: string): Cond {
  if (!alternatives.length) return FALSE;
  const values = splitAlternation(head, alternatives, tail, MAX_VALUE_BYTES);
  if (!values) {
    throw new ValueTooLongError(
      `a regex alternative (${
        alternatives.find((a) => head.length + a.length + tail.length + 2 > MAX_VALUE_BYTES)
          ?.slice(0, 60)
      }...) does not fit in the ${MAX_VALUE_BYTES} bytes Falco accepts in one value`,
    );
  }
  return or(...values.map((v) => cmp(f, "regex", str(v))));
}

/**
 * `f regex '<head><lead>(<JSON string body not in allowed>)<tail>'`, split as regexAny does
 * (the "not one of" trie is cut at its subtrees where one regex would be too long).
 */
function notOneOfRegex(
  f: Field,
  head: string,
  allowed: readonly string[],
  tail: string,
  lead = "",
  extra: readonly string[] = [],
): Cond {
  const budget = MAX_VALUE_BYTES - head.length - tail.length - 2 - lead.length;
  const alts = notOneOfStringAlternatives(allowed, budget);
  if (!alts) {
    throw new ValueTooLongError(
      `an allowed value (one of ${allowed.length}) is too long for a regex of at most ${MAX_VALUE_BYTES} bytes`,
    );
  }
  return regexAny(f, head, [...extra, ...alts.map((a) => lead + a)], tail);
}

/** OR over the container kinds of a `ka.req.pod.<kind>.*` check. */
function anyKind(f: (kind: Kind) => Cond): Cond {
  return or(...KINDS.map(f));
}

/** OR over the first containers of every kind; `f` gets the container's JSON path. */
function anyContainer(ctx: PspContext, f: (c: Path) => Cond, count = MAX_CONTAINERS): Cond {
  return or(
    ...KINDS.flatMap((kind) =>
      ctx.indices([...SPEC, kind], count).map((i) => f([...SPEC, kind, i]))
    ),
  );
}

/** The container exists and does not set `securityContext.<sub>`. */
function containerLacks(c: Path, ...sub: Path): Cond {
  return and(exists(jv(...c)), not(exists(jv(...c, "securityContext", ...sub))));
}

/** `f` is set and its text is not an integer inside the ranges. */
function outOfRanges(f: ReturnType<typeof jv>, ranges: IDRange[]): Cond {
  return and(exists(f), not(regexAny(f, "^", inRangesAlternatives(ranges), "$")));
}

function rangesText(ranges: readonly IDRange[] | null | undefined): string {
  return (ranges ?? []).map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(",");
}

/** Warns about a strategy admission cannot use (provider creation fails; every pod refused). */
function unusable(ctx: PspContext, fieldName: string, why: string): undefined {
  ctx.warnings.push(
    `PodSecurityPolicy ${ctx.psp.metadata?.name}: ${fieldName}: ${why}; admission cannot use this policy (it refuses every pod with "no providers available"), so no rule is generated for this field`,
  );
  ctx.uncover(fieldName, why);
  return undefined;
}

/**
 * The effective (container, else pod) `securityContext.<key>` of some container is outside the
 * ranges; the macro holds the pod-level value being outside.
 */
function effectiveOutOfRanges(
  ctx: PspContext,
  key: string,
  ranges: IDRange[],
): { cond: Cond; macros: MacroDef[] } {
  const podBad: MacroDef = {
    name: ctx.id(`pod_${snake(key)}_outside`),
    cond: outOfRanges(jv(...POD_SC, key), ranges),
  };
  // A container's own value: found in the JSON text of each kind (the key only occurs in
  // container securityContexts there; negative values are outside every range too).
  const outside = ["-[0-9]+", ...outsideRangesAlternatives(ranges)];
  const own = KINDS.map((kind) => regexAny(jv(...SPEC, kind), `^.*"${key}":`, outside, "[,}].*$"));
  const cond = or(
    ...own,
    and(macro(podBad.name), macro(withoutOwn(ctx, key).name)),
  );
  return { cond, macros: [podBad, withoutOwn(ctx, key)] };
}

/** The macro "some container does not set its own `securityContext.<key>`" (shared by rules). */
function withoutOwn(ctx: PspContext, key: string): MacroDef {
  return {
    name: ctx.id(`container_without_${snake(key)}`),
    cond: anyContainer(ctx, (c) => containerLacks(c, key)),
  };
}

/** Some container has neither its own nor a pod-level `securityContext.<key>`. */
function effectiveUnset(ctx: PspContext, key: string): { cond: Cond; macros: MacroDef[] } {
  const m = withoutOwn(ctx, key);
  return { cond: and(not(exists(jv(...POD_SC, key))), macro(m.name)), macros: [m] };
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The allowed-uid/gid macro of a syscall rule: `(user.uid >= MIN and user.uid <= MAX) or ...`. */
function idRangesCond(fieldName: string, ranges: IDRange[]): Cond {
  return or(
    ...ranges.map((r) =>
      and(
        cmp(field(fieldName), ">=", word(String(r.min))),
        cmp(field(fieldName), "<=", word(String(r.max))),
      )
    ),
  );
}

const PROCESS_START = (extra: string[] = []) =>
  cmp(field("evt.type"), "in", ["execve", "execveat", ...extra].map(word));

const SYSCALL_IDS =
  "command=%proc.cmdline uid=%user.uid gid=%group.gid container_id=%container.id image=%container.image.repository";

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

/** Every permutation of the categories of an SELinux level (`s0:c1,c2` == `s0:c2,c1`). */
function levelVariants(level: string): string[] {
  const i = level.indexOf(":");
  if (i < 0) return [level];
  const sens = level.slice(0, i);
  const cats = level.slice(i + 1).split(",");
  if (cats.length > 6) return [level];
  const out = new Set<string>();
  const perm = (rest: string[], acc: string[]) => {
    if (!rest.length) out.add(`${sens}:${acc.join(",")}`);
    rest.forEach((c, j) => perm([...rest.slice(0, j), ...rest.slice(j + 1)], [...acc, c]));
  };
  perm(cats, []);
  return [...out];
}

const CAPABILITY = /^[A-Za-z0-9_]+$/;

function checkCapabilities(ctx: PspContext, fieldName: string, caps: readonly string[]): void {
  for (const c of caps) {
    if (c !== "*" && !CAPABILITY.test(c)) {
      throw new GenerateError(
        ctx.psp.metadata?.name ?? "",
        fieldName,
        `capability ${JSON.stringify(c)} cannot be written safely`,
      );
    }
  }
}

/** The container's `securityContext.capabilities.<list>` JSON text contains the capability. */
function capListHas(c: Path, list: "add" | "drop", cap: string): Cond {
  return cmp(jv(...c, "securityContext", "capabilities", list), "contains", str(`"${cap}"`));
}

const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
];

function sysctlMatches(f: ReturnType<typeof jv>, patterns: readonly string[]): Cond {
  const exact = patterns.filter((p) => !p.endsWith("*"));
  const prefixes = patterns.filter((p) => p.endsWith("*")).map((p) => p.slice(0, -1));
  if (prefixes.includes("")) return exists(f);
  return or(cmp(f, "in", exact.map(str)), ...prefixes.map((p) => cmp(f, "startswith", str(p))));
}

interface SeccompPolicy {
  any: boolean;
  allowed: string[];
  present: boolean;
}

function seccompPolicy(annotation: string | undefined): SeccompPolicy {
  if (annotation === undefined) return { any: false, allowed: [], present: false };
  const list = annotation.split(",");
  const allowed = new Set(list);
  if (allowed.has("docker/default") || allowed.has("runtime/default")) {
    allowed.add("docker/default");
    allowed.add("runtime/default");
  }
  return { any: allowed.has("*"), allowed: [...allowed], present: true };
}

/** Whether a seccomp profile (annotation form, "" = none) passes the policy. */
function seccompAllows(p: SeccompPolicy, profile: string): boolean {
  if (p.any) return true;
  if (profile === "") return p.allowed.length === 0 || !p.present;
  return p.allowed.includes(profile);
}

/** A `seccompProfile` field under `sc` (a securityContext path) that the policy refuses. */
function seccompFieldRefused(p: SeccompPolicy, sc: Path): Cond {
  if (p.any) return FALSE;
  const type = jv(...sc, "seccompProfile", "type");
  const localhost = p.allowed.filter((a) => a.startsWith("localhost/")).map((a) => a.slice(10));
  return or(
    seccompAllows(p, "runtime/default") ? FALSE : cmp(type, "=", str("RuntimeDefault")),
    seccompAllows(p, "unconfined") ? FALSE : cmp(type, "=", str("Unconfined")),
    and(
      cmp(type, "=", str("Localhost")),
      not(cmp(jv(...sc, "seccompProfile", "localhostProfile"), "in", localhost.map(str))),
    ),
  );
}

/**
 * Some container of a kind (the JSON text of `spec.<kind>`) has a `seccompProfile` the policy
 * refuses. The API server writes `type` before `localhostProfile`.
 */
function seccompContainerFieldRefused(p: SeccompPolicy, kindJson: ReturnType<typeof jv>): Cond {
  if (p.any) return FALSE;
  const localhost = p.allowed.filter((a) => a.startsWith("localhost/")).map((a) => a.slice(10));
  return notOneOfRegex(
    kindJson,
    '^.*"seccompProfile":[{]"type":',
    localhost,
    ".*$",
    '"Localhost","localhostProfile":"',
    [
      ...(seccompAllows(p, "runtime/default") ? [] : ['"RuntimeDefault"']),
      ...(seccompAllows(p, "unconfined") ? [] : ['"Unconfined"']),
    ],
  );
}

/** A container-level annotation `<keyPrefix><name>` whose value is not one of `allowed`. */
function containerAnnotationRefused(keyPrefix: string, allowed: readonly string[]): Cond {
  return notOneOfRegex(
    jv(...ANNOTATIONS),
    `^.*"${literalPattern(keyPrefix)}[^"]*":"`,
    allowed,
    ".*$",
  );
}

function anyContainerAnnotation(keyPrefix: string): Cond {
  return cmp(jv(...ANNOTATIONS), "regex", str(`^.*"${literalPattern(keyPrefix)}[^"]*":.*$`));
}

function checkProfiles(ctx: PspContext, key: string, profiles: readonly string[]): void {
  for (const p of profiles) {
    if (!/^[A-Za-z0-9._/:@+-]*$/.test(p)) {
      throw new GenerateError(
        ctx.psp.metadata?.name ?? "",
        `metadata.annotations[${key}]`,
        `profile ${JSON.stringify(p)} cannot be written safely into a Falco condition`,
      );
    }
  }
}

const HOST_NAMESPACES = [
  ["hostPID", "host_pid", "hostPID=true"],
  ["hostIPC", "host_ipc", "hostIPC=true"],
  ["hostNetwork", "host_network", "hostNetwork=true"],
] as const;

/** The table: PSP field -> rules, in admission's validation order. */
export const CURRENT_FIELD_RULES: readonly FieldRule[] = [
  {
    field: "privileged",
    audit: ({ psp }) =>
      psp.spec.privileged ? undefined : {
        cond: anyKind((k) => cmp(kaKind(k, "privileged"), "intersects", str("true"))),
        text: "container with privileged=true",
      },
    syscall: (ctx) =>
      ctx.psp.spec.privileged ? undefined : {
        cond: and(
          cmp(field("evt.type"), "=", word("container")),
          macro(ctx.id("container")),
          cmp(field("container.privileged"), "=", word("true")),
        ),
        text:
          "container with privileged=true started (user=%user.name command=%proc.cmdline container_id=%container.id image=%container.image.repository:%container.image.tag)",
      },
  },
  ...HOST_NAMESPACES.map(([specField, kaName, text]): FieldRule => ({
    field: specField,
    audit: ({ psp }) =>
      psp.spec[specField] ? undefined : {
        cond: cmp(ka(`ka.req.pod.${kaName}`), "=", str("true")),
        text: `pod with ${text}`,
      },
  })),
  {
    field: "hostPorts",
    audit: ({ psp }) => {
      // hostPort 0 is never serialized; with hostNetwork the API server has already copied
      // every containerPort into hostPort before admission (and before the audit event).
      const outside = outsideRangesAlternatives(psp.spec.hostPorts ?? []);
      if (!outside.length) return undefined;
      return {
        cond: or(
          ...(["containers", "initContainers"] as const).map((kind) =>
            regexAny(jv(...SPEC, kind), '^.*"hostPort":', outside, "[,}].*$")
          ),
        ),
        text: `host port outside of the allowed ranges [${rangesText(psp.spec.hostPorts)}]`,
      };
    },
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
    field: "fsGroup",
    audit: (ctx) => {
      const { rule, ranges } = ctx.psp.spec.fsGroup ?? {};
      if (rule !== "MustRunAs" && rule !== "MayRunAs") return undefined;
      if (!ranges?.length) return unusable(ctx, "fsGroup", `${rule} without ranges`);
      return {
        cond: and(
          exists(ka("ka.req.pod.fs_group")),
          not(regexAny(ka("ka.req.pod.fs_group"), "^", inRangesAlternatives(ranges), "$")),
        ),
        text: `fsGroup outside of the ${rule} ranges [${rangesText(ranges)}]`,
      };
    },
    mutation: ({ psp }) =>
      psp.spec.fsGroup?.rule === "MustRunAs" && psp.spec.fsGroup.ranges?.length
        ? {
          cond: not(exists(ka("ka.req.pod.fs_group"))),
          text: `fsGroup unset: admission sets it to ${psp.spec.fsGroup.ranges[0].min}`,
        }
        : undefined,
  },
  {
    field: "supplementalGroups",
    audit: (ctx) => {
      const { rule, ranges } = ctx.psp.spec.supplementalGroups ?? {};
      if (rule !== "MustRunAs" && rule !== "MayRunAs") return undefined;
      if (!ranges?.length) return unusable(ctx, "supplementalGroups", `${rule} without ranges`);
      // Negative groups are outside every range too.
      const outside = ["-[0-9]+", ...outsideRangesAlternatives(ranges)];
      if (rule === "MustRunAs") {
        ctx.uncover(
          "supplementalGroups",
          "an explicitly empty list (refused under MustRunAs) is not written in the audit event, so it looks unset (defaulted)",
        );
      }
      return {
        cond: regexAny(
          jv(...POD_SC, "supplementalGroups"),
          "^.(-?[0-9]+,)*",
          outside,
          "[^0-9].*$",
        ),
        text: `supplementalGroups outside of the ${rule} ranges [${rangesText(ranges)}]`,
      };
    },
    mutation: ({ psp }) =>
      psp.spec.supplementalGroups?.rule === "MustRunAs" &&
        psp.spec.supplementalGroups.ranges?.length
        ? {
          cond: not(exists(jv(...POD_SC, "supplementalGroups"))),
          text: `supplementalGroups unset: admission sets [${
            psp.spec.supplementalGroups.ranges[0].min
          }]`,
        }
        : undefined,
  },
  {
    field: "seccomp",
    audit: (ctx) => {
      const ann = ctx.psp.metadata?.annotations ?? {};
      const p = seccompPolicy(ann[SECCOMP_ALLOWED_PROFILES]);
      if (p.any) return undefined;
      const def = ann[SECCOMP_DEFAULT_PROFILE] ?? "";
      checkProfiles(ctx, SECCOMP_ALLOWED_PROFILES, p.allowed);
      checkProfiles(ctx, SECCOMP_DEFAULT_PROFILE, [def]);
      const podAnn = jv(...ANNOTATIONS, "seccomp.security.alpha.kubernetes.io/pod");
      const annSet = and(exists(podAnn), not(cmp(podAnn, "=", str(""))));
      const podField = jv(...POD_SC, "seccompProfile", "type");
      const pod = or(
        and(annSet, not(cmp(podAnn, "in", p.allowed.map(str)))),
        and(not(annSet), exists(podField), seccompFieldRefused(p, POD_SC)),
        and(not(annSet), not(exists(podField)), seccompAllows(p, def) ? FALSE : TRUE),
      );
      const containerField = or(
        ...KINDS.map((kind) => seccompContainerFieldRefused(p, jv(...SPEC, kind))),
      );
      const containerAnn = containerAnnotationRefused(
        "container.seccomp.security.alpha.kubernetes.io/",
        p.present ? p.allowed : [""],
      );
      return {
        cond: or(pod, containerField, containerAnn),
        text: p.present
          ? `seccomp profile outside of the allowed set [${ann[SECCOMP_ALLOWED_PROFILES]}]`
          : "seccomp profile set, but the policy allows none",
      };
    },
    mutation: (ctx) => {
      const def = ctx.psp.metadata?.annotations?.[SECCOMP_DEFAULT_PROFILE] ?? "";
      const podAnn = jv(...ANNOTATIONS, "seccomp.security.alpha.kubernetes.io/pod");
      const annSet = and(exists(podAnn), not(cmp(podAnn, "=", str(""))));
      return {
        cond: and(not(annSet), def ? TRUE : exists(jv(...POD_SC, "seccompProfile", "type"))),
        text: def
          ? `no pod seccomp annotation: admission sets it (from the pod's seccompProfile, else ${def})`
          : "pod seccompProfile without the annotation: admission adds the annotation",
      };
    },
  },
  {
    field: "seLinux",
    audit: (ctx) => {
      const se = ctx.psp.spec.seLinux;
      if (se?.rule !== "MustRunAs") return undefined;
      if (!se.seLinuxOptions) return unusable(ctx, "seLinux", "MustRunAs without seLinuxOptions");
      const o = se.seLinuxOptions;
      const mismatch = (base: Path): Cond =>
        or(
          o.level
            ? not(cmp(jv(...base, "level"), "in", levelVariants(o.level).map(str)))
            : exists(jv(...base, "level")),
          ...(["role", "type", "user"] as const).map((k) =>
            o[k] ? not(cmp(jv(...base, k), "=", str(o[k]!))) : exists(jv(...base, k))
          ),
        );
      const podOpts: Path = [...POD_SC, "seLinuxOptions"];
      return {
        cond: or(
          and(exists(jv(...podOpts)), mismatch(podOpts)),
          anyContainer(ctx, (c) => {
            const opts: Path = [...c, "securityContext", "seLinuxOptions"];
            return and(exists(jv(...opts)), mismatch(opts));
          }),
        ),
        text: "seLinuxOptions different from the policy's",
      };
    },
    mutation: ({ psp }) =>
      psp.spec.seLinux?.rule === "MustRunAs" && psp.spec.seLinux.seLinuxOptions
        ? {
          cond: not(exists(jv(...POD_SC, "seLinuxOptions"))),
          text: "pod seLinuxOptions unset: admission sets the policy's",
        }
        : undefined,
  },
  {
    field: "forbiddenSysctls",
    audit: (ctx) => {
      const forbidden = ctx.psp.spec.forbiddenSysctls ?? [];
      if (!forbidden.length) return undefined;
      return {
        cond: or(
          ...ctx.indices([...POD_SC, "sysctls"], MAX_SYSCTLS).map((i) => {
            const f = jv(...POD_SC, "sysctls", i, "name");
            return and(exists(f), sysctlMatches(f, forbidden));
          }),
        ),
        text: `sysctl matching the forbidden set [${forbidden.join(",")}]`,
      };
    },
  },
  {
    field: "allowedUnsafeSysctls",
    audit: (ctx) => {
      const forbidden = ctx.psp.spec.forbiddenSysctls ?? [];
      const allowed = ctx.psp.spec.allowedUnsafeSysctls ?? [];
      if (allowed.includes("*")) return undefined;
      return {
        cond: or(
          ...ctx.indices([...POD_SC, "sysctls"], MAX_SYSCTLS).map((i) => {
            const f = jv(...POD_SC, "sysctls", i, "name");
            return and(
              exists(f),
              forbidden.length ? not(sysctlMatches(f, forbidden)) : TRUE,
              not(cmp(f, "in", SAFE_SYSCTLS.map(str))),
              allowed.length ? not(sysctlMatches(f, allowed)) : TRUE,
            );
          }),
        ),
        text: `unsafe sysctl outside of the allowed set [${allowed.join(",")}]`,
      };
    },
  },
  {
    field: "runtimeClass",
    audit: ({ psp }) => {
      const rc = psp.spec.runtimeClass;
      if (!rc || rc.allowedRuntimeClassNames.includes("*")) return undefined;
      const f = jv(...SPEC, "runtimeClassName");
      return {
        cond: and(exists(f), not(cmp(f, "in", rc.allowedRuntimeClassNames.map(str)))),
        text: `runtimeClassName outside of the allowed set [${
          rc.allowedRuntimeClassNames.join(",")
        }]`,
      };
    },
    mutation: ({ psp }) =>
      psp.spec.runtimeClass?.defaultRuntimeClassName
        ? {
          cond: not(exists(jv(...SPEC, "runtimeClassName"))),
          text:
            `runtimeClassName unset: admission sets ${psp.spec.runtimeClass.defaultRuntimeClassName}`,
        }
        : undefined,
  },
  {
    field: "runAsUser",
    label: ({ psp }) => `runAsUser=${psp.spec.runAsUser?.rule}`,
    audit: (ctx) => {
      const { rule, ranges } = ctx.psp.spec.runAsUser ?? {};
      if (rule === "MustRunAs") {
        if (!ranges?.length) return unusable(ctx, "runAsUser", "MustRunAs without ranges");
        const e = effectiveOutOfRanges(ctx, "runAsUser", ranges);
        return { ...e, text: `runAsUser outside of the ranges [${rangesText(ranges)}]` };
      }
      if (rule === "MustRunAsNonRoot") {
        return {
          cond: or(
            ...KINDS.map((kind) =>
              cmp(jv(...SPEC, kind), "regex", str('^.*("runAsNonRoot":false|"runAsUser":0)[,}].*$'))
            ),
            and(
              cmp(jv(...POD_SC, "runAsNonRoot"), "=", str("false")),
              macro(withoutOwn(ctx, "runAsNonRoot").name),
            ),
            and(
              cmp(jv(...POD_SC, "runAsUser"), "=", str("0")),
              macro(withoutOwn(ctx, "runAsUser").name),
            ),
          ),
          macros: [withoutOwn(ctx, "runAsNonRoot"), withoutOwn(ctx, "runAsUser")],
          text: "runAsNonRoot=false or runAsUser=0 when MustRunAsNonRoot is set",
        };
      }
      return undefined;
    },
    mutation: (ctx) => {
      const { rule, ranges } = ctx.psp.spec.runAsUser ?? {};
      if (rule === "MustRunAs" && ranges?.length) {
        return {
          ...effectiveUnset(ctx, "runAsUser"),
          text: `container without runAsUser: admission sets ${ranges[0].min}`,
        };
      }
      if (rule === "MustRunAsNonRoot") {
        return {
          cond: and(
            not(exists(jv(...POD_SC, "runAsUser"))),
            not(exists(jv(...POD_SC, "runAsNonRoot"))),
            anyContainer(
              ctx,
              (c) =>
                and(
                  containerLacks(c, "runAsUser"),
                  not(exists(jv(...c, "securityContext", "runAsNonRoot"))),
                ),
            ),
          ),
          text: "container without runAsUser or runAsNonRoot: admission sets runAsNonRoot=true",
        };
      }
      return undefined;
    },
    syscall: (ctx) => {
      const { rule, ranges } = ctx.psp.spec.runAsUser ?? {};
      if (rule === "MustRunAs" && ranges?.length) {
        const name = ctx.id("allowed_uids");
        return {
          cond: and(PROCESS_START(["setuid"]), macro(ctx.id("container")), not(macro(name))),
          macros: [{ name, cond: idRangesCond("user.uid", ranges) }],
          text: `process uid outside of the runAsUser ranges [${
            rangesText(ranges)
          }] (${SYSCALL_IDS})`,
        };
      }
      if (rule === "MustRunAsNonRoot") {
        return {
          cond: and(
            PROCESS_START(["setuid"]),
            macro(ctx.id("container")),
            cmp(field("user.uid"), "=", word("0")),
          ),
          text: `root process when MustRunAsNonRoot is set (${SYSCALL_IDS})`,
        };
      }
      return undefined;
    },
  },
  {
    field: "runAsGroup",
    label: ({ psp }) => `runAsGroup=${psp.spec.runAsGroup?.rule}`,
    audit: (ctx) => {
      const { rule, ranges } = ctx.psp.spec.runAsGroup ?? {};
      if (rule !== "MustRunAs" && rule !== "MayRunAs") return undefined;
      if (!ranges?.length) return unusable(ctx, "runAsGroup", `${rule} without ranges`);
      const e = effectiveOutOfRanges(ctx, "runAsGroup", ranges);
      return { ...e, text: `runAsGroup outside of the ${rule} ranges [${rangesText(ranges)}]` };
    },
    mutation: (ctx) => {
      const { rule, ranges } = ctx.psp.spec.runAsGroup ?? {};
      if (rule !== "MustRunAs" || !ranges?.length) return undefined;
      return {
        ...effectiveUnset(ctx, "runAsGroup"),
        text: `container without runAsGroup: admission sets ${ranges[0].min}`,
      };
    },
    syscall: (ctx) => {
      const { rule, ranges } = ctx.psp.spec.runAsGroup ?? {};
      if (rule !== "MustRunAs" || !ranges?.length) return undefined;
      const name = ctx.id("allowed_gids");
      return {
        cond: and(PROCESS_START(["setgid"]), macro(ctx.id("container")), not(macro(name))),
        macros: [{ name, cond: idRangesCond("group.gid", ranges) }],
        text: `process gid outside of the runAsGroup ranges [${
          rangesText(ranges)
        }] (${SYSCALL_IDS})`,
      };
    },
  },
  {
    field: "apparmor",
    audit: (ctx) => {
      const ann = ctx.psp.metadata?.annotations ?? {};
      const allowedText = ann[APPARMOR_ALLOWED_PROFILES];
      if (allowedText === undefined) return undefined;
      const allowed = allowedText.split(",");
      const def = ann[APPARMOR_DEFAULT_PROFILE] ?? "";
      checkProfiles(ctx, APPARMOR_ALLOWED_PROFILES, allowed);
      checkProfiles(ctx, APPARMOR_DEFAULT_PROFILE, [def]);
      const key = "container.apparmor.security.beta.kubernetes.io/";
      const defaultOk = def !== "" && allowed.includes(def);
      ctx.uncover(
        "apparmor",
        "a container without a profile annotation is only detected when the pod has no AppArmor annotation at all (annotation keys name containers, which a condition cannot cross-reference)",
      );
      return {
        cond: or(
          containerAnnotationRefused(key, defaultOk ? [...allowed, ""] : allowed),
          defaultOk ? FALSE : not(anyContainerAnnotation(key)),
        ),
        text: `AppArmor profile outside of the allowed set [${allowedText}]`,
      };
    },
    mutation: (ctx) => {
      const def = ctx.psp.metadata?.annotations?.[APPARMOR_DEFAULT_PROFILE];
      if (!def) return undefined;
      return {
        cond: not(anyContainerAnnotation("container.apparmor.security.beta.kubernetes.io/")),
        text: `container without an AppArmor annotation: admission sets ${def}`,
      };
    },
  },
  {
    field: "allowedProcMountTypes",
    audit: ({ psp }) => {
      const types = psp.spec.allowedProcMountTypes?.length
        ? psp.spec.allowedProcMountTypes
        : ["Default"];
      return {
        cond: anyKind((k) =>
          and(
            exists(kaKind(k, "proc_mount")),
            not(cmp(kaKind(k, "proc_mount"), "in", types.map(str))),
          )
        ),
        text: `procMount outside of the allowed set [${types.join(",")}]`,
      };
    },
  },
  {
    field: "allowedCapabilities",
    audit: (ctx) => {
      const allowed = ctx.psp.spec.allowedCapabilities ?? [];
      const defaults = ctx.psp.spec.defaultAddCapabilities ?? [];
      checkCapabilities(ctx, "allowedCapabilities", allowed);
      checkCapabilities(ctx, "defaultAddCapabilities", defaults);
      if (allowed.includes("*")) return undefined;
      const ok = [...new Set([...allowed, ...defaults])];
      // ka.req.pod.*.add_capabilities yields each container's `add` array as one JSON text,
      // so the check reads the containers' JSON: some `"add":[...]` entry outside the set.
      return {
        cond: or(
          ...KINDS.map((kind) =>
            notOneOfRegex(jv(...SPEC, kind), '^.*"add":[[]("[^"]*",)*"', ok, ".*$")
          ),
        ),
        text: `added capability outside of the allowed set [${ok.join(",")}]`,
      };
    },
  },
  {
    field: "defaultAddCapabilities",
    mutation: (ctx) => {
      const defaults = ctx.psp.spec.defaultAddCapabilities ?? [];
      checkCapabilities(ctx, "defaultAddCapabilities", defaults);
      if (!defaults.length) return undefined;
      return {
        cond: anyContainer(ctx, (c) =>
          and(
            exists(jv(...c)),
            or(...defaults.map((d) =>
              and(not(capListHas(c, "add", d)), not(capListHas(c, "drop", d)))
            )),
          )),
        text: `container without the default capabilities [${
          defaults.join(",")
        }]: admission adds them`,
      };
    },
  },
  {
    field: "requiredDropCapabilities",
    mutation: (ctx) => {
      const drops = ctx.psp.spec.requiredDropCapabilities ?? [];
      checkCapabilities(ctx, "requiredDropCapabilities", drops);
      if (!drops.length) return undefined;
      return {
        cond: anyContainer(
          ctx,
          (c) => and(exists(jv(...c)), or(...drops.map((d) => not(capListHas(c, "drop", d))))),
        ),
        text: `container not dropping [${drops.join(",")}]: admission adds the drops`,
      };
    },
  },
  {
    field: "readOnlyRootFilesystem",
    audit: ({ psp }) =>
      psp.spec.readOnlyRootFilesystem
        ? {
          cond: anyKind((k) => cmp(kaKind(k, "read_only_fs"), "intersects", str("false"))),
          text: "container with readOnlyRootFilesystem=false",
        }
        : undefined,
    mutation: (ctx) =>
      ctx.psp.spec.readOnlyRootFilesystem
        ? {
          cond: anyContainer(ctx, (c) => containerLacks(c, "readOnlyRootFilesystem")),
          text: "container without readOnlyRootFilesystem: admission sets true",
        }
        : undefined,
    syscall: (ctx) =>
      ctx.psp.spec.readOnlyRootFilesystem
        ? {
          cond: and(macro(ctx.id("open_write")), macro(ctx.id("container"))),
          macros: [{
            name: ctx.id("open_write"),
            cond: and(
              cmp(field("evt.type"), "in", ["open", "openat", "openat2"].map(word)),
              cmp(field("evt.is_open_write"), "=", word("true")),
              cmp(field("fd.typechar"), "=", sq("f")),
              cmp(field("fd.num"), ">=", word("0")),
            ),
          }],
          text:
            "file opened for writing in a container with readOnlyRootFilesystem=true (writes to volumes also match) (user=%user.name command=%proc.cmdline file=%fd.name container_id=%container.id image=%container.image.repository)",
        }
        : undefined,
  },
  {
    field: "allowPrivilegeEscalation",
    audit: ({ psp }) =>
      psp.spec.allowPrivilegeEscalation === false
        ? {
          cond: anyKind((k) =>
            cmp(kaKind(k, "allow_privilege_escalation"), "intersects", str("true"))
          ),
          text: "container with allowPrivilegeEscalation=true",
        }
        : undefined,
    mutation: (ctx) =>
      ctx.psp.spec.allowPrivilegeEscalation === false
        ? {
          cond: anyContainer(ctx, (c) => containerLacks(c, "allowPrivilegeEscalation")),
          text: "container without allowPrivilegeEscalation: admission sets false",
        }
        : undefined,
  },
  {
    field: "defaultAllowPrivilegeEscalation",
    mutation: (ctx) => {
      const d = ctx.psp.spec.defaultAllowPrivilegeEscalation;
      if (d === undefined || d === null || ctx.psp.spec.allowPrivilegeEscalation === false) {
        return undefined;
      }
      return {
        cond: anyContainer(ctx, (c) => containerLacks(c, "allowPrivilegeEscalation")),
        text: `container without allowPrivilegeEscalation: admission sets ${d}`,
      };
    },
  },
];
