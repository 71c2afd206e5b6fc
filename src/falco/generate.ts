/**
 * The Falco rule generator: PodSecurityPolicies in, one Falco rules file out. Pure: no I/O,
 * warnings are returned. The per-field tables live in current.ts (current Falco) and
 * legacy.ts (Falco 0.27, falcoctl-compatible).
 */
import type { PodSecurityPolicy } from "../model/psp.ts";
import {
  and,
  type Cond,
  describeOverlong,
  exists,
  field,
  jsonField,
  macro,
  MAX_VALUE_BYTES,
  or,
  overlongValues,
  render,
  str,
  UnsafeValueError,
  valueBytes,
  ValueTooLongError,
  word,
} from "./condition.ts";
import { cmp } from "./condition.ts";
import { type MacroDef, PspContext, type Uncovered } from "./context.ts";
import { CURRENT_FIELD_RULES } from "./current.ts";
import type { AuditCheck, SyscallCheck } from "./field_rule.ts";
import { legacyHeader, legacyRules } from "./legacy.ts";
import { renderRulesYaml, type RulesItem } from "./rules_file.ts";
import {
  checkListSizes,
  GenerateError,
  kaImageScope,
  namePrefix,
  outputName,
  pspScope,
  shown,
  syscallImageScope,
} from "./scope.ts";
import {
  APPARMOR_ALLOWED_PROFILES,
  FALCO_IMAGES_ANNOTATION,
  SECCOMP_ALLOWED_PROFILES,
} from "../model/psp.ts";
import { fieldLikeConstant, type RuleSource } from "./field_names.ts";

export { GenerateError } from "./scope.ts";

/** Which Falco the rules are for. */
export type FalcoTarget = "current" | "0.27";

/** Generator options. */
export interface GenerateOptions {
  target: FalcoTarget;
  /** false only with --no-prefix */
  prefix: boolean;
}

/** A generated rules file. */
export interface GeneratedRules {
  yaml: string;
  warnings: string[];
  uncovered: { policy: string; field: string; reason: string }[];
}

/**
 * The Falco releases the current target covers, and the engine version of the oldest (Falco
 * 0.43: engine 0.58.0; 0.44: 0.62.0; 0.45: 0.63.0). The rules need `regex` (0.39), `val()`
 * (0.38) and the k8saudit 0.18 fields; 0.44.1 and a 0.45 build were measured on them
 * (docs/falco.md §9).
 */
const CURRENT_FALCO = "0.43-0.45";
/** `required_engine_version` of current-target files: Falco 0.43's engine. */
export const CURRENT_ENGINE_VERSION = "0.58.0";
/** Plugins every current-target file needs. */
export const CURRENT_PLUGINS = [
  { name: "k8saudit", version: "0.18.0" },
  { name: "json", version: "0.7.0" },
];
/**
 * The container plugin, needed by files with syscall rules (`container.*` fields): the version
 * the official rules of Falco 0.42 require; Falco 0.43-0.45 ship newer ones.
 */
const CONTAINER_PLUGIN = { name: "container", version: "0.4.0" };

/** The tail of every k8s_audit rule output: who, which pod, its images and spec. */
export const KA_OUTPUT_TAIL =
  "(user=%ka.user.name pod=%ka.resp.name ns=%ka.target.namespace images=%ka.req.pod.containers.image spec=%json.value[/requestObject/spec])";

/**
 * The name prefix of each PSP (in order): falcoctl's prefix, made unique with `_2`, `_3`...
 * when two PSP names give the same one. Without prefixes only one PSP fits in a file.
 */
export function assignPrefixes(psps: readonly PodSecurityPolicy[], prefix: boolean): {
  prefixes: string[];
  warnings: string[];
} {
  const warnings: string[] = [];
  if (!prefix) return { prefixes: psps.map(() => ""), warnings };
  const used = new Set<string>();
  const prefixes = psps.map((p) => {
    const base = namePrefix(p.metadata?.name ?? "");
    let candidate = base;
    for (let n = 2; used.has(candidate); n++) candidate = `${base}_${n}`;
    if (candidate !== base) {
      warnings.push(
        `PodSecurityPolicy ${
          JSON.stringify(p.metadata?.name)
        }: name prefix ${base} is already used by another policy; using ${candidate}`,
      );
    }
    used.add(candidate);
    return candidate;
  });
  return { prefixes, warnings };
}

/** Generates one rules file for all the PSPs. */
export function generateRules(
  psps: readonly PodSecurityPolicy[],
  opts: GenerateOptions,
): GeneratedRules {
  if (!opts.prefix && psps.length > 1) {
    throw new GenerateError(
      psps.map((p) => p.metadata?.name).join(", "),
      "metadata.name",
      "without name prefixes (--no-prefix) only one PodSecurityPolicy fits in a rules file; write one file per policy instead",
    );
  }
  const { prefixes, warnings } = assignPrefixes(psps, opts.prefix);
  return generateWithPrefixes(psps, prefixes, opts.target, warnings);
}

