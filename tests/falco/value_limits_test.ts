/**
 * Falco refuses a condition value over 255 bytes, and a file with one such rule as a whole
 * (issue 13.1). PSPs whose lists make long values (200 capabilities, 50 seccomp and AppArmor
 * profiles, hundreds of ID and port ranges) give files that load with no error and no warning
 * on both targets, and their rules still fire exactly; what cannot be written within the limit
 * is left out and named, never emitted.
 */
import assert from "node:assert/strict";
import {
  cmp,
  field,
  MAX_VALUE_BYTES,
  overlongValues,
  render,
  str,
  ValueTooLongError,
} from "../../src/falco/condition.ts";
import { GenerateError, generateRules } from "../../src/falco/generate.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { loadPsps } from "../../src/psp/load.ts";
import { auditEventFromObject, checkLoad, firingRules } from "../support/falco/mod.ts";
import { Random } from "../fuzz/random.ts";

function psp(spec: Record<string, unknown>, annotations?: Record<string, string>) {
  return loadPsps([{
    object: {
      apiVersion: "policy/v1beta1",
      kind: "PodSecurityPolicy",
      metadata: { name: "big", ...(annotations ? { annotations } : {}) },
      spec: {
        seLinux: { rule: "RunAsAny" },
        runAsUser: { rule: "RunAsAny" },
        supplementalGroups: { rule: "RunAsAny" },
        fsGroup: { rule: "RunAsAny" },
        volumes: ["*"],
        ...spec,
      },
    },
    source: { file: "test" },
    locate: () => undefined,
  }]).psps[0].psp;
}

function pod(
  containers: Record<string, unknown>[],
  annotations: Record<string, string> = {},
  podSc: Record<string, unknown> = {},
) {
  return auditEventFromObject({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    auditID: "a",
    stage: "ResponseComplete",
    verb: "create",
    user: { username: "u" },
    objectRef: { resource: "pods", namespace: "ns", name: "p", apiVersion: "v1" },
    requestObject: {
      kind: "Pod",
      apiVersion: "v1",
      metadata: { name: "p", namespace: "ns", annotations },
      spec: {
        securityContext: podSc,
        containers: containers.map((c, i) => ({ name: `c${i}`, image: "nginx", ...c })),
      },
    },
    stageTimestamp: "2026-11-28T12:00:00.001000Z",
  });
}

/** Generates both targets, checks both load cleanly and have no value over the limit. */
function generateClean(p: PodSecurityPolicy) {
  const out = {} as Record<"current" | "0.27", ReturnType<typeof checkLoad>>;
  for (const target of ["current", "0.27"] as const) {
    const g = generateRules([p], { target, prefix: true });
    const check = checkLoad(g.yaml, target);
    assert.deepEqual(check.errors, [], `${target}: errors`);
    assert.deepEqual(check.warnings, [], `${target}: warnings`);
    assert.deepEqual(
      g.uncovered.filter((u) => u.reason.includes("left out")),
      [],
      `${target}: nothing left out`,
    );
    out[target] = check;
  }
  return out;
}

const violations = (rs: ReturnType<typeof checkLoad>["ruleset"], ev: ReturnType<typeof pod>) =>
  firingRules(rs, ev).map((r) => r.name).filter((n) => n.includes("Violation")).sort();

Deno.test("guard: a value of 256 bytes is found and never rendered; 255 bytes is fine", () => {
  const ok = cmp(field("ka.verb"), "=", str("x".repeat(MAX_VALUE_BYTES)));
  const long = cmp(field("ka.verb"), "in", [str("a"), str("é".repeat(128))]);
  assert.deepEqual(overlongValues(ok), []);
  assert.deepEqual(overlongValues(long), ["é".repeat(128)]);
  assert.equal(render(ok).length, "ka.verb=".length + MAX_VALUE_BYTES + 2);
  assert.throws(() => render(long), ValueTooLongError);
});

Deno.test("200 allowed capabilities: both targets load, the rule is exact", () => {
  const caps = Array.from({ length: 200 }, (_, i) => `CAP_CUSTOM_${String(i).padStart(3, "0")}`);
  const checks = generateClean(psp({ allowedCapabilities: ["NET_ADMIN", ...caps] }));
  const rs = checks.current.ruleset;
  const rule = ["PSP big Violation (allowedCapabilities) K8s Audit"];
  const add = (...a: string[]) => ({ securityContext: { capabilities: { add: a } } });
  assert.deepEqual(violations(rs, pod([add("NET_ADMIN", "CAP_CUSTOM_199")])), []);
  assert.deepEqual(violations(rs, pod([add("CAP_CUSTOM_000"), add("CAP_CUSTOM_157")])), []);
  assert.deepEqual(violations(rs, pod([add("CAP_CUSTOM_200")])), rule);
  assert.deepEqual(violations(rs, pod([add("CAP_CUSTOM_19")])), rule);
  assert.deepEqual(
    violations(rs, pod([add("NET_ADMIN"), add("CAP_CUSTOM_001", "SYS_TIME")])),
    rule,
  );
  assert.deepEqual(violations(rs, pod([{ initContainers: undefined }, add("CAP_CUSTOM_0")])), rule);
});

