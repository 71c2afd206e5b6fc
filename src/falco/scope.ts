/**
 * The PSP-side inputs of a rules file that come from untrusted text: the name prefix made from
 * the PSP name, the PSP name as shown in outputs, and the falcoctl scoping annotations
 * (`falco-rules-psp-images`, `falco-rules-psp-namespaces`). Everything is validated here.
 */
import { parse as parseYaml } from "yaml";
import type { PodSecurityPolicy } from "../model/psp.ts";
import {
  and,
  cmp,
  type Cond,
  field,
  jsonField,
  MAX_VALUE_BYTES,
  not,
  or,
  str,
  valueBytes,
} from "./condition.ts";
import {
  DIGEST_REGEX,
  type ImageRef,
  ImageRefError,
  parseImageRef,
  repositorySpellings,
  spellingsRegex,
  TAG_REGEX,
} from "./image_ref.ts";
import {
  APPARMOR_ALLOWED_PROFILES,
  FALCO_IMAGES_ANNOTATION,
  FALCO_NAMESPACES_ANNOTATION,
  SECCOMP_ALLOWED_PROFILES,
} from "../model/psp.ts";

/** A PSP whose text cannot be turned into rules safely. */
export class GenerateError extends Error {
  constructor(readonly policy: string, readonly field: string, readonly detail: string) {
    super(`PodSecurityPolicy ${JSON.stringify(policy)}: ${field}: ${detail}`);
  }
}

/**
 * falcoctl's name prefix: the PSP name with `-` and spaces replaced by `_` ("psp" when empty).
 * Any other character that cannot be part of a Falco macro name (such as `.`) also becomes
 * `_`, and a prefix that does not start with a letter gets `psp_` in front.
 */
export function namePrefix(name: string): string {
  let p = (name || "psp").replace(/[^A-Za-z0-9_]/g, "_");
  if (!/^[A-Za-z]/.test(p)) p = `psp_${p}`;
  return p;
}

/**
 * The PSP name as written in rule outputs. Falco outputs treat `%` as a field reference, so
 * names with characters outside letters, digits, `.`, `_`, `-` and spaces are refused.
 */
export function outputName(name: string): string {
  if (!/^[A-Za-z0-9._ -]*$/.test(name) || name.length > 253) {
    throw new GenerateError(
      name,
      "metadata.name",
      "the name cannot be written safely into a Falco output (allowed: letters, digits, '.', '_', '-', spaces; at most 253 characters)",
    );
  }
  return name;
}

/**
 * Text from the PSP shown in a rule output: Falco reads `%name` there as a field, so `%`,
 * control characters and anything outside printable ASCII become `?`.
 */
export function shown(text: string): string {
  return text.replace(/[^\x20-\x7e]|%/g, "?");
}

/**
 * Image references allowed in the scope list: a repository (`nginx`, `registry:5000/app`) or
 * an exact image with a tag and/or a digest (`nginx:1.19`, `nginx@sha256:...`).
 */
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/;

/**
 * Whether an image scope item names an exact image (it has a tag or a digest) rather than a
 * repository: a digest follows `@`; a tag follows the last `:` when no `/` comes after it
 * (`registry:5000/app` is a repository on a registry with a port, `registry:5000/app:1` an
 * image).
 */
export function isExactImage(item: string): boolean {
  return item.includes("@") || item.lastIndexOf(":") > item.lastIndexOf("/");
}

/** Namespace names (DNS labels). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Parses a scoping annotation: a YAML flow list (`"[nginx, redis]"`) or a comma list
 * (`"nginx,redis"`). Items are trimmed, empty items dropped, each item validated. Flow list
 * items are read as written (YAML's failsafe schema): `[1.0]` is the item `1.0`, not a number.
 */
