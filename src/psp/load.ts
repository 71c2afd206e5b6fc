/**
 * From loaded Kubernetes objects to validated, defaulted PodSecurityPolicies.
 *
 * `loadPsps` is pure (warnings are returned, not printed); `loadPspFiles` is the shell part that
 * reads files, directories and stdin first.
 */
import { formatSource, InputError, type SourceRef } from "../io/errors.ts";
import { terminalText } from "../io/terminal_text.ts";
import type { LoadedObject } from "../io/documents.ts";
import { loadObjectsFrom } from "../io/stream.ts";
import type { PodSecurityPolicy } from "../model/psp.ts";
import { applyPspDefaults } from "./defaults.ts";
import { checkPspShape, pruneUnknownPspFields } from "./shape.ts";
import { pspProviderErrors } from "./spec_rules.ts";
import { type FieldError, validatePsp } from "./validate.ts";

/** A PSP read from input. */
export interface LoadedPsp {
  /** As the API server would store it: unknown fields dropped, v1beta1 defaults applied. */
  psp: PodSecurityPolicy;
  /** As written in the input. */
  raw: PodSecurityPolicy;
  source: SourceRef;
}

/** Options for loading PSPs. */
export interface LoadPspOptions {
  /**
   * Accept a `metadata.name` the API server would refuse (not a DNS subdomain, such as the Falco
   * docs' `no_privileged`), with a warning instead of an error.
   */
  allowInvalidNames?: boolean;
  /**
   * Accept a PSP whose `seLinux`, `runAsUser`, `supplementalGroups` or `fsGroup` strategy (or its
   * `rule`) is absent, as in the Falco docs' example, with a warning, treating it as `RunAsAny`.
   * A cluster refuses such a PSP (`spec.runAsUser.rule: Unsupported value: ""`).
   */
  allowMissingRules?: boolean;
}

/** The strategies whose `rule` the API requires. */
const REQUIRED_RULES = ["seLinux", "runAsUser", "supplementalGroups", "fsGroup"] as const;

/** The strategies of a PSP whose rule is absent (not set or null). */
function missingRules(psp: PodSecurityPolicy): (typeof REQUIRED_RULES)[number][] {
  const spec = (psp.spec ?? {}) as unknown as Record<string, { rule?: unknown } | null | undefined>;
  return REQUIRED_RULES.filter((k) => spec[k]?.rule === undefined || spec[k]?.rule === null);
}

/** A copy of the PSP with `rule: RunAsAny` in the given strategies. */
function withRunAsAny(psp: PodSecurityPolicy, keys: readonly string[]): PodSecurityPolicy {
  const spec = { ...(psp.spec ?? {}) } as unknown as Record<string, unknown>;
  for (const k of keys) {
    spec[k] = {
      ...((spec[k] as Record<string, unknown> | null | undefined) ?? {}),
      rule: "RunAsAny",
    };
  }
  return { ...psp, spec: spec as unknown as PodSecurityPolicy["spec"] };
}

/** The apiVersions a PodSecurityPolicy may have. */
const PSP_API_VERSIONS: readonly string[] = ["policy/v1beta1", "extensions/v1beta1"];

/**
 * Splits an API server field path into segments for `LoadedObject.locate`, undoing its quirks
 * (capability paths without `spec.`, the doubled flex/CSI paths, sysctl `.items`).
 */
export function fieldPathSegments(field: string): (string | number)[] {
  const segs: (string | number)[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) segs.push(m[1]);
    else segs.push(/^\d+$/.test(m[2]) ? Number(m[2]) : m[2]);
  }
  if (
    ["requiredDropCapabilities", "defaultAddCapabilities", "allowedCapabilities"].includes(
      String(segs[0]),
    )
  ) {
    segs.unshift("spec");
  }
  if (segs[0] === "spec" && segs[1] === "allowedFlexVolumes" && segs[2] === "allowedFlexVolumes") {
    segs.splice(2, 1);
  }
  if (segs[0] === "spec" && segs[1] === "allowedCSIDrivers" && segs[2] === "allowedCSIDriver") {
    segs.splice(2, 1);
  }
  if (segs[segs.length - 1] === "items") segs.pop();
  return segs;
}

