/**
 * Load-time check of a generated rules file, per target.
 *
 * errors/warnings: what that Falco reports when loading the file (rules.ts does the
 * loading; this adds the per-version checks of current Falco: engine version,
 * required_plugin_versions against the plugins Falco 0.43/0.44/0.45 load, and the
 * deprecations of `evt.dir` and `%container.info` (since 0.42)).
 * requirements: what issue 2 asks of the file beyond loading cleanly (current target
 * declares required_engine_version and the k8saudit/json plugin requirements).
 */
import type { CheckExpr, Expr, Mode } from "./ast.ts";
import { fieldsOf, forEachCheck, renderExpr, renderFieldRef } from "./ast.ts";
import { loadRules, type RuleSet } from "./rules.ts";

/** The outcome of loading a rules file in a target Falco. */
export interface LoadCheck {
  errors: string[];
  warnings: string[];
  /** Issue-2 requirements the file misses (not Falco diagnostics). */
  requirements: string[];
  /**
   * Runtime hazards of current Falco (not load diagnostics): a plugin field first
   * read by a unary check (`exists`) is cached as a shallow pointer into the plugin's buffer
   * (no FTR_STORAGE on unary checks until falcosecurity/libs#2935, 2026); when the same
   * plugin extracts another field before a later comparison of that field in the same rule,
   * the comparison reads stale memory.
   */
  hazards: string[];
  ruleset: RuleSet;
}

/** A current Falco release: its engine version and the plugins it is run with. */
interface FalcoRelease {
  falco: string;
  engine: [number, number, number];
  plugins: Record<string, string>;
}

/**
 * The current-target releases (issue 13.6: Falco 0.43-0.45, k8saudit >= 0.18.0, json >=
 * 0.7.0, and the container plugin each ships). k8saudit and json are installed apart from
 * Falco (falcoctl), so their versions are the minimums the target promises: a file requiring
 * more would not load everywhere. Engine versions: 0.43 docs/falco.md §7.1; 0.44.1 (0.62.0)
 * and a 0.45 build (0.63.0) as measured (src/falco/README.md, "Falco versions"). Container
 * plugin: 0.7.1 shipped with 0.44 (its release notes) and used with the 0.45 build; 0.6.1
 * with 0.43.
 */
export const CURRENT_RELEASES: FalcoRelease[] = [
  {
    falco: "0.43",
    engine: [0, 58, 0],
    plugins: { k8saudit: "0.18.0", json: "0.7.0", container: "0.6.1" },
  },
  {
    falco: "0.44",
    engine: [0, 62, 0],
    plugins: { k8saudit: "0.18.0", json: "0.7.0", container: "0.7.1" },
  },
  {
    falco: "0.45",
    engine: [0, 63, 0],
    plugins: { k8saudit: "0.18.0", json: "0.7.0", container: "0.7.1" },
  },
];