export function parseScopeList(
  policy: string,
  key: string,
  text: string,
  kind: "image" | "namespace",
): string[] {
  let items: unknown[];
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = parseYaml(trimmed, { schema: "failsafe" });
    } catch (e) {
      throw new GenerateError(
        policy,
        `metadata.annotations[${key}]`,
        `not a YAML flow list: ${(e as Error).message.split("\n")[0]}`,
      );
    }
    if (!Array.isArray(parsed)) {
      throw new GenerateError(policy, `metadata.annotations[${key}]`, "not a YAML flow list");
    }
    items = parsed;
  } else {
    items = trimmed.split(",");
  }
  const out: string[] = [];
  for (const raw of items) {
    if (typeof raw !== "string") {
      throw new GenerateError(
        policy,
        `metadata.annotations[${key}]`,
        `list item ${JSON.stringify(raw)} is not a string`,
      );
    }
    const item = raw.trim();
    if (!item) continue;
    let why: string | undefined;
    if (kind === "image") {
      if (!IMAGE.test(item)) why = "";
      else {
        try {
          parseImageRef(item);
        } catch (e) {
          if (!(e instanceof ImageRefError)) throw e;
          why = ` (${e.message})`;
        }
      }
    } else if (!NAMESPACE.test(item)) why = "";
    if (why !== undefined) {
      throw new GenerateError(
        policy,
        `metadata.annotations[${key}]`,
        `${JSON.stringify(item)} is not a valid ${
          kind === "image" ? "image repository or image" : "namespace name"
        }${why}`,
      );
    }
    if (!out.includes(item)) out.push(item);
  }
  if (out.length === 0) {
    throw new GenerateError(policy, `metadata.annotations[${key}]`, "the list is empty");
  }
  return out;
}

/**
 * The most items one PSP list (a spec list, ID or port ranges, an annotation list) may have:
 * each item adds to a Falco condition (10,000 ID ranges are about 1 MB of rules), and the
 * API server's own request size limit allows far fewer in practice.
 */
export const MAX_LIST_ITEMS = 10_000;

/** Refuses a PSP with a list longer than MAX_LIST_ITEMS, naming the list. */
export function checkListSizes(psp: PodSecurityPolicy): void {
  const name = psp.metadata?.name ?? "";
  const tooMany = (field: string, n: number) =>
    new GenerateError(
      name,
      field,
      `${n} items; the rules are built for at most ${MAX_LIST_ITEMS} per list (every item adds to a Falco condition)`,
    );
  const visit = (v: unknown, field: string): void => {
    if (Array.isArray(v)) {
      if (v.length > MAX_LIST_ITEMS) throw tooMany(field, v.length);
      v.forEach((x, i) => visit(x, `${field}[${i}]`));
    } else if (typeof v === "object" && v !== null) {
      for (const [k, x] of Object.entries(v)) visit(x, `${field}.${k}`);
    }
  };
  visit(psp.spec, "spec");
  for (const [key, text] of Object.entries(psp.metadata?.annotations ?? {})) {
    if (!PROFILE_OR_SCOPE_LISTS.includes(key)) continue;
    const n = text.split(",").length;
    if (n > MAX_LIST_ITEMS) throw tooMany(`metadata.annotations[${key}]`, n);
  }
}

/** Annotations holding comma (or YAML flow) lists that go into conditions. */
const PROFILE_OR_SCOPE_LISTS = [
  FALCO_IMAGES_ANNOTATION,
  FALCO_NAMESPACES_ANNOTATION,
  SECCOMP_ALLOWED_PROFILES,
  APPARMOR_ALLOWED_PROFILES,
];

/** The scope of a PSP's rules from its annotations (undefined = everything). */
export interface Scope {
  images?: string[];
  namespaces?: string[];
}

/** Reads the falcoctl scoping annotations of a PSP. */
export function pspScope(psp: PodSecurityPolicy): Scope {
  const name = psp.metadata?.name ?? "";
  const ann = psp.metadata?.annotations ?? {};
  const scope: Scope = {};
  if (ann[FALCO_IMAGES_ANNOTATION] !== undefined) {
    scope.images = parseScopeList(
      name,
      FALCO_IMAGES_ANNOTATION,
      ann[FALCO_IMAGES_ANNOTATION],
      "image",
    );
  }
  if (ann[FALCO_NAMESPACES_ANNOTATION] !== undefined) {
    scope.namespaces = parseScopeList(
      name,
      FALCO_NAMESPACES_ANNOTATION,
      ann[FALCO_NAMESPACES_ANNOTATION],
      "namespace",
    );
  }
  return scope;
}

// (no ephemeralContainers: a pod create cannot carry them, see EPHEMERAL_NOTE in generate.ts)
const POD_KINDS = ["containers", "initContainers"] as const;

/** The parsed image items of a scope (validated by parseScopeList). */
function imageItems(images: readonly string[]): { item: string; ref: ImageRef }[] {
  return images.map((item) => ({ item, ref: parseImageRef(item) }));
}

