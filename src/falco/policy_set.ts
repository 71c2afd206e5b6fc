/**
 * Policy-set rules: one rule set for PodSecurityPolicies converted together, read as the set of
 * policies a pod's creator may use. Kubernetes 1.20 PSP admission admits a pod when ANY usable
 * policy admits it, so per-PSP rules of a cluster's PSPs fire for pods the cluster admits (a pod
 * admitted by `privileged` still fires every `restricted` rule). Here a Violation fires only
 * when EVERY policy of the set would refuse the pod.
 *
 * Construction (all conditions exact in the sense of the per-field rules of current.ts):
 * - per PSP `p` and Violation field `F`: macro `<p>_psp_refuses_<F>` (the per-field condition);
 *   `<p>_psp_refuses` is their `or`; `psp_set_refuses` is the `and` over the set;
 * - Falco outputs are not conditional, so "why" is a rule per (PSP, field):
 *   `PSP set Violation (<p>: <F>) K8s Audit` fires when `p` refuses for `F` and for no field
 *   before `F` (admission's order, the table order), and the whole set refuses. For each refused
 *   pod exactly one such rule per PSP of the set matches: with `rule_matching: all` Falco reports
 *   one alert per PSP, each naming its first refused field; with the default `first`, one alert.
 * - Mutation: the API server tries the policies by name, takes the first that admits the pod
 *   unchanged, else the first (by name) that admits it with changes. `PSP set Mutation (<p>: <F>)
 *   K8s Audit` fires when `p` is that policy and its default changes field `F`: no policy admits
 *   the pod unchanged, `p` admits it, every policy named before `p` refuses it.
 * - System Activity (syscall): a rule per field when every policy of the set forbids the
 *   activity (the `and` of their syscall conditions).
 * Scope: a pod is covered when it is in the scope (`falco-rules-psp-*` annotations) of at
 * least one policy of the set.
 */
import type { PodSecurityPolicy } from "../model/psp.ts";
import { and, type Cond, exists, jsonField, macro, not, or, render } from "./condition.ts";
import { UnsafeValueError, ValueTooLongError } from "./condition.ts";
import { type MacroDef, PspContext, type Uncovered } from "./context.ts";
import { CURRENT_FIELD_RULES } from "./current.ts";
import type { AuditCheck, SyscallCheck } from "./field_rule.ts";
import {
  assignPrefixes,
  CURRENT_ENGINE_VERSION,
  CURRENT_PLUGINS,
  currentScope,
  fileHeader,
  type GeneratedRules,
  KA_OUTPUT_TAIL,
  refuseFieldLike,
  withContainerPlugin,
} from "./generate.ts";
import { renderRulesYaml, type RulesItem } from "./rules_file.ts";
import { checkListSizes, GenerateError, outputName, pspScope, shown } from "./scope.ts";

/** Prefix of the set-level macros (PSP macros are `<prefix>_psp_...`, so they cannot clash). */
const SET = "psp_set";

/** One PSP of the set, with its checks. */
interface Member {
  ctx: PspContext;
  name: string;
  violations: { field: string; label: string; check: AuditCheck }[];
  mutations: { field: string; label: string; check: AuditCheck }[];
  syscalls: Map<string, SyscallCheck>;
}

/** The rule name of a set Violation or Mutation rule. */
function setRuleName(kind: "Violation" | "Mutation", prefix: string, label: string) {
  return `PSP set ${kind} (${prefix}: ${label}) K8s Audit`;
}