function semver(v: string | number): [number, number, number] | undefined {
  if (typeof v === "number") return [0, v, 0];
  const m = /^([0-9]+)\.([0-9]+)\.([0-9]+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function cmp(a: [number, number, number], b: [number, number, number]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** sinsp_version::compatible_with: same major, loaded >= required. */
function compatible(loaded: [number, number, number], required: [number, number, number]): boolean {
  return loaded[0] === required[0] && cmp(loaded, required) >= 0;
}

/** Loads `yamlText` as the target Falco would and returns its diagnostics. */
export function checkLoad(yamlText: string, mode: Mode): LoadCheck {
  const ruleset = loadRules(yamlText, mode);
  const errors = [...ruleset.errors];
  const warnings = [...ruleset.warnings];
  const requirements: string[] = [];
  const hazards: string[] = [];
  if (mode === "current" && errors.length === 0) {
    for (const rule of ruleset.rules) {
      for (const h of unaryCacheHazards(rule.expr)) hazards.push(`rule ${rule.name}: ${h}`);
    }
    for (const rel of CURRENT_RELEASES) {
      const tag = `Falco ${rel.falco}`;
      if (ruleset.requiredEngineVersion !== undefined) {
        const req = semver(ruleset.requiredEngineVersion);
        if (req && !compatible(rel.engine, req)) {
          errors.push(
            `${tag}: Rules require engine version ${ruleset.requiredEngineVersion}, but engine version is ${
              rel.engine.join(".")
            }`,
          );
        }
      }
      for (const r of ruleset.requiredPlugins) {
        const ok = r.alternatives.some((a) => {
          const loaded = rel.plugins[a.name];
          const lv = loaded ? semver(loaded) : undefined;
          const rv = semver(a.version);
          return lv !== undefined && rv !== undefined && compatible(lv, rv);
        });
        if (!ok) {
          errors.push(
            `${tag}: Plugin requirement not satisfied, must load one of: ${
              r.alternatives.map((a) => `${a.name} (>= ${a.version})`).join(", ")
            }`,
          );
        }
      }
      if (rel === CURRENT_RELEASES[0]) {
        // Deprecated since 0.42, so in every release of the target: reported once.
        for (const rule of ruleset.rules) {
          if (rule.source !== "syscall") continue;
          let usesDir = false;
          forEachCheck(rule.expr, (c) => {
            if (c.field === "evt.dir") usesDir = true;
          });
          if (usesDir) {
            warnings.push(
              `${tag}: rule ${rule.name}: due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false`,
            );
          }
          if (rule.output.includes("%container.info")) {
            warnings.push(
              `${tag}: rule ${rule.name}: %container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0`,
            );
          }
        }
      }
    }
    if (ruleset.requiredEngineVersion === undefined) {
      requirements.push("current target: the file declares no required_engine_version");
    }
    const fields = ruleset.fieldsBySource.get("k8s_audit") ?? new Set<string>();
    const declares = (name: string) =>
      ruleset.requiredPlugins.some((r) =>
        r.alternatives.some((a) => a.name === name || a.name.startsWith(name + "-"))
      );
    if ([...fields].some((f) => f.startsWith("ka.")) && !declares("k8saudit")) {
      requirements.push(
        "current target: uses ka.* fields but does not require the k8saudit plugin",
      );
    }
    if ([...fields].some((f) => /^(json|jevt)\./.test(f)) && !declares("json")) {
      requirements.push(
        "current target: uses json/jevt fields but does not require the json plugin",
      );
    }
  }
  return { errors, warnings, requirements, hazards, ruleset };
}

function pluginOf(field: string): string | undefined {
  if (field.startsWith("ka.")) return "k8saudit";
  if (/^(json|jevt)\./.test(field)) return "json";
  return undefined;
}

/** Flags `F exists ... (other field of F's plugin) ... F <op> v` in evaluation order. */
export function unaryCacheHazards(expr: Expr): string[] {
  const checks: CheckExpr[] = [];
  forEachCheck(expr, (c) => checks.push(c));
  const found = new Set<string>();
  const seenCompare = new Set<string>();
  checks.forEach((c, i) => {
    if (c.value !== undefined || c.op !== "exists") return;
    const f = renderFieldRef(fieldsOf(c)[0]);
    const plugin = pluginOf(c.field);
    if (!plugin || (c.transformers ?? []).length > 0) return;
    let clobbered = false;
    for (let k = i + 1; k < checks.length; k++) {
      const d = checks[k];
      const refs = fieldsOf(d);
      const readsF = renderFieldRef(refs[0]) === f;
      if (readsF && d.value !== undefined && clobbered && !seenCompare.has(renderExpr(d))) {
        found.add(
          `${f} is read by \`${f} exists\` and later compared (${
            renderExpr(d)
          }) after another ${plugin} field`,
        );
      }
      if (readsF && d.value !== undefined) seenCompare.add(renderExpr(d));
      if (refs.some((r) => pluginOf(r.field) === plugin && renderFieldRef(r) !== f)) {
        clobbered = true;
      }
    }
  });
  return [...found];
}
