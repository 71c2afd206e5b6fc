/**
 * Field extraction of current Falco for k8s_audit events: a line-by-line port of the
 * k8saudit plugin v0.18.0 (plugins/k8saudit/pkg/k8saudit/extract.go, the version with
 * ka.req.pod.{initContainers,ephemeralContainers}.*) and of the json plugin v0.7
 * (plugins/json/pkg/json/json.go). fastjson semantics are kept: `Get` on an array takes a
 * decimal index, a JSON null is a present value that renders "null", non-string values
 * render as compact JSON (MarshalTo).
 *
 * The result is the list of values the plugin passes to SetValue; `undefined` (or an empty
 * list) means no value, which makes every comparison false in libsinsp.
 */
import type { AuditEvent } from "./event.ts";
import { fastjsonMarshal, keysInOrder } from "./json_text.ts";

/** A plugin extraction error (ErrExtractWrongType and friends), fatal for Falco. */
export class ExtractionError extends Error {}

type J = unknown;
const NOT_AVAILABLE = Symbol("not available");
const NO_INDEX = -1;

function isObject(v: J): v is Record<string, J> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** fastjson Value.Get with one key: object member or decimal array index. */
function get(v: J, key: string): J | undefined {
  if (Array.isArray(v)) {
    if (!/^[+-]?[0-9]+$/.test(key)) return undefined;
    const n = Number(key);
    return n >= 0 && n < v.length ? v[n] : undefined;
  }
  if (isObject(v) && Object.prototype.hasOwnProperty.call(v, key)) return v[key];
  return undefined;
}

function getPath(v: J, keys: string[]): J | undefined {
  let cur: J | undefined = v;
  for (const k of keys) {
    if (cur === undefined) return undefined;
    cur = get(cur, k);
  }
  return cur;
}

/** fastjson MarshalTo (compact JSON, source key order, numbers as written). */
export function marshal(v: J): string {
  return fastjsonMarshal(v);
}

/** jsonValueAsString: strings as-is, everything else as compact JSON; nil is an error. */
function asString(v: J | undefined): string {
  if (v === undefined) throw new ExtractionError("wrong type conversion");
  return typeof v === "string" ? v : marshal(v);
}

/** getValuesRecursive: nil entries are `undefined`. */
function getValuesRecursive(
  json: J,
  indexFilter: number,
  keys: string[],
): (J | undefined)[] | typeof NOT_AVAILABLE {
  let cur: J = json;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (Array.isArray(cur)) {
      if (indexFilter === NO_INDEX) {
        const res: (J | undefined)[] = [];
        for (const item of cur) {
          const vals = getValuesRecursive(item, indexFilter, keys.slice(i));
          if (vals === NOT_AVAILABLE) res.push(undefined);
          else res.push(...vals);
        }
        return res;
      }
      if (indexFilter >= cur.length) return NOT_AVAILABLE;
      cur = cur[indexFilter];
    }
    const next = k.length > 0 ? get(cur, k) : cur;
    if (next === undefined) return NOT_AVAILABLE;
    cur = next;
  }
  return [cur];
}

function skipNil(values: (J | undefined)[]): string[] {
  return values.filter((v) => v !== undefined).map((v) => asString(v));
}

function strict(values: (J | undefined)[]): string[] {
  return values.map((v) => asString(v));
}

function withDefault(values: (J | undefined)[], def: string): string[] {
  return values.map((v) => (v === undefined ? def : asString(v)));
}

/** The index argument as the plugin SDK sees it: ArgIndex() is 0 for a key argument. */
function indexFilterOf(arg: string | undefined): number {
  if (arg === undefined) return NO_INDEX;
  return /^[0-9]+$/.test(arg) ? Number(arg) : 0;
}

function containerValues(
  json: J,
  list: string,
  indexFilter: number,
  sub: string[],
): (J | undefined)[] | typeof NOT_AVAILABLE {
  return getValuesRecursive(json, indexFilter, ["requestObject", "spec", list, ...sub]);
}

function joinedStringArrays(
  values: (J | undefined)[] | typeof NOT_AVAILABLE,
): string[] | undefined {
  if (values === NOT_AVAILABLE) return undefined;
  const out: string[] = [];
  for (const v of values) {
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw new ExtractionError("wrong type conversion");
    const parts = v.map((x) => {
      if (typeof x !== "string") throw new ExtractionError("wrong type conversion");
      return x;
    });
    out.push(parts.join(" "));
  }
  return out.length === 0 ? undefined : out;
}

