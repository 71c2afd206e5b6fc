/**
 * The Falco 0.27 target (engine version 5, built-in k8s_audit fields), compatible with
 * falcoctl's `convert psp`: its header of lists and macros (docs/falco.md §1.3) and the rules
 * of the per-field table (legacy_rows.ts), so existing setups keep working. Without a name
 * prefix and with the image annotation it reproduces falcoctl v0.0.2, the output shown in the
 * Falco 0.27 docs.
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
  render,
  sq,
  str,
  word,
} from "./condition.ts";
import type { PspContext } from "./context.ts";
import type { RulesItem } from "./rules_file.ts";
import { FALCO_IMAGES_ANNOTATION } from "../model/psp.ts";
import {
  LEGACY_FIELD_RULES,
  LEGACY_KA_OUTPUT_TAIL,
  type LegacyKit,
  type LegacyRule,
} from "./legacy_rows.ts";
import { GenerateError, isExactImage, shown } from "./scope.ts";

const ka = (name: string) => field(name);
const jevt = (...path: (string | number)[]) => jsonField(path, "jevt.value");

/** falcoctl v0.0.2 (no prefix, image annotation mandatory) or the final v0.0.6 template. */
function isV002(ctx: PspContext): boolean {
  return ctx.prefix === "" && ctx.scope.images !== undefined && ctx.scope.namespaces === undefined;
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

/**
 * The rules of one PSP for Falco 0.27: every row's falcoctl rules, then every row's added
 * rules (legacy_rows.ts); what a row does not check is reported as uncovered. A rule holding a
 * value over Falco's limit is left out and named (Falco would refuse the whole file).
 */
export function legacyRules(ctx: PspContext): RulesItem[] {
  const fail = `Pod Security Policy ${ctx.name} validation failure--`;
  const kit: LegacyKit = {
    ctx,
    kc: macro(ctx.id("ka_container")),
    sc: macro(ctx.id("container")),
    fail,
    kaOut: (text) => `${fail}${shown(text)} ${LEGACY_KA_OUTPUT_TAIL}`,
    kaDesc: (what) => `Detect a psp validation failure for ${what} using k8s audit logs\n`,
    v002: isV002(ctx),
  };
  const rules: LegacyRule[] = [
    ...LEGACY_FIELD_RULES.flatMap((row) => row.falcoctl?.(kit) ?? []),
    ...LEGACY_FIELD_RULES.flatMap((row) => row.added?.(kit) ?? []),
  ];
  for (const row of LEGACY_FIELD_RULES) {
    const why = row.unchecked?.(kit);
    if (why) ctx.uncover(row.field, why);
  }
  if (ctx.bounds.size) {
    ctx.uncover(
      "containers/volumes/sysctls",
      `checked element by element for the first ${
        [...ctx.bounds.values()].map((b) => `${b.count} of ${b.path.slice(1).join(".")}`).join(", ")
      } only`,
    );
  }
  ctx.uncover(
    "initContainers",
    ctx.prefix === ""
      ? "Falco 0.27's ka.req.pod.containers.* fields only read spec.containers; init containers are not checked without name prefixes (falcoctl v0.0.2 output)"
      : "Falco 0.27's ka.req.pod.containers.* fields only read spec.containers; init containers are checked for privileged, allowPrivilegeEscalation and readOnlyRootFilesystem only",
  );

  const items: RulesItem[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    const name = ctx.ruleName("Violation", r.label, r.suffix);
    const long = [r.cond, ...(r.macros ?? []).map((m) => m.cond)].flatMap(overlongValues);
    if (long.length) {
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
      rule: name,
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