/**
 * Generates one rules file per PSP, with the prefixes the PSPs would get in a single file (so
 * the files can be loaded together).
 */
export function generateRulesPerPolicy(
  psps: readonly PodSecurityPolicy[],
  opts: GenerateOptions,
): { policy: string; rules: GeneratedRules }[] {
  const { prefixes, warnings } = assignPrefixes(psps, opts.prefix);
  return psps.map((p, i) => ({
    policy: p.metadata?.name ?? "",
    rules: generateWithPrefixes([p], [prefixes[i]], opts.target, i === 0 ? warnings : []),
  }));
}

function generateWithPrefixes(
  psps: readonly PodSecurityPolicy[],
  prefixes: readonly string[],
  target: FalcoTarget,
  warnings: string[],
): GeneratedRules {
  const items: RulesItem[] = target === "0.27"
    ? [{ kind: "engine", version: 5 }]
    : [{ kind: "engine", version: CURRENT_ENGINE_VERSION }, {
      kind: "plugins",
      plugins: CURRENT_PLUGINS,
    }];
  const uncovered: Uncovered[] = [];
  const limits: string[] = [];
  psps.forEach((psp, i) => {
    const name = psp.metadata?.name ?? "";
    checkListSizes(psp);
    const ctx = new PspContext(psp, outputName(name), prefixes[i], pspScope(psp));
    try {
      items.push(
        ...(target === "0.27" ? [...legacyHeader(ctx), ...legacyRules(ctx)] : currentItems(ctx)),
      );
    } catch (e) {
      if (e instanceof UnsafeValueError) throw new GenerateError(name, "spec", e.message);
      if (e instanceof ValueTooLongError) {
        // Only the scope (annotations) can get here: rules are checked row by row.
        throw new GenerateError(name, "metadata.annotations", e.message);
      }
      throw e;
    }
    if (target !== "0.27") {
      if (ctx.bounds.size) {
        limits.push(
          `${name}: pods are checked element by element up to ${
            [...ctx.bounds.values()].map((b) => `${b.count} of ${b.path.slice(1).join(".")}`).join(
              ", ",
            )
          }; larger pods fire "${ctx.ruleName("Unchecked", "limits", "K8s Audit")}"`,
        );
      }
    }
    warnings.push(...ctx.warnings);
    uncovered.push(...ctx.uncovered);
  });
  for (const u of uncovered) {
    warnings.push(
      `PodSecurityPolicy ${JSON.stringify(u.policy)}: ${u.field} not fully checked: ${u.reason}`,
    );
  }
  const header = fileHeader(psps, target, uncovered, limits);
  checkListValues(psps, items);
  withContainerPlugin(items);
  return { yaml: renderRulesYaml(items, header), warnings, uncovered };
}

/** List items are values of the conditions that use the list: the same 255-byte limit. */
function checkListValues(psps: readonly PodSecurityPolicy[], items: readonly RulesItem[]) {
  for (const item of items) {
    if (item.kind !== "list") continue;
    const long = item.items.find((v) => valueBytes(v) > MAX_VALUE_BYTES);
    if (long !== undefined) {
      throw new GenerateError(
        psps.map((p) => p.metadata?.name).join(", "),
        "metadata.annotations",
        `list ${item.name}: ${describeOverlong(long)}`,
      );
    }
  }
}

/** A file with syscall rules also requires the container plugin. */
export function withContainerPlugin(items: RulesItem[]): void {
  if (items.some((i) => i.kind === "rule" && i.source === "syscall")) {
    for (const i of items) if (i.kind === "plugins") i.plugins = [...i.plugins, CONTAINER_PLUGIN];
  }
}

/** The comment at the top of a rules file: what it was made from, its target and its gaps. */
export function fileHeader(
  psps: readonly PodSecurityPolicy[],
  target: FalcoTarget,
  uncovered: readonly Uncovered[],
  limits: readonly string[],
  extra: readonly string[] = [],
): string {
  return [
    `Falco rules generated by kubectl falco-psp convert from ${psps.length} PodSecurityPolicy object(s): ${
      psps.map((p) => p.metadata?.name).join(", ")
    }.`,
    target === "0.27"
      ? "Target: Falco 0.27 (engine version 5, built-in k8s_audit), falcoctl-compatible names and conditions."
      : `Target: Falco ${CURRENT_FALCO} (engine >= ${CURRENT_ENGINE_VERSION}) with the k8saudit (>= ${
        CURRENT_PLUGINS[0].version
      }) and json (>= ${
        CURRENT_PLUGINS[1].version
      }) plugins, and the container plugin (>= ${CONTAINER_PLUGIN.version}) when there are syscall rules.`,
    ...(uncovered.length
      ? [
        "Fields not (fully) checked by these rules:",
        ...uncovered.map((u) => `- ${u.policy}: ${u.field}: ${u.reason}`),
      ]
      : ["Every PSP field is checked."]),
    ...(limits.length ? ["Limits:", ...limits.map((l) => `- ${l}`)] : []),
    EPHEMERAL_NOTE,
    ...extra,
  ].join("\n");
}