Deno.test("50 seccomp and 50 AppArmor profiles: both targets load, the rules are exact", () => {
  const seccomp = Array.from({ length: 50 }, (_, i) => `localhost/profiles/app-${i}.json`);
  const apparmor = Array.from({ length: 50 }, (_, i) => `localhost/k8s-apparmor-app-${i}`);
  const checks = generateClean(psp({}, {
    "seccomp.security.alpha.kubernetes.io/allowedProfileNames": seccomp.join(","),
    "apparmor.security.beta.kubernetes.io/allowedProfileNames": apparmor.join(","),
    "apparmor.security.beta.kubernetes.io/defaultProfileName": apparmor[0],
  }));
  const rs = checks.current.ruleset;
  const ok = {
    "seccomp.security.alpha.kubernetes.io/pod": seccomp[7],
    "container.seccomp.security.alpha.kubernetes.io/c0": seccomp[49],
    "container.apparmor.security.beta.kubernetes.io/c0": apparmor[31],
  };
  assert.deepEqual(violations(rs, pod([{}], ok)), []);
  assert.deepEqual(
    violations(
      rs,
      pod([{}], { ...ok, "container.seccomp.security.alpha.kubernetes.io/c0": `${seccomp[4]}x` }),
    ),
    ["PSP big Violation (seccomp) K8s Audit"],
  );
  assert.deepEqual(
    violations(
      rs,
      pod([{}], {
        ...ok,
        "container.apparmor.security.beta.kubernetes.io/c0": "localhost/k8s-apparmor-app-",
      }),
    ),
    ["PSP big Violation (apparmor) K8s Audit"],
  );
  const field = (localhostProfile: string) => ({
    securityContext: { seccompProfile: { type: "Localhost", localhostProfile } },
  });
  assert.deepEqual(violations(rs, pod([field("profiles/app-12.json")], ok)), []);
  assert.deepEqual(
    violations(rs, pod([field("profiles/app-50.json")], ok)),
    ["PSP big Violation (seccomp) K8s Audit"],
  );
});

Deno.test("hundreds of ID and port ranges: both targets load, the rules are exact", () => {
  const ids = Array.from({ length: 400 }, (_, i) => ({ min: 1000 + 10 * i, max: 1003 + 10 * i }));
  const ports = Array.from({ length: 300 }, (_, i) => ({ min: 2000 + 7 * i, max: 2001 + 7 * i }));
  const checks = generateClean(psp({
    runAsUser: { rule: "MustRunAs", ranges: ids },
    fsGroup: { rule: "MustRunAs", ranges: ids },
    supplementalGroups: { rule: "MayRunAs", ranges: ids },
    hostPorts: ports,
  }));
  const rs = checks.current.ruleset;
  const good = { runAsUser: 4993, fsGroup: 1000, supplementalGroups: [1001, 3992] };
  assert.deepEqual(
    violations(rs, pod([{ ports: [{ containerPort: 1, hostPort: 4094 }] }], {}, good)),
    [],
  );
  assert.deepEqual(
    violations(rs, pod([{ ports: [{ containerPort: 1, hostPort: 4095 }] }], {}, good)),
    ["PSP big Violation (hostPorts) K8s Audit"],
  );
  assert.deepEqual(violations(rs, pod([{}], {}, { ...good, runAsUser: 4994 })), [
    "PSP big Violation (runAsUser=MustRunAs) K8s Audit",
  ]);
  assert.deepEqual(violations(rs, pod([{}], {}, { ...good, fsGroup: 1004 })), [
    "PSP big Violation (fsGroup) K8s Audit",
  ]);
  assert.deepEqual(violations(rs, pod([{}], {}, { ...good, supplementalGroups: [1001, 999] })), [
    "PSP big Violation (supplementalGroups) K8s Audit",
  ]);
});

