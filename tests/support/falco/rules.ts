/**
 * Rules-file loader of the test engine: reads a Falco rules YAML the way the target loads
 * it (lists, macros, rules, append/override, required_engine_version,
 * required_plugin_versions), expands lists and macros, compiles every condition and output
 * against the target's fields, and records the errors and warnings that target reports.
 *
 * "0.27": Falco 0.27.0's Lua loader (engine/lua/rule_loader.lua, compiler.lua,
 * sinsp_rule_utils.lua) with the json_evt.cpp k8s_audit filterchecks.
 * "current": Falco 0.43-0.45 (engine/rule_loader_reader.cpp, rule_loader_compiler.cpp,
 * filter_warning_resolver.cpp, rule_json_schema.h) with libsinsp's grammar and the
 * k8saudit 0.18 + json 0.7 plugins.
 */
import { parseAllDocuments } from "yaml";
import type { CheckExpr, Expr, FieldRef, Mode, ValueItem } from "./ast.ts";
import { fieldsOf, forEachCheck, renderExpr } from "./ast.ts";
import { ConditionSyntaxError, parseCondition } from "./parser.ts";
import { type FieldType, transformedType, typedOperatorError } from "./compare_current.ts";
import { re2PosixToRegExp } from "./re2posix.ts";
import {
  K8S_AUDIT_FIELDS_027,
  K8S_AUDIT_FIELDS_CURRENT,
  PLUGIN_GENERIC_FIELDS_CURRENT,
  SYSCALL_ARG_FIELDS,
  SYSCALL_EVENT_NAMES,
  SYSCALL_FIELDS,
} from "./fields.ts";
import { parsePointer } from "./extract_027.ts";

/** A rule after loading: its definition and its macro-free condition. */
export interface CompiledRule {
  name: string;
  condition: string;
  expr: Expr;
  output: string;
  desc: string;
  priority: string;
  source: string;
  tags: string[];
  enabled: boolean;
}

/** A plugin requirement: any of the alternatives satisfies it. */
export interface PluginRequirement {
  alternatives: { name: string; version: string }[];
}

/** The result of loading a rules file. */
export interface RuleSet {
  mode: Mode;
  rules: CompiledRule[];
  lists: Map<string, string[]>;
  macros: Map<string, Expr>;
  /** As written (a number or a string), undefined if the file has none. */
  requiredEngineVersion?: string | number;
  requiredPlugins: PluginRequirement[];
  errors: string[];
  warnings: string[];
  /** Every field the rules and macros read, by source (for the plugin checks). */
  fieldsBySource: Map<string, Set<string>>;
}

const FIELDS_CURRENT = new Map(K8S_AUDIT_FIELDS_CURRENT.map((f) => [f.name, f]));
const FIELDS_027 = new Map(K8S_AUDIT_FIELDS_027.map((f) => [f.name, f]));

const PRIORITIES_027 = new Set([
  "Emergency",
  "Alert",
  "Critical",
  "Error",
  "Warning",
  "Notice",
  "Informational",
  "Debug",
  "emergency",
  "alert",
  "critical",
  "error",
  "warning",
  "notice",
  "informational",
  "debug",
  "EMERGENCY",
  "ALERT",
  "CRITICAL",
  "ERROR",
  "WARNING",
  "NOTICE",
  "INFORMATIONAL",
  "DEBUG",
  "INFO",
  "info",
]);
const PRIORITIES_CURRENT = [
  "emergency",
  "alert",
  "critical",
  "error",
  "warning",
  "notice",
  "informational",
  "info",
  "debug",
];

interface ListDef {
  name: string;
  items: string[];
}
interface MacroDef {
  name: string;
  condition: string;
}
interface RuleDef {
  name: string;
  condition: string;
  output: string;
  desc: string;
  priority: string;
  source: string;
  tags: string[];
  enabled: boolean;
  warnEvttypes: boolean;
  skipIfUnknown: boolean;
}

class LoadError extends Error {}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function scalarText(v: unknown): string | undefined {
  if (v === null || v === undefined || typeof v === "object") return undefined;
  return String(v);
}

/** Loads, expands and compiles a rules file; never throws for bad content. */
export function loadRules(yamlText: string, mode: Mode): RuleSet {
  const set: RuleSet = {
    mode,
    rules: [],
    lists: new Map(),
    macros: new Map(),
    requiredPlugins: [],
    errors: [],
    warnings: [],
    fieldsBySource: new Map(),
  };
  try {
    const docs = readDocuments(yamlText, mode, set);
    const collected = collect(docs, mode, set);
    if (mode === "0.27") compile027(collected, set);
    else compileCurrent(collected, set);
  } catch (e) {
    if (e instanceof LoadError) set.errors.push(e.message);
    else throw e;
  }
  return set;
}

function readDocuments(text: string, mode: Mode, set: RuleSet): unknown[][] {
  const docs = parseAllDocuments(text, {
    schema: mode === "0.27" ? "yaml-1.1" : "core",
    uniqueKeys: false,
  });
  const all = Array.isArray(docs) ? docs : [docs];
  const out: unknown[][] = [];
  for (const doc of all) {
    if (doc.errors.length > 0) throw new LoadError(`YAML parse error: ${doc.errors[0].message}`);
    const v = doc.toJS();
    if (v === null || v === undefined) continue;
    if (!Array.isArray(v)) {
      throw new LoadError(
        isMap(v) ? "Rules content is not yaml array of objects" : "Rules content is not yaml",
      );
    }
    out.push(v);
  }
  if (mode === "current") schemaCheck(out.flat(), set);
  return out;
}

interface Collected {
  lists: ListDef[];
  macros: MacroDef[];
  rules: RuleDef[];
}