/** Why no rule checks ephemeral containers (both targets; written in every header). */
export const EPHEMERAL_NOTE =
  "Ephemeral containers are not checked: kubectl debug adds them through the pods/ephemeralcontainers subresource, which PSP admission ignores (as every subresource; Kubernetes 1.20), and a pod create cannot carry them (the API server refuses it).";

/** The scope macros, field rules and limit rule of one PSP for current Falco. */
function currentItems(ctx: PspContext): RulesItem[] {
  const kaContainer = macro(ctx.id("ka_container"));
  const kaDetail = `Pod Security Policy ${ctx.name}`;
  const body: RulesItem[] = [];
  const macros = new Set<string>();
  const addMacros = (defs: readonly MacroDef[] | undefined) => {
    for (const d of defs ?? []) {
      if (macros.has(d.name)) continue;
      macros.add(d.name);
      body.push({ kind: "macro", name: d.name, condition: render(d.cond) });
    }
  };
  let syscallRules = 0;
  const auditRule = (
    kind: "Violation" | "Mutation",
    fieldName: string,
    label: string,
    check: AuditCheck | undefined,
  ) => {
    if (!check) return;
    const cond = and(kaContainer, check.cond);
    if (cond.k === "false") return;
    refuseFieldLike(ctx, fieldName, "k8s_audit", [
      check.cond,
      ...(check.macros ?? []).map((d) => d.cond),
    ]);
    addMacros(check.macros);
    const violation = kind === "Violation";
    body.push({
      kind: "rule",
      rule: ctx.ruleName(kind, check.label ?? label, "K8s Audit"),
      desc: violation
        ? `PodSecurityPolicy ${ctx.name}: a pod create that PSP admission would refuse because of ${fieldName}`
        : `PodSecurityPolicy ${ctx.name}: a pod create that PSP admission would change because of ${fieldName} (not a violation)`,
      condition: render(cond),
      output: `${kaDetail} ${violation ? "validation failure" : "would change the pod"}--${
        shown(check.text)
      } ${KA_OUTPUT_TAIL}`,
      priority: violation ? "WARNING" : "NOTICE",
      source: "k8s_audit",
      tags: ["k8s-psp", violation ? "psp-violation" : "psp-mutation"],
    });
  };
  for (const row of CURRENT_FIELD_RULES) {
    const label = row.label?.(ctx) ?? row.field;
    const rule = `${ctx.ruleName("Violation", label, "K8s Audit")}`;
    auditRule("Violation", row.field, label, withinLimits(ctx, row.field, rule, row.audit));
    auditRule(
      "Mutation",
      row.field,
      label,
      withinLimits(ctx, row.field, ctx.ruleName("Mutation", label, "K8s Audit"), row.mutation),
    );
    const sc = withinLimits(
      ctx,
      row.field,
      ctx.ruleName("Violation", label, "System Activity"),
      row.syscall,
    );
    if (sc) {
      syscallRules++;
      refuseFieldLike(ctx, row.field, "syscall", [
        sc.cond,
        ...(sc.macros ?? []).map((d) => d.cond),
      ]);
      addMacros(sc.macros);
      body.push({
        kind: "rule",
        rule: ctx.ruleName("Violation", label, "System Activity"),
        desc:
          `PodSecurityPolicy ${ctx.name}: runtime activity that the policy's ${row.field} forbids`,
        condition: render(sc.cond),
        output: `${kaDetail} validation failure--${sc.text}`,
        priority: "WARNING",
        source: "syscall",
        tags: ["k8s-psp", "psp-violation"],
      });
    }
  }
  if (ctx.bounds.size) {
    const cond = and(
      kaContainer,
      or(...[...ctx.bounds.values()].map((b) => exists(jsonField([...b.path, b.count])))),
    );
    body.push({
      kind: "rule",
      rule: ctx.ruleName("Unchecked", "limits", "K8s Audit"),
      desc:
        `PodSecurityPolicy ${ctx.name}: a pod too large for the element-by-element checks of these rules`,
      condition: render(cond),
      output:
        `${kaDetail}: pod not fully checked--more containers, volumes, mounts or sysctls than the rules check ${KA_OUTPUT_TAIL}`,
      priority: "NOTICE",
      source: "k8s_audit",
      tags: ["k8s-psp"],
    });
  }
  return [...currentScope(ctx, syscallRules > 0), ...body];
}

