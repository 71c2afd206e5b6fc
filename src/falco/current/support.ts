/**
 * Shared pieces of the current-target rows: JSON paths of the audit event, the element-by-element
 * bounds, regexes split within Falco's limit on one value, and the container and ID-range checks.
 */
import type { IDRange } from "../../model/psp.ts";
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
  str,
  ValueTooLongError,
  word,
} from "../condition.ts";
import type { MacroDef, PspContext } from "../context.ts";
import {
  inRangesAlternatives,
  notOneOfStringAlternatives,
  outsideRangesAlternatives,
  splitAlternation,
} from "../regex.ts";

export type Path = (string | number)[];

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

export const SPEC: Path = ["requestObject", "spec"];
export const POD_SC: Path = [...SPEC, "securityContext"];
export const ANNOTATIONS: Path = ["requestObject", "metadata", "annotations"];
/**
 * The container lists a pod create carries. Not `ephemeralContainers`: a create cannot set
 * them (the API server refuses it), and `kubectl debug` adds them through the
 * `pods/ephemeralcontainers` subresource, which PSP admission ignores (README, "Ephemeral
 * containers").
 */
export const KINDS = ["containers", "initContainers"] as const;
export type Kind = (typeof KINDS)[number];

export const jv = (...path: Path) => jsonField(path);
export const ka = (name: string) => field(name);
export const kaKind = (kind: Kind, name: string) => field(`ka.req.pod.${kind}.${name}`);

/**
 * `f regex '<head>(<alternatives>)<tail>'` as several regexes of at most MAX_VALUE_BYTES
 * joined by `or` (the same language: each takes some of the alternatives). FALSE when there
 * is no alternative; ValueTooLongError when one alternative alone does not fit.
 */
export function regexAny(
  f: Field,
  head: string,
  alternatives: readonly string[],
  tail: string,
): Cond {
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
export function notOneOfRegex(
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
export function anyKind(f: (kind: Kind) => Cond): Cond {
  return or(...KINDS.map(f));
}

/** OR over the first containers of every kind; `f` gets the container's JSON path. */
export function anyContainer(ctx: PspContext, f: (c: Path) => Cond, count = MAX_CONTAINERS): Cond {
  return or(
    ...KINDS.flatMap((kind) =>
      ctx.indices([...SPEC, kind], count).map((i) => f([...SPEC, kind, i]))
    ),
  );
}

/** The container exists and does not set `securityContext.<sub>`. */
export function containerLacks(c: Path, ...sub: Path): Cond {
  return and(exists(jv(...c)), not(exists(jv(...c, "securityContext", ...sub))));
}

/** `f` is set and its text is not an integer inside the ranges. */
function outOfRanges(f: ReturnType<typeof jv>, ranges: IDRange[]): Cond {
  return and(exists(f), not(regexAny(f, "^", inRangesAlternatives(ranges), "$")));
}

export function rangesText(ranges: readonly IDRange[] | null | undefined): string {
  return (ranges ?? []).map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(",");
}

/** Warns about a strategy admission cannot use (provider creation fails; every pod refused). */
export function unusable(ctx: PspContext, fieldName: string, why: string): undefined {
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
export function effectiveOutOfRanges(
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
export function withoutOwn(ctx: PspContext, key: string): MacroDef {
  return {
    name: ctx.id(`container_without_${snake(key)}`),
    cond: anyContainer(ctx, (c) => containerLacks(c, key)),
  };
}

/** Some container has neither its own nor a pod-level `securityContext.<key>`. */
export function effectiveUnset(ctx: PspContext, key: string): { cond: Cond; macros: MacroDef[] } {
  const m = withoutOwn(ctx, key);
  return { cond: and(not(exists(jv(...POD_SC, key))), macro(m.name)), macros: [m] };
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The allowed-uid/gid macro of a syscall rule: `(user.uid >= MIN and user.uid <= MAX) or ...`. */
export function idRangesCond(fieldName: string, ranges: IDRange[]): Cond {
  return or(
    ...ranges.map((r) =>
      and(
        cmp(field(fieldName), ">=", word(String(r.min))),
        cmp(field(fieldName), "<=", word(String(r.max))),
      )
    ),
  );
}

export const PROCESS_START = (extra: string[] = []) =>
  cmp(field("evt.type"), "in", ["execve", "execveat", ...extra].map(word));

export const SYSCALL_IDS =
  "command=%proc.cmdline uid=%user.uid gid=%group.gid container_id=%container.id image=%container.image.repository";
