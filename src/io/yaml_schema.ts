/**
 * Plain scalars read as kubectl reads them. kubectl (sigs.k8s.io/yaml) converts YAML to JSON
 * with go-yaml v2, which resolves plain scalars by YAML 1.1 rules of its own (resolve.go):
 *
 * - `y Y yes Yes YES true True TRUE on On ON` are true, `n N no No NO false False FALSE off
 *   Off OFF` are false, `~ null Null NULL` and the empty scalar are null;
 * - a scalar starting with a digit or a sign is, with every `_` removed, an integer as Go's
 *   `strconv.ParseInt(s, 0, 64)` reads it (`0755` and `0o755` octal, `0x1F`/`0X1F` hex,
 *   `0b101` binary, a sign before any of them), else a float of the form
 *   `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (so `08` is 8), else a string;
 *   one starting with `.` is a float when Go's ParseFloat reads it (`.5`, `.5e3`);
 *   `.inf`, `-.Inf`, `.nan`... are the special floats; a float out of range stays a string;
 * - no sexagesimal numbers (`1:20` is a string) and no timestamps (`2001-12-14` stays a
 *   string when decoded into an untyped value, as kubectl decodes manifests).
 *
 * Keys resolve the same way and become strings as JSON needs (`on:` is the key `"true"`,
 * `0755:` the key `"493"`).
 */
import { isScalar, type ScalarTag, type Tags } from "yaml";

const BOOL = "tag:yaml.org,2002:bool";
const TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
/** What Go's ParseInt(s, 0, 64) reads (after the underscores are removed). */
const GO_INT =
  /^([-+]?)(?:0[bB]([01]+)|0[oO]([0-7]+)|0[xX]([0-9a-fA-F]+)|0([0-7]*)|([1-9][0-9]*))$/;
