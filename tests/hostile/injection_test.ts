/**
 * Adversarial names for injection (issue 5): hostile PSP names, scoping annotation values
 * (falco-rules-psp-images, falco-rules-psp-namespaces), seccomp and AppArmor profile names and
 * raw image-list annotations. For each, on both targets: the generator either refuses it with
 * an input error, or the rules file is well-formed YAML, loads in the test-side Falco engine
 * with no error or warning, means exactly what the same PSP with a benign value means (same
 * condition structure, literals equal to the hostile text), and scopes crafted audit events
 * correctly (a pod with the hostile image / namespace / profile is treated as such, one
 * without is not).
 */
import assert from "node:assert/strict";
import type { FalcoTarget } from "../../src/falco/generate.ts";
import {
  assertSameMeaning,
  basePsp,
  type Conversion,
  convertObject,
  fired,
  loadClean,
  podCreateEvent,
  privilegedPod,
  TARGETS,
} from "./meaning.ts";
import type { RuleSet } from "../support/falco/rules.ts";
import { assertInputError, runCli } from "./cli.ts";
import { HOSTILE_STRINGS } from "./strings.ts";
import { parseImageRef } from "../../src/falco/image_ref.ts";

/** An image item that parses as a reference but is not one bare Docker Hub name like the placeholder. */
function otherImageShape(h: string): boolean {
  try {
    parseImageRef(h.trim());
  } catch {
    return false;
  }
  return /[/:@]/.test(h.trim());
}

/** Where a hostile value goes, and how to tell that the rules treat it as data. */
interface Slot {
  name: string;
  /** The value actually placed (profiles need `localhost/` to pass API validation). */
  place(h: string): string;
  /** What the hostile text must become in the conditions (scope list items are trimmed). */
  literal?(h: string): string;
  psp(value: string): unknown;
  /** Rule names of the benign file mapped to the hostile one. */
  rename?(value: string): (name: string) => string;
  /** Evaluates events on the hostile rules; returns a problem or undefined. */
  behaves?(rs: RuleSet, value: string, target: FalcoTarget): string | undefined;
  /** Values that are syntax here, not data (skipped). */
  skip?(value: string): boolean;
}

const PRIVILEGED_RULE = /^PSP \S+ Violation \(privileged\) K8s Audit$/;

/** The name prefix issue 2 prescribes: `-`, spaces (and `.`, not allowed in macro names) to `_`. */
function expectedPrefix(name: string): string {
  const p = name.replace(/[-. ]/g, "_");
  return /^[A-Za-z]/.test(p) ? p : `psp_${p}`;
}

function privilegedFires(rs: RuleSet, ns: string, image: string): boolean {
  return fired(rs, podCreateEvent(ns, privilegedPod(image))).some((n) => PRIVILEGED_RULE.test(n));
}