function checkLengths(policy: string, item: string, values: readonly string[]): void {
  for (const v of values) {
    const n = valueBytes(v);
    if (n > MAX_VALUE_BYTES) {
      throw new GenerateError(
        policy,
        `metadata.annotations[${FALCO_IMAGES_ANNOTATION}]`,
        `${
          JSON.stringify(item)
        } needs a condition value of ${n} bytes to match every spelling of it (${
          JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v)
        }); Falco refuses values over ${MAX_VALUE_BYTES} bytes`,
      );
    }
  }
}

/** A regex over the JSON text of a pod's container list: some container's image is `image`. */
function imageInJsonRegex(image: string): string {
  return `.*[{,]"image":"${image}".*`;
}

/**
 * k8s_audit: some container of the pod (init containers included) uses an image the scope
 * lists, by reference (image_ref.ts), not by spelling. Repositories on registries without a
 * port are compared with k8saudit's `image.repository` (the image cut at its first `:` and
 * `@`), exact images with `image`; what those cannot see (a registry port, a tag beside a
 * digest) with a regex over the JSON text of the container lists (`json.value`), anchored at
 * an `"image"` key: a `"` inside a JSON string is escaped, so only a real key matches.
 */
export function kaImageScope(policy: string, images: readonly string[]): Cond {
  const repositories: string[] = [];
  const exact: string[] = [];
  const patterns: string[] = [];
  for (const { item, ref } of imageItems(images)) {
    const spellings = repositorySpellings(ref);
    const values: string[] = [];
    if (ref.digest) {
      const d = spellings.map((s) => `${s}@${ref.digest}`);
      const p = imageInJsonRegex(`(${spellingsRegex(ref)})${TAG_REGEX}@${ref.digest}`);
      exact.push(...d);
      patterns.push(p);
      values.push(...d, p);
    } else if (ref.tag !== undefined) {
      const t = spellings.map((s) => `${s}:${ref.tag}`);
      if (ref.tag === "latest") t.push(...spellings);
      exact.push(...t);
      values.push(...t);
    } else if (ref.domain.includes(":")) {
      // image.repository of registry:5000/app:1 is "registry": read the JSON text instead
      const p = imageInJsonRegex(`${spellingsRegex(ref)}(${TAG_REGEX})?(${DIGEST_REGEX})?`);
      patterns.push(p);
      values.push(p);
    } else {
      repositories.push(...spellings);
      values.push(...spellings);
    }
    checkLengths(policy, item, values);
  }
  const uniq = (xs: string[]) => [...new Set(xs)];
  return or(
    ...POD_KINDS.flatMap((k) => [
      repositories.length
        ? cmp(field(`ka.req.pod.${k}.image.repository`), "intersects", uniq(repositories).map(str))
        : or(),
      exact.length ? cmp(field(`ka.req.pod.${k}.image`), "intersects", uniq(exact).map(str)) : or(),
    ]),
    ...POD_KINDS.flatMap((k) =>
      uniq(patterns).map((p) => cmp(jsonField(["requestObject", "spec", k]), "regex", str(p)))
    ),
  );
}

/**
 * syscall: the container's image is one the scope lists, as the container plugin reports it
 * (`container.image.repository`/`.tag` of the name the runtime gives: containerd and CRI-O
 * report the canonical `docker.io/library/nginx:1.25`, Docker the name as written).
 */
export function syscallImageScope(policy: string, images: readonly string[]): Cond {
  const repositories: string[] = [];
  const conds: Cond[] = [];
  const repo = (spellings: string[]) =>
    cmp(field("container.image.repository"), "in", spellings.map(str));
  for (const { item, ref } of imageItems(images)) {
    const spellings = repositorySpellings(ref);
    checkLengths(policy, item, [...spellings, `@${ref.digest ?? ""}`]);
    if (ref.digest) {
      conds.push(
        and(repo(spellings), cmp(field("container.image"), "endswith", str(`@${ref.digest}`))),
      );
    } else if (ref.tag !== undefined) {
      conds.push(and(
        repo(spellings),
        cmp(field("container.image.tag"), "=", str(ref.tag)),
        not(cmp(field("container.image"), "contains", str("@"))),
      ));
      if (ref.tag === "latest") conds.push(cmp(field("container.image"), "in", spellings.map(str)));
    } else repositories.push(...spellings);
  }
  return or(
    repositories.length ? repo([...new Set(repositories)]) : or(),
    ...conds,
  );
}
