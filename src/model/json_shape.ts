/**
 * JSON shapes: what the API server's decoder accepts for a field (the Go type as JSON sees it).
 * Used by the PSP field table (psp_fields.ts) and the shape checks of untrusted PSPs.
 */

/** A JSON shape. `int` carries its Go width; `map` is a `map[string]string`. */
export type Shape =
  | { readonly t: "string" }
  | { readonly t: "bool" }
  | { readonly t: "int"; readonly bits: 32 | 64 }
  | { readonly t: "list"; readonly of: Shape }
  | { readonly t: "map" }
  | { readonly t: "any" }
  | { readonly t: "object"; readonly fields: Readonly<Record<string, Shape>> };

/** A Go `string`. */
export const str: Shape = { t: "string" };
/** A Go `bool` (or `*bool`). */
export const bool: Shape = { t: "bool" };
/** A Go `int32`. */
export const int32: Shape = { t: "int", bits: 32 };
/** A Go `int64`. */
export const int64: Shape = { t: "int", bits: 64 };
/** Anything (not checked). */
export const any: Shape = { t: "any" };
/** A Go `map[string]string`. */
export const map: Shape = { t: "map" };
/** A Go slice of the given element shape. */
export const list = (of: Shape): Shape => ({ t: "list", of });
/** A Go struct with these JSON fields (others are unknown and dropped by the server). */
export const obj = (fields: Record<string, Shape>): Shape => ({ t: "object", fields });