function images(json: J, list: string, indexFilter: number): string[] | undefined {
  const arr = containerValues(json, list, indexFilter, ["image"]);
  return arr === NOT_AVAILABLE ? undefined : strict(arr);
}

/** The plugin's repository split: `Split(Split(image, ":")[0], "@")[0]`. */
export function pluginRepository(image: string): string {
  return image.split(":")[0].split("@")[0];
}

function hostPorts(json: J, list: string, indexFilter: number): string[] | undefined {
  const arr = containerValues(json, list, indexFilter, ["ports"]);
  if (arr === NOT_AVAILABLE) return undefined;
  const res: string[] = [];
  for (const ports of arr) {
    if (ports === undefined) continue;
    if (!Array.isArray(ports)) throw new ExtractionError("wrong type conversion");
    for (const port of ports) {
      const hp = get(port, "hostPort");
      if (hp !== undefined) res.push(asString(hp));
      else {
        const cp = get(port, "containerPort");
        if (cp !== undefined) res.push(asString(cp));
      }
    }
  }
  return res;
}

/** readFromContainerEffectively: note that neither path includes securityContext. */
function effective(json: J, list: string, indexFilter: number, key: string): string[] | undefined {
  let podId = "0";
  const pod = getPath(json, ["requestObject", "spec", key]);
  if (pod !== undefined) podId = asString(pod);
  const arr = containerValues(json, list, indexFilter, [key]);
  return arr === NOT_AVAILABLE ? undefined : withDefault(arr, podId);
}

function containerField(
  json: J,
  list: string,
  field: string,
  arg: string | undefined,
): string[] | undefined {
  const idx = indexFilterOf(arg);
  const sc = (...keys: string[]) => {
    const arr = containerValues(json, list, idx, ["securityContext", ...keys]);
    return arr === NOT_AVAILABLE ? undefined : skipNil(arr);
  };
  switch (field) {
    case "args":
      return joinedStringArrays(containerValues(json, list, idx, ["args"]));
    case "command":
      return joinedStringArrays(containerValues(json, list, idx, ["command"]));
    case "name": {
      const arr = containerValues(json, list, idx, ["name"]);
      return arr === NOT_AVAILABLE ? undefined : strict(arr);
    }
    case "image":
      return images(json, list, idx);
    case "image.repository":
      return images(json, list, idx)?.map(pluginRepository);
    case "host_port":
      return hostPorts(json, list, idx);
    case "privileged":
      return sc("privileged");
    case "allow_privilege_escalation":
      return sc("allowPrivilegeEscalation");
    case "read_only_fs":
      return sc("readOnlyRootFilesystem");
    case "run_as_user":
      return sc("runAsUser");
    case "eff_run_as_user":
      return effective(json, list, idx, "runAsUser");
    case "run_as_group":
      return sc("runAsGroup");
    case "eff_run_as_group":
      return effective(json, list, idx, "runAsGroup");
    case "proc_mount":
      return sc("procMount");
    case "add_capabilities":
      return sc("capabilities", "add");
  }
  return undefined;
}

function fromKeys(json: J, keys: string[], isList: boolean): string[] | undefined {
  const v = getPath(json, keys);
  if (v === undefined) return undefined;
  if (isList) {
    if (!Array.isArray(v)) throw new ExtractionError("wrong type conversion");
    return v.map((x) => asString(x));
  }
  return [asString(v)];
}

function rulesField(json: J, arg: string | undefined, key: string): string[] {
  const arr = getValuesRecursive(json, indexFilterOf(arg), ["requestObject", "rules", key]);
  if (arr === NOT_AVAILABLE) return [];
  const out: string[] = [];
  for (const v of arr) {
    if (v !== undefined && Array.isArray(v)) out.push(...skipNil(v));
  }
  return out;
}

function subjectNames(json: J, kind: string): string[] {
  const subjects = getPath(json, ["requestObject", "subjects"]);
  if (subjects === undefined) return [];
  if (!Array.isArray(subjects)) throw new ExtractionError("wrong type conversion");
  const namespaced = kind === "NamespacedServiceAccount";
  const want = namespaced ? "ServiceAccount" : kind;
  const out: string[] = [];
  for (const s of subjects) {
    const k = get(s, "kind");
    const n = get(s, "name");
    if (k === undefined || n === undefined || asString(k) !== want) continue;
    if (namespaced) {
      const ns = get(s, "namespace");
      if (ns === undefined) continue;
      out.push(asString(ns) + ":" + asString(n));
    } else out.push(asString(n));
  }
  return out;
}

