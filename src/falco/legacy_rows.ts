/**
 * PSP field -> rules for Falco 0.27, one row per PSP field of src/model/psp_fields.ts (as the
 * current target's table): falcoctl's rules for the fields it covered (docs/falco.md §2, same
 * names and conditions), the rules added where a 0.27 field can check what falcoctl missed,
 * and, for the rest, why the 0.27 rules do not check it. legacy.ts writes them.
 */
import type { IDRange } from "../model/psp.ts";
import { SECCOMP_ALLOWED_PROFILES } from "../model/psp.ts";
import type { PspField } from "../model/psp_fields.ts";
import {
  and,
  cmp,
  type Cond,
  exists,
  field,
  group,
  jsonField,
  macro,
  not,
  or,
  str,
  type Value,
  word,
} from "./condition.ts";
import type { MacroDef, PspContext } from "./context.ts";
import { CURRENT_FIELD_RULES, MAX_CONTAINERS } from "./current.ts";

/** A rule of the 0.27 file. */
export interface LegacyRule {
  label: string;
  suffix?: "K8s Audit" | "System Activity";
  desc: string;
  cond: Cond;
  output: string;
  source: "k8s_audit" | "syscall";
  macros?: MacroDef[];
}

/** What every row builds with: the PSP and falcoctl's macros and output texts for it. */
export interface LegacyKit {
  ctx: PspContext;
  /** The k8s_audit scope macro (`<prefix>_psp_ka_container`). */
  kc: Cond;
  /** The syscall scope macro (`<prefix>_psp_container`). */
  sc: Cond;
  /** `Pod Security Policy <name> validation failure--`. */
  fail: string;
  /** A k8s_audit output: the failure text and falcoctl's common tail. */
  kaOut: (text: string) => string;
  /** A k8s_audit rule's desc, as falcoctl wrote it. */
  kaDesc: (what: string) => string;
  /** falcoctl v0.0.2's form (no prefix, image list): the Falco 0.27 docs' output. */
  v002: boolean;
}