/**
 * A row's check, or undefined (and the field named as unchecked, in the file's header and on
 * stderr) when the check cannot be written within Falco's limit on one value: a rule that
 * Falco refuses makes it refuse the whole file, so it is never emitted.
 */
function withinLimits<T extends AuditCheck | SyscallCheck>(
  ctx: PspContext,
  fieldName: string,
  ruleName: string,
  build: ((ctx: PspContext) => T | undefined) | undefined,
): T | undefined {
  let check: T | undefined;
  try {
    check = build?.(ctx);
  } catch (e) {
    if (!(e instanceof ValueTooLongError)) throw e;
    ctx.uncover(fieldName, `rule "${ruleName}" left out: ${e.message}`);
    return undefined;
  }
  if (!check) return undefined;
  const long = [check.cond, ...(check.macros ?? []).map((m) => m.cond)].flatMap(overlongValues);
  if (long.length) {
    ctx.uncover(fieldName, `rule "${ruleName}" left out: ${describeOverlong(long[0])}`);
    return undefined;
  }
  return check;
}

/** Where a row's values come from in the PSP, for error messages. */
function pspFieldOf(rowField: string): string {
  if (rowField === "seccomp") return `metadata.annotations[${SECCOMP_ALLOWED_PROFILES}]`;
  if (rowField === "apparmor") return `metadata.annotations[${APPARMOR_ALLOWED_PROFILES}]`;
  return rowField.startsWith("metadata.") ? rowField : `spec.${rowField}`;
}

/**
 * Refuses a PSP value that current Falco would load with the warning "may be a valid field
 * misused as a const string value" (field_names.ts): no spelling of it avoids the warning.
 */
export function refuseFieldLike(
  ctx: PspContext,
  rowField: string,
  source: RuleSource,
  conds: readonly Cond[],
): void {
  for (const c of conds) {
    const value = fieldLikeConstant(c, source);
    if (value === undefined) continue;
    throw new GenerateError(
      ctx.psp.metadata?.name ?? "",
      pspFieldOf(rowField),
      `${
        JSON.stringify(value)
      } cannot be written safely into a Falco condition: Falco's rule compiler reads it as a field name (or a transformer) and warns that it "may be a valid field misused as a const string value"`,
    );
  }
}

/** The scope macros of one PSP (only those its rules use, so Falco warns about none). */
export function currentScope(ctx: PspContext, syscall: boolean): RulesItem[] {
  const m = (suffix: string, cond: Cond): RulesItem => ({
    kind: "macro",
    name: ctx.id(suffix),
    condition: render(cond),
  });
  const items: RulesItem[] = [];
  const parts: Cond[] = [
    cmp(field("ka.stage"), "=", word("ResponseComplete")),
    cmp(field("ka.target.resource"), "=", word("pods")),
    { k: "not", x: exists(field("ka.target.subresource")) },
    cmp(field("ka.verb"), "=", word("create")),
  ];
  items.push(m("ka_pod", and(...parts)));
  const scope: Cond[] = [macro(ctx.id("ka_pod"))];
  const images = ctx.scope.images;
  const policy = ctx.psp.metadata?.name ?? "";
  const kaImages = images && kaImageScope(policy, images);
  const scImages = images && syscall ? syscallImageScope(policy, images) : undefined;
  if (images) {
    refuseFieldLike(ctx, `metadata.annotations[${FALCO_IMAGES_ANNOTATION}]`, "k8s_audit", [
      kaImages!,
    ]);
    if (scImages) {
      refuseFieldLike(ctx, `metadata.annotations[${FALCO_IMAGES_ANNOTATION}]`, "syscall", [
        scImages,
      ]);
    }
    // By reference, not by spelling (scope.ts, image_ref.ts).
    items.push(m("ka_match_image", kaImages!));
    scope.push(macro(ctx.id("ka_match_image")));
  }
  if (ctx.scope.namespaces) {
    items.push(
      m(
        "ka_match_namespace",
        cmp(field("ka.target.namespace"), "in", ctx.scope.namespaces.map(str)),
      ),
    );
    scope.push(macro(ctx.id("ka_match_namespace")));
  }
  items.push(m("ka_container", and(...scope)));
  if (syscall) {
    items.push(m(
      "container",
      and(
        cmp(field("container.id"), "!=", word("host")),
        scImages ?? { k: "true" },
      ),
    ));
  }
  return items;
}
