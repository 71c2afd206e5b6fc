/**
 * Constants current Falco's rule compiler takes for a forgotten `val()`: libsinsp's
 * `check_value_and_add_warnings` removes the whitespace from every comparison value and warns
 * "may be a valid field misused as a const string value" when the rest parses as a field of
 * the rule's source, and "may be a valid field transformer misused ..." when it looks like
 * `tolower(...)`. Quoting does not help (the check reads the value, not its spelling), and a
 * list field compares with nothing but literals, so such values are refused instead.
 */
import { comparedValues, type Cond } from "./condition.ts";

/** The event source a condition is compiled for. */
export type RuleSource = "k8s_audit" | "syscall";

/**
 * Field classes per source, wider than the exact field tables (which change with plugin and
 * libs versions): anything of the shape `<class>.<name>[<arg>]` is treated as a field.
 * k8s_audit: the k8saudit and json plugins (`ka.*`, `json.*`, `jevt.*`) and the generic event
 * fields libsinsp adds to plugin sources (`evt.*`). syscall: libsinsp's classes and the
 * container plugin's.
 */
const FIELD_SHAPE: Record<RuleSource, RegExp> = {
  k8s_audit: /^(ka|json|jevt|evt)\.[A-Za-z0-9_.]+(\[.*\])?$/,
  syscall:
    /^(evt|evtin|proc|thread|user|group|fd|fdlist|fs|container|k8s|k8smeta|span|syscall|syslog|mesos)\.[A-Za-z0-9_.]+(\[.*\])?$/,
};

/** Syscall fields whose argument follows a `.` and may hold other characters. */
const DOTTED_ARG = /^(evt\.(raw)?arg|k8s\.[a-z]+\.labels?)\./;

const TRANSFORMER = /^(tolower|toupper|b64|basename|len|val)\(.*\)$/;

/** Whether Falco would warn that `value`, compared in a `source` rule, may be a field. */
export function mayReadAsField(value: string, source: RuleSource): boolean {
  const v = value.replace(/\s/g, "");
  return FIELD_SHAPE[source].test(v) || TRANSFORMER.test(v) ||
    (source === "syscall" && DOTTED_ARG.test(v));
}

/** Every constant a condition compares with (quoted strings and bare words). */
function conditionConstants(c: Cond): string[] {
  return comparedValues(c).flatMap((v) => v.kind === "list" || v.kind === "val" ? [] : [v.text]);
}

/** The first constant of a condition Falco would warn about as a possible field, if any. */
export function fieldLikeConstant(c: Cond, source: RuleSource): string | undefined {
  return conditionConstants(c).find((v) => mayReadAsField(v, source));
}