const SIMPLE_KEYS: Record<string, string[]> = {
  "ka.auditid": ["auditID"],
  "ka.stage": ["stage"],
  "ka.auth.decision": ["annotations", "authorization.k8s.io/decision"],
  "ka.auth.reason": ["annotations", "authorization.k8s.io/reason"],
  "ka.auth.openshift.decision": ["annotations", "authentication.openshift.io/decision"],
  "ka.auth.openshift.username": ["annotations", "authentication.openshift.io/username"],
  "ka.validations.admission.policy.failure": [
    "annotations",
    "validation.policy.admission.k8s.io/validation_failure",
  ],
  "ka.security.pod.violations": ["annotations", "pod-security.kubernetes.io/audit-violations"],
  "ka.user.name": ["user", "username"],
  "ka.impuser.name": ["impersonatedUser", "username"],
  "ka.verb": ["verb"],
  "ka.uri": ["requestURI"],
  "ka.target.name": ["objectRef", "name"],
  "ka.target.namespace": ["objectRef", "namespace"],
  "ka.target.resource": ["objectRef", "resource"],
  "ka.target.subresource": ["objectRef", "subresource"],
  "ka.req.binding.role": ["requestObject", "roleRef", "name"],
  "ka.req.configmap.name": ["objectRef", "name"],
  "ka.req.configmap.obj": ["requestObject", "data"],
  "ka.req.pod.host_ipc": ["requestObject", "spec", "hostIPC"],
  "ka.req.pod.host_network": ["requestObject", "spec", "hostNetwork"],
  "ka.req.container.host_network": ["requestObject", "spec", "hostNetwork"],
  "ka.req.pod.host_pid": ["requestObject", "spec", "hostPID"],
  "ka.req.pod.run_as_user": ["requestObject", "spec", "securityContext", "runAsUser"],
  "ka.req.pod.run_as_group": ["requestObject", "spec", "securityContext", "runAsGroup"],
  "ka.req.pod.fs_group": ["requestObject", "spec", "securityContext", "fsGroup"],
  "ka.req.service.type": ["requestObject", "spec", "type"],
  "ka.resp.name": ["responseObject", "metadata", "name"],
  "ka.response.code": ["responseStatus", "code"],
  "ka.response.reason": ["responseStatus", "reason"],
  "ka.useragent": ["userAgent"],
  "ka.cluster.name": ["annotations", "cluster_name"],
};

const SIMPLE_LIST_KEYS: Record<string, string[]> = {
  "ka.user.groups": ["user", "groups"],
  "ka.req.binding.subjects": ["requestObject", "subjects"],
  "ka.req.role.rules": ["requestObject", "rules"],
  "ka.req.pod.supplemental_groups": [
    "requestObject",
    "spec",
    "securityContext",
    "supplementalGroups",
  ],
};

