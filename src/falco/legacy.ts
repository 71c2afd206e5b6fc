/**
 * PSP field -> rules for Falco 0.27 (engine version 5, built-in k8s_audit fields), compatible
 * with falcoctl's `convert psp`: same list, macro and rule names and the same conditions for
 * the fields falcoctl covered (docs/falco.md §1.3, §2), so existing setups keep working. Without a
 * name prefix and with the image annotation it reproduces falcoctl v0.0.2, the output shown in
 * the Falco 0.27 docs. Fields falcoctl missed get a rule where a 0.27 field can check them
 * (runtimeClass, the pod seccomp annotation); the rest are reported as uncovered.
 */
import {
  and,
  cmp,
  type Cond,
  describeOverlong,
  exists,
  field,
  group,
  jsonField,
  listRef,
  macro,
  not,
  or,
  overlongValues,
  sq,
  str,
  type Value,
  word,
} from "./condition.ts";
import type { MacroDef, PspContext } from "./context.ts";
import type { RulesItem } from "./rules_file.ts";
import { render } from "./condition.ts";
import { FALCO_IMAGES_ANNOTATION, SECCOMP_ALLOWED_PROFILES } from "../model/psp.ts";
import { CURRENT_FIELD_RULES, MAX_CONTAINERS } from "./current.ts";
import { GenerateError, isExactImage, shown } from "./scope.ts";

const ka = (name: string) => field(name);
const jevt = (...path: (string | number)[]) => jsonField(path, "jevt.value");

/** falcoctl's common end of every k8s_audit output. */
export const LEGACY_KA_OUTPUT_TAIL =
  "(user=%ka.user.name pod=%ka.resp.name ns=%ka.target.namespace images=%ka.req.pod.containers.image spec=%jevt.value[/requestObject/spec])";

/**
 * A current-Falco condition rewritten for Falco 0.27: `json.value[...]` becomes
 * `jevt.value[...]`. Undefined when it uses what 0.27 lacks or reads differently (`regex`,
 * `val()`, list fields of the k8saudit plugin).
 */
export function toFalco027(c: Cond): Cond | undefined {
  const fieldOk = (f: { name: string; arg?: string }) =>
    f.name === "json.value" ? jsonFieldFromPointer(f.arg!) : undefined;
  switch (c.k) {
    case "true":
    case "false":
      return c;
    case "macro":
      return undefined;
    case "exists": {
      const f = fieldOk(c.field);
      return f && exists(f);
    }
    case "cmp": {
      const f = fieldOk(c.field);
      if (!f || c.op === "regex" || c.values.some((v) => v.kind === "val")) return undefined;
      return cmp(f, c.op, c.values);
    }
    case "not": {
      const x = toFalco027(c.x);
      return x && not(x);
    }
    case "group": {
      const x = toFalco027(c.x);
      return x && group(x);
    }
    case "and":
    case "or": {
      const xs = c.xs.map(toFalco027);
      if (xs.some((x) => x === undefined)) return undefined;
      return c.k === "and" ? and(...(xs as Cond[])) : or(...(xs as Cond[]));
    }
  }
}

function jsonFieldFromPointer(pointer: string) {
  return field("jevt.value", pointer);
}

/** falcoctl v0.0.2 (no prefix, image annotation mandatory) or the final v0.0.6 template. */
function isV002(ctx: PspContext): boolean {
  return ctx.prefix === "" && ctx.scope.images !== undefined && ctx.scope.namespaces === undefined;
}

