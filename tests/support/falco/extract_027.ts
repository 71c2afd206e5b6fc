/**
 * Falco 0.27's built-in k8s_audit engine (falco@0.27.0 userspace/engine/json_evt.cpp),
 * ported for the test engine: the json_event_value model (string / int64 / "a:b" int64
 * pair), the default pointer-list extraction with its all-or-nothing `<NA>`, the custom
 * extractors, and compare() with every operator it supports.
 */
import type { AuditEvent } from "./event.ts";

/** The value kinds of json_event_value, in their enum order (used for ordering). */
export enum JType {
  STRING = 0,
  INT64 = 1,
  PAIR = 2,
}

/** A json_event_value. */
export interface JValue {
  type: JType;
  str: string;
  int: bigint;
  pair: [bigint, bigint];
}

/** The `<NA>` marker. */
export const NO_VALUE = "<NA>";

/** std::stoll(val, &ptr) with ptr == length: optional leading blanks and sign, decimal. */
function parseInt64(text: string): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)$/.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[1]);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return undefined;
  return v;
}

/** json_event_value(const std::string&). */
export function jvalue(text: string): JValue {
  const colon = text.indexOf(":");
  if (colon >= 0) {
    const a = parseInt64(text.slice(0, colon));
    const b = parseInt64(text.slice(colon + 1));
    if (a !== undefined && b !== undefined) {
      return { type: JType.PAIR, str: "", int: 0n, pair: [a, b] };
    }
  }
  const i = parseInt64(text);
  if (i !== undefined) return { type: JType.INT64, str: "", int: i, pair: [0n, 0n] };
  return { type: JType.STRING, str: text, int: 0n, pair: [0n, 0n] };
}

function jint(v: bigint): JValue {
  return { type: JType.INT64, str: "", int: v, pair: [0n, 0n] };
}

/** json_event_value::as_string(). */
export function jvalueString(v: JValue): string {
  switch (v.type) {
    case JType.STRING:
      return v.str;
    case JType.INT64:
      return v.int.toString();
    case JType.PAIR:
      return `${v.pair[0]}:${v.pair[1]}`;
  }
}

/** operator==: an int equals a pair containing it; otherwise same type and value. */
export function jeq(a: JValue, b: JValue): boolean {
  if (a.type === JType.INT64 && b.type === JType.PAIR) {
    return a.int >= b.pair[0] && a.int <= b.pair[1];
  }
  if (a.type === JType.PAIR && b.type === JType.INT64) {
    return b.int >= a.pair[0] && b.int <= a.pair[1];
  }
  if (a.type !== b.type) return false;
  switch (a.type) {
    case JType.STRING:
      return a.str === b.str;
    case JType.INT64:
      return a.int === b.int;
    case JType.PAIR:
      return a.pair[0] === b.pair[0] && a.pair[1] === b.pair[1];
  }
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** operator<. */
export function jlt(a: JValue, b: JValue): boolean {
  if (a.type === JType.INT64 && b.type === JType.PAIR) return a.int < b.pair[0];
  if (a.type === JType.PAIR && b.type === JType.INT64) return a.pair[1] < b.int;
  if (a.type !== b.type) return a.type < b.type;
  switch (a.type) {
    case JType.STRING:
      return cmpStr(a.str, b.str) < 0;
    case JType.INT64:
      return a.int < b.int;
    case JType.PAIR:
      return a.pair[0] !== b.pair[0] ? a.pair[0] < b.pair[0] : a.pair[1] < b.pair[1];
  }
}

/** operator> (note: it orders mismatched types like operator<, as the source does). */
export function jgt(a: JValue, b: JValue): boolean {
  if (a.type !== b.type) return a.type < b.type;
  switch (a.type) {
    case JType.STRING:
      return cmpStr(a.str, b.str) > 0;
    case JType.INT64:
      return a.int > b.int;
    case JType.PAIR:
      return a.pair[0] !== b.pair[0] ? a.pair[0] > b.pair[0] : a.pair[1] > b.pair[1];
  }
}

/** A std::set<json_event_value>: sorted by operator<, equivalent values deduplicated. */
export class JSet {
  readonly items: JValue[] = [];
  insert(v: JValue): void {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (jlt(this.items[mid], v)) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.items.length && !jlt(v, this.items[lo])) return; // equivalent exists
    this.items.splice(lo, 0, v);
  }
  /** std::set::find by equivalence (!(a<b) && !(b<a)). */
  has(v: JValue): boolean {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (jlt(this.items[mid], v)) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.items.length && !jlt(v, this.items[lo]);
  }
}