const SLOTS: Slot[] = [
  {
    name: "PSP name",
    place: (h) => h,
    psp: (v) => basePsp(v),
    rename: (v) => (n) => n.replace(/^PSP zzbenign /, `PSP ${expectedPrefix(v)} `),
    behaves: (rs, v) => {
      const names = fired(rs, podCreateEvent("default", privilegedPod("nginx")));
      const want = `PSP ${expectedPrefix(v)} Violation (privileged) K8s Audit`;
      return names.includes(want) ? undefined : `a privileged pod fires ${names}, not ${want}`;
    },
  },
  {
    name: "falco-rules-psp-images item",
    place: (h) => h,
    literal: (h) => h.trim(),
    // a valid image reference with a registry, a path, a tag or a digest gives other
    // conditions than the one-component placeholder (its spellings, src/falco/image_ref.ts);
    // tests/falco/image_scope_test.ts checks what those mean
    skip: otherImageShape,
    psp: (v) => basePsp("policy", { "falco-rules-psp-images": JSON.stringify([v]) }),
    behaves: (rs, v) => {
      if (!privilegedFires(rs, "default", v)) return `a pod with image ${v} is not in scope`;
      if (privilegedFires(rs, "default", "zz-other")) return "a pod with another image is in scope";
      return undefined;
    },
  },
  {
    name: "falco-rules-psp-namespaces item",
    place: (h) => h,
    literal: (h) => h.trim(),
    psp: (v) => basePsp("policy", { "falco-rules-psp-namespaces": JSON.stringify([v]) }),
    behaves: (rs, v) => {
      if (!privilegedFires(rs, v, "nginx")) return `a pod in namespace ${v} is not in scope`;
      if (privilegedFires(rs, "zz-other", "nginx")) return "a pod in another namespace is in scope";
      return undefined;
    },
  },
  {
    name: "seccomp allowedProfileNames",
    place: (h) => `localhost/${h}`,
    skip: (h) => h.includes(","), // the annotation is a comma list: commas are its syntax
    psp: (v) =>
      basePsp("policy", { "seccomp.security.alpha.kubernetes.io/allowedProfileNames": v }),
    behaves: (rs, v, target) => {
      const seccomp = (profile: string) =>
        fired(
          rs,
          podCreateEvent("default", { containers: [{ name: "c", image: "nginx" }] }, {
            "seccomp.security.alpha.kubernetes.io/pod": profile,
          }),
        ).some((n) => n.includes("(seccomp)") && n.includes("Violation"));
      if (seccomp(v)) return `a pod with the allowed profile ${v} fires the seccomp rule`;
      if (target === "current" && !seccomp("unconfined")) {
        return "a pod with profile unconfined does not fire the seccomp rule";
      }
      return undefined;
    },
  },
  {
    name: "apparmor allowedProfileNames",
    place: (h) => `localhost/${h}`,
    skip: (h) => h.includes(","),
    psp: (v) =>
      basePsp("policy", { "apparmor.security.beta.kubernetes.io/allowedProfileNames": v }),
    behaves: (rs, v, target) => {
      if (target !== "current") return undefined; // 0.27 rules do not check AppArmor
      const apparmor = (profile: string) =>
        fired(
          rs,
          podCreateEvent("default", { containers: [{ name: "c", image: "nginx" }] }, {
            "container.apparmor.security.beta.kubernetes.io/c": profile,
          }),
        ).some((n) => n.includes("(apparmor)") && n.includes("Violation"));
      if (apparmor(v)) return `a container with the allowed profile ${v} fires the apparmor rule`;
      if (!apparmor("unconfined")) return "a container with profile unconfined does not fire";
      return undefined;
    },
  },
  {
    // the default profile appears in the mutation rules' conditions and outputs
    name: "seccomp defaultProfileName (also allowed)",
    place: (h) => `localhost/${h}`,
    skip: (h) => h.includes(","),
    psp: (v) =>
      basePsp("policy", {
        "seccomp.security.alpha.kubernetes.io/allowedProfileNames": v,
        "seccomp.security.alpha.kubernetes.io/defaultProfileName": v,
      }),
  },
  {
    name: "apparmor defaultProfileName (also allowed)",
    place: (h) => `localhost/${h}`,
    skip: (h) => h.includes(","),
    psp: (v) =>
      basePsp("policy", {
        "apparmor.security.beta.kubernetes.io/allowedProfileNames": v,
        "apparmor.security.beta.kubernetes.io/defaultProfileName": v,
      }),
  },
];

/** The benign value every hostile one is compared with. */
const PLACEHOLDER = "zzbenign";

const benignRules = new Map<string, RuleSet>();
function benign(slot: Slot, target: FalcoTarget): RuleSet {
  const key = `${slot.name}/${target}`;
  let rs = benignRules.get(key);
  if (!rs) {
    const c = convertObject(slot.psp(slot.place(PLACEHOLDER)), target);
    if (!c.ok) throw new Error(`benign ${slot.name} refused: ${c.error.message}`);
    rs = loadClean(c.yaml, target, `benign ${slot.name}`);
    benignRules.set(key, rs);
  }
  return rs;
}

/** Checks one hostile value in one slot on one target; returns "refused" or "accepted". */
function checkValue(slot: Slot, h: string, target: FalcoTarget): "refused" | "accepted" {
  const value = slot.place(h);
  const what = `${slot.name} ${JSON.stringify(value)} (${target})`;
  const c: Conversion = convertObject(slot.psp(value), target);
  if (!c.ok) {
    // a refusal names what it refuses (the field, or the value itself)
    assert.match(
      c.error.message,
      /metadata\.(name|annotations)|cannot be written safely|Invalid value|not a valid/,
      `${what}: unclear refusal: ${c.error.message}`,
    );
    return "refused";
  }
  const rs = loadClean(c.yaml, target, what);
  if (c.leftOut.length) {
    // Too long for Falco's limit on one value: the rule is left out, named in the header.
    for (const name of c.leftOut) assert.ok(c.yaml.includes(`rule "${name}" left out`), what);
    assert.deepEqual(
      rs.rules.map((r) => r.name),
      benign(slot, target).rules.map((r) => r.name).filter((n) => !c.leftOut.includes(n)),
      `${what}: only the rules named as left out are missing`,
    );
    return "refused";
  }
  const literal = slot.literal?.(h) ?? h;
  assertSameMeaning(rs, benign(slot, target), PLACEHOLDER, literal, what, slot.rename?.(value));
  const problem = slot.behaves?.(rs, slot.place(literal), target);
  assert.equal(problem, undefined, `${what}: ${problem}`);
  return "accepted";
}

assert.ok(HOSTILE_STRINGS.length >= 50);

for (const slot of SLOTS) {
  for (const target of TARGETS) {
    Deno.test(`injection: hostile ${slot.name} (${target}) is refused or stays data`, () => {
      const failures: string[] = [];
      const tally = { refused: 0, accepted: 0 };
      for (const h of HOSTILE_STRINGS) {
        if (slot.skip?.(h)) continue;
        try {
          tally[checkValue(slot, h, target)]++;
        } catch (e) {
          failures.push((e as Error).message.split("\n").slice(0, 6).join("\n"));
        }
      }
      console.log(
        `${slot.name} (${target}): ${tally.accepted} accepted as data, ${tally.refused} refused, ${failures.length} wrong`,
      );
      assert.deepEqual(failures, [], `${failures.length} hostile values misbehave`);
    });
  }
}