Deno.test("a value that cannot fit is left out, named in the header and the warnings", () => {
  const long = `/${"d".repeat(300)}`;
  const p = psp({ allowedHostPaths: [{ pathPrefix: "/var/log" }, { pathPrefix: long }] });
  for (const target of ["current", "0.27"] as const) {
    const g = generateRules([p], { target, prefix: true });
    const check = checkLoad(g.yaml, target);
    assert.deepEqual(check.errors, [], `${target}: the file loads`);
    assert.ok(!check.ruleset.rules.some((r) => r.name.includes("(allowedHostPaths)")), target);
    const named = g.uncovered.find((u) => u.field === "allowedHostPaths");
    assert.match(named?.reason ?? "", /left out: a value of 301 bytes .* exceeds the 255 bytes/);
    assert.ok(g.yaml.startsWith("#") && g.yaml.includes("left out: a value of 301 bytes"));
    assert.ok(g.warnings.some((w) => w.includes("allowedHostPaths") && w.includes("left out")));
  }
});

Deno.test("an image or namespace longer than a value may be is refused, naming the annotation", () => {
  const image = `registry.example.com/${"a".repeat(260)}`;
  for (const target of ["current", "0.27"] as const) {
    const cases: Record<string, string>[] = [
      { "falco-rules-psp-images": `[nginx, ${image}]` },
      { "falco-rules-psp-namespaces": `[default, ${"n".repeat(256)}]` },
    ];
    for (const annotations of cases) {
      const p = psp({ privileged: false }, annotations);
      assert.throws(
        () => generateRules([p], { target, prefix: true }),
        (e: unknown) => {
          assert.ok(e instanceof GenerateError, `${target}: ${e}`);
          // refused as an invalid reference or name, or as over Falco's limit (list items are
          // checked too): either way naming the annotation, never written
          assert.match(e.message, /metadata\.annotations.*(exceeds the 255 bytes|not a valid)/);
          return true;
        },
      );
    }
  }
});

Deno.test("seeded: PSPs with long lists and long values give files both targets load", () => {
  const r = new Random(13);
  const word = (alphabet: string, min: number, max: number) =>
    Array.from({ length: min + r.int(max - min + 1) }, () => r.pick([...alphabet])).join("");
  const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_";
  const path = "abcdefghij-._0123456789";
  const ranges = (n: number, step: number) =>
    Array.from(
      { length: n },
      (_, i) => ({ min: i * step + r.int(step), max: i * step + step - 1 }),
    );
  let leftOut = 0;
  for (let i = 0; i < 20; i++) {
    const many = (n: number) => 1 + r.int(n);
    const seccomp = Array.from(
      { length: many(60) },
      () => `localhost/${word(path, 1, r.chance(0.1) ? 260 : 60)}`,
    );
    const apparmor = Array.from(
      { length: many(60) },
      () => `localhost/${word(path, 1, r.chance(0.1) ? 260 : 60)}`,
    );
    const p = psp({
      privileged: false,
      allowedCapabilities: Array.from({ length: many(250) }, () => word(upper, 1, 40)),
      defaultAddCapabilities: r.chance(0.3) ? [word(upper, 200, 300)] : [],
      runAsUser: { rule: "MustRunAs", ranges: ranges(many(400), 5 + r.int(100)) },
      runAsGroup: { rule: "MayRunAs", ranges: ranges(many(200), 7) },
      fsGroup: { rule: "MustRunAs", ranges: ranges(many(300), 11) },
      supplementalGroups: { rule: "MustRunAs", ranges: ranges(many(300), 13) },
      hostPorts: ranges(many(300), 200),
      allowedHostPaths: Array.from(
        { length: many(40) },
        () => ({
          pathPrefix: `/${word(path, 1, r.chance(0.1) ? 300 : 80)}`,
          readOnly: r.chance(0.5),
        }),
      ),
      allowedFlexVolumes: Array.from({ length: many(40) }, () => ({ driver: word(path, 1, 120) })),
      forbiddenSysctls: [`kernel.x${word("abcdefgh", 1, 240)}`],
    }, {
      "seccomp.security.alpha.kubernetes.io/allowedProfileNames": seccomp.join(","),
      "apparmor.security.beta.kubernetes.io/allowedProfileNames": apparmor.join(","),
    });
    for (const target of ["current", "0.27"] as const) {
      const g = generateRules([p], { target, prefix: true });
      const check = checkLoad(g.yaml, target);
      assert.deepEqual(check.errors, [], `case ${i} (${target}): errors`);
      assert.deepEqual(check.warnings, [], `case ${i} (${target}): warnings`);
      for (const u of g.uncovered.filter((u) => u.reason.includes("left out"))) {
        // only a value that cannot be written within the limit leaves a rule out
        assert.match(
          u.reason,
          /left out: (a value of (2[5-9][0-9]|[3-9][0-9]{2}) bytes|an allowed value|a regex alternative)/,
        );
        leftOut++;
      }
    }
  }
  console.log(`seeded long lists: 20 PSPs x 2 targets load; ${leftOut} rules left out and named`);
});