/** The extracted values: the ordered vector (`first`) and the set (`second`). */
export interface Extracted027 {
  first: JValue[];
  second: JSet;
}

class OutOfRange extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** nlohmann::json::dump(): compact, object keys sorted (std::map). */
export function nlohmannDump(v: unknown): string {
  if (Array.isArray(v)) return "[" + v.map(nlohmannDump).join(",") + "]";
  if (isObject(v)) {
    return "{" +
      Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + nlohmannDump(v[k])).join(",") +
      "}";
  }
  return JSON.stringify(v);
}

function jsonAsString(v: unknown): string {
  return typeof v === "string" ? v : nlohmannDump(v);
}

/** Parses an RFC 6901 pointer as nlohmann does; throws on a malformed one. */
export function parsePointer(ptr: string): string[] {
  if (ptr === "") return [];
  if (ptr[0] !== "/") {
    throw new Error(`JSON pointer must be empty or begin with '/' - was: '${ptr}'`);
  }
  return ptr.slice(1).split("/").map((t) => {
    if (/~[^01]|~$/.test(t)) {
      throw new Error("escape character '~' must be followed with '0' or '1'");
    }
    return t.replaceAll("~1", "/").replaceAll("~0", "~");
  });
}

/** json::at(json_pointer): throws OutOfRange when a token is missing. */
function at(root: unknown, tokens: string[]): unknown {
  let cur = root;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(t)) throw new OutOfRange(t);
      const n = Number(t);
      if (n >= cur.length) throw new OutOfRange(t);
      cur = cur[n];
    } else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) {
      cur = cur[t];
    } else {
      throw new OutOfRange(t);
    }
  }
  return cur;
}

/** libsinsp split_container_image(..., split_repo=false): the repository with registry. */
export function sinspRepository(image: string): string {
  const split = (src: string, sep: string): [string, string] | undefined => {
    const pos = src.indexOf(sep);
    return pos < 0 ? undefined : [src.slice(0, pos), src.slice(pos + 1)];
  };
  let repo = "";
  let rem: string;
  const hp = split(image, "/");
  if (hp) {
    repo = hp[0] + "/";
    rem = hp[1];
  } else rem = image;
  let name: string;
  const d = split(rem, "@");
  if (d) name = split(d[0], ":")?.[0] ?? d[0];
  else name = split(rem, ":")?.[0] ?? rem;
  return repo + name;
}

type Alias = string[] | "images" | "host_port" | "eff_run_as" | "volume_types" | "rule_attrs";

