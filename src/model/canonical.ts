/**
 * Canonical text of plain data (what JSON and YAML readers make): equal texts for equal values
 * and different texts for different ones, unlike JSON, which writes undefined, NaN, Infinity
 * and -0 as something else. For keys of maps that must tell values apart exactly (the decision
 * cache's keys, the report's shared policy results).
 */

/** Thrown by `canon` for values no key may stand for (not plain JSON data). */
export class NotKeyable extends Error {}

/**
 * Text that tells every two plain data values apart (unlike JSON: undefined, NaN, Infinity
 * and -0 are written as themselves). Object keys in their order (another order: another key).
 */
export function canon(v: unknown): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "boolean":
      return v ? "T" : "F";
    case "undefined":
      return "U";
    case "object": {
      if (v === null) return "N";
      if (Array.isArray(v)) {
        let s = "[";
        for (let i = 0; i < v.length; i++) s += (i ? "," : "") + canon(v[i]);
        return s + "]";
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw new NotKeyable();
      let s = "{";
      for (const k in v) s += `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])},`;
      return s + "}";
    }
    default:
      throw new NotKeyable();
  }
}