/** One row: a PSP field and what the 0.27 rules do with it. */
export interface LegacyFieldRule {
  field: PspField;
  /** falcoctl's rules for the field (written first, in falcoctl's template order). */
  falcoctl?: (kit: LegacyKit) => LegacyRule[];
  /** Rules for what falcoctl missed that a Falco 0.27 field can check (written after). */
  added?: (kit: LegacyKit) => LegacyRule[];
  /** Why the 0.27 rules do not (fully) check the field for this PSP, if they do not. */
  unchecked?: (kit: LegacyKit) => string | undefined;
}

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
function toFalco027(c: Cond): Cond | undefined {
  const fieldOk = (f: { name: string; arg?: string }) =>
    f.name === "json.value" ? field("jevt.value", f.arg!) : undefined;
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

/** A bare word where falcoctl wrote one, quoted when the text would not survive as a word. */
function bare(text: string): Value {
  return /^[A-Za-z0-9_.:/*-]+$/.test(text) ? word(text) : str(text);
}

function idRanges(ranges: readonly IDRange[] | undefined): Value[] {
  return (ranges ?? []).map((r) => str(`${r.min}:${r.max}`));
}

function idRangesText(ranges: readonly IDRange[] | undefined): string {
  return (ranges ?? []).map((r) => `"${r.min}:${r.max}"`).join(",");
}

/** A macro true when the syscall field (user.uid, group.gid) lies in one of the ranges. */
function idRangesMacro(
  name: string,
  fieldName: string,
  ranges: readonly IDRange[] | undefined,
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

/** A k8s_audit list field with a value outside the allowed ones (unset, <NA>, is allowed). */
function notInOrUnset(kaField: string, allowed: readonly Value[]): Cond {
  return not(cmp(ka(kaField), "in", [...allowed, str("<NA>")]));
}

/** A process of a scoped container back from execve or `setCall`, and `check` (the violation). */
function idChange(kit: LegacyKit, setCall: string, check: Cond): Cond {
  return and(
    cmp(field("evt.type"), "in", [word("execve"), word(setCall)]),
    cmp(field("evt.dir"), "=", word("<")),
    kit.sc,
    check,
  );
}

/**
 * falcoctl's container checks only read spec.containers; with prefixes, init containers get
 * a rule of their own, one JSON value per container (the first MAX_CONTAINERS). Not with
 * --no-prefix: that reproduces falcoctl v0.0.2 (the Falco 0.27 docs) rule for rule. (A pod
 * create carries no ephemeral containers: README, "Ephemeral containers".)
 */
function initContainers(kit: LegacyKit, key: string, value: string, text: string): LegacyRule[] {
  if (kit.ctx.prefix === "") return [];
  const path = ["requestObject", "spec", "initContainers"];
  return [{
    label: `${key}, init containers`,
    suffix: "K8s Audit",
    desc: kit.kaDesc(`an init container with ${text}`),
    cond: and(
      kit.kc,
      or(
        ...kit.ctx.indices(path, MAX_CONTAINERS).map((i) =>
          cmp(jevt(...path, i, "securityContext", key), "=", word(value))
        ),
      ),
    ),
    output: kit.kaOut(`init container with ${text}`),
    source: "k8s_audit",
  }];
}

/**
 * A field falcoctl missed whose current-Falco check only reads single JSON values: the same
 * condition, read with Falco 0.27's jevt.value (bounded per-index checks included).
 */
function sameAsCurrent(f: PspField, on: (kit: LegacyKit) => boolean) {
  return {
    added: (kit: LegacyKit): LegacyRule[] => {
      if (!on(kit)) return [];
      const check = CURRENT_FIELD_RULES.find((r) => r.field === f)?.audit?.(kit.ctx);
      const cond = check && toFalco027(check.cond);
      if (!check || !cond) {
        kit.ctx.uncover(f, "no Falco 0.27 rule checks this field");
        return [];
      }
      return [{
        label: f,
        suffix: "K8s Audit",
        desc: kit.kaDesc(`a pod the ${f} policy refuses`),
        cond: and(kit.kc, cond),
        output: kit.kaOut(check.text),
        source: "k8s_audit",
      }];
    },
  };
}

const MUTATION_ONLY = "admission defaults (mutations) are not reported by the 0.27 rules";

/** The table, in falcoctl's template order (docs/falco.md §2), then the fields it ignored. */
export const LEGACY_FIELD_RULES: readonly LegacyFieldRule[] = [
  {
    field: "privileged",
    falcoctl: ({ ctx, kc, sc, fail, kaOut, kaDesc, v002 }) =>
      ctx.psp.spec.privileged ? [] : [{
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
      }],
    added: (kit) =>
      kit.ctx.psp.spec.privileged
        ? []
        : initContainers(kit, "privileged", "true", "privileged=true"),
  },
  ...([
    ["hostPID", "host_pid", "hostpid"],
    ["hostIPC", "host_ipc", "hostipc"],
    ["hostNetwork", "host_network", "hostnetwork"],
  ] as const).map(([f, kaField, text]): LegacyFieldRule => ({
    field: f,
    falcoctl: ({ ctx, kc, kaOut, kaDesc }) =>
      ctx.psp.spec[f] ? [] : [{
        label: f,
        desc: kaDesc(`a ${f} pod`),
        cond: and(kc, cmp(ka(`ka.req.pod.${kaField}`), "intersects", word("true"))),
        output: kaOut(`pod with ${text}=true`),
        source: "k8s_audit",
      }],
  })),
  {
    field: "hostPorts",
    falcoctl: ({ ctx, kc, kaOut, kaDesc }) => {
      const ports = ctx.psp.spec.hostPorts;
      return ports?.length
        ? [{
          label: "hostPorts",
          desc: kaDesc("a hostnetwork port outside of the allowed set"),
          cond: and(kc, notInOrUnset("ka.req.pod.containers.host_port", idRanges(ports))),
          output: kaOut(`hostnetwork port outside of allowed ranges (${idRangesText(ports)})`),
          source: "k8s_audit",
        }]
        : [];
    },
    unchecked: ({ ctx }) =>
      ctx.psp.spec.hostPorts?.length
        ? undefined
        : "an empty list (no host port allowed) is not checked by the falcoctl-compatible 0.27 rules",
  },
  {
    field: "volumes",
    falcoctl: ({ ctx, kc, kaOut, kaDesc }) => {
      const volumes = ctx.psp.spec.volumes;
      return volumes?.length
        ? [{
          label: "volumes",
          desc: kaDesc("a volume type outside of the allowed set"),
          cond: and(kc, notInOrUnset("ka.req.pod.volumes.volume_type", volumes.map(bare))),
          output: kaOut(`volume type outside of allowed set (${volumes.join(",")})`),
          source: "k8s_audit",
        }]
        : [];
    },
    unchecked: ({ ctx }) =>
      ctx.psp.spec.volumes?.length
        ? undefined
        : "an empty list (no volume allowed) is not checked by the falcoctl-compatible 0.27 rules",
  },
  {
    field: "allowedHostPaths",
    falcoctl: ({ ctx, kc, kaOut, kaDesc }) => {
      const entries = ctx.psp.spec.allowedHostPaths;
      if (!entries?.length) return [];
      const paths = entries.map((p) => p.pathPrefix ?? "");
      return [{
        label: "allowedHostPaths",
        desc: kaDesc("a hostPath volume with a path outside of the allowed set"),
        cond: and(
          kc,
          not(cmp(ka("ka.req.pod.volumes.hostpath"), "pmatch", [...paths.map(bare), str("<NA>")])),
        ),
        output: kaOut(`hostPath volume mounting path outside of allowed set (${paths.join(",")})`),
        source: "k8s_audit",
      }];
    },
    unchecked: ({ ctx }) =>
      ctx.psp.spec.allowedHostPaths?.some((p) => p.readOnly)
        ? "read-only mounts (allowedHostPaths[].readOnly) cannot be cross-checked by Falco 0.27 fields"
        : undefined,
  },
  {
    field: "allowedFlexVolumes",
    falcoctl: ({ ctx, kc, kaOut, kaDesc }) => {
      const drivers = (ctx.psp.spec.allowedFlexVolumes ?? []).map((d) => d.driver);
      return drivers.length
        ? [{
          label: "allowedFlexVolumes",
          desc: kaDesc("a FlexVolume driver outside of the allowed set"),
          cond: and(kc, notInOrUnset("ka.req.pod.volumes.flexvolume_driver", drivers.map(bare))),
          output: kaOut(`Flexvolume driver outside of allowed set (${drivers.join(",")})`),
          source: "k8s_audit",
        }]
        : [];
    },
  },
  {
    field: "fsGroup",
    falcoctl: ({ ctx, kc, kaOut, kaDesc }) => {
      const fs = ctx.psp.spec.fsGroup;
      if (!fs?.rule || fs.rule === "RunAsAny") return [];
      const always = group(macro(ctx.id("ka_always_true")));
      const must: MacroDef = {
        name: ctx.id("fs_group_must_run_matches"),
        cond: fs.rule === "MustRunAs"
          ? cmp(ka("ka.req.pod.fs_group"), "in", idRanges(fs.ranges))
          : always,
      };
      const may: MacroDef = {
        name: ctx.id("fs_group_may_run_matches"),
        cond: fs.rule === "MayRunAs"
          ? cmp(ka("ka.req.pod.fs_group"), "in", [...idRanges(fs.ranges), str("<NA>")])
          : always,
      };
      const all: MacroDef = {
        name: ctx.id("fs_group"),
        cond: group(and(macro(must.name), macro(may.name))),
      };
      return [{
        label: "fsGroup",
        desc: kaDesc("a fsGroup gid outside of the allowed set"),
        cond: and(kc, not(macro(all.name))),
        output: kaOut(
          `fsGroup outside of allowed set. Rule=${fs.rule} ranges= (${idRangesText(fs.ranges)})`,
        ),
        source: "k8s_audit",
        macros: [must, may, all],
      }];
    },
  },
  {
    field: "readOnlyRootFilesystem",
    falcoctl: ({ ctx, kc, sc, fail, kaOut, kaDesc, v002 }) =>
      ctx.psp.spec.readOnlyRootFilesystem
        ? [{
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
          // falcoctl wrote the scope macro first; Falco 0.27 then warns (trailing-evttype)
          // unless the scope is v0.0.2's, so the final-template files put the event types first.
          cond: v002 ? and(sc, macro(ctx.id("open_write"))) : and(macro(ctx.id("open_write")), sc),
          output:
            `${fail}write in container with readOnlyRootFilesystem=true (user=%user.name command=%proc.cmdline file=%fd.name parent=%proc.pname container_id=%container.id images=%container.image.repository)\n`,
          source: "syscall",
        }]
        : [],
    added: (kit) =>
      kit.ctx.psp.spec.readOnlyRootFilesystem
        ? initContainers(kit, "readOnlyRootFilesystem", "false", "readOnlyRootFilesystem=false")
        : [],
  },
  {
    field: "runAsUser",
    falcoctl: (kit) => {
      const { ctx, kc, fail, kaOut, kaDesc } = kit;
      const ru = ctx.psp.spec.runAsUser;
      if (ru?.rule === "MustRunAs") {
        const uids = idRangesMacro(ctx.id("allowed_uids"), "user.uid", ru.ranges);
        return [{
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
          cond: idChange(kit, "setuid", not(macro(uids.name))),
          output: `${fail}runAsUser outside of allowed set. runAsUser set=(${
            idRangesText(ru.ranges)
          }) (command=%proc.cmdline uid=%user.uid container_id=%container.id images=%container.image.repository)`,
          source: "syscall",
          macros: [uids],
        }];
      }
      if (ru?.rule === "MustRunAsNonRoot") {
        return [{
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
          cond: idChange(kit, "setuid", cmp(field("user.uid"), "=", word("0"))),
          output:
            `${fail}root user when MustRunAsNonRoot is set (command=%proc.cmdline uid=%user.uid container_id=%container.id images=%container.image.repository)`,
          source: "syscall",
        }];
      }
      return [];
    },
  },
  {
    field: "runAsGroup",
    falcoctl: (kit) => {
      const { ctx, kc, fail, kaOut, kaDesc } = kit;
      const rg = ctx.psp.spec.runAsGroup;
      if (rg?.rule === "MustRunAs") {
        const gids = idRangesMacro(ctx.id("allowed_gids"), "group.gid", rg.ranges);
        return [{
          label: "runAsGroup=MustRunAs",
          suffix: "K8s Audit",
          desc: kaDesc("a runAsGroup outside of the MustRunAs allowed set"),
          cond: and(
            kc,
            not(
              group(cmp(ka("ka.req.pod.containers.eff_run_as_group"), "in", idRanges(rg.ranges))),
            ),
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
          cond: idChange(kit, "setgid", not(macro(gids.name))),
          output: `${fail}runAsGroup outside of allowed set. runAsGroup set=(${
            idRangesText(rg.ranges)
          }) (command=%proc.cmdline user=%user.uid gid=%group.gid container_id=%container.id images=%container.image.repository)`,
          source: "syscall",
          macros: [gids],
        }];
      }
      if (rg?.rule === "MayRunAs") {
        return [{
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
        }];
      }
      return [];
    },
  },
  {
    field: "supplementalGroups",
    falcoctl: ({ ctx, kc, kaOut, kaDesc }) => {
      const sg = ctx.psp.spec.supplementalGroups;
      if (sg?.rule !== "MustRunAs" && sg?.rule !== "MayRunAs") return [];
      const may = sg.rule === "MayRunAs";
      return [{
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
      }];
    },
  },
  {
    field: "allowPrivilegeEscalation",
    falcoctl: ({ ctx, kc, kaOut, kaDesc }) => {
      if (ctx.psp.spec.allowPrivilegeEscalation !== false) return [];
      const ape: MacroDef = {
        name: ctx.id("allow_privilege_escalation"),
        cond: group(
          cmp(ka("ka.req.pod.containers.allow_privilege_escalation"), "intersects", word("true")),
        ),
      };
      return [{
        label: "allowPrivilegeEscalation",
        desc: kaDesc("allowPrivilegeEscalation"),
        cond: and(kc, macro(ape.name)),
        output: kaOut("pod with allowPrivilegeEscalation=true"),
        source: "k8s_audit",
        macros: [ape],
      }];
    },
    added: (kit) =>
      kit.ctx.psp.spec.allowPrivilegeEscalation === false
        ? initContainers(
          kit,
          "allowPrivilegeEscalation",
          "true",
          "allowPrivilegeEscalation=true",
        )
        : [],
  },
  {
    field: "allowedCapabilities",
    falcoctl: ({ ctx, kc, kaOut, kaDesc }) => {
      const caps = ctx.psp.spec.allowedCapabilities;
      return caps?.length
        ? [{
          label: "allowedCapabilities",
          desc: kaDesc("Allowed Capabilities"),
          cond: and(kc, notInOrUnset("ka.req.pod.containers.add_capabilities", caps.map(bare))),
          output: kaOut(`pod added capabilities outside of allowed set "(${caps.join(",")})"`),
          source: "k8s_audit",
        }]
        : [];
    },
    unchecked: ({ ctx }) =>
      ctx.psp.spec.allowedCapabilities?.length
        ? undefined
        : "no allowed capabilities (none but the defaults may be added) is not checked by the falcoctl-compatible 0.27 rules",
  },
  {
    field: "allowedProcMountTypes",
    falcoctl: ({ ctx, kc, kaOut, kaDesc }) => {
      const types = ctx.psp.spec.allowedProcMountTypes;
      return types?.length
        ? [{
          label: "allowedProcMountTypes",
          desc: kaDesc("Allowed Proc Mount Types"),
          cond: and(kc, notInOrUnset("ka.req.pod.containers.proc_mount", types.map(bare))),
          output: kaOut(`pod with proc mounts outside of allowed set "(${types.join(",")})"`),
          source: "k8s_audit",
        }]
        : [];
    },
  },
  {
    field: "runtimeClass",
    added: ({ ctx, kc, kaOut, kaDesc }) => {
      const rc = ctx.psp.spec.runtimeClass;
      if (!rc || rc.allowedRuntimeClassNames.includes("*")) return [];
      const f = jevt("requestObject", "spec", "runtimeClassName");
      return [{
        label: "runtimeClass",
        suffix: "K8s Audit",
        desc: kaDesc("a runtimeClassName outside of the allowed set"),
        cond: and(kc, exists(f), not(cmp(f, "in", rc.allowedRuntimeClassNames.map(str)))),
        output: kaOut(
          `runtimeClassName outside of allowed set (${rc.allowedRuntimeClassNames.join(",")})`,
        ),
        source: "k8s_audit",
      }];
    },
  },
  {
    field: "seccomp",
    added: ({ ctx, kc, kaOut, kaDesc }) => {
      const seccomp = ctx.psp.metadata?.annotations?.[SECCOMP_ALLOWED_PROFILES];
      if (seccomp === undefined || seccomp.split(",").includes("*")) return [];
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
      return [{
        label: "seccomp",
        suffix: "K8s Audit",
        desc: kaDesc("a pod seccomp profile outside of the allowed set"),
        cond: and(kc, exists(f), not(cmp(f, "in", [...allowed].map(str)))),
        output: kaOut(`pod seccomp profile outside of allowed set (${seccomp})`),
        source: "k8s_audit",
      }];
    },
    unchecked: ({ ctx }) => {
      const seccomp = ctx.psp.metadata?.annotations?.[SECCOMP_ALLOWED_PROFILES];
      if (seccomp === undefined) {
        return "no allowed profiles (any seccomp profile is refused) is not checked by the 0.27 rules";
      }
      return seccomp.split(",").includes("*")
        ? undefined
        : "only the pod annotation is checked on Falco 0.27 (not seccompProfile fields nor container annotations)";
    },
  },
  {
    field: "seLinux",
    ...sameAsCurrent("seLinux", (k) => k.ctx.psp.spec.seLinux?.rule === "MustRunAs"),
  },
  {
    field: "allowedCSIDrivers",
    ...sameAsCurrent("allowedCSIDrivers", (k) => !!k.ctx.psp.spec.allowedCSIDrivers?.length),
  },
  {
    field: "forbiddenSysctls",
    ...sameAsCurrent("forbiddenSysctls", (k) => !!k.ctx.psp.spec.forbiddenSysctls?.length),
  },
  {
    field: "allowedUnsafeSysctls",
    ...sameAsCurrent("allowedUnsafeSysctls", (k) => !!k.ctx.psp.spec.allowedUnsafeSysctls?.length),
    unchecked: ({ ctx }) =>
      ctx.psp.spec.allowedUnsafeSysctls?.length
        ? undefined
        : "pod sysctls are not checked by the 0.27 rules when the policy lists none (unsafe sysctls are then refused)",
  },
  {
    field: "defaultAddCapabilities",
    unchecked: ({ ctx }) => ctx.psp.spec.defaultAddCapabilities?.length ? MUTATION_ONLY : undefined,
  },
  {
    field: "requiredDropCapabilities",
    unchecked: ({ ctx }) =>
      ctx.psp.spec.requiredDropCapabilities?.length ? MUTATION_ONLY : undefined,
  },
  {
    field: "defaultAllowPrivilegeEscalation",
    unchecked: ({ ctx }) =>
      ctx.psp.spec.defaultAllowPrivilegeEscalation != null ? MUTATION_ONLY : undefined,
  },
  {
    field: "apparmor",
    unchecked: ({ ctx }) =>
      ctx.psp.metadata?.annotations
          ?.["apparmor.security.beta.kubernetes.io/allowedProfileNames"] !==
          undefined
        ? "AppArmor annotations are not checked by the 0.27 rules"
        : undefined,
  },
];