/** A bare word where falcoctl wrote one, quoted when the text would not survive as a word. */
function bare(text: string): Value {
  return /^[A-Za-z0-9_.:/*-]+$/.test(text) ? word(text) : str(text);
}

function idRanges(ranges: readonly { min: number; max: number }[] | undefined): Value[] {
  return (ranges ?? []).map((r) => str(`${r.min}:${r.max}`));
}

function idRangesText(ranges: readonly { min: number; max: number }[] | undefined): string {
  return (ranges ?? []).map((r) => `"${r.min}:${r.max}"`).join(",");
}

/** A macro true when the syscall field (user.uid, group.gid) lies in one of the ranges. */
function idRangesMacro(
  name: string,
  fieldName: string,
  ranges: readonly { min: number; max: number }[] | undefined,
): MacroDef {
  return {
    name,
    cond: group(
      or(...(ranges ?? []).map((r) =>
        group(
          and(
            cmp(field(fieldName), ">=", word(String(r.min))),
            cmp(field(fieldName), "<=", word(String(r.max))),
          ),
        )
      )),
    ),
  };
}

/** The lists and macros at the top of a falcoctl file. */
export function legacyHeader(ctx: PspContext): RulesItem[] {
  const id = (s: string) => ctx.id(s);
  const m = (name: string, cond: Cond): RulesItem => ({
    kind: "macro",
    name: id(name),
    condition: render(cond),
  });
  const items: RulesItem[] = [];
  for (const image of ctx.scope.images ?? []) {
    if (isExactImage(image)) {
      throw new GenerateError(
        ctx.psp.metadata?.name ?? "",
        `metadata.annotations[${FALCO_IMAGES_ANNOTATION}]`,
        `${
          JSON.stringify(image)
        } has a tag or a digest, but the Falco 0.27 rules compare image repositories, as falcoctl did (every container's ka.req.pod.containers.image.repository in the list); list the repository (${
          image.replace(/@.*$/, "").replace(/:[^:/]*$/, "")
        }) or generate rules for current Falco, which also matches exact images`,
      );
    }
  }
  if (ctx.scope.images) items.push({ kind: "list", name: id("images"), items: ctx.scope.images });
  if (ctx.scope.namespaces) {
    items.push({ kind: "list", name: id("namespaces"), items: ctx.scope.namespaces });
  }
  items.push(
    m("ka_always_true", group(exists(field("jevt.rawtime")))),
    m("ka_never_true", group(cmp(field("jevt.rawtime"), "=", word("0")))),
    m("ka_enabled", group(macro(id("ka_always_true")))),
    m("kevt", group(cmp(jevt("stage"), "in", str("ResponseComplete")))),
    m(
      "ka_pod",
      group(
        and(
          cmp(ka("ka.target.resource"), "=", word("pods")),
          not(exists(ka("ka.target.subresource"))),
        ),
      ),
    ),
  );
  const verb = cmp(ka("ka.verb"), "=", word("create"));
  if (isV002(ctx)) {
    items.push(m(
      "ka_container",
      group(and(
        macro(id("ka_enabled")),
        macro(id("kevt")),
        macro(id("ka_pod")),
        verb,
        cmp(ka("ka.req.pod.containers.image.repository"), "in", listRef(id("images"))),
      )),
    ));
  } else {
    items.push(
      m(
        "match_namespace",
        ctx.scope.namespaces
          ? cmp(ka("ka.target.namespace"), "in", listRef(id("namespaces")))
          : macro(id("ka_always_true")),
      ),
      // A pod is in scope when any of its containers uses a listed image (falcoctl's `in`
      // wanted all of them); only the docs' v0.0.2 form above keeps `in`, to stay falcoctl's.
      m(
        "ka_match_image",
        ctx.scope.images
          ? group(
            cmp(ka("ka.req.pod.containers.image.repository"), "intersects", listRef(id("images"))),
          )
          : macro(id("ka_always_true")),
      ),
      m(
        "ka_container",
        group(and(
          macro(id("ka_enabled")),
          macro(id("kevt")),
          macro(id("ka_pod")),
          verb,
          macro(id("ka_match_image")),
          macro(id("match_namespace")),
        )),
      ),
    );
  }
  items.push(
    m("always_true", group(cmp(field("evt.num"), ">=", word("0")))),
    m("never_true", group(cmp(field("evt.num"), "=", word("0")))),
    m("enabled", group(macro(id("always_true")))),
  );
  const imageIn = cmp(field("container.image.repository"), "in", listRef(id("images")));
  if (isV002(ctx)) {
    items.push(m("container", group(and(macro(id("enabled")), imageIn))));
  } else {
    items.push(
      m(
        "match_image",
        ctx.scope.images ? group(imageIn) : group(cmp(field("container.id"), "!=", word("host"))),
      ),
      m("container", group(and(macro(id("enabled")), macro(id("match_image"))))),
    );
  }
  items.push(m(
    "open_write",
    and(
      group(
        or(cmp(field("evt.type"), "=", word("open")), cmp(field("evt.type"), "=", word("openat"))),
      ),
      cmp(field("evt.is_open_write"), "=", word("true")),
      cmp(field("fd.typechar"), "=", sq("f")),
      cmp(field("fd.num"), ">=", word("0")),
    ),
  ));
  return items;
}

/** A rule of the 0.27 file. */
interface LegacyRule {
  label: string;
  suffix?: "K8s Audit" | "System Activity";
  desc: string;
  cond: Cond;
  output: string;
  source: "k8s_audit" | "syscall";
  macros?: MacroDef[];
}

/** The rules falcoctl (plus the fields it missed that 0.27 can check) writes for one PSP. */
export function legacyRules(ctx: PspContext): RulesItem[] {
  const spec = ctx.psp.spec;
  const kc = macro(ctx.id("ka_container"));
  const sc = macro(ctx.id("container"));
  const fail = `Pod Security Policy ${ctx.name} validation failure--`;
  const kaOut = (text: string) => `${fail}${shown(text)} ${LEGACY_KA_OUTPUT_TAIL}`;
  const kaDesc = (what: string) =>
    `Detect a psp validation failure for ${what} using k8s audit logs\n`;
  const rules: LegacyRule[] = [];
  const v002 = isV002(ctx);
  // A k8s_audit list field with a value outside the allowed ones (unset, <NA>, is allowed).
  const notInOrUnset = (kaField: string, allowed: readonly Value[]): Cond =>
    not(cmp(ka(kaField), "in", [...allowed, str("<NA>")]));
  // A process of a scoped container back from execve or `setCall`, and `check` (the violation).
  const idChange = (setCall: string, check: Cond): Cond =>
    and(
      cmp(field("evt.type"), "in", [word("execve"), word(setCall)]),
      cmp(field("evt.dir"), "=", word("<")),
      sc,
      check,
    );

  if (!spec.privileged) {
    rules.push({
      label: "privileged",
      suffix: "K8s Audit",
      desc: kaDesc("a privileged pod"),
      cond: and(kc, cmp(ka("ka.req.pod.containers.privileged"), "intersects", word("true"))),
      output: kaOut("pod with privileged=true"),
      source: "k8s_audit",
    }, {
      label: "privileged",
      suffix: "System Activity",
      desc: "Detect a psp validation failure for a privileged pod using syscalls",
      cond: v002
        ? and(
          sc,
          cmp(field("evt.type"), "=", word("container")),
          cmp(field("container.privileged"), "intersects", word("true")),
        )
        : and(
          cmp(field("evt.type"), "=", word("container")),
          sc,
          cmp(field("container.privileged"), "intersects", word("true")),
        ),
      output:
        `${fail}container with privileged=true created (user=%user.name command=%proc.cmdline %container.info images=%container.image.repository:%container.image.tag)`,
      source: "syscall",
    });
  }
  for (
    const [f, kaField, text] of [
      ["hostPID", "host_pid", "hostpid"],
      ["hostIPC", "host_ipc", "hostipc"],
      ["hostNetwork", "host_network", "hostnetwork"],
    ] as const
  ) {
    if (spec[f]) continue;
    rules.push({
      label: f,
      desc: kaDesc(`a ${f} pod`),
      cond: and(kc, cmp(ka(`ka.req.pod.${kaField}`), "intersects", word("true"))),
      output: kaOut(`pod with ${text}=true`),
      source: "k8s_audit",
    });
  }
  if (spec.hostPorts?.length) {
    rules.push({
      label: "hostPorts",
      desc: kaDesc("a hostnetwork port outside of the allowed set"),
      cond: and(kc, notInOrUnset("ka.req.pod.containers.host_port", idRanges(spec.hostPorts))),
      output: kaOut(`hostnetwork port outside of allowed ranges (${idRangesText(spec.hostPorts)})`),
      source: "k8s_audit",
    });
  } else {
    ctx.uncover(
      "hostPorts",
      "an empty list (no host port allowed) is not checked by the falcoctl-compatible 0.27 rules",
    );
  }
  if (spec.volumes?.length) {
    rules.push({
      label: "volumes",
      desc: kaDesc("a volume type outside of the allowed set"),
      cond: and(kc, notInOrUnset("ka.req.pod.volumes.volume_type", spec.volumes.map(bare))),
      output: kaOut(`volume type outside of allowed set (${spec.volumes.join(",")})`),
      source: "k8s_audit",
    });
  } else {
    ctx.uncover(
      "volumes",
      "an empty list (no volume allowed) is not checked by the falcoctl-compatible 0.27 rules",
    );
  }
  if (spec.allowedHostPaths?.length) {
    const paths = spec.allowedHostPaths.map((p) => p.pathPrefix ?? "");
    rules.push({
      label: "allowedHostPaths",
      desc: kaDesc("a hostPath volume with a path outside of the allowed set"),
      cond: and(
        kc,
        not(cmp(ka("ka.req.pod.volumes.hostpath"), "pmatch", [...paths.map(bare), str("<NA>")])),
      ),
      output: kaOut(`hostPath volume mounting path outside of allowed set (${paths.join(",")})`),
      source: "k8s_audit",
    });
    if (spec.allowedHostPaths.some((p) => p.readOnly)) {
      ctx.uncover(
        "allowedHostPaths[].readOnly",
        "read-only mounts cannot be cross-checked by Falco 0.27 fields",
      );
    }
  }
  if (spec.allowedFlexVolumes?.length) {
    const drivers = spec.allowedFlexVolumes.map((d) => d.driver);
    rules.push({
      label: "allowedFlexVolumes",
      desc: kaDesc("a FlexVolume driver outside of the allowed set"),
      cond: and(kc, notInOrUnset("ka.req.pod.volumes.flexvolume_driver", drivers.map(bare))),
      output: kaOut(`Flexvolume driver outside of allowed set (${drivers.join(",")})`),
      source: "k8s_audit",
    });
  }
  const fs = spec.fsGroup?.rule;
  if (fs && fs !== "RunAsAny") {
    const always = group(macro(ctx.id("ka_always_true")));
    const must: MacroDef = {
      name: ctx.id("fs_group_must_run_matches"),
      cond: fs === "MustRunAs"
        ? cmp(ka("ka.req.pod.fs_group"), "in", idRanges(spec.fsGroup.ranges))
        : always,
    };
    const may: MacroDef = {
      name: ctx.id("fs_group_may_run_matches"),
      cond: fs === "MayRunAs"
        ? cmp(ka("ka.req.pod.fs_group"), "in", [...idRanges(spec.fsGroup.ranges), str("<NA>")])
        : always,
    };
    const all: MacroDef = {
      name: ctx.id("fs_group"),
      cond: group(and(macro(must.name), macro(may.name))),
    };
    rules.push({
      label: "fsGroup",
      desc: kaDesc("a fsGroup gid outside of the allowed set"),
      cond: and(kc, not(macro(all.name))),
      output: kaOut(
        `fsGroup outside of allowed set. Rule=${fs} ranges= (${idRangesText(spec.fsGroup.ranges)})`,
      ),
      source: "k8s_audit",
      macros: [must, may, all],
    });
  }
  if (spec.readOnlyRootFilesystem) {
    rules.push({
      label: "readOnlyRootFilesystem",
      suffix: "K8s Audit",
      desc: kaDesc("a readOnlyRootFilesystem pod"),
      cond: and(kc, not(cmp(ka("ka.req.pod.containers.read_only_fs"), "in", word("true")))),
      output: kaOut("pod without readOnlyRootFilesystem=true"),
      source: "k8s_audit",
    }, {
      label: "readOnlyRootFilesystem",
      suffix: "System Activity",
      desc: "Detect a psp validation failure for a readOnlyRootFilesystem pod using syscalls\n",
      // falcoctl wrote the scope macro first; Falco 0.27 then warns (trailing-evttype) unless
      // the scope is v0.0.2's, so the final-template files put the event types first.
      cond: v002 ? and(sc, macro(ctx.id("open_write"))) : and(macro(ctx.id("open_write")), sc),
      output:
        `${fail}write in container with readOnlyRootFilesystem=true (user=%user.name command=%proc.cmdline file=%fd.name parent=%proc.pname container_id=%container.id images=%container.image.repository)\n`,
      source: "syscall",
    });
  }
  const ru = spec.runAsUser;
  if (ru?.rule === "MustRunAs") {
    const uids = idRangesMacro(ctx.id("allowed_uids"), "user.uid", ru.ranges);
    rules.push({
      label: "runAsUser=MustRunAs",
      suffix: "K8s Audit",
      desc: kaDesc("a runAsUser outside of the allowed set"),
      cond: and(
        kc,
        not(group(cmp(ka("ka.req.pod.containers.eff_run_as_user"), "in", idRanges(ru.ranges)))),
      ),
      output: `${fail}runAsUser outside of allowed set. runAsUser set=(${
        idRangesText(ru.ranges)
      }) ${LEGACY_KA_OUTPUT_TAIL.slice(0, -1)}FOO=%ka.req.pod.containers.eff_run_as_user)`,
      source: "k8s_audit",
    }, {
      label: "runAsUser=MustRunAs",
      suffix: "System Activity",
      desc:
        "Detect a psp validation failure for a runAsUser outside of the allowed set using syscalls\n",
      cond: idChange("setuid", not(macro(uids.name))),
      output: `${fail}runAsUser outside of allowed set. runAsUser set=(${
        idRangesText(ru.ranges)
      }) (command=%proc.cmdline uid=%user.uid container_id=%container.id images=%container.image.repository)`,
      source: "syscall",
      macros: [uids],
    });
  } else if (ru?.rule === "MustRunAsNonRoot") {
    rules.push({
      label: "runAsUser=MustRunAsNonRoot",
      suffix: "K8s Audit",
      desc: kaDesc("a uid=0 runAsUser when MustRunAsNonRoot is set"),
      cond: and(
        kc,
        group(cmp(ka("ka.req.pod.containers.eff_run_as_user"), "intersects", str("0:0"))),
      ),
      output: kaOut("uid 0 runAsUser when MustRunAsNonRoot is set"),
      source: "k8s_audit",
    }, {
      label: "runAsUser=MustRunAsNonRoot",
      suffix: "System Activity",
      desc:
        "Detect a psp validation failure for a uid=0 user when MustRunAsNonRoot is set using syscalls\n",
      cond: idChange("setuid", cmp(field("user.uid"), "=", word("0"))),
      output:
        `${fail}root user when MustRunAsNonRoot is set (command=%proc.cmdline uid=%user.uid container_id=%container.id images=%container.image.repository)`,
      source: "syscall",
    });
  }
  const rg = spec.runAsGroup;
  if (rg?.rule === "MustRunAs") {
    const gids = idRangesMacro(ctx.id("allowed_gids"), "group.gid", rg.ranges);
    rules.push({
      label: "runAsGroup=MustRunAs",
      suffix: "K8s Audit",
      desc: kaDesc("a runAsGroup outside of the MustRunAs allowed set"),
      cond: and(
        kc,
        not(group(cmp(ka("ka.req.pod.containers.eff_run_as_group"), "in", idRanges(rg.ranges)))),
      ),
      output: kaOut(
        `runAsGroup outside of the MustRunAs allowed set. runAsGroup MustRunAs set=(${
          idRangesText(rg.ranges)
        })`,
      ),
      source: "k8s_audit",
    }, {
      label: "runAsGroup=MustRunAs",
      suffix: "System Activity",
      desc:
        "Detect a psp validation failure for a runAsGroup outside of the allowed set using syscalls\n",
      cond: idChange("setgid", not(macro(gids.name))),
      output: `${fail}runAsGroup outside of allowed set. runAsGroup set=(${
        idRangesText(rg.ranges)
      }) (command=%proc.cmdline user=%user.uid gid=%group.gid container_id=%container.id images=%container.image.repository)`,
      source: "syscall",
      macros: [gids],
    });
  } else if (rg?.rule === "MayRunAs") {
    rules.push({
      label: "runAsGroup=MayRunAs",
      desc: kaDesc("a runAsGroup outside of the MayRunAs allowed set"),
      cond: and(
        kc,
        not(cmp(ka("ka.req.pod.containers.eff_run_as_group"), "in", idRanges(rg.ranges))),
        not(group(and(
          cmp(ka("ka.req.pod.containers.run_as_group"), "in", str("<NA>")),
          cmp(ka("ka.req.pod.run_as_group"), "=", str("<NA>")),
        ))),
      ),
      output: kaOut(
        `runAsGroup outside of the MayRunAs allowed set. runAsGroup MayRunAs set=(${
          idRangesText(rg.ranges)
        })`,
      ),
      source: "k8s_audit",
    });
  }
  const sg = spec.supplementalGroups;
  if (sg?.rule === "MustRunAs" || sg?.rule === "MayRunAs") {
    const may = sg.rule === "MayRunAs";
    rules.push({
      label: `supplementalGroups=${sg.rule}`,
      desc: kaDesc(`${may ? "a " : ""}supplementalGroups outside of the ${sg.rule} allowed set`),
      cond: and(
        kc,
        not(
          cmp(ka("ka.req.pod.supplemental_groups"), "in", [
            ...idRanges(sg.ranges),
            ...(may ? [str("<NA>")] : []),
          ]),
        ),
      ),
      output: kaOut(
        `supplementalGroups outside of the ${sg.rule} allowed set. supplementalGroups ${sg.rule} set=(${
          idRangesText(sg.ranges)
        })`,
      ),
      source: "k8s_audit",
    });
  }
  if (spec.allowPrivilegeEscalation === false) {
    const ape: MacroDef = {
      name: ctx.id("allow_privilege_escalation"),
      cond: group(
        cmp(ka("ka.req.pod.containers.allow_privilege_escalation"), "intersects", word("true")),
      ),
    };
    rules.push({
      label: "allowPrivilegeEscalation",
      desc: kaDesc("allowPrivilegeEscalation"),
      cond: and(kc, macro(ape.name)),
      output: kaOut("pod with allowPrivilegeEscalation=true"),
      source: "k8s_audit",
      macros: [ape],
    });
  }
  if (spec.allowedCapabilities?.length) {
    rules.push({
      label: "allowedCapabilities",
      desc: kaDesc("Allowed Capabilities"),
      cond: and(
        kc,
        notInOrUnset("ka.req.pod.containers.add_capabilities", spec.allowedCapabilities.map(bare)),
      ),
      output: kaOut(
        `pod added capabilities outside of allowed set "(${spec.allowedCapabilities.join(",")})"`,
      ),
      source: "k8s_audit",
    });
  }
  if (spec.allowedProcMountTypes?.length) {
    rules.push({
      label: "allowedProcMountTypes",
      desc: kaDesc("Allowed Proc Mount Types"),
      cond: and(
        kc,
        notInOrUnset("ka.req.pod.containers.proc_mount", spec.allowedProcMountTypes.map(bare)),
      ),
      output: kaOut(
        `pod with proc mounts outside of allowed set "(${spec.allowedProcMountTypes.join(",")})"`,
      ),
      source: "k8s_audit",
    });
  }
  // falcoctl's container checks only read spec.containers; init containers get their own
  // rules, one JSON value per container (the first MAX_CONTAINERS). Not with --no-prefix: that
  // reproduces falcoctl v0.0.2 (the Falco 0.27 docs) rule for rule. (A pod create carries no
  // ephemeral containers: see the README, "Ephemeral containers".)
  const otherContainers = (key: string, value: string): Cond =>
    or(
      ...ctx.indices(["requestObject", "spec", "initContainers"], MAX_CONTAINERS).map((i) =>
        cmp(
          jevt("requestObject", "spec", "initContainers", i, "securityContext", key),
          "=",
          word(value),
        )
      ),
    );
  for (
    const [f, on, key, value, text] of [
      ["privileged", !spec.privileged, "privileged", "true", "privileged=true"],
      [
        "allowPrivilegeEscalation",
        spec.allowPrivilegeEscalation === false,
        "allowPrivilegeEscalation",
        "true",
        "allowPrivilegeEscalation=true",
      ],
      [
        "readOnlyRootFilesystem",
        !!spec.readOnlyRootFilesystem,
        "readOnlyRootFilesystem",
        "false",
        "readOnlyRootFilesystem=false",
      ],
    ] as const
  ) {
    if (!on || ctx.prefix === "") continue;
    rules.push({
      label: `${f}, init containers`,
      suffix: "K8s Audit",
      desc: kaDesc(`an init container with ${text}`),
      cond: and(kc, otherContainers(key, value)),
      output: kaOut(`init container with ${text}`),
      source: "k8s_audit",
    });
  }
  // Fields falcoctl missed that a Falco 0.27 field can check.
  const rc = spec.runtimeClass;
  if (rc && !rc.allowedRuntimeClassNames.includes("*")) {
    const f = jevt("requestObject", "spec", "runtimeClassName");
    rules.push({
      label: "runtimeClass",
      suffix: "K8s Audit",
      desc: kaDesc("a runtimeClassName outside of the allowed set"),
      cond: and(kc, exists(f), not(cmp(f, "in", rc.allowedRuntimeClassNames.map(str)))),
      output: kaOut(
        `runtimeClassName outside of allowed set (${rc.allowedRuntimeClassNames.join(",")})`,
      ),
      source: "k8s_audit",
    });
  }
  const seccomp = ctx.psp.metadata?.annotations?.[SECCOMP_ALLOWED_PROFILES];
  if (seccomp !== undefined && !seccomp.split(",").includes("*")) {
    const allowed = new Set(seccomp.split(","));
    if (allowed.has("docker/default") || allowed.has("runtime/default")) {
      allowed.add("docker/default");
      allowed.add("runtime/default");
    }
    const f = jevt(
      "requestObject",
      "metadata",
      "annotations",
      "seccomp.security.alpha.kubernetes.io/pod",
    );
    rules.push({
      label: "seccomp",
      suffix: "K8s Audit",
      desc: kaDesc("a pod seccomp profile outside of the allowed set"),
      cond: and(kc, exists(f), not(cmp(f, "in", [...allowed].map(str)))),
      output: kaOut(`pod seccomp profile outside of allowed set (${seccomp})`),
      source: "k8s_audit",
    });
    ctx.uncover(
      "seccomp",
      "only the pod annotation is checked on Falco 0.27 (not seccompProfile fields nor container annotations)",
    );
  } else if (seccomp === undefined) {
    ctx.uncover(
      "seccomp",
      "no allowed profiles (any seccomp profile is refused) is not checked by the 0.27 rules",
    );
  }
  // Fields falcoctl missed whose current-Falco check only reads single JSON values: the same
  // condition, read with Falco 0.27's jevt.value (bounded per-index checks included).
  const missed: [string, boolean][] = [
    ["seLinux", spec.seLinux?.rule === "MustRunAs"],
    ["allowedCSIDrivers", !!spec.allowedCSIDrivers?.length],
    ["forbiddenSysctls", !!spec.forbiddenSysctls?.length],
    ["allowedUnsafeSysctls", !!spec.allowedUnsafeSysctls?.length],
  ];
  for (const [f, set] of missed) {
    if (!set) continue;
    const row = CURRENT_FIELD_RULES.find((r) => r.field === f);
    const check = row?.audit?.(ctx);
    const cond = check && toFalco027(check.cond);
    if (!check || !cond) {
      ctx.uncover(f, "no Falco 0.27 rule checks this field");
      continue;
    }
    rules.push({
      label: f,
      suffix: "K8s Audit",
      desc: kaDesc(`a pod the ${f} policy refuses`),
      cond: and(kc, cond),
      output: kaOut(check.text),
      source: "k8s_audit",
    });
  }
  if (ctx.bounds.size) {
    ctx.uncover(
      "containers/volumes/sysctls",
      `checked element by element for the first ${
        [...ctx.bounds.values()].map((b) => `${b.count} of ${b.path.slice(1).join(".")}`).join(", ")
      } only`,
    );
  }
  for (
    const [f, why] of [
      ["defaultAddCapabilities", !!spec.defaultAddCapabilities?.length],
      ["requiredDropCapabilities", !!spec.requiredDropCapabilities?.length],
      ["defaultAllowPrivilegeEscalation", spec.defaultAllowPrivilegeEscalation != null],
    ] as const
  ) {
    if (why) ctx.uncover(f, "admission defaults (mutations) are not reported by the 0.27 rules");
  }
  if (!spec.allowedUnsafeSysctls?.length) {
    ctx.uncover(
      "allowedUnsafeSysctls",
      "pod sysctls are not checked by the 0.27 rules when the policy lists none (unsafe sysctls are then refused)",
    );
  }
  ctx.uncover(
    "initContainers",
    ctx.prefix === ""
      ? "Falco 0.27's ka.req.pod.containers.* fields only read spec.containers; init containers are not checked without name prefixes (falcoctl v0.0.2 output)"
      : "Falco 0.27's ka.req.pod.containers.* fields only read spec.containers; init containers are checked for privileged, allowPrivilegeEscalation and readOnlyRootFilesystem only",
  );
  if (
    ctx.psp.metadata?.annotations?.["apparmor.security.beta.kubernetes.io/allowedProfileNames"] !==
      undefined
  ) {
    ctx.uncover("apparmor", "AppArmor annotations are not checked by the 0.27 rules");
  }

  const items: RulesItem[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    // Falco refuses a value over MAX_VALUE_BYTES, and the whole file with it: such a rule is
    // left out and its field named as unchecked.
    const long = [r.cond, ...(r.macros ?? []).map((m) => m.cond)].flatMap(overlongValues);
    if (long.length) {
      const name = ctx.ruleName("Violation", r.label, r.suffix);
      ctx.uncover(
        r.label.split(/[=,]/)[0],
        `rule "${name}" left out: ${describeOverlong(long[0])}`,
      );
      continue;
    }
    for (const md of r.macros ?? []) {
      if (seen.has(md.name)) continue;
      seen.add(md.name);
      items.push({ kind: "macro", name: md.name, condition: render(md.cond) });
    }
    items.push({
      kind: "rule",
      rule: ctx.ruleName("Violation", r.label, r.suffix),
      desc: r.desc,
      condition: render(r.cond),
      output: r.output,
      priority: "WARNING",
      source: r.source,
      tags: ["k8s-psp"],
    });
  }
  return items;
}