const ALIASES: Record<string, Alias> = {
  "ka.auditid": ["/auditID"],
  "ka.stage": ["/stage"],
  "ka.auth.decision": ["/annotations/authorization.k8s.io~1decision"],
  "ka.auth.reason": ["/annotations/authorization.k8s.io~1reason"],
  "ka.user.name": ["/user/username"],
  "ka.user.groups": ["/user/groups"],
  "ka.impuser.name": ["/impersonatedUser/username"],
  "ka.verb": ["/verb"],
  "ka.uri": ["/requestURI"],
  "ka.target.name": ["/objectRef/name"],
  "ka.target.namespace": ["/objectRef/namespace"],
  "ka.target.resource": ["/objectRef/resource"],
  "ka.target.subresource": ["/objectRef/subresource"],
  "ka.req.binding.subjects": ["/requestObject/subjects"],
  "ka.req.binding.role": ["/requestObject/roleRef/name"],
  "ka.req.configmap.name": ["/objectRef/name"],
  "ka.req.configmap.obj": ["/requestObject/data"],
  "ka.req.pod.containers.image": "images",
  "ka.req.pod.containers.image.repository": "images",
  "ka.req.container.image": "images",
  "ka.req.container.image.repository": "images",
  "ka.req.pod.host_ipc": ["/requestObject/spec/hostIPC"],
  "ka.req.pod.host_network": ["/requestObject/spec/hostNetwork"],
  "ka.req.container.host_network": ["/requestObject/spec/hostNetwork"],
  "ka.req.pod.host_pid": ["/requestObject/spec/hostPID"],
  "ka.req.pod.containers.host_port": "host_port",
  "ka.req.pod.containers.privileged": [
    "/requestObject/spec/containers",
    "/securityContext/privileged",
  ],
  "ka.req.pod.containers.allow_privilege_escalation": [
    "/requestObject/spec/containers",
    "/securityContext/allowPrivilegeEscalation",
  ],
  "ka.req.pod.containers.read_only_fs": [
    "/requestObject/spec/containers",
    "/securityContext/readOnlyRootFilesystem",
  ],
  "ka.req.pod.run_as_user": ["/requestObject/spec/securityContext/runAsUser"],
  // sic (json_evt.cpp): the container run_as_user alias reads runAsGroup
  "ka.req.pod.containers.run_as_user": [
    "/requestObject/spec/containers",
    "/securityContext/runAsGroup",
  ],
  "ka.req.pod.containers.eff_run_as_user": "eff_run_as",
  "ka.req.pod.run_as_group": ["/requestObject/spec/securityContext/runAsGroup"],
  "ka.req.pod.containers.run_as_group": [
    "/requestObject/spec/containers",
    "/securityContext/runAsGroup",
  ],
  "ka.req.pod.containers.eff_run_as_group": "eff_run_as",
  "ka.req.pod.containers.proc_mount": [
    "/requestObject/spec/containers",
    "/securityContext/procMount",
  ],
  "ka.req.role.rules": ["/requestObject/rules"],
  "ka.req.role.rules.apiGroups": "rule_attrs",
  "ka.req.role.rules.nonResourceURLs": "rule_attrs",
  "ka.req.role.rules.verbs": "rule_attrs",
  "ka.req.role.rules.resources": "rule_attrs",
  "ka.req.pod.fs_group": ["/requestObject/spec/securityContext/fsGroup"],
  "ka.req.pod.supplemental_groups": ["/requestObject/spec/securityContext/supplementalGroups"],
  "ka.req.pod.containers.add_capabilities": [
    "/requestObject/spec/containers",
    "/securityContext/capabilities/add",
  ],
  "ka.req.service.type": ["/requestObject/spec/type"],
  "ka.req.service.ports": ["/requestObject/spec/ports"],
  "ka.req.pod.volumes.hostpath": ["/requestObject/spec/volumes", "/hostPath/path"],
  "ka.req.pod.volumes.flexvolume_driver": ["/requestObject/spec/volumes", "/flexVolume/driver"],
  "ka.req.pod.volumes.volume_type": "volume_types",
  "ka.resp.name": ["/responseObject/metadata/name"],
  "ka.response.code": ["/responseStatus/code"],
  "ka.response.reason": ["/responseStatus/reason"],
  "ka.useragent": ["/userAgent"],
};

class Collector {
  readonly first: JValue[] = [];
  readonly second = new JSet();
  add(text: string): void {
    this.addValue(jvalue(text));
  }
  addValue(v: JValue): void {
    this.first.push(v);
    this.second.insert(v);
  }
}

function defExtract(root: unknown, ptrs: string[][], i: number, out: Collector): boolean {
  if (i === ptrs.length) {
    out.add(jsonAsString(root));
    return true;
  }
  let j: unknown;
  try {
    j = at(root, ptrs[i]);
  } catch (e) {
    if (e instanceof OutOfRange) return false;
    throw e;
  }
  if (Array.isArray(j)) {
    for (const item of j) if (!defExtract(item, ptrs, i + 1, out)) return false;
  } else {
    out.add(jsonAsString(j));
  }
  return true;
}