function upsert<T extends { name: string }>(arr: T[], v: T): void {
  const i = arr.findIndex((x) => x.name === v.name);
  if (i >= 0) arr[i] = v;
  else arr.push(v);
}

function requireString(
  item: Record<string, unknown>,
  key: string,
  what: string,
  mode: Mode,
): string {
  const v = item[key];
  if (mode === "0.27") {
    if (v === undefined || v === null) throw new LoadError(`${what} must have property ${key}`);
    return String(v);
  }
  if (!(key in item)) throw new LoadError(`${what}: Item has no mapping for key '${key}'`);
  if (v === null) throw new LoadError(`${what}: Mapping for key '${key}' is empty`);
  const s = scalarText(v);
  if (s === undefined) throw new LoadError(`${what}: Value is not a scalar value (${key})`);
  if (s === "") throw new LoadError(`${what}: Value must be non-empty (${key})`);
  return s;
}

function boolOf(v: unknown, what: string): boolean {
  if (typeof v === "boolean") return v;
  const s = scalarText(v);
  if (s === "true") return true;
  if (s === "false") return false;
  throw new LoadError(`${what}: Can't decode YAML scalar value`);
}

function collect(docs: unknown[][], mode: Mode, set: RuleSet): Collected {
  const c: Collected = { lists: [], macros: [], rules: [] };
  for (const doc of docs) {
    for (const item of doc) {
      if (item === null) continue;
      if (!isMap(item)) {
        throw new LoadError(
          "Unexpected element type. Each element should be a yaml associative array.",
        );
      }
      if ("required_engine_version" in item) {
        readEngineVersion(item.required_engine_version, mode, set);
      } else if ("required_plugin_versions" in item && mode === "current") {
        readPluginVersions(item.required_plugin_versions, set);
      } else if ("list" in item) {
        const name = mode === "0.27"
          ? String(item.list)
          : requireString(item, "list", "List", mode);
        if (mode === "current" && !/^[^()"'\s=,]+$/.test(name)) {
          set.warnings.push(
            `LOAD_INVALID_LIST_NAME: list ${name}: List has an invalid name. List names should match a regular expression: ([^()"'[:space:]=,]+)`,
          );
        }
        const raw = item.items;
        if (!Array.isArray(raw)) {
          throw new LoadError(
            mode === "0.27"
              ? "List must have property items"
              : `List ${name}: Value is not a sequence`,
          );
        }
        const items = raw.map((x) => {
          const s = scalarText(x);
          if (s === undefined) throw new LoadError(`List ${name}: sequence value is not scalar`);
          return s;
        });
        const append = appendFlag(item, `List ${name}`, mode, set, ["items"]);
        if (append) {
          const prev = c.lists.find((l) => l.name === name);
          if (!prev) {
            throw new LoadError(
              `List ${name} has 'append' key but no list by that name already exists`,
            );
          }
          prev.items.push(...items);
        } else upsert(c.lists, { name, items });
      } else if ("macro" in item) {
        const name = mode === "0.27"
          ? String(item.macro)
          : requireString(item, "macro", "Macro", mode);
        if (mode === "current" && !/^[a-zA-Z]+[a-zA-Z0-9_]*$/.test(name)) {
          set.warnings.push(
            `LOAD_INVALID_MACRO_NAME: macro ${name}: Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)`,
          );
        }
        const condition = requireString(item, "condition", `Macro ${name}`, mode);
        const append = appendFlag(item, `Macro ${name}`, mode, set, ["condition"]);
        if (append) {
          const prev = c.macros.find((m) => m.name === name);
          if (!prev) {
            throw new LoadError(
              `Macro ${name} has 'append' key but no macro by that name already exists`,
            );
          }
          prev.condition += " " + condition;
        } else upsert(c.macros, { name, condition });
      } else if ("rule" in item) {
        readRule(item, c, mode, set);
      } else if (mode === "0.27") {
        throw new LoadError(`Unknown rule object: ${JSON.stringify(item)}`);
      } else {
        set.warnings.push(`LOAD_UNKNOWN_ITEM: Unknown top level item ${JSON.stringify(item)}`);
      }
    }
  }
  return c;
}

function appendFlag(
  item: Record<string, unknown>,
  what: string,
  mode: Mode,
  set: RuleSet,
  overridable: string[],
): boolean {
  let append = false;
  if ("append" in item) {
    append = boolOf(item.append, what);
    if (append && mode === "current") {
      set.warnings.push(
        `LOAD_DEPRECATED_ITEM: ${what}: 'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.`,
      );
    }
  }
  if (mode === "current" && "override" in item) {
    const ov = item.override;
    if (!isMap(ov)) throw new LoadError(`${what}: override must be a mapping`);
    if (append) {
      throw new LoadError(`${what}: Keys 'override' and 'append: true' cannot be used together.`);
    }
    for (const [k, op] of Object.entries(ov)) {
      if (!overridable.includes(k)) throw new LoadError(`${what}: Key '${k}' cannot be overridden`);
      if (op === "append") append = true;
      else if (op !== "replace") {
        throw new LoadError(`${what}: Invalid override operation for key '${k}': '${String(op)}'`);
      }
    }
  }
  return append;
}

function readRule(item: Record<string, unknown>, c: Collected, mode: Mode, set: RuleSet): void {
  const name = mode === "0.27" ? String(item.rule) : requireString(item, "rule", "Rule", mode);
  const what = `Rule ${name}`;
  const appendKey = "append" in item ? boolOf(item.append, what) : false;
  if (appendKey && mode === "current") {
    set.warnings.push(
      `LOAD_DEPRECATED_ITEM: ${what}: 'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.`,
    );
  }
  const prev = c.rules.find((r) => r.name === name);
  if (mode === "current" && "override" in item) {
    const ov = item.override;
    if (!isMap(ov)) throw new LoadError(`${what}: override must be a mapping`);
    if (appendKey) {
      throw new LoadError(`${what}: Keys 'override' and 'append: true' cannot be used together.`);
    }
    if (!prev) {
      throw new LoadError(
        `${what}: Rule has 'override' key but no rule by that name already exists`,
      );
    }
    for (const [k, op] of Object.entries(ov)) {
      if (!(k in item)) {
        throw new LoadError(
          `${what}: An ${op} override for '${k}' was specified but '${k}' is not defined`,
        );
      }
      const text = scalarText(item[k]) ?? "";
      if (op === "append") {
        if (k === "condition") prev.condition += " " + text;
        else if (k === "output") prev.output += " " + text;
        else if (k === "desc") prev.desc += " " + text;
        else if (k === "tags" && Array.isArray(item.tags)) prev.tags.push(...item.tags.map(String));
        else {throw new LoadError(
            `${what}: Key '${k}' cannot be appended to, use 'replace' instead`,
          );}
      } else if (op === "replace") {
        if (k === "condition") prev.condition = text;
        else if (k === "output") prev.output = text;
        else if (k === "desc") prev.desc = text;
        else if (k === "priority") prev.priority = text;
        else if (k === "enabled") prev.enabled = boolOf(item[k], what);
        else if (k === "tags" && Array.isArray(item.tags)) prev.tags = item.tags.map(String);
        else if (k === "warn_evttypes") prev.warnEvttypes = boolOf(item[k], what);
        else if (k === "skip-if-unknown-filter") prev.skipIfUnknown = boolOf(item[k], what);
        else throw new LoadError(`${what}: Key '${k}' cannot be replaced`);
      } else {
        throw new LoadError(`${what}: Invalid override operation for key '${k}': '${String(op)}'`);
      }
    }
    return;
  }
  if (appendKey) {
    if (!prev) {
      throw new LoadError(`Rule ${name} has 'append' key but no rule by that name already exists`);
    }
    if ("condition" in item) prev.condition += " " + requireString(item, "condition", what, mode);
    return;
  }
  const hasBody = ["condition", "output", "desc", "priority"].some((k) => k in item);
  if (!hasBody && "enabled" in item && mode === "current") {
    set.warnings.push(
      `LOAD_DEPRECATED_ITEM: ${what}: The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').`,
    );
    if (!prev) {
      throw new LoadError(
        `${what}: Rule has 'enabled' key but no rule by that name already exists`,
      );
    }
    prev.enabled = boolOf(item.enabled, what);
    return;
  }
  const rule: RuleDef = {
    name,
    condition: requireString(item, "condition", what, mode),
    output: requireString(item, "output", what, mode).trim(),
    desc: requireString(item, "desc", what, mode),
    priority: requireString(item, "priority", what, mode),
    source: "source" in item ? String(item.source) : "syscall",
    tags: Array.isArray(item.tags) ? item.tags.map(String) : [],
    enabled: "enabled" in item ? boolOf(item.enabled, what) : true,
    warnEvttypes: "warn_evttypes" in item ? boolOf(item.warn_evttypes, what) : true,
    skipIfUnknown: "skip-if-unknown-filter" in item
      ? boolOf(item["skip-if-unknown-filter"], what)
      : false,
  };
  if (mode === "0.27") {
    if (!PRIORITIES_027.has(rule.priority)) {
      throw new LoadError(`Invalid priority level: ${rule.priority}`);
    }
  } else if (!PRIORITIES_CURRENT.includes(rule.priority.toLowerCase())) {
    throw new LoadError(`${what}: Invalid priority`);
  }
  if ("tags" in item && !Array.isArray(item.tags) && mode === "current") {
    throw new LoadError(`${what}: Value is not a sequence (tags)`);
  }
  upsert(c.rules, rule);
}

function readEngineVersion(v: unknown, mode: Mode, set: RuleSet): void {
  if (mode === "0.27") {
    if (typeof v !== "number") {
      throw new LoadError("Value of required_engine_version must be a number");
    }
    if (v > 7) throw new LoadError(`Rules require engine version ${v}, but engine version is 7`);
    set.requiredEngineVersion = v;
    return;
  }
  const s = scalarText(v);
  if (s === undefined || s === "") {
    throw new LoadError("required_engine_version: Value must be non-empty");
  }
  if (/^[0-9]+$/.test(s)) {
    set.requiredEngineVersion = Number(s);
  } else {
    if (!/^[0-9]+\.[0-9]+\.[0-9]+$/.test(s)) {
      throw new LoadError(
        `Unable to parse engine version '${s}' as a semver string. Expected "x.y.z" semver format.`,
      );
    }
    set.requiredEngineVersion = s;
  }
}

function readPluginVersions(v: unknown, set: RuleSet): void {
  if (!Array.isArray(v)) {
    throw new LoadError("Value of required_plugin_versions must be a sequence");
  }
  for (const p of v) {
    if (!isMap(p)) throw new LoadError("Plugin version must be a mapping");
    const name = requireString(p, "name", "required_plugin_versions entry", "current");
    const version = requireString(
      p,
      "version",
      `required_plugin_versions entry ${name}`,
      "current",
    );
    const req: PluginRequirement = { alternatives: [{ name, version }] };
    if ("alternatives" in p) {
      if (!Array.isArray(p.alternatives)) {
        throw new LoadError("Value of plugin version alternatives must be a sequence");
      }
      for (const a of p.alternatives) {
        if (!isMap(a)) throw new LoadError("Plugin version alternative must be a mapping");
        req.alternatives.push({
          name: requireString(a, "name", "alternative", "current"),
          version: requireString(a, "version", "alternative", "current"),
        });
      }
    }
    set.requiredPlugins.push(req);
  }
}

// ---------------------------------------------------------------------------------------
// JSON schema of current Falco (rule_json_schema.h), reported as warnings.

const SCHEMA_KEYS = new Set([
  "required_engine_version",
  "required_plugin_versions",
  "macro",
  "condition",
  "list",
  "items",
  "rule",
  "desc",
  "enabled",
  "output",
  "append",
  "priority",
  "capture",
  "capture_duration",
  "capture_events",
  "capture_filesize",
  "source",
  "exceptions",
  "override",
  "tags",
  "warn_evttypes",
  "skip-if-unknown-filter",
]);
const SCHEMA_STRINGS = ["macro", "condition", "list", "rule", "desc", "output", "source"];
const SCHEMA_BOOLS = ["enabled", "append", "capture", "warn_evttypes", "skip-if-unknown-filter"];
const SCHEMA_PRIORITIES = [
  "EMERGENCY",
  "ALERT",
  "CRITICAL",
  "ERROR",
  "WARNING",
  "NOTICE",
  "INFO",
  "INFORMATIONAL",
  "DEBUG",
];

function schemaCheck(items: unknown[], set: RuleSet): void {
  const problems: string[] = [];
  items.forEach((item, i) => {
    if (!isMap(item)) {
      problems.push(`/${i}: not an object`);
      return;
    }
    for (const [k, v] of Object.entries(item)) {
      const at = `/${i}/${k}`;
      if (!SCHEMA_KEYS.has(k)) problems.push(`${at}: additional property not allowed`);
      else if (SCHEMA_STRINGS.includes(k) && typeof v !== "string") {
        problems.push(`${at}: not a string`);
      } else if (SCHEMA_BOOLS.includes(k) && typeof v !== "boolean") {
        problems.push(`${at}: not a boolean`);
      } else if (k === "priority" && !SCHEMA_PRIORITIES.includes(String(v))) {
        problems.push(`${at}: not one of ${SCHEMA_PRIORITIES.join(", ")}`);
      } else if (k === "tags" && !(Array.isArray(v) && v.every((t) => typeof t === "string"))) {
        problems.push(`${at}: not an array of strings`);
      } else if (
        k === "items" &&
        !(Array.isArray(v) && v.every((t) => typeof t === "string" || Number.isInteger(t)))
      ) problems.push(`${at}: not an array of strings/integers`);
      // required_engine_version: the schema says string; Falco's own k8s_audit rules use an
      // integer (15) and the reference (§8.5) documents integers as accepted, so both pass.
      else if (k === "required_engine_version" && typeof v !== "string" && typeof v !== "number") {
        problems.push(`${at}: not a string`);
      } else if (k === "required_plugin_versions") {
        if (!Array.isArray(v)) problems.push(`${at}: not an array`);
        else {
          v.forEach((p, j) => {
            const okEntry = (e: unknown, extra: string[]) =>
              isMap(e) && typeof e.name === "string" && typeof e.version === "string" &&
              Object.keys(e).every((x) => ["name", "version", ...extra].includes(x));
            if (!okEntry(p, ["alternatives"])) {
              problems.push(`${at}/${j}: invalid plugin requirement`);
            } else if (
              "alternatives" in (p as Record<string, unknown>) &&
              !(Array.isArray((p as Record<string, unknown>).alternatives) &&
                ((p as Record<string, unknown>).alternatives as unknown[]).every((a) =>
                  okEntry(a, [])
                ))
            ) problems.push(`${at}/${j}/alternatives: invalid`);
          });
        }
      } else if (k === "override") {
        if (!isMap(v) || Object.keys(v).length === 0) problems.push(`${at}: invalid override`);
        else {
          for (const [ok, ov] of Object.entries(v)) {
            if (ov !== "append" && ov !== "replace") {
              problems.push(`${at}/${ok}: not append/replace`);
            }
          }
        }
      }
    }
  });
  if (problems.length > 0) {
    set.warnings.push(`schema validation: failed: ${problems.join("; ")}`);
  }
}

// ---------------------------------------------------------------------------------------
// Condition helpers

function parseOrThrow(text: string, mode: Mode, what: string): Expr {
  try {
    return parseCondition(text, mode);
  } catch (e) {
    if (e instanceof ConditionSyntaxError) {
      throw new LoadError(`${what}: Compilation error when compiling "${text}": ${e.message}`);
    }
    throw e;
  }
}

/** Falco 0.27 compiler.expand_lists_in: textual substitution between delimiters. */
function expandListsText027(
  source: string,
  lists: Map<string, string[]>,
  used: Set<string>,
): string {
  const delim = /[\s(),=]/;
  for (const [name, items] of lists) {
    let bpos = source.indexOf(name);
    while (bpos >= 0) {
      used.add(name);
      const epos = bpos + name.length;
      if (
        (bpos === 0 || delim.test(source[bpos - 1])) &&
        (epos >= source.length || delim.test(source[epos]))
      ) {
        const sub = items.join(", ");
        source = source.slice(0, bpos) + sub + source.slice(epos);
        bpos = bpos + (sub.length - name.length);
      }
      bpos = source.indexOf(name, bpos + 1);
    }
  }
  return source;
}

/** quote_item of the current loader: items containing a space get double quotes. */
function quoteItem(e: string): string {
  return e.includes(" ") && e[0] !== '"' && e[0] !== "'" ? `"${e}"` : e;
}

/**
 * Current Falco list resolution: an unquoted list item naming a list is replaced by that
 * list's (quoted) items, parsed as the loader's textual substitution would parse them.
 */
function expandListsAst(expr: Expr, lists: Map<string, string[]>, used: Set<string>): Expr {
  switch (expr.kind) {
    case "and":
    case "or":
      return {
        kind: expr.kind,
        children: expr.children.map((c) => expandListsAst(c, lists, used)),
      };
    case "not":
      return { kind: "not", child: expandListsAst(expr.child, lists, used) };
    case "macro":
      return expr;
    case "check": {
      if (!expr.value || expr.value.kind !== "list") return expr;
      const items: ValueItem[] = [];
      for (const item of expr.value.items) {
        const list = item.quoted ? undefined : lists.get(item.value);
        if (!list) {
          items.push(item);
          continue;
        }
        used.add(item.value);
        if (list.length === 0) continue;
        const parsed = parseCondition(`x.y in (${list.join(", ")})`, "current") as CheckExpr;
        if (parsed.value?.kind === "list") items.push(...parsed.value.items);
      }
      return { ...expr, value: { kind: "list", items } };
    }
  }
}

/** Replaces macro references with (already resolved) macro bodies. */
function resolveMacros(
  expr: Expr,
  macros: Map<string, Expr>,
  used: Set<string>,
): Expr {
  switch (expr.kind) {
    case "and":
    case "or":
      return {
        kind: expr.kind,
        children: expr.children.map((c) => resolveMacros(c, macros, used)),
      };
    case "not":
      return { kind: "not", child: resolveMacros(expr.child, macros, used) };
    case "macro": {
      const body = macros.get(expr.name);
      if (!body) throw new LoadError(`Undefined macro '${expr.name}' used in filter.`);
      used.add(expr.name);
      return body;
    }
    case "check":
      return expr;
  }
}

function noteFields(set: RuleSet, source: string, expr: Expr): void {
  let s = set.fieldsBySource.get(source);
  if (!s) set.fieldsBySource.set(source, s = new Set());
  forEachCheck(expr, (c) => fieldsOf(c).forEach((r) => s!.add(r.field)));
}

// ---------------------------------------------------------------------------------------
// Field and output validation

function checkRefCurrent(ref: FieldRef, source: string): string | null {
  const shown = ref.arg === undefined ? ref.field : `${ref.field}[${ref.arg}]`;
  if (source === "k8s_audit") {
    const def = FIELDS_CURRENT.get(ref.field);
    if (!def) {
      if (PLUGIN_GENERIC_FIELDS_CURRENT.includes(ref.field) && ref.transformers.length === 0) {
        return null;
      }
      return `filter_check called with nonexistent field ${shown}`;
    }
    if (def.arg === "none" && ref.arg !== undefined) {
      return `filter '${ref.field}' does not support arguments`;
    }
    if (def.arg === "key-required" && (ref.arg === undefined || ref.arg === "")) {
      return `filter '${ref.field}' requires an argument`;
    }
    if (def.arg === "index" && ref.arg !== undefined && !/^[0-9]+$/.test(ref.arg)) {
      return `filter '${ref.field}': index argument must be a number`;
    }
    const t = transformedType({ type: "string", list: def.list }, ref.transformers);
    return typeof t === "string" ? t : null;
  }
  if (source === "syscall") {
    if (ref.transformers.length > 0) return `transformers are not checked on syscall fields`;
    if (SYSCALL_FIELDS.has(ref.field) || SYSCALL_ARG_FIELDS.has(ref.field)) return null;
    return `filter_check called with nonexistent field ${shown}`;
  }
  return `unknown source ${source}`;
}

function typeOfRef(ref: FieldRef): FieldType | undefined {
  const def = FIELDS_CURRENT.get(ref.field);
  if (!def) return undefined;
  const t = transformedType({ type: "string", list: def.list }, ref.transformers);
  return typeof t === "string" ? undefined : t;
}

/**
 * The most bytes one comparison value may have (a regex, a string, one item of a list):
 * libsinsp parses each value into a 256-byte buffer with a terminating byte, so 255. Measured
 * on Falco 0.44.1 (docs/falco.md §9): 256 `b`s give `used=257`; the rule is refused with
 * LOAD_ERR_COMPILE_CONDITION, and the whole file with it.
 */
export const MAX_VALUE_BYTES = 255;

const UTF8 = new TextEncoder();

/** Falco's "filter parameter too long" for the first over-long value of a check, if any. */
export function overlongValueError(c: CheckExpr): string | null {
  if (!c.value || c.value.kind === "field") return null;
  const items = c.value.kind === "list" ? c.value.items : [c.value.item];
  for (const item of items) {
    const used = UTF8.encode(item.value).length + 1;
    if (used > MAX_VALUE_BYTES + 1) {
      return `filter parameter too long (used=${used}, available=${
        MAX_VALUE_BYTES + 1
      }):${item.value}`;
    }
  }
  return null;
}

function checkFieldCurrent(c: CheckExpr, source: string): string | null {
  for (const ref of fieldsOf(c)) {
    const err = checkRefCurrent(ref, source);
    if (err) return err;
  }
  const tooLong = overlongValueError(c);
  if (tooLong) return tooLong;
  if (source !== "k8s_audit" || !c.op) return null;
  const lhs = typeOfRef(fieldsOf(c)[0]);
  if (!lhs) return null; // generic evt.* field
  const opErr = typedOperatorError(c.op, lhs);
  if (opErr) return opErr;
  if (c.value?.kind === "field") {
    if (c.op === "pmatch" || c.op === "regex") {
      return `operator '${c.op}' doesn't support right-hand side fields`;
    }
    const rhs = typeOfRef(c.value.ref);
    if (rhs && (rhs.type !== lhs.type || rhs.list !== lhs.list)) {
      return `field '${c.field}' has type '${lhs.type}${
        lhs.list ? " (list)" : ""
      }' while the right-hand side field '${c.value.ref.field}' has incompatible type '${rhs.type}${
        rhs.list ? " (list)" : ""
      }'`;
    }
    return null;
  }
  const values = !c.value ? [] : c.value.kind === "list" ? c.value.items : [c.value.item];
  if (c.op === "regex") {
    try {
      re2PosixToRegExp(values[0]?.value ?? "");
    } catch (e) {
      return `invalid regex: ${(e as Error).message}`;
    }
  }
  if (lhs.type === "uint64") {
    const bad = values.find((v) => !/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(v.value));
    if (bad) return `filter value '${bad.value}' is not a valid number`;
  }
  return null;
}

const JSON_OPS_027 = [
  "=",
  "==",
  "!=",
  "startswith",
  "contains",
  "in",
  "pmatch",
  "intersects",
  "<",
  "<=",
  ">",
  ">=",
  "exists",
];

function checkField027(c: CheckExpr, source: string): string | null {
  const shown = c.arg === undefined ? c.field : `${c.field}[${c.arg}]`;
  if (source === "k8s_audit") {
    const def = FIELDS_027.get(c.field);
    if (!def) return `Rule contains unknown filter ${shown}`;
    const idx = c.arg ?? "";
    if (idx === "" && def.idx.startsWith("required")) {
      return `When parsing filtercheck ${shown}: ${c.field} requires an index but none provided`;
    }
    if (idx !== "" && def.idx === "none") {
      return `When parsing filtercheck ${shown}: ${c.field} forbids an index but one provided`;
    }
    if (idx !== "" && def.idx.endsWith("numeric") && /[^0-9]/.test(idx)) {
      return `When parsing filtercheck ${shown}: ${c.field} requires a numeric index`;
    }
    if (c.field === "jevt.value") {
      try {
        parsePointer(idx);
      } catch (e) {
        return `Could not parse filtercheck field "${shown}". Invalid json selector (${
          (e as Error).message
        })`;
      }
    }
    if (c.op && !JSON_OPS_027.includes(c.op)) {
      return `filter error: unsupported comparison operator ${c.op} on ${c.field} (thrown at evaluation)`;
    }
    return null;
  }
  if (source === "syscall") {
    if (SYSCALL_FIELDS.has(c.field) || SYSCALL_ARG_FIELDS.has(c.field)) return null;
    return `Rule contains unknown filter ${shown}`;
  }
  return `unknown source ${source}`;
}

/** The `%field` tokens of an output format. */
export function outputFields(output: string): { field: string; arg?: string }[] {
  const out: { field: string; arg?: string }[] = [];
  const re = /%([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)(?:\[([^\]]*)\])?/g;
  for (const m of output.matchAll(re)) out.push({ field: m[1], arg: m[2] });
  return out;
}

function checkOutput(rule: RuleDef, mode: Mode): string | null {
  let output = rule.output;
  if (rule.source === "syscall") {
    output = output.replaceAll("%container.info", "%container.name (id=%container.id)");
  }
  const stray = output.replace(/%[A-Za-z][A-Za-z0-9_.]*(\[[^\]]*\])?/g, "");
  if (stray.includes("%")) return `invalid output format: stray '%' in "${rule.output}"`;
  for (const f of outputFields(output)) {
    const c: CheckExpr = { kind: "check", field: f.field, arg: f.arg, op: "", pos: 0 };
    const err = mode === "0.27" ? checkField027(c, rule.source) : checkFieldCurrent(c, rule.source);
    if (err) return `invalid output format: ${err}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Falco 0.27

function compile027(c: Collected, set: RuleSet): void {
  const used = new Set<string>();
  for (const l of c.lists) {
    const items: string[] = [];
    for (const item of l.items) {
      const ref = set.lists.get(item);
      if (ref) items.push(...ref);
      else items.push(item);
    }
    set.lists.set(l.name, items);
  }
  const raw = new Map<string, Expr>();
  for (const m of c.macros) {
    const text = expandListsText027(m.condition, set.lists, used);
    const ast = parseOrThrow(text, "0.27", `macro ${m.name}`);
    resolveFully(ast, raw, new Set(), `macro ${m.name}`); // validation against earlier macros
    raw.set(m.name, ast);
  }
  const macroUsed = new Set<string>();
  for (const [name, ast] of raw) set.macros.set(name, resolveFully(ast, raw, macroUsed, name));
  for (const r of c.rules) {
    const text = expandListsText027(r.condition, set.lists, used);
    const ast = parseOrThrow(text, "0.27", `rule ${r.name}`);
    const expr = resolveFully(ast, raw, macroUsed, `rule ${r.name}`);
    noteFields(set, r.source, expr);
    if (r.source !== "syscall" && r.source !== "k8s_audit") {
      set.warnings.push(
        `rule ${r.name}: source ${r.source} is not loaded by Falco 0.27 (rule ignored)`,
      );
      continue;
    }
    let skip = false;
    forEachCheck(expr, (chk) => {
      const err = checkField027(chk, r.source);
      if (!err || skip) return;
      if (r.skipIfUnknown && err.includes("unknown filter")) skip = true;
      else throw new LoadError(`rule ${r.name}: ${err}`);
    });
    if (skip) continue;
    if (r.source === "syscall") evttypeWarnings027(r, expr, set);
    const outErr = checkOutput(r, "0.27");
    if (outErr) throw new LoadError(`rule ${r.name}: ${outErr}`);
    set.rules.push(toCompiled(r, expr));
  }
  // Falco 0.27 prints unused list/macro notices only with -v: not load warnings.
}

/** Repeats macro substitution until no macro is left (0.27 expand_macros loop). */
function resolveFully(ast: Expr, macros: Map<string, Expr>, used: Set<string>, what: string): Expr {
  let cur = ast;
  for (let i = 0; i < 1000; i++) {
    let changed = false;
    const step = (e: Expr): Expr => {
      switch (e.kind) {
        case "and":
        case "or":
          return { kind: e.kind, children: e.children.map(step) };
        case "not":
          return { kind: "not", child: step(e.child) };
        case "macro": {
          const body = macros.get(e.name);
          if (!body) throw new LoadError(`${what}: Undefined macro '${e.name}' used in filter.`);
          used.add(e.name);
          changed = true;
          return body;
        }
        case "check":
          return e;
      }
    };
    cur = step(cur);
    if (!changed) return cur;
  }
  throw new LoadError(`${what}: macro expansion does not terminate`);
}

/** sinsp_rule_utils.get_evttypes_syscalls: unknown events are errors, then the warnings. */
function evttypeWarnings027(r: RuleDef, expr: Expr, set: RuleSet): void {
  let foundEvent = false;
  let foundNot = false;
  let afterNot = false;
  const visit = (e: Expr): void => {
    switch (e.kind) {
      case "and":
      case "or":
        e.children.forEach(visit);
        return;
      case "not":
        foundNot = true;
        visit(e.child);
        return;
      case "macro":
        return;
      case "check": {
        if (!e.value) return; // UnaryRelOp is not visited
        if (e.op === "!=") foundNot = true;
        if (e.field !== "evt.type") return;
        foundEvent = true;
        if (foundNot) afterNot = true;
        if (e.value.kind === "field") return;
        const names = e.value.kind === "list" ? e.value.items : [e.value.item];
        for (const n of names) {
          if (!n.quoted && !SYSCALL_EVENT_NAMES.has(n.value)) {
            throw new LoadError(`Unknown event/syscall "${n.value}" in filter: ${r.condition}`);
          }
        }
      }
    }
  };
  visit(expr);
  if (!r.warnEvttypes) return;
  if (!foundEvent) {
    set.warnings.push(
      `Rule ${r.name}: warning (no-evttype): did not contain any evt.type restriction, meaning it will run for all event types.`,
    );
  }
  if (afterNot) {
    set.warnings.push(
      `Rule ${r.name}: warning (trailing-evttype): does not have all evt.type restrictions at the beginning of the condition, or uses a negative match (i.e. "not"/"!=") for some evt.type restriction.`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// Current Falco

function compileCurrent(c: Collected, set: RuleSet): void {
  const listUsed = new Set<string>();
  c.lists.forEach((l, index) => {
    const items: string[] = [];
    for (const item of l.items) {
      const refIndex = c.lists.findIndex((x) => x.name === item);
      if (refIndex >= 0 && refIndex < index) {
        listUsed.add(item);
        items.push(...c.lists[refIndex].items.map(quoteItem));
      } else items.push(quoteItem(item));
    }
    set.lists.set(l.name, items);
  });
  const macroUsed = new Set<string>();
  const visible = new Map<string, Expr>();
  for (const m of c.macros) {
    const ast = parseOrThrow(m.condition, "current", `macro ${m.name}`);
    const expanded = expandListsAst(ast, set.lists, listUsed);
    let resolved: Expr;
    try {
      resolved = resolveMacros(expanded, visible, macroUsed);
    } catch (e) {
      if (e instanceof LoadError) throw new LoadError(`macro ${m.name}: ${e.message}`);
      throw e;
    }
    visible.set(m.name, resolved);
    set.macros.set(m.name, resolved);
  }
  for (const r of c.rules) {
    const what = `rule ${r.name}`;
    if (r.source !== "syscall" && r.source !== "k8s_audit") {
      set.warnings.push(`LOAD_UNKNOWN_SOURCE: ${what}: Unknown source ${r.source}, skipping`);
      continue;
    }
    const ast = expandListsAst(parseOrThrow(r.condition, "current", what), set.lists, listUsed);
    let expr: Expr;
    try {
      expr = resolveMacros(ast, set.macros, macroUsed);
    } catch (e) {
      if (e instanceof LoadError) throw new LoadError(`${what}: ${e.message}`);
      throw e;
    }
    noteFields(set, r.source, expr);
    for (const w of compilerValueWarnings(expr, r.source)) {
      set.warnings.push(`LOAD_COMPILE_CONDITION: ${what}: ${w}`);
    }
    if (hasUnsafeNaCheck(expr)) {
      set.warnings.push(
        `LOAD_UNSAFE_NA_CHECK: ${what}: Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.`,
      );
    }
    const outErr = checkOutput(r, "current");
    if (outErr) throw new LoadError(`${what}: LOAD_ERR_COMPILE_OUTPUT: ${outErr}`);
    let skip = false;
    forEachCheck(expr, (chk) => {
      const err = checkFieldCurrent(chk, r.source);
      if (!err || skip) return;
      if (r.skipIfUnknown && err.includes("nonexistent field")) {
        set.warnings.push(`LOAD_UNKNOWN_FIELD: ${what}: ${err}`);
        skip = true;
      } else throw new LoadError(`${what}: LOAD_ERR_COMPILE_CONDITION: ${err}`);
    });
    if (skip) continue;
    if (r.source === "syscall" && r.warnEvttypes) {
      const evt = evttypes(expr, false);
      if (evt.complement || evt.names.size === 0 || evt.names.size > 100) {
        set.warnings.push(
          `LOAD_NO_EVTTYPE: ${what}: Rule matches too many evt.type values. This has a significant performance penalty.`,
        );
      }
    }
    set.rules.push(toCompiled(r, expr));
  }
  for (const m of c.macros) {
    if (!macroUsed.has(m.name)) {
      set.warnings.push(
        `LOAD_UNUSED_MACRO: macro ${m.name}: Macro not referred to by any other rule/macro`,
      );
    }
  }
  for (const l of c.lists) {
    if (!listUsed.has(l.name)) {
      set.warnings.push(
        `LOAD_UNUSED_LIST: list ${l.name}: List not referred to by any other rule/macro`,
      );
    }
  }
}

/**
 * The value warnings of libsinsp's filter compiler (check_value_and_add_warnings): a regex
 * that simpler operators could do, a constant that is a field name (a forgotten val()), a
 * constant that looks like a transformer call.
 */
function compilerValueWarnings(expr: Expr, source: string): string[] {
  const out: string[] = [];
  const isField = (v: string): boolean => {
    const m = /^([A-Za-z][A-Za-z0-9_.]*)(\[[^\]]*\])?$/.exec(v);
    if (!m) return false;
    if (source === "k8s_audit") {
      return FIELDS_CURRENT.has(m[1]) || PLUGIN_GENERIC_FIELDS_CURRENT.includes(m[1]);
    }
    return SYSCALL_FIELDS.has(m[1]) || SYSCALL_ARG_FIELDS.has(m[1]);
  };
  forEachCheck(expr, (c) => {
    if (!c.value || c.value.kind === "field") return;
    const items = c.value.kind === "list" ? c.value.items : [c.value.item];
    for (const { value } of items) {
      if (c.op === "regex" && regexMayBeSimple(value)) {
        out.push(
          `regex check with '${value}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'`,
        );
      }
      const nospaces = value.replace(/\s/g, "");
      if (isField(nospaces)) {
        out.push(`'${value}' may be a valid field misused as a const string value`);
      }
      if (/^(tolower|toupper|b64|basename|len|val)\(.*\)$/.test(nospaces)) {
        out.push(`'${value}' may be a valid field transformer misused as a const string value`);
      }
    }
  });
  return out;
}

/** sinsp_filter_compiler::check_warnings_regex_value's heuristic. */
function regexMayBeSimple(v: string): boolean {
  const len = v.length;
  for (let i = 0; i < len; i++) {
    if ((i === 0 && v[i] === "^") || (i === len - 1 && v[i] === "$")) continue;
    if (((i === 0 && len > 1) || i === len - 2) && v[i] === "." && "+*?".includes(v[i + 1])) {
      i++;
      continue;
    }
    if (".+*?^$()[]{}|\\".includes(v[i])) return false;
  }
  return true;
}

function hasUnsafeNaCheck(expr: Expr): boolean {
  let found = false;
  forEachCheck(expr, (c) => {
    if (!/^(ka|jevt)\./.test(c.field)) return;
    if (!["=", "==", "!=", "in", "intersects", "pmatch"].includes(c.op) || !c.value) return;
    if (c.value.kind === "field") return;
    const items = c.value.kind === "list" ? c.value.items : [c.value.item];
    if (items.some((i) => i.value === "<NA>")) found = true;
  });
  return found;
}

/** A set of event types: explicit names, or everything except `names` when complement. */
interface EvtSet {
  complement: boolean;
  names: Set<string>;
}
const ALL: EvtSet = { complement: true, names: new Set() };

function union(a: EvtSet, b: EvtSet): EvtSet {
  if (a.complement && b.complement) {
    return { complement: true, names: new Set([...a.names].filter((n) => b.names.has(n))) };
  }
  if (a.complement) {
    return {
      complement: true,
      names: new Set([...a.names].filter((n) => !b.names.has(n))),
    };
  }
  if (b.complement) return union(b, a);
  return { complement: false, names: new Set([...a.names, ...b.names]) };
}
function intersect(a: EvtSet, b: EvtSet): EvtSet {
  if (a.complement && b.complement) {
    return { complement: true, names: new Set([...a.names, ...b.names]) };
  }
  if (a.complement) {
    return {
      complement: false,
      names: new Set([...b.names].filter((n) => !a.names.has(n))),
    };
  }
  if (b.complement) return intersect(b, a);
  return { complement: false, names: new Set([...a.names].filter((n) => b.names.has(n))) };
}
function invert(a: EvtSet): EvtSet {
  return { complement: !a.complement, names: a.names };
}

/** The event types a syscall condition can match (libsinsp ppm_event_codes, by name). */
function evttypes(expr: Expr, negated: boolean): EvtSet {
  switch (expr.kind) {
    case "and":
    case "or": {
      const sets = expr.children.map((c) => evttypes(c, negated));
      const useUnion = (expr.kind === "or") !== negated;
      return sets.reduce((acc, s) => (useUnion ? union(acc, s) : intersect(acc, s)));
    }
    case "not":
      return evttypes(expr.child, !negated);
    case "macro":
      return ALL;
    case "check": {
      if (expr.field !== "evt.type" || !expr.value) return ALL;
      if (expr.value.kind === "field") return ALL;
      const items = expr.value.kind === "list" ? expr.value.items : [expr.value.item];
      const named: EvtSet = { complement: false, names: new Set(items.map((i) => i.value)) };
      let s: EvtSet;
      if (["=", "==", "in", "intersects"].includes(expr.op)) s = named;
      else if (expr.op === "!=") s = invert(named);
      else return ALL;
      return negated ? invert(s) : s;
    }
  }
}

function toCompiled(r: RuleDef, expr: Expr): CompiledRule {
  return {
    name: r.name,
    condition: r.condition,
    expr,
    output: r.output,
    desc: r.desc,
    priority: r.priority,
    source: r.source,
    tags: r.tags,
    enabled: r.enabled,
  };
}

/** Renders a compiled rule's expanded condition (for diagnostics). */
export function expandedCondition(rule: CompiledRule): string {
  return renderExpr(rule.expr);
}
