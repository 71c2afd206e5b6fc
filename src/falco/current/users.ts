/**
 * Current-target rows for user and group IDs: fsGroup, supplementalGroups, runAsUser, runAsGroup.
 */
import { and, cmp, exists, field, macro, not, or, str, word } from "../condition.ts";
import type { FieldRule } from "../field_rule.ts";
import { inRangesAlternatives, outsideRangesAlternatives } from "../regex.ts";
import {
  anyContainer,
  containerLacks,
  effectiveOutOfRanges,
  effectiveUnset,
  idRangesCond,
  jv,
  ka,
  KINDS,
  POD_SC,
  PROCESS_START,
  rangesText,
  regexAny,
  SPEC,
  SYSCALL_IDS,
  unusable,
  withoutOwn,
} from "./support.ts";

/** `fsGroup`. */
export const fsGroup: FieldRule = {
  field: "fsGroup",
  audit: (ctx) => {
    const { rule, ranges } = ctx.psp.spec.fsGroup ?? {};
    if (rule !== "MustRunAs" && rule !== "MayRunAs") return undefined;
    if (!ranges?.length) return unusable(ctx, "fsGroup", `${rule} without ranges`);
    return {
      cond: and(
        exists(ka("ka.req.pod.fs_group")),
        not(regexAny(ka("ka.req.pod.fs_group"), "^", inRangesAlternatives(ranges), "$")),
      ),
      text: `fsGroup outside of the ${rule} ranges [${rangesText(ranges)}]`,
    };
  },
  mutation: ({ psp }) =>
    psp.spec.fsGroup?.rule === "MustRunAs" && psp.spec.fsGroup.ranges?.length
      ? {
        cond: not(exists(ka("ka.req.pod.fs_group"))),
        text: `fsGroup unset: admission sets it to ${psp.spec.fsGroup.ranges[0].min}`,
      }
      : undefined,
};

/** `supplementalGroups`. */
export const supplementalGroups: FieldRule = {
  field: "supplementalGroups",
  audit: (ctx) => {
    const { rule, ranges } = ctx.psp.spec.supplementalGroups ?? {};
    if (rule !== "MustRunAs" && rule !== "MayRunAs") return undefined;
    if (!ranges?.length) return unusable(ctx, "supplementalGroups", `${rule} without ranges`);
    // Negative groups are outside every range too.
    const outside = ["-[0-9]+", ...outsideRangesAlternatives(ranges)];
    if (rule === "MustRunAs") {
      ctx.uncover(
        "supplementalGroups",
        "an explicitly empty list (refused under MustRunAs) is not written in the audit event, so it looks unset (defaulted)",
      );
    }
    return {
      cond: regexAny(
        jv(...POD_SC, "supplementalGroups"),
        "^.(-?[0-9]+,)*",
        outside,
        "[^0-9].*$",
      ),
      text: `supplementalGroups outside of the ${rule} ranges [${rangesText(ranges)}]`,
    };
  },
  mutation: ({ psp }) =>
    psp.spec.supplementalGroups?.rule === "MustRunAs" &&
      psp.spec.supplementalGroups.ranges?.length
      ? {
        cond: not(exists(jv(...POD_SC, "supplementalGroups"))),
        text: `supplementalGroups unset: admission sets [${
          psp.spec.supplementalGroups.ranges[0].min
        }]`,
      }
      : undefined,
};

