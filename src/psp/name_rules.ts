/**
 * The name rules of a PodSecurityPolicy: `ValidateObjectMeta` for a cluster-scoped object named by
 * a DNS subdomain, as a Kubernetes 1.20 API server checks it on create (name or generateName,
 * labels, annotations, ownerReferences, finalizers). Pure.
 */
import {
  type FieldError,
  goQuote,
  goStringSlice,
  invalid,
  required,
  tooLong,
} from "../validation/field.ts";
import {
  byteLength,
  dnsSubdomainErrors,
  labelValueErrors,
  qualifiedNameErrors,
  TOTAL_ANNOTATION_SIZE_LIMIT,
} from "../validation/names.ts";

/** `ValidateObjectMeta` for a cluster-scoped object named by a DNS subdomain. */
export function validateObjectMeta(meta: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const name = typeof meta.name === "string" ? meta.name : "";
  const generateName = typeof meta.generateName === "string" ? meta.generateName : "";
  if (generateName) {
    // NameIsDNSSubdomain(prefix=true): maskTrailingDash replaces the last *two* characters.
    const masked = generateName.length > 1 && generateName.endsWith("-")
      ? generateName.slice(0, -2) + "a"
      : generateName;
    for (const m of dnsSubdomainErrors(masked)) {
      errs.push(invalid("metadata.generateName", goQuote(generateName), m));
    }
  }
  // On create the server first generates a name from generateName: at most 58 characters of it
  // plus 5 random ones (`xxxxx` stands for them here).
  const effectiveName = name || (generateName ? generateName.slice(0, 58) + "xxxxx" : "");
  if (!effectiveName) {
    errs.push(required("metadata.name", "name or generateName is required"));
  } else {
    for (const m of dnsSubdomainErrors(effectiveName)) {
      errs.push(invalid("metadata.name", goQuote(effectiveName), m));
    }
  }
  if (typeof meta.generation === "number" && meta.generation < 0) {
    errs.push(
      invalid("metadata.generation", String(meta.generation), "must be greater than or equal to 0"),
    );
  }
  const labels = (meta.labels ?? {}) as Record<string, string>;
  for (const k of Object.keys(labels).sort()) {
    for (const m of qualifiedNameErrors(k)) errs.push(invalid("metadata.labels", goQuote(k), m));
    for (const m of labelValueErrors(labels[k])) {
      errs.push(invalid("metadata.labels", goQuote(labels[k]), m));
    }
  }
  const annotations = (meta.annotations ?? {}) as Record<string, string>;
  let size = 0;
  for (const k of Object.keys(annotations).sort()) {
    for (const m of qualifiedNameErrors(k.toLowerCase())) {
      errs.push(invalid("metadata.annotations", goQuote(k), m));
    }
    size += byteLength(k) + byteLength(annotations[k] ?? "");
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push(tooLong("metadata.annotations", TOTAL_ANNOTATION_SIZE_LIMIT));
  }
  // ownerReferences (the "only one controller" and banned-owner checks are not reproduced)
  const refs = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  for (const ref of refs as Record<string, unknown>[]) {
    const s = (k: string) => typeof ref?.[k] === "string" ? ref[k] as string : "";
    const gv = s("apiVersion").split("/");
    const version = gv.length === 1 ? gv[0] : gv.length === 2 ? gv[1] : "";
    const at = "metadata.ownerReferences";
    if (!version) {
      errs.push(invalid(`${at}.apiVersion`, goQuote(s("apiVersion")), "version must not be empty"));
    }
    if (!s("kind")) errs.push(invalid(`${at}.kind`, goQuote(s("kind")), "kind must not be empty"));
    if (!s("name")) errs.push(invalid(`${at}.name`, goQuote(s("name")), "name must not be empty"));
    if (!s("uid")) errs.push(invalid(`${at}.uid`, goQuote(s("uid")), "uid must not be empty"));
  }
  // finalizers: qualified names; then (core validation) a name without "/" must be standard
  const finalizers = (Array.isArray(meta.finalizers) ? meta.finalizers : []) as string[];
  for (const f of finalizers) {
    for (const m of qualifiedNameErrors(f)) {
      errs.push(invalid("metadata.finalizers", goQuote(f), m));
    }
  }
  if (finalizers.includes("orphan") && finalizers.includes("foregroundDeletion")) {
    errs.push(
      invalid(
        "metadata.finalizers",
        goStringSlice("string", finalizers),
        "finalizer orphan and foregroundDeletion cannot be both set",
      ),
    );
  }
  finalizers.forEach((f, i) => {
    if (!f.includes("/") && !["kubernetes", "orphan", "foregroundDeletion"].includes(f)) {
      errs.push(
        invalid(
          `metadata.finalizers[${i}]`,
          goQuote(f),
          "name is neither a standard finalizer name nor is it fully qualified",
        ),
      );
    }
  });
  return errs;
}