/**
 * Raw image-list annotations and the images each one means. `undefined`: must be refused.
 * `refusable`: either refused with a clear error, or read as exactly these images (an image
 * with a tag, a digest or a registry port, which the Falco image fields may not match; words
 * YAML would read as a boolean or null).
 */
const IMAGE_LISTS: [raw: string, images: string[] | undefined, refusable?: "refusable"][] = [
  ["[nginx]", ["nginx"]],
  ["nginx,redis", ["nginx", "redis"]],
  ["[nginx, redis]", ["nginx", "redis"]],
  [" nginx , redis ", ["nginx", "redis"]],
  ["nginx,,redis", ["nginx", "redis"]],
  ["[nginx,\n redis]", ["nginx", "redis"]],
  ["['nginx', \"redis\"]", ["nginx", "redis"]],
  ["quay.io/org/app", ["quay.io/org/app"]],
  ["[1.0]", ["1.0"]],
  ["[010]", ["010"]],
  ["[0x1F]", ["0x1F"], "refusable"], // not a reference (upper case): refused
  ["[1e3]", ["1e3"]],
  ["[.inf]", undefined],
  ["[nginx:1.19]", ["nginx:1.19"], "refusable"],
  ["registry:5000/app", ["registry:5000/app"], "refusable"],
  ["[nginx@sha256:" + "0".repeat(64) + "]", ["nginx@sha256:" + "0".repeat(64)], "refusable"],
  ['["nginx,redis"]', undefined],
  ["[nginx, [redis]]", undefined],
  ["[nginx, {a: b}]", undefined],
  ["[a b]", undefined],
  ["[nginx] or ka.verb=get", undefined],
  ["nginx) or (ka.verb=get", undefined],
  ['nginx" or ka.verb=get or "', undefined],
  ["[true]", ["true"], "refusable"],
  ["[null]", ["null"], "refusable"],
  ["[]", undefined],
  ["", undefined],
  ["[!!binary aGVsbG8=]", undefined],
];

for (const target of TARGETS) {
  Deno.test(`injection: raw falco-rules-psp-images annotations mean their images (${target})`, () => {
    const failures: string[] = [];
    for (const [raw, images, refusable] of IMAGE_LISTS) {
      const what = `images ${JSON.stringify(raw)} (${target})`;
      try {
        const c = convertObject(basePsp("policy", { "falco-rules-psp-images": raw }), target);
        if (!c.ok && (images === undefined || refusable)) {
          assert.match(c.error.message, /falco-rules-psp-images/, what);
          continue;
        }
        assert.ok(images !== undefined, `${what}: accepted, should be refused`);
        assert.ok(c.ok, `${what}: refused: ${!c.ok && c.error.message}`);
        const rs = loadClean(c.yaml, target, what);
        const canonical = convertObject(
          basePsp("policy", { "falco-rules-psp-images": JSON.stringify(images) }),
          target,
        );
        assert.ok(canonical.ok, `${what}: canonical form refused`);
        assertSameMeaning(rs, loadClean(canonical.yaml, target, what), "", "", what);
        for (const image of images) {
          assert.ok(privilegedFires(rs, "default", image), `${what}: image ${image} not in scope`);
        }
        assert.ok(!privilegedFires(rs, "default", "zz-other"), `${what}: other image in scope`);
      } catch (e) {
        failures.push((e as Error).message.split("\n").slice(0, 4).join("\n"));
      }
    }
    assert.deepEqual(failures, [], `${failures.length} image lists misread`);
  });
}

Deno.test("injection through the CLI: a value that cannot be quoted is exit 2 naming file and PSP", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hostile_inj_" });
  try {
    const file = `${dir}/psp.yaml`;
    const psp = basePsp("policy") as { spec: Record<string, unknown> };
    psp.spec.seLinux = {
      rule: "MustRunAs",
      seLinuxOptions: { type: `x" or ka.verb=get or 'y` },
    };
    await Deno.writeTextFile(file, JSON.stringify(psp));
    const rules = `${dir}/rules.yaml`;
    const r = await runCli(["convert", file, "--rules-path", rules]);
    assertInputError(r, "convert", {
      file,
      position: /^ \(document 1/,
      message: /cannot be written safely/,
    });
    await assert.rejects(Deno.stat(rules), Deno.errors.NotFound);
    // two PSPs in one file: the error still names the file (and the offending PSP)
    await Deno.writeTextFile(
      file,
      `${JSON.stringify(basePsp("first"))}\n---\n${JSON.stringify(psp)}`,
    );
    const two = await runCli(["convert", file]);
    assertInputError(two, "convert (two PSPs)", {
      file,
      position: /^ \(document 2/,
      message: /cannot be written safely/,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
