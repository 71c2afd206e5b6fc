/**
 * Current-target rows for per-container settings: runtime class, procMount, read-only root
 * filesystem, privilege escalation.
 */
import { and, cmp, exists, field, macro, not, sq, str, word } from "../condition.ts";
import type { FieldRule } from "../field_rule.ts";
import { anyContainer, anyKind, containerLacks, jv, kaKind, SPEC } from "./support.ts";

/** `runtimeClass`. */
export const runtimeClass: FieldRule = {
  field: "runtimeClass",
  audit: ({ psp }) => {
    const rc = psp.spec.runtimeClass;
    if (!rc || rc.allowedRuntimeClassNames.includes("*")) return undefined;
    const f = jv(...SPEC, "runtimeClassName");
    return {
      cond: and(exists(f), not(cmp(f, "in", rc.allowedRuntimeClassNames.map(str)))),
      text: `runtimeClassName outside of the allowed set [${
        rc.allowedRuntimeClassNames.join(",")
      }]`,
    };
  },
  mutation: ({ psp }) =>
    psp.spec.runtimeClass?.defaultRuntimeClassName
      ? {
        cond: not(exists(jv(...SPEC, "runtimeClassName"))),
        text:
          `runtimeClassName unset: admission sets ${psp.spec.runtimeClass.defaultRuntimeClassName}`,
      }
      : undefined,
};

/** `allowedProcMountTypes`. */
export const allowedProcMountTypes: FieldRule = {
  field: "allowedProcMountTypes",
  audit: ({ psp }) => {
    const types = psp.spec.allowedProcMountTypes?.length
      ? psp.spec.allowedProcMountTypes
      : ["Default"];
    return {
      cond: anyKind((k) =>
        and(
          exists(kaKind(k, "proc_mount")),
          not(cmp(kaKind(k, "proc_mount"), "in", types.map(str))),
        )
      ),
      text: `procMount outside of the allowed set [${types.join(",")}]`,
    };
  },
};

/** `readOnlyRootFilesystem`. */
export const readOnlyRootFilesystem: FieldRule = {
  field: "readOnlyRootFilesystem",
  audit: ({ psp }) =>
    psp.spec.readOnlyRootFilesystem
      ? {
        cond: anyKind((k) => cmp(kaKind(k, "read_only_fs"), "intersects", str("false"))),
        text: "container with readOnlyRootFilesystem=false",
      }
      : undefined,
  mutation: (ctx) =>
    ctx.psp.spec.readOnlyRootFilesystem
      ? {
        cond: anyContainer(ctx, (c) => containerLacks(c, "readOnlyRootFilesystem")),
        text: "container without readOnlyRootFilesystem: admission sets true",
      }
      : undefined,
  syscall: (ctx) =>
    ctx.psp.spec.readOnlyRootFilesystem
      ? {
        cond: and(macro(ctx.id("open_write")), macro(ctx.id("container"))),
        macros: [{
          name: ctx.id("open_write"),
          cond: and(
            cmp(field("evt.type"), "in", ["open", "openat", "openat2"].map(word)),
            cmp(field("evt.is_open_write"), "=", word("true")),
            cmp(field("fd.typechar"), "=", sq("f")),
            cmp(field("fd.num"), ">=", word("0")),
          ),
        }],
        text:
          "file opened for writing in a container with readOnlyRootFilesystem=true (writes to volumes also match) (user=%user.name command=%proc.cmdline file=%fd.name container_id=%container.id image=%container.image.repository)",
      }
      : undefined,
};

/** `allowPrivilegeEscalation`. */
export const allowPrivilegeEscalation: FieldRule = {
  field: "allowPrivilegeEscalation",
  audit: ({ psp }) =>
    psp.spec.allowPrivilegeEscalation === false
      ? {
        cond: anyKind((k) =>
          cmp(kaKind(k, "allow_privilege_escalation"), "intersects", str("true"))
        ),
        text: "container with allowPrivilegeEscalation=true",
      }
      : undefined,
  mutation: (ctx) =>
    ctx.psp.spec.allowPrivilegeEscalation === false
      ? {
        cond: anyContainer(ctx, (c) => containerLacks(c, "allowPrivilegeEscalation")),
        text: "container without allowPrivilegeEscalation: admission sets false",
      }
      : undefined,
};

/** `defaultAllowPrivilegeEscalation`. */
export const defaultAllowPrivilegeEscalation: FieldRule = {
  field: "defaultAllowPrivilegeEscalation",
  mutation: (ctx) => {
    const d = ctx.psp.spec.defaultAllowPrivilegeEscalation;
    if (d === undefined || d === null || ctx.psp.spec.allowPrivilegeEscalation === false) {
      return undefined;
    }
    return {
      cond: anyContainer(ctx, (c) => containerLacks(c, "allowPrivilegeEscalation")),
      text: `container without allowPrivilegeEscalation: admission sets ${d}`,
    };
  },
};