function located(obj: LoadedObject, path: readonly (string | number)[]): SourceRef {
  const pos = path.length ? obj.locate(path) : undefined;
  return pos ? { ...obj.source, ...pos } : obj.source;
}

function invalidPspError(obj: LoadedObject, errors: readonly FieldError[]): never {
  const [first, ...rest] = errors;
  // at most 10 more (a hostile PSP may have 100k invalid items)
  const shown = rest.slice(0, 10).map((e) => e.text).join("; ");
  const more = rest.length
    ? ` (and ${rest.length} more: ${shown}${rest.length > 10 ? "; ..." : ""})`
    : "";
  throw new InputError(
    located(obj, fieldPathSegments(first.field)),
    first.field,
    `${first.message}${more}`,
  );
}

/**
 * A PSP without a spec (none, null, or indented under `metadata`) is an error for every command:
 * the API server refuses it (every strategy rule is ""), and no option of `allowMissingRules`
 * stands in for a whole spec.
 */
function specRequired(lo: LoadedObject, psp: PodSecurityPolicy): never {
  const meta = lo.object.metadata;
  const indented = meta !== null && typeof meta === "object" &&
    (meta as Record<string, unknown>).spec !== undefined;
  const [first] = validatePsp(psp).filter((e) => e.field.startsWith("spec."));
  throw new InputError(
    located(lo, indented ? ["metadata", "spec"] : []),
    "spec",
    `Required value: a PodSecurityPolicy needs a spec${
      indented ? " (metadata.spec found: is spec indented under metadata?)" : ""
    }${first ? `; an API server refuses it: ${first.text}` : ""}`,
  );
}

function objectLabel(o: Record<string, unknown>): string {
  const kind = typeof o.kind === "string" && o.kind ? o.kind : "object without kind";
  const apiVersion = typeof o.apiVersion === "string" && o.apiVersion ? ` (${o.apiVersion})` : "";
  const meta = o.metadata as Record<string, unknown> | undefined;
  const name = meta && typeof meta.name === "string" ? ` ${JSON.stringify(meta.name)}` : "";
  return terminalText(`${kind}${apiVersion}${name}`, { oneLine: true });
}

/**
 * Picks the PodSecurityPolicies out of loaded objects, checks their shape, validates them as
 * the API server does on create and applies its defaults. Other kinds are skipped with a
 * warning naming file and document. An invalid PSP or a duplicate name throws an InputError
 * naming file, document, line and field with the API server's message; with
 * `allowInvalidNames`, a refused `metadata.name` is only a warning.
 */