/** `runAsUser`. */
export const runAsUser: FieldRule = {
  field: "runAsUser",
  label: ({ psp }) => `runAsUser=${psp.spec.runAsUser?.rule}`,
  audit: (ctx) => {
    const { rule, ranges } = ctx.psp.spec.runAsUser ?? {};
    if (rule === "MustRunAs") {
      if (!ranges?.length) return unusable(ctx, "runAsUser", "MustRunAs without ranges");
      const e = effectiveOutOfRanges(ctx, "runAsUser", ranges);
      return { ...e, text: `runAsUser outside of the ranges [${rangesText(ranges)}]` };
    }
    if (rule === "MustRunAsNonRoot") {
      return {
        cond: or(
          ...KINDS.map((kind) =>
            cmp(jv(...SPEC, kind), "regex", str('^.*("runAsNonRoot":false|"runAsUser":0)[,}].*$'))
          ),
          and(
            cmp(jv(...POD_SC, "runAsNonRoot"), "=", str("false")),
            macro(withoutOwn(ctx, "runAsNonRoot").name),
          ),
          and(
            cmp(jv(...POD_SC, "runAsUser"), "=", str("0")),
            macro(withoutOwn(ctx, "runAsUser").name),
          ),
        ),
        macros: [withoutOwn(ctx, "runAsNonRoot"), withoutOwn(ctx, "runAsUser")],
        text: "runAsNonRoot=false or runAsUser=0 when MustRunAsNonRoot is set",
      };
    }
    return undefined;
  },
  mutation: (ctx) => {
    const { rule, ranges } = ctx.psp.spec.runAsUser ?? {};
    if (rule === "MustRunAs" && ranges?.length) {
      return {
        ...effectiveUnset(ctx, "runAsUser"),
        text: `container without runAsUser: admission sets ${ranges[0].min}`,
      };
    }
    if (rule === "MustRunAsNonRoot") {
      return {
        cond: and(
          not(exists(jv(...POD_SC, "runAsUser"))),
          not(exists(jv(...POD_SC, "runAsNonRoot"))),
          anyContainer(
            ctx,
            (c) =>
              and(
                containerLacks(c, "runAsUser"),
                not(exists(jv(...c, "securityContext", "runAsNonRoot"))),
              ),
          ),
        ),
        text: "container without runAsUser or runAsNonRoot: admission sets runAsNonRoot=true",
      };
    }
    return undefined;
  },
  syscall: (ctx) => {
    const { rule, ranges } = ctx.psp.spec.runAsUser ?? {};
    if (rule === "MustRunAs" && ranges?.length) {
      const name = ctx.id("allowed_uids");
      return {
        cond: and(PROCESS_START(["setuid"]), macro(ctx.id("container")), not(macro(name))),
        macros: [{ name, cond: idRangesCond("user.uid", ranges) }],
        text: `process uid outside of the runAsUser ranges [${
          rangesText(ranges)
        }] (${SYSCALL_IDS})`,
      };
    }
    if (rule === "MustRunAsNonRoot") {
      return {
        cond: and(
          PROCESS_START(["setuid"]),
          macro(ctx.id("container")),
          cmp(field("user.uid"), "=", word("0")),
        ),
        text: `root process when MustRunAsNonRoot is set (${SYSCALL_IDS})`,
      };
    }
    return undefined;
  },
};

/** `runAsGroup`. */
export const runAsGroup: FieldRule = {
  field: "runAsGroup",
  label: ({ psp }) => `runAsGroup=${psp.spec.runAsGroup?.rule}`,
  audit: (ctx) => {
    const { rule, ranges } = ctx.psp.spec.runAsGroup ?? {};
    if (rule !== "MustRunAs" && rule !== "MayRunAs") return undefined;
    if (!ranges?.length) return unusable(ctx, "runAsGroup", `${rule} without ranges`);
    const e = effectiveOutOfRanges(ctx, "runAsGroup", ranges);
    return { ...e, text: `runAsGroup outside of the ${rule} ranges [${rangesText(ranges)}]` };
  },
  mutation: (ctx) => {
    const { rule, ranges } = ctx.psp.spec.runAsGroup ?? {};
    if (rule !== "MustRunAs" || !ranges?.length) return undefined;
    return {
      ...effectiveUnset(ctx, "runAsGroup"),
      text: `container without runAsGroup: admission sets ${ranges[0].min}`,
    };
  },
  syscall: (ctx) => {
    const { rule, ranges } = ctx.psp.spec.runAsGroup ?? {};
    if (rule !== "MustRunAs" || !ranges?.length) return undefined;
    const name = ctx.id("allowed_gids");
    return {
      cond: and(PROCESS_START(["setgid"]), macro(ctx.id("container")), not(macro(name))),
      macros: [{ name, cond: idRangesCond("group.gid", ranges) }],
      text: `process gid outside of the runAsGroup ranges [${rangesText(ranges)}] (${SYSCALL_IDS})`,
    };
  },
};
