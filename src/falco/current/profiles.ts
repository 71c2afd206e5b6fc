/**
 * Current-target rows for security profiles: seccomp and AppArmor annotations (and fields), seLinux.
 */
import {
  APPARMOR_ALLOWED_PROFILES,
  APPARMOR_DEFAULT_PROFILE,
  SECCOMP_ALLOWED_PROFILES,
  SECCOMP_DEFAULT_PROFILE,
} from "../../model/psp.ts";
import { and, cmp, type Cond, exists, FALSE, not, or, str, TRUE } from "../condition.ts";
import type { PspContext } from "../context.ts";
import type { FieldRule } from "../field_rule.ts";
import { literalPattern } from "../regex.ts";
import { GenerateError } from "../scope.ts";
import {
  ANNOTATIONS,
  anyContainer,
  jv,
  KINDS,
  notOneOfRegex,
  type Path,
  POD_SC,
  SPEC,
  unusable,
} from "./support.ts";

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

/** `seccomp`. */
export const seccomp: FieldRule = {
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
};

/** `seLinux`. */
export const seLinux: FieldRule = {
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
};

/** `apparmor`. */
export const apparmor: FieldRule = {
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
};