function k8sAudit(json: J, field: string, arg: string | undefined): string[] | undefined {
  if (getPath(json, ["auditID"]) === undefined) return undefined; // unrelated JSON
  for (const list of ["containers", "initContainers", "ephemeralContainers"]) {
    const prefix = `ka.req.pod.${list}.`;
    if (field.startsWith(prefix)) {
      return containerField(json, list, field.slice(prefix.length), arg);
    }
  }
  if (field in SIMPLE_KEYS) return fromKeys(json, SIMPLE_KEYS[field], false);
  if (field in SIMPLE_LIST_KEYS) return fromKeys(json, SIMPLE_LIST_KEYS[field], true);
  switch (field) {
    case "ka.uri.param": {
      const uri = getPath(json, ["requestURI"]);
      if (uri === undefined) return undefined;
      const q = asString(uri).split("?").slice(1).join("?");
      const v = new URLSearchParams(q).getAll(arg ?? "");
      return v.length > 0 ? [v[0]] : undefined;
    }
    case "ka.target.pod.name": {
      const resource = getPath(json, ["objectRef", "resource"]);
      const sub = getPath(json, ["objectRef", "subresource"]);
      if (resource === "pods" && (sub === undefined || sub === "")) {
        return fromKeys(json, ["responseObject", "metadata", "name"], false);
      }
      return undefined;
    }
    case "ka.req.binding.subjects.user_names":
      return subjectNames(json, "User");
    case "ka.req.binding.subjects.serviceaccount_names":
      return subjectNames(json, "ServiceAccount");
    case "ka.req.binding.subjects.serviceaccount_ns_names":
      return subjectNames(json, "NamespacedServiceAccount");
    case "ka.req.binding.subjects.group_names":
      return subjectNames(json, "Group");
    case "ka.req.binding.subject.has_name":
      return ["true"];
    case "ka.req.container.image":
      return images(json, "containers", 0)?.slice(0, 1);
    case "ka.req.container.image.repository":
      return images(json, "containers", 0)?.slice(0, 1).map(pluginRepository);
    case "ka.req.container.privileged": {
      const arr = containerValues(json, "containers", NO_INDEX, ["securityContext", "privileged"]);
      if (arr === NOT_AVAILABLE) return undefined;
      return [arr.some((p) => p === true) ? "true" : "false"];
    }
    case "ka.req.role.rules.apiGroups":
      return rulesField(json, arg, "apiGroups");
    case "ka.req.role.rules.nonResourceURLs":
      return rulesField(json, arg, "nonResourceURLs");
    case "ka.req.role.rules.verbs":
      return rulesField(json, arg, "verbs");
    case "ka.req.role.rules.resources":
      return rulesField(json, arg, "resources");
    case "ka.sourceips":
      return rulesField(json, arg, "sourceIPs"); // sic: the plugin reads requestObject.rules
    case "ka.req.service.ports": {
      const arr = getValuesRecursive(json, indexFilterOf(arg), ["requestObject", "spec", "ports"]);
      return arr === NOT_AVAILABLE ? undefined : skipNil(arr);
    }
    case "ka.req.volume.hostpath": {
      const arr = getValuesRecursive(json, indexFilterOf(arg), [
        "requestObject",
        "spec",
        "volumes",
        "hostPath",
        "path",
      ]);
      if (arr === NOT_AVAILABLE) return undefined;
      const key = arg ?? "";
      const prefix = key.endsWith("*");
      for (const v of skipNil(arr)) {
        if ((prefix && v.startsWith(key.slice(0, -1))) || key === v) return ["true"];
      }
      return ["false"];
    }
    case "ka.req.pod.volumes.hostpath":
    case "ka.req.pod.volumes.flexvolume_driver": {
      const sub = field.endsWith("hostpath") ? ["hostPath", "path"] : ["flexVolume", "driver"];
      const arr = getValuesRecursive(json, indexFilterOf(arg), [
        "requestObject",
        "spec",
        "volumes",
        ...sub,
      ]);
      return arr === NOT_AVAILABLE ? undefined : skipNil(arr);
    }
    case "ka.req.pod.volumes.volume_type": {
      const arr = getValuesRecursive(json, indexFilterOf(arg), [
        "requestObject",
        "spec",
        "volumes",
        "",
      ]);
      if (arr === NOT_AVAILABLE) return undefined;
      const out: string[] = [];
      for (const v of arr) {
        if (isObject(v)) { for (const k of keysInOrder(v)) if (k !== "name") out.push(k); }
      }
      return out;
    }
  }
  throw new ExtractionError(`unsupported extraction field: ${field}`);
}

/** json.value / jevt.value: a JSON pointer walked with fastjson Get. */
function jsonValue(json: J, arg: string | undefined): string[] | undefined {
  let ptr = arg ?? "";
  if (ptr.length === 0) throw new ExtractionError("value argument is required");
  if (ptr[0] === "/") ptr = ptr.slice(1);
  let cur: J | undefined = json;
  for (let key of ptr.split("/")) {
    key = key.replaceAll("~1", "/").replaceAll("~0", "~");
    cur = get(cur, key);
    if (cur === undefined) return undefined;
  }
  return [asString(cur)];
}

/** Go's json.Indent(data, "", "  "): re-indents while keeping the original tokens. */
function goIndent(raw: string): string {
  return JSON.stringify(JSON.parse(raw), null, 2);
}

/**
 * Extracts a k8s_audit field the way current Falco does (k8saudit 0.18 + json 0.7).
 * Returns the values, or `undefined` when the plugin sets no value.
 */
export function extractCurrent(
  event: AuditEvent,
  field: string,
  arg: string | undefined,
): string[] | undefined {
  switch (field) {
    case "json.value":
    case "jevt.value":
      return jsonValue(event.json, arg);
    case "json.obj":
    case "jevt.obj":
      return [goIndent(event.raw)];
    case "json.rawtime":
    case "jevt.rawtime":
      return [event.timestampNs.toString()];
  }
  if (field.startsWith("ka.")) return k8sAudit(event.json, field, arg);
  throw new ExtractionError(`field ${field} is not evaluated by the test engine`);
}