function customExtract(
  kind: Exclude<Alias, string[]>,
  field: string,
  root: unknown,
  out: Collector,
): boolean {
  const spec = ["requestObject", "spec"];
  switch (kind) {
    case "images": {
      const containers = at(root, [...spec, "containers"]);
      const list = Array.isArray(containers)
        ? containers
        : isObject(containers)
        ? Object.values(containers)
        : [];
      const only = field.startsWith("ka.req.container.") ? list.slice(0, 1) : list;
      for (const c of only) {
        const image = at(c, ["image"]);
        const text = jsonAsString(image);
        out.add(field.endsWith(".repository") ? sinspRepository(text) : text);
      }
      return true;
    }
    case "host_port": {
      const containers = at(root, [...spec, "containers"]);
      for (const c of Array.isArray(containers) ? containers : []) {
        if (!isObject(c) || !("ports" in c)) continue;
        const ports = c.ports;
        for (const p of Array.isArray(ports) ? ports : []) {
          if (isObject(p) && "hostPort" in p) out.add(jsonAsString(p.hostPort));
          else if (isObject(p) && "containerPort" in p) out.add(jsonAsString(p.containerPort));
        }
      }
      return true;
    }
    case "eff_run_as": {
      const key = field.endsWith("eff_run_as_user") ? "runAsUser" : "runAsGroup";
      const s = at(root, spec);
      const valueOr = (obj: unknown, def: bigint): bigint => {
        try {
          const v = at(obj, ["securityContext", key]);
          return typeof v === "number" ? BigInt(Math.trunc(v)) : def;
        } catch (e) {
          if (e instanceof OutOfRange) return def;
          throw e;
        }
      };
      const podId = valueOr(s, 0n);
      const containers = at(s, ["containers"]);
      for (const c of Array.isArray(containers) ? containers : []) {
        out.addValue(jint(valueOr(c, podId)));
      }
      return true;
    }
    case "volume_types": {
      const vols = at(root, [...spec, "volumes"]);
      for (const v of Array.isArray(vols) ? vols : []) {
        if (!isObject(v)) continue;
        for (const k of Object.keys(v).sort()) if (k !== "name") out.add(k);
      }
      return true;
    }
    case "rule_attrs": {
      const prop = field.slice(field.lastIndexOf(".") + 1);
      const rules = at(root, ["requestObject", "rules"]);
      for (const r of Array.isArray(rules) ? rules : []) {
        if (isObject(r) && prop in r) {
          const items = r[prop];
          for (const item of Array.isArray(items) ? items : []) out.add(jsonAsString(item));
        }
      }
      return true;
    }
  }
}

function extractValues(
  event: AuditEvent,
  field: string,
  idx: string | undefined,
  out: Collector,
): boolean {
  const root = event.json;
  try {
    switch (field) {
      case "jevt.rawtime":
        out.add(event.timestampNs.toString());
        return true;
      case "jevt.time":
      case "jevt.time.iso8601":
        out.add(isoFromNs(event.timestampNs));
        return true;
      case "jevt.obj":
        out.add(nlohmannDump(root));
        return true;
      case "jevt.value":
        out.add(jsonAsString(at(root, parsePointer(idx ?? ""))));
        return true;
      case "ka.uri.param":
        return queryParam(root, idx ?? "", out);
      case "ka.req.container.privileged": {
        const containers = at(root, ["requestObject", "spec", "containers"]);
        let priv = false;
        for (const c of Array.isArray(containers) ? containers : []) {
          try {
            if (at(c, ["securityContext", "privileged"]) === true) priv = true;
          } catch (e) {
            if (!(e instanceof OutOfRange)) throw e;
          }
        }
        out.add(priv ? "true" : "false");
        return true;
      }
      case "ka.req.volume.hostpath": {
        const vols = at(root, ["requestObject", "spec", "volumes"]);
        const key = idx ?? "";
        let found = false;
        for (const v of Array.isArray(vols) ? vols : []) {
          const p = isObject(v) && isObject(v.hostPath) ? v.hostPath.path : undefined;
          if (typeof p !== "string") continue;
          if (key.endsWith("*") ? p.startsWith(key.slice(0, -1)) : p === key) found = true;
        }
        out.add(found ? "true" : "false");
        return true;
      }
      case "ka.req.binding.subject.has_name": {
        const subjects = at(root, ["requestObject", "subjects"]);
        const has = (Array.isArray(subjects) ? subjects : []).some((s) =>
          isObject(s) && s.name === idx
        );
        out.add(has ? "true" : "false");
        return true;
      }
    }
    const alias = ALIASES[field];
    if (alias === undefined) throw new Error(`field ${field} is not a Falco 0.27 k8s_audit field`);
    if (!Array.isArray(alias)) return customExtract(alias, field, root, out);
    if (!defExtract(root, alias.map(parsePointer), 0, out)) return false;
    if (idx !== undefined && idx !== "") {
      const n = parseInt64(idx);
      if (n === undefined || n < 0n || n >= BigInt(out.first.length)) return false;
      const keep = out.first[Number(n)];
      out.first.length = 0;
      out.first.push(keep);
    }
    return true;
  } catch (e) {
    if (e instanceof OutOfRange) return false;
    throw e;
  }
}

