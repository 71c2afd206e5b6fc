/**
 * Container image references as Docker and containerd read them (distribution/reference's
 * `ParseNormalizedNamed`, containerd's `ParseDockerRef`), for `falco-rules-psp-images`:
 *
 * - the registry (domain) is the first `/`-separated component when it contains `.` or `:`, is
 *   `localhost`, or has an upper-case letter; otherwise the registry is `docker.io`;
 * - `index.docker.io` is `docker.io`; on `docker.io` a one-component path gets `library/`;
 * - the canonical form (what containerd reports on a node) is `<domain>/<path>` followed by
 *   `@<digest>` when there is a digest (a tag beside a digest is dropped), else `:<tag>`, `latest`
 *   by default.
 *
 * So `nginx`, `nginx:latest`, `library/nginx`, `docker.io/nginx` and
 * `index.docker.io/library/nginx:latest` are one image, `docker.io/library/nginx:latest`.
 * Pure: no I/O.
 */

/** A parsed, normalized image reference. */
export interface ImageRef {
  /** Registry, normalized (`docker.io` for Docker Hub). */
  domain: string;
  /** Repository path on the registry, normalized (`library/nginx`). */
  path: string;
  tag?: string;
  digest?: string;
}

/** Docker Hub as references normalize it. */
const DOCKER_HUB = "docker.io";
const LEGACY_HUB = "index.docker.io";

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** distribution/reference: NameTotalLengthMax. */
const NAME_MAX = 255;

/** Why a text is not an image reference. */
export class ImageRefError extends Error {}

/** Whether a `/`-separated first component names a registry rather than a path. */
function isDomain(component: string): boolean {
  return /[.:]/.test(component) || component === "localhost" ||
    component.toLowerCase() !== component;
}

/** Parses and normalizes an image reference; throws ImageRefError with the reason. */
export function parseImageRef(text: string): ImageRef {
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ImageRefError(`invalid digest ${JSON.stringify(digest)}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ImageRefError(`invalid tag ${JSON.stringify(tag)}`);
  }
  if (rest.length === 0) throw new ImageRefError("no repository name");
  if (rest.length > NAME_MAX) {
    throw new ImageRefError(`repository name longer than ${NAME_MAX} characters`);
  }
  const slash = rest.indexOf("/");
  let domain = DOCKER_HUB;
  let path = rest;
  if (slash >= 0 && isDomain(rest.slice(0, slash))) {
    domain = rest.slice(0, slash);
    path = rest.slice(slash + 1);
    if (!DOMAIN.test(domain)) throw new ImageRefError(`invalid registry ${JSON.stringify(domain)}`);
  }
  if (domain === LEGACY_HUB) domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
  for (const c of path.split("/")) {
    if (!PATH_COMPONENT.test(c)) {
      throw new ImageRefError(
        c.toLowerCase() !== c && PATH_COMPONENT.test(c.toLowerCase())
          ? "repository name must be lowercase"
          : `invalid repository path component ${JSON.stringify(c)}`,
      );
    }
  }
  if (`${domain}/${path}`.length > NAME_MAX) {
    throw new ImageRefError(`repository name longer than ${NAME_MAX} characters`);
  }
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The normalized repository name: `docker.io/library/nginx`. */
export function repositoryName(ref: ImageRef): string {
  return `${ref.domain}/${ref.path}`;
}

/** Whether the reference names an exact image (a tag or a digest) rather than a repository. */
function isExact(ref: ImageRef): boolean {
  return ref.tag !== undefined || ref.digest !== undefined;
}

/**
 * containerd's canonical form (`ParseDockerRef`): the digest wins over a tag, `latest` is the
 * default tag. `nginx` -> `docker.io/library/nginx:latest`.
 */
export function canonicalImage(ref: ImageRef): string {
  const name = repositoryName(ref);
  return ref.digest ? `${name}@${ref.digest}` : `${name}:${ref.tag ?? "latest"}`;
}

/**
 * Every way of writing the repository name that normalizes to the same repository, shortest
 * first: for `docker.io/library/nginx` `nginx`, `library/nginx`, `docker.io/nginx`,
 * `docker.io/library/nginx`, `index.docker.io/nginx`, `index.docker.io/library/nginx`.
 */
export function repositorySpellings(ref: ImageRef): string[] {
  if (ref.domain !== DOCKER_HUB) return [repositoryName(ref)];
  const paths = ref.path.startsWith("library/") && ref.path.split("/").length === 2
    ? [ref.path.slice("library/".length), ref.path]
    : [ref.path];
  const out: string[] = [];
  for (const p of paths) {
    // without a registry, a first component that looks like one would be read as one
    if (!p.includes("/") || !isDomain(p.slice(0, p.indexOf("/")))) out.push(p);
  }
  for (const d of [DOCKER_HUB, LEGACY_HUB]) for (const p of paths) out.push(`${d}/${p}`);
  return out;
}

/**
 * Whether a pod's (or runtime's) image reference is covered by a scope item: an item without
 * tag or digest covers every image of its repository; an item with a tag or a digest covers
 * the references with the same canonical form. References that do not parse are not covered.
 */
export function imageMatches(item: ImageRef, image: string): boolean {
  let ref: ImageRef;
  try {
    ref = parseImageRef(image);
  } catch {
    return false;
  }
  if (repositoryName(ref) !== repositoryName(item)) return false;
  return !isExact(item) || canonicalImage(ref) === canonicalImage(item);
}

/** `.` -> `[.]`: a regex matching exactly the text of a reference (no other metacharacters occur). */
function literalRegex(text: string): string {
  if (/[^A-Za-z0-9._/:@+-]/.test(text)) throw new Error(`not reference text: ${text}`);
  return text.replace(/[.+]/g, (c) => `[${c}]`);
}

/** A regex (RE2, no anchors, no backslash) matching exactly the repository spellings. */
export function spellingsRegex(ref: ImageRef): string {
  if (ref.domain !== DOCKER_HUB) return literalRegex(repositoryName(ref));
  const hub = "((index[.])?docker[.]io/)";
  const library = ref.path.startsWith("library/") && ref.path.split("/").length === 2;
  if (library) return `${hub}?(library/)?${literalRegex(ref.path.slice("library/".length))}`;
  const bare = repositorySpellings(ref).includes(ref.path);
  return `${hub}${bare ? "?" : ""}${literalRegex(ref.path)}`;
}

/** Regex of a tag (its character set) and of a digest, for references inside JSON text. */
export const TAG_REGEX = ":[A-Za-z0-9_.-]+";
export const DIGEST_REGEX = "@[A-Za-z0-9_+.-]+:[0-9a-fA-F]+";