/** go-yaml v2's `yamlStyleFloat`. */
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A float as go-yaml v2 keeps it: out of range (ParseFloat's ErrRange) it stays the string. */
function goFloat(source: string, digits: string): number | string {
  const f = parseFloat(digits);
  return Number.isFinite(f) ? f : source;
}

/** go-yaml v2's reading of a plain scalar that starts with a digit or a sign. */
export function resolveGoNumber(source: string): number | string {
  const plain = source.replaceAll("_", "");
  const m = GO_INT.exec(plain);
  if (m) {
    const [, sign, bin, oct, hex, lead0, dec] = m;
    const n = bin !== undefined
      ? BigInt(`0b${bin}`)
      : oct !== undefined
      ? BigInt(`0o${oct}`)
      : hex !== undefined
      ? BigInt(`0x${hex}`)
      : lead0 !== undefined
      ? (lead0 === "" ? 0n : BigInt(`0o${lead0}`))
      : BigInt(dec);
    const v = sign === "-" ? -n : n;
    // int64, else uint64 (ParseUint takes no sign); beyond, the float form decides
    if ((v >= INT64_MIN && v <= INT64_MAX) || (sign === "" && v <= UINT64_MAX)) return Number(v);
  }
  return GO_FLOAT.test(plain) ? goFloat(source, plain) : source;
}

const defaults = { default: true as const, identify: () => false };

/**
 * The scalar tags of kubectl's reading, in the order they are tried (the `yaml` library's
 * Composer takes the first whose `test` matches; what `resolve` returns is the value).
 */
export const KUBECTL_SCALAR_TAGS: ScalarTag[] = [
  {
    ...defaults,
    tag: "tag:yaml.org,2002:null",
    test: /^(?:~|null|Null|NULL)?$/,
    resolve: () => null,
  },
  { ...defaults, tag: BOOL, test: TRUE, resolve: () => true },
  { ...defaults, tag: BOOL, test: FALSE, resolve: () => false },
  {
    ...defaults,
    tag: "tag:yaml.org,2002:float",
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: (s: string) =>
      s.endsWith("nan") || s.endsWith("NaN") || s.endsWith("NAN")
        ? NaN
        : s.startsWith("-")
        ? -Infinity
        : Infinity,
  },
  {
    ...defaults,
    // a superset of what is a number (resolve gives the string back for the rest)
    tag: "tag:yaml.org,2002:int",
    test: /^[-+0-9][-+0-9a-fA-FoOxX._]*$/,
    resolve: resolveGoNumber,
  },
  {
    ...defaults,
    tag: "tag:yaml.org,2002:float",
    test: /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/,
    resolve: (s: string) => goFloat(s, s),
  },
];

/** A tag of KUBECTL_SCALAR_TAGS that a plain scalar may resolve by. */
export interface ImplicitTag {
  test: RegExp;
  resolve(value: string, onError: (message: string) => void, options: unknown): unknown;
}

/**
 * The scalar tags a Composer with YAML_OPTIONS tries on a plain scalar, in its order: kubectl's
 * (tests/io/library_internals_test.ts checks that the Composer's schema holds these).
 */
const implicitTags = (KUBECTL_SCALAR_TAGS as unknown as (ImplicitTag & { default?: unknown })[])
  .filter((t) => t.default === true && t.test !== undefined);
/**
 * One pattern that matches exactly when some tag's test does (most scalars are strings and
 * match none): their alternation, when none has flags, groups or back references.
 */
const anyImplicit =
  implicitTags.every((t) => t.test.flags === "" && !/\\\d|\(\?</.test(t.test.source))
    ? new RegExp(implicitTags.map((t) => `(?:${t.test.source})`).join("|"))
    : undefined;

/**
 * Characters a plain scalar that some tag's test matches may start with (every test is
 * anchored at the start): `~`, the null and boolean words' first letters, signs, `.` and digits
 * (tests/io/yaml_schema_test.ts checks every test against this). Most keys and values start
 * with another, and are strings without a test run.
 */
const IMPLICIT_FIRST = new Uint8Array(128);
for (const c of "~nNyYtToOfF-+.0123456789") IMPLICIT_FIRST[c.charCodeAt(0)] = 1;

/** Whether no tag's test can match a text that starts with this character code. */
export function neverImplicit(c: number): boolean {
  return c < 128 && IMPLICIT_FIRST[c] === 0;
}

/** The tag a plain scalar resolves by (the first whose test matches), or undefined: a string. */
export function implicitTag(source: string): ImplicitTag | undefined {
  if (source.length > 0 && neverImplicit(source.charCodeAt(0))) return undefined;
  if (anyImplicit && !anyImplicit.test(source)) return undefined;
  return implicitTags.find((t) => t.test.test(source));
}

const refuse = (message: string): never => {
  throw new Error(message);
};

/**
 * What a plain scalar means to the `yaml` library path: the value its implicit tag resolves it
 * to, or the string. Throws where the tag refuses the text.
 */
export function resolvePlain(source: string, tag = implicitTag(source)): unknown {
  if (tag === undefined) return source;
  const value = tag.resolve(source, refuse, {});
  return isScalar(value) ? value.value : value;
}

/** The `yaml` library's tags with its scalar ones replaced by KUBECTL_SCALAR_TAGS. */
function kubectlTags(tags: Tags): Tags {
  const kept = tags.filter((t) =>
    typeof t === "object" &&
    ("collection" in t && t.collection !== undefined || t.tag === "tag:yaml.org,2002:str")
  );
  return [...kept, ...KUBECTL_SCALAR_TAGS];
}

/**
 * Options of the `yaml` library's Composer for Kubernetes input: kubectl's scalars, merge keys
 * (`<<: *base`) as its YAML 1.1 reader has them, duplicate keys refused.
 */
export const YAML_OPTIONS = {
  uniqueKeys: true,
  strict: true,
  merge: true,
  schema: "core",
  customTags: kubectlTags,
} as const;
