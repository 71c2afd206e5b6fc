/**
 * The JSON shape checks of untrusted PodSecurityPolicy input: the types the API server's decoder
 * accepts (booleans, integers in range, lists, mappings, strings; the spec's from the field table,
 * src/model/psp_fields.ts), the fields it drops as unknown, and the pruned object it stores.
 * Pure.
 */
import type { PodSecurityPolicy } from "../model/psp.ts";
import { any, int64, list, map, obj, type Shape, str } from "../model/json_shape.ts";
import { PSP_SPEC_SHAPES } from "../model/psp_fields.ts";
import { terminalText } from "../io/terminal_text.ts";
import { type FieldError, fieldError, goQuote } from "../validation/field.ts";

/** The policy/v1beta1 PodSecurityPolicy as the API server decodes it (spec from the field table). */
const PSP_SHAPE: Shape = obj({
  apiVersion: str,
  kind: str,
  metadata: obj({
    name: str,
    generateName: str,
    namespace: str,
    selfLink: str,
    uid: str,
    resourceVersion: str,
    generation: int64,
    creationTimestamp: any,
    deletionTimestamp: any,
    deletionGracePeriodSeconds: int64,
    labels: map,
    annotations: map,
    ownerReferences: list(any),
    finalizers: list(str),
    clusterName: str,
    managedFields: list(any),
  }),
  spec: obj(PSP_SPEC_SHAPES),
});

/** A shape error: a FieldError plus the path as segments (for locating it in the source). */
export interface ShapeError extends FieldError {
  path: (string | number)[];
}

/** What `checkPspShape` found. */
export interface ShapeReport {
  /** Values of the wrong JSON type: the server would refuse to decode the object. */
  errors: ShapeError[];
  /** Fields the API does not have (the server drops them silently), as rendered paths. */
  unknownFields: { field: string; path: (string | number)[] }[];
}

/**
 * Renders path segments as the API server does: `spec.hostPorts[0].min`, `annotations[k]`
 * (control characters in keys escaped).
 */
export function renderPath(path: readonly (string | number)[]): string {
  let out = "";
  path.map((seg) => typeof seg === "string" ? terminalText(seg, { oneLine: true }) : seg).forEach(
    (seg, i) => {
      if (typeof seg === "number") out += `[${seg}]`;
      else if (i > 0 && (path[i - 1] === "annotations" || path[i - 1] === "labels")) {
        out += `[${seg}]`;
      } else out += i === 0 ? seg : `.${seg}`;
    },
  );
  return out;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return goQuote(v.length > 80 ? v.slice(0, 77) + "..." : v);
  return String(v);
}

const YAML11_BOOLS = /^(y|yes|n|no|on|off|true|false)$/i;

function checkShape(v: unknown, shape: Shape, path: (string | number)[], out: ShapeReport) {
  if (v === null || v === undefined || shape.t === "any") return; // null means "not set"
  const fail = (detail: string) => {
    const field = renderPath(path);
    out.errors.push({ ...fieldError(field, `Invalid value: ${describe(v)}: ${detail}`), path });
  };
  switch (shape.t) {
    case "string":
      if (typeof v !== "string") fail("must be a string");
      return;
    case "bool":
      if (typeof v !== "boolean") {
        fail(
          typeof v === "string" && YAML11_BOOLS.test(v)
            ? "must be a boolean: write true or false without quotes"
            : "must be a boolean (true or false)",
        );
      }
      return;
    case "int": {
      if (typeof v !== "number" || !Number.isInteger(v)) {
        fail("must be an integer");
        return;
      }
      const lim = shape.bits === 32 ? 2 ** 31 : 2 ** 63;
      if (v < -lim || v >= lim || (shape.bits === 64 && !Number.isSafeInteger(v))) {
        fail(
          shape.bits === 32
            ? "must be a 32-bit integer"
            : "must be an integer of at most 15 digits (larger values cannot be read exactly)",
        );
      }
      return;
    }
    case "list":
      if (!Array.isArray(v)) {
        fail("must be a list");
        return;
      }
      v.forEach((item, i) => {
        if (item === null || item === undefined) {
          const field = renderPath([...path, i]);
          out.errors.push({
            ...fieldError(field, "Invalid value: null: list items must not be null"),
            path: [...path, i],
          });
        } else checkShape(item, shape.of, [...path, i], out);
      });
      return;
    case "map":
      if (typeof v !== "object" || Array.isArray(v)) {
        fail("must be a mapping of strings to strings");
        return;
      }
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        if (typeof val !== "string") {
          const p = [...path, k];
          out.errors.push({
            ...fieldError(
              renderPath(p),
              `Invalid value: ${describe(val)}: must be a string (quote it in YAML)`,
            ),
            path: p,
          });
        }
      }
      return;
    case "object":
      if (typeof v !== "object" || Array.isArray(v)) {
        fail("must be a mapping");
        return;
      }
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        const sub = shape.fields[k];
        if (!sub) out.unknownFields.push({ field: renderPath([...path, k]), path: [...path, k] });
        else checkShape(val, sub, [...path, k], out);
      }
  }
}

/**
 * Checks that an untrusted object has the JSON types of a policy/v1beta1 PodSecurityPolicy
 * (booleans, integers in range, lists, mappings, strings) and lists the fields the API does not
 * know. `null` counts as "not set", as for the API server.
 */
export function checkPspShape(object: unknown): ShapeReport {
  const out: ShapeReport = { errors: [], unknownFields: [] };
  if (object === null || typeof object !== "object" || Array.isArray(object)) {
    out.errors.push({
      ...fieldError("[]", `Invalid value: ${describe(object)}: must be a mapping`),
      path: [],
    });
    return out;
  }
  checkShape(object, PSP_SHAPE, [], out);
  return out;
}

/**
 * Returns a copy of a shape-checked PSP without the fields the API does not know (what the
 * server stores after dropping them).
 */
export function pruneUnknownPspFields(psp: PodSecurityPolicy): PodSecurityPolicy {
  return prune(psp, PSP_SHAPE) as PodSecurityPolicy;
}

function prune(v: unknown, shape: Shape): unknown {
  if (v === null || typeof v !== "object") return v;
  if (shape.t === "list" && Array.isArray(v)) return v.map((x) => prune(x, shape.of));
  if (shape.t === "object" && !Array.isArray(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (shape.fields[k]) out[k] = prune(val, shape.fields[k]);
    }
    return out;
  }
  return v;
}