function queryParam(root: unknown, idx: string, out: Collector): boolean {
  const uri = at(root, ["requestURI"]);
  const parts = String(uri).split("?");
  if (parts.length !== 2) return false;
  for (const part of parts[1].split("&")) {
    const kv = part.split("=");
    if (kv.length === 2 && decodeURIComponent(kv[0].replaceAll("+", " ")) === idx) {
      out.add(kv[1]);
      return true;
    }
  }
  return false;
}

function isoFromNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return new Date(ms).toISOString().slice(0, 19) + "." + frac + "Z";
}

/**
 * json_event_filter_check::extract(): the values of a field for an event; a failed
 * extraction yields the single value `<NA>`.
 */
export function extract027(
  event: AuditEvent,
  field: string,
  idx: string | undefined,
): Extracted027 {
  const out = new Collector();
  if (!extractValues(event, field, idx, out)) {
    const na = new Collector();
    na.add(NO_VALUE);
    return { first: na.first, second: na.second };
  }
  return { first: out.first, second: out.second };
}

/** json_event_filter_check::compare() for one operator and its right-hand side values. */
export function compare027(ev: Extracted027, op: string, rhs: string[]): boolean {
  const values = new JSet();
  for (const r of rhs) values.insert(jvalue(r));
  const one = ev.first.length === 1 && values.items.length === 1;
  const v0 = ev.first[0];
  const r0 = values.items[0];
  switch (op) {
    case "=":
    case "==":
      return setEquals(ev.second, values);
    case "!=":
      return !setEquals(ev.second, values);
    case "startswith":
      return one && jvalueString(v0).startsWith(jvalueString(r0));
    case "contains":
      return one && jvalueString(v0).includes(jvalueString(r0));
    case "in":
      return ev.second.items.every((item) => values.has(item));
    case "pmatch":
      // The prefix search is never filled (m_uses_paths ends as ka.useragent's false),
      // so any value other than <NA> fails to match (docs/falco.md §7.3).
      return ev.second.items.every((item) => jvalueString(item) === NO_VALUE);
    case "intersects":
      return intersects(ev.second, values);
    case "<":
      return one && v0.type === r0.type && jlt(v0, r0);
    case "<=":
      return one && v0.type === r0.type && (jlt(v0, r0) || jeq(v0, r0));
    case ">":
      return one && v0.type === r0.type && jgt(v0, r0);
    case ">=":
      return one && v0.type === r0.type && (jgt(v0, r0) || jeq(v0, r0));
    case "exists":
      return ev.first.length === 1 && !jeq(ev.first[0], jvalue(NO_VALUE));
  }
  throw new Error("filter error: unsupported comparison operator");
}

function setEquals(a: JSet, b: JSet): boolean {
  if (a.items.length !== b.items.length) return false;
  return a.items.every((v, i) => jeq(v, b.items[i]));
}

/** std::set_intersection(...).size() > 0 over the two ordered sets. */
function intersects(a: JSet, b: JSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.items.length && j < b.items.length) {
    if (jlt(a.items[i], b.items[j])) i++;
    else if (jlt(b.items[j], a.items[i])) j++;
    else return true;
  }
  return false;
}