/** Parses a set rule name back into its PSP prefix and field (for tests and tools). */
export const SET_RULE = /^PSP set (Violation|Mutation) \(([A-Za-z0-9_]+): ([A-Za-z]+)/;

function member(psp: PodSecurityPolicy, prefix: string): Member {
  const name = psp.metadata?.name ?? "";
  checkListSizes(psp);
  const ctx = new PspContext(psp, outputName(name), prefix, pspScope(psp));
  const m: Member = { ctx, name, violations: [], mutations: [], syscalls: new Map() };
  try {
    for (const row of CURRENT_FIELD_RULES) {
      const label = row.label?.(ctx) ?? row.field;
      const take = (check: AuditCheck | undefined) => {
        if (!check || check.cond.k === "false") return undefined;
        refuseFieldLike(ctx, row.field, "k8s_audit", [
          check.cond,
          ...(check.macros ?? []).map((d) => d.cond),
        ]);
        return { field: row.field, label: check.label ?? label, check };
      };
      const v = take(row.audit?.(ctx));
      if (v) m.violations.push(v);
      const mu = take(row.mutation?.(ctx));
      if (mu) m.mutations.push(mu);
      const sc = row.syscall?.(ctx);
      if (sc) {
        refuseFieldLike(ctx, row.field, "syscall", [
          sc.cond,
          ...(sc.macros ?? []).map((d) => d.cond),
        ]);
        m.syscalls.set(row.field, sc);
      }
    }
    // render once here, so a value that cannot be written safely names this PSP
    const checks = [...m.violations.map((x) => x.check), ...m.mutations.map((x) => x.check)];
    for (const c of [...checks, ...m.syscalls.values()]) {
      for (const cond of [c.cond, ...(c.macros ?? []).map((d) => d.cond)]) {
        if (cond.k !== "true" && cond.k !== "false") render(cond);
      }
    }
  } catch (e) {
    if (e instanceof UnsafeValueError) throw new GenerateError(name, "spec", e.message);
    if (e instanceof ValueTooLongError) {
      throw new GenerateError(name, "metadata.annotations", e.message);
    }
    throw e;
  }
  return m;
}

/**
 * Generates one policy-set rules file (current target) for PSPs converted together: see the
 * module comment. PSPs are ordered by name, as the API server tries them.
 */
export function generatePolicySetRules(psps: readonly PodSecurityPolicy[]): GeneratedRules {
  if (psps.length === 0) throw new Error("a policy set needs at least one PodSecurityPolicy");
  const { prefixes, warnings } = assignPrefixes(psps, true);
  const members = psps.map((p, i) => member(p, prefixes[i]))
    // the API server sorts the policies by name (strings.Compare: byte order)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const items: RulesItem[] = [
    { kind: "engine", version: CURRENT_ENGINE_VERSION },
    { kind: "plugins", plugins: CURRENT_PLUGINS },
  ];
  // Macros are collected, then only those the rules use (transitively) are written, in
  // definition order (dependencies first), so Falco warns about no unused macro.
  const macros = new Map<string, string>();
  const rules: RulesItem[] = [];
  const def = (name: string, cond: Cond) => {
    if (!macros.has(name)) macros.set(name, render(cond));
  };
  const addMacros = (defs: readonly MacroDef[] | undefined) => {
    for (const d of defs ?? []) def(d.name, d.cond);
  };
  const fieldId = (f: string) => f.replace(/[^A-Za-z0-9]/g, "_");
  const refusesF = (m: Member, f: string) => m.ctx.id(`refuses_${fieldId(f)}`);
  const mutatesF = (m: Member, f: string) => m.ctx.id(`changes_${fieldId(f)}`);
  const names = members.map((m) => m.name).join(", ");
  const setText = `Pod Security Policy set (${
    members.length <= 5 ? names : `${members.length} policies`
  })`;
  const notes: string[] = [];

  // Scope: the union of the members' scopes.
  const syscallFields = CURRENT_FIELD_RULES.map((r) => r.field).filter((f) =>
    members.every((m) => m.syscalls.has(f))
  );
  for (const m of members) {
    for (const it of currentScope(m.ctx, syscallFields.length > 0)) {
      if (it.kind === "macro") macros.set(it.name, it.condition);
    }
  }
  const scope = macro(`${SET}_ka_scope`);
  def(`${SET}_ka_scope`, or(...members.map((m) => macro(m.ctx.id("ka_container")))));

  // Per-PSP refusal macros, the set's refusal macro.
  const everyRefuses = members.every((m) => m.violations.length > 0);
  for (const m of members) {
    for (const v of m.violations) {
      addMacros(v.check.macros);
      def(refusesF(m, v.field), v.check.cond);
    }
    if (m.violations.length) {
      def(m.ctx.id("refuses"), or(...m.violations.map((v) => macro(refusesF(m, v.field)))));
    }
  }
  const refuses = (m: Member): Cond =>
    m.violations.length ? macro(m.ctx.id("refuses")) : { k: "false" };

  if (everyRefuses) {
    def(`${SET}_refuses`, and(...members.map(refuses)));
    const refusesMacro = macro(`${SET}_refuses`);
    for (const m of members) {
      m.violations.forEach((v, i) => {
        const earlier = m.violations.slice(0, i).map((e) => not(macro(refusesF(m, e.field))));
        rules.push({
          kind: "rule",
          rule: setRuleName("Violation", m.ctx.prefix, v.label),
          desc:
            `A pod create that every PodSecurityPolicy of the set (${names}) would refuse; ${m.ctx.name} refuses it first because of ${v.field}`,
          condition: render(and(scope, macro(refusesF(m, v.field)), ...earlier, refusesMacro)),
          output:
            `${setText} validation failure--no policy of the set admits the pod; ${m.ctx.name} refuses it first for ${
              shown(v.check.text)
            } ${KA_OUTPUT_TAIL}`,
          priority: "WARNING",
          source: "k8s_audit",
          tags: ["k8s-psp", "psp-violation", "psp-set"],
        });
      });
    }
  } else {
    const open = members.filter((m) => m.violations.length === 0).map((m) => m.name);
    notes.push(
      `No Violation rules: ${
        open.join(", ")
      } refuse(s) no pod these rules can check, so the set admits every pod.`,
    );
  }

  // Mutation: which policy the API server would choose, and what it would change.
  const changes = (m: Member) => or(...m.mutations.map((mu) => macro(mutatesF(m, mu.field))));
  const admitsUnchanged = (m: Member): Cond => {
    const u = and(not(refuses(m)), not(changes(m)));
    return u.k === "true" || u.k === "false" ? u : macro(m.ctx.id("admits_unchanged"));
  };
  // (policies named before the chosen one refuse the pod, so they cannot admit it unchanged)
  const noneUnchangedAfter = (i: number) =>
    and(...members.slice(i + 1).map((m) => not(admitsUnchanged(m))));
  if (members.some((m) => m.mutations.length > 0)) {
    for (const m of members) {
      for (const mu of m.mutations) {
        addMacros(mu.check.macros);
        def(mutatesF(m, mu.field), mu.check.cond);
      }
      const u = and(not(refuses(m)), not(changes(m)));
      if (u.k !== "true" && u.k !== "false") def(m.ctx.id("admits_unchanged"), u);
    }
    members.forEach((m, i) => {
      const before = members.slice(0, i).map(refuses);
      for (const mu of m.mutations) {
        const cond = and(
          scope,
          macro(mutatesF(m, mu.field)),
          not(refuses(m)),
          ...before,
          noneUnchangedAfter(i),
        );
        if (cond.k === "false") continue;
        rules.push({
          kind: "rule",
          rule: setRuleName("Mutation", m.ctx.prefix, mu.label),
          desc:
            `A pod create that the set (${names}) admits through ${m.ctx.name}, the policy the API server chooses, which would change it because of ${mu.field} (not a violation)`,
          condition: render(cond),
          output: `${setText} would change the pod--${m.ctx.name} admits it and ${
            shown(mu.check.text)
          } ${KA_OUTPUT_TAIL}`,
          priority: "NOTICE",
          source: "k8s_audit",
          tags: ["k8s-psp", "psp-mutation", "psp-set"],
        });
      }
    });
  }

  // Runtime signals every member forbids.
  for (const f of syscallFields) {
    const checks = members.map((m) => m.syscalls.get(f)!);
    for (const c of checks) addMacros(c.macros);
    rules.push({
      kind: "rule",
      rule: `PSP set Violation (${f}) System Activity`,
      desc: `Runtime activity that every PodSecurityPolicy of the set (${names}) forbids (${f})`,
      condition: render(and(...checks.map((c) => c.cond))),
      output: `${setText} validation failure--${checks[0].text}`,
      priority: "WARNING",
      source: "syscall",
      tags: ["k8s-psp", "psp-violation", "psp-set"],
    });
  }

  // Pods too large for the element-by-element checks of any member.
  const bounds = new Map<string, { path: (string | number)[]; count: number }>();
  for (const m of members) {
    for (const [k, b] of m.ctx.bounds) {
      const prev = bounds.get(k);
      if (!prev || prev.count > b.count) bounds.set(k, b);
    }
  }
  const limits: string[] = [];
  if (bounds.size) {
    rules.push({
      kind: "rule",
      rule: "PSP set Unchecked (limits) K8s Audit",
      desc: `A pod too large for the element-by-element checks of the set's rules (${names})`,
      condition: render(
        and(scope, or(...[...bounds.values()].map((b) => exists(jsonField([...b.path, b.count]))))),
      ),
      output:
        `${setText}: pod not fully checked--more containers, volumes, mounts or sysctls than the rules check ${KA_OUTPUT_TAIL}`,
      priority: "NOTICE",
      source: "k8s_audit",
      tags: ["k8s-psp", "psp-set"],
    });
    limits.push(
      `pods are checked element by element up to ${
        [...bounds.values()].map((b) => `${b.count} of ${b.path.slice(1).join(".")}`).join(", ")
      }; larger pods fire "PSP set Unchecked (limits) K8s Audit"`,
    );
  }

  const uncovered: Uncovered[] = members.flatMap((m) => m.ctx.uncovered);
  for (const m of members) warnings.push(...m.ctx.warnings);
  for (const u of uncovered) {
    warnings.push(
      `PodSecurityPolicy ${JSON.stringify(u.policy)}: ${u.field} not fully checked: ${u.reason}`,
    );
  }
  const header = fileHeader(psps, "current", uncovered, limits, [
    `Policy set: a Violation fires only when every policy of the set (${names}) would refuse the pod, as for a creator who may use all of them; one rule per (policy, first refused field) names why each refuses.`,
    ...notes,
  ]);
  const all = [...items, ...usedMacros(macros, rules), ...rules];
  withContainerPlugin(all);
  return {
    yaml: renderRulesYaml(all, header),
    warnings,
    uncovered,
  };
}

/** The macros the rules use, directly or through other macros, in definition order. */
function usedMacros(macros: ReadonlyMap<string, string>, rules: readonly RulesItem[]): RulesItem[] {
  const used = new Set<string>();
  const visit = (condition: string) => {
    for (const word of condition.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      if (!macros.has(word) || used.has(word)) continue;
      used.add(word);
      visit(macros.get(word)!);
    }
  };
  for (const r of rules) if (r.kind === "rule") visit(r.condition);
  return [...macros].filter(([name]) => used.has(name)).map(([name, condition]) => ({
    kind: "macro",
    name,
    condition,
  }));
}
