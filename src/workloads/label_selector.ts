/**
 * Label selectors as `kubectl get -l` reads them (k8s.io/apimachinery labels.Parse):
 * comma-separated requirements, all of which must hold: `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist), `k>n`, `k<n`
 * (the label's value as an integer). Keys are qualified names, values label values.
 */

/** One requirement of a selector. */
export interface LabelRequirement {
  key: string;
  operator: "=" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";
  values: string[];
}

/** A selector that cannot be parsed; the message says what and where, as kubectl would. */
export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabelSelectorError";
  }
}

const DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED_NAME = new RegExp(
  `^(${DNS_LABEL}(\\.${DNS_LABEL})*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`,
);
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string): void {
  const name = key.includes("/") ? key.slice(key.indexOf("/") + 1) : key;
  const prefix = key.includes("/") ? key.slice(0, key.indexOf("/")) : "";
  if (!QUALIFIED_NAME.test(key) || name.length > 63 || prefix.length > 253) {
    throw new LabelSelectorError(
      `invalid label key ${JSON.stringify(key)}: name part must consist of alphanumeric ` +
        `characters, '-', '_' or '.', and must start and end with an alphanumeric character ` +
        `(at most 63), with an optional DNS subdomain prefix and '/'`,
    );
  }
}

function checkValue(value: string): void {
  if (!LABEL_VALUE.test(value) || value.length > 63) {
    throw new LabelSelectorError(
      `invalid label value: ${JSON.stringify(value)}: a valid label must be an empty string ` +
        `or consist of alphanumeric characters, '-', '_' or '.', and must start and end with ` +
        `an alphanumeric character (at most 63)`,
    );
  }
}

/** Splits on commas that are not inside parentheses. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function parseRequirement(raw: string): LabelRequirement {
  const text = raw.trim();
  if (text === "") {
    throw new LabelSelectorError("found '', expected: !, identifier, or 'end of string'");
  }
  if (text.startsWith("!")) {
    const key = text.slice(1).trim();
    checkKey(key);
    return { key, operator: "!", values: [] };
  }
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (set) {
    const [, key, op, list] = set;
    checkKey(key);
    // `k in ()` is the set of the empty value, as labels.Parse reads it.
    const values = list.split(",").map((v) => v.trim());
    values.forEach(checkValue);
    return { key, operator: op as "in" | "notin", values };
  }
  const cmp = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(text);
  if (cmp) {
    const [, key, op, value] = cmp;
    checkKey(key);
    if (op === ">" || op === "<") {
      if (!/^-?[0-9]+$/.test(value)) {
        throw new LabelSelectorError(
          `for 'Gt', 'Lt' operators, the value must be an integer: ${JSON.stringify(value)}`,
        );
      }
      return { key, operator: op, values: [value] };
    }
    checkValue(value);
    return { key, operator: op === "!=" ? "!=" : "=", values: [value] };
  }
  if (/^\S+$/.test(text) && !/[()=!<>]/.test(text)) {
    checkKey(text);
    return { key: text, operator: "exists", values: [] };
  }
  throw new LabelSelectorError(`unable to parse requirement: ${JSON.stringify(text)}`);
}

/** Parses a selector (`-l`); the empty selector selects everything. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  if (text.trim() === "") return [];
  return splitRequirements(text).map(parseRequirement);
}

/** Whether labels satisfy one requirement. */
function satisfies(r: LabelRequirement, labels: Readonly<Record<string, unknown>>): boolean {
  const has = Object.hasOwn(labels, r.key) && typeof labels[r.key] === "string";
  const value = has ? labels[r.key] as string : undefined;
  switch (r.operator) {
    case "=":
      return value === r.values[0];
    case "!=":
      return value !== r.values[0];
    case "in":
      return value !== undefined && r.values.includes(value);
    case "notin":
      return value === undefined || !r.values.includes(value);
    case "exists":
      return has;
    case "!":
      return !has;
    case ">":
    case "<": {
      if (value === undefined || !/^-?[0-9]+$/.test(value)) return false;
      const n = BigInt(value);
      const bound = BigInt(r.values[0]);
      return r.operator === ">" ? n > bound : n < bound;
    }
  }
}

/** Whether labels (an object's `metadata.labels`) satisfy every requirement. */
export function labelsMatch(
  requirements: readonly LabelRequirement[],
  labels: unknown,
): boolean {
  const l = labels !== null && typeof labels === "object" && !Array.isArray(labels)
    ? labels as Record<string, unknown>
    : {};
  return requirements.every((r) => satisfies(r, l));
}