export function loadPsps(
  objects: readonly LoadedObject[],
  opts: LoadPspOptions = {},
): { psps: LoadedPsp[]; warnings: string[] } {
  const psps: LoadedPsp[] = [];
  const warnings: string[] = [];
  const byName = new Map<string, SourceRef>();
  for (const lo of objects) {
    const o = lo.object;
    const where = formatSource(lo.source);
    if (o.kind !== "PodSecurityPolicy") {
      warnings.push(`${where}: skipped ${objectLabel(o)}: not a PodSecurityPolicy`);
      continue;
    }
    if (typeof o.apiVersion !== "string" || !PSP_API_VERSIONS.includes(o.apiVersion)) {
      throw new InputError(
        located(lo, ["apiVersion"]),
        "apiVersion",
        `unsupported apiVersion ${
          terminalText(JSON.stringify(o.apiVersion ?? null), { oneLine: true })
        } for PodSecurityPolicy (expected ${PSP_API_VERSIONS.join(" or ")})`,
      );
    }
    const shape = checkPspShape(o);
    if (shape.errors.length) invalidPspError(lo, shape.errors);
    for (const u of shape.unknownFields) {
      warnings.push(
        `${
          formatSource(located(lo, u.path))
        }: unknown field ${u.field} ignored (the API server drops it)`,
      );
    }
    const raw = o as unknown as PodSecurityPolicy;
    if (raw.spec === undefined || raw.spec === null) specRequired(lo, raw);
    const missing = opts.allowMissingRules ? missingRules(raw) : [];
    const accepted = missing.length ? withRunAsAny(raw, missing) : raw;
    const meta = raw.metadata ?? {};
    if (!meta.name) {
      throw new InputError(
        located(lo, ["metadata"]),
        "metadata.name",
        meta.generateName
          ? "Required value: a PodSecurityPolicy needs a fixed name here (generateName is only resolved by an API server)"
          : "Required value: name or generateName is required",
      );
    }
    const errors = validatePsp(accepted);
    const nameErrors = errors.filter((e) => e.field === "metadata.name");
    const otherErrors = errors.filter((e) => e.field !== "metadata.name");
    if (otherErrors.length || (nameErrors.length && !opts.allowInvalidNames)) {
      invalidPspError(lo, opts.allowInvalidNames ? otherErrors : errors);
    }
    for (const e of nameErrors) {
      warnings.push(
        `${
          formatSource(located(lo, ["metadata", "name"]))
        }: ${e.text} (a cluster would refuse this PodSecurityPolicy; used anyway)`,
      );
    }
    const previous = byName.get(meta.name);
    if (previous) {
      throw new InputError(
        located(lo, ["metadata", "name"]),
        "metadata.name",
        `duplicate PodSecurityPolicy name ${
          terminalText(JSON.stringify(meta.name), { oneLine: true })
        }: also defined at ${formatSource(previous)}`,
      );
    }
    byName.set(meta.name, lo.source);
    if (meta.namespace) {
      warnings.push(
        `${
          formatSource(located(lo, ["metadata", "namespace"]))
        }: metadata.namespace ignored: PodSecurityPolicy is cluster-scoped`,
      );
    }
    if ((raw.spec?.allowedProcMountTypes ?? []).length) {
      warnings.push(
        `${
          formatSource(located(lo, ["spec", "allowedProcMountTypes"]))
        }: spec.allowedProcMountTypes ignored: a Kubernetes 1.20 API server drops it (ProcMountType feature gate off), so only the Default proc mount is allowed`,
      );
    }
    if (missing.length) {
      const missingFields = new Set(missing.map((k) => `spec.${k}.rule`));
      for (const e of validatePsp(raw).filter((e) => missingFields.has(e.field))) {
        warnings.push(
          `${where}: ${e.text} (a cluster would refuse this PodSecurityPolicy; treated as RunAsAny)`,
        );
      }
    }
    const psp = applyPspDefaults(pruneUnknownPspFields(accepted));
    const unusable = pspProviderErrors(psp);
    if (unusable.length) {
      warnings.push(
        `${where}: PodSecurityPolicy ${
          terminalText(JSON.stringify(meta.name), { oneLine: true })
        } is valid but unusable: ${
          unusable.join(", ")
        } (the admission skips it, so it admits no pod)`,
      );
    }
    psps.push({ psp, raw, source: lo.source });
  }
  return { psps, warnings };
}

/**
 * Reads PSPs from files, directories (`recursive` for subdirectories) and stdin (`-`), then
 * runs `loadPsps` on every object found.
 */
export async function loadPspFiles(
  paths: readonly string[],
  opts: LoadPspOptions & { recursive?: boolean; strict?: boolean } = {},
): Promise<{ psps: LoadedPsp[]; warnings: string[] }> {
  // in files found in directories, what is not a Kubernetes object is skipped (unless strict)
  const skipped: string[] = [];
  const objects = await loadObjectsFrom(paths, {
    recursive: opts.recursive,
    strict: opts.strict,
    onSkip: (w) => skipped.push(w),
  });
  const { psps, warnings } = loadPsps(objects, opts);
  return { psps, warnings: [...skipped, ...warnings] };
}
