/**
 * Records what a real kube-apiserver v1.20.2 answers when each PSP of `CASES` is created
 * (server-side dry run), into fixtures/psp/validation-answers.json, which
 * tests/psp/validate_test.ts checks `validatePsp` against. Not a test; run by hand:
 *
 *   eval "$(scripts/start-apiserver.sh --dir /tmp/val-api)"
 *   NO_COLOR=1 npx -y deno@2.9.6 run -A tests/psp/record_validation_answers.ts /tmp/val-api/env
 *   scripts/start-apiserver.sh --stop /tmp/val-api
 */
import type { PodSecurityPolicy, PodSecurityPolicySpec } from "../../src/model/psp.ts";

const RULES = {
  seLinux: { rule: "RunAsAny" },
  runAsUser: { rule: "RunAsAny" },
  supplementalGroups: { rule: "RunAsAny" },
  fsGroup: { rule: "RunAsAny" },
};

function psp(
  name: string,
  spec: Partial<PodSecurityPolicySpec> = {},
  metadata: Record<string, unknown> = {},
): PodSecurityPolicy {
  return {
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata: { name, ...metadata },
    spec: { ...RULES, ...spec } as PodSecurityPolicySpec,
  };
}

const use = (names: string[]) => names;
const SC_D = "seccomp.security.alpha.kubernetes.io/defaultProfileName";
const SC_A = "seccomp.security.alpha.kubernetes.io/allowedProfileNames";
const AA_D = "apparmor.security.beta.kubernetes.io/defaultProfileName";
const AA_A = "apparmor.security.beta.kubernetes.io/allowedProfileNames";

/** The cases: [label, PSP]. */
export const CASES: [string, PodSecurityPolicy][] = [
  ["name-underscore", psp("Bad_Name")],
  ["name-too-long", psp("a".repeat(254))],
  ["name-unicode", psp("é-policy")],
  ["name-tab", psp("a\tb")],
  // goQuote: a lone surrogate (a JSON \ud800 escape) reaches the server as U+FFFD, printed as is.
  ["quote-lone-surrogate", psp("q-surrogate", {}, { annotations: { [SC_D]: "a\ud800b" } })],
  ["quote-replacement-char", psp("q-fffd", {}, { annotations: { [SC_D]: "a\ufffdb" } })],
  [
    "quote-format-chars",
    psp("q-format", {}, { annotations: { [SC_D]: "\u202e\u200b\u{1f600}\x7f" } }),
  ],
  ["name-missing", { ...psp(""), metadata: {} }],
  ["generate-name-bad", { ...psp(""), metadata: { generateName: "PSP-" } }],
  ["generate-name-mask-quirk", { ...psp(""), metadata: { generateName: "x_-" } }],
  ["labels-bad", psp("labels-bad", {}, { labels: { "bad key": "ok", good: "bad value" } })],
  ["annotation-empty-prefix", psp("ann-prefix", {}, { annotations: { "/x": "" } })],
  ["annotation-upper", psp("ann-upper", {}, { annotations: { "Example.COM/Key": "" } })],
  ["annotations-too-big", psp("ann-big", {}, { annotations: { big: "x".repeat(256 * 1024) } })],
  ["namespace-set", psp("with-namespace", {}, { namespace: "default" })],
  ["rule-bogus", psp("rule-bogus", { runAsUser: { rule: "bogus" } })],
  [
    "rules-missing",
    { ...psp("rules-missing"), spec: { runAsUser: { rule: "RunAsAny" } } as PodSecurityPolicySpec },
  ],
  ["spec-missing", { ...psp("spec-missing"), spec: undefined as unknown as PodSecurityPolicySpec }],
  ["run-as-group-bad-rule", psp("rag-bad", { runAsGroup: { rule: "x" } })],
  [
    "ranges-several",
    psp("ranges", {
      runAsUser: { rule: "MustRunAs", ranges: [{ min: 5, max: 1 }, { min: -1, max: -2 }] },
    }),
  ],
  [
    "fsgroup-max-negative",
    psp("fs-neg", { fsGroup: { rule: "MayRunAs", ranges: [{ min: 0, max: -3 }] } }),
  ],
  [
    "supgroups-range",
    psp("sg-range", { supplementalGroups: { rule: "RunAsAny", ranges: [{ min: 9, max: 8 }] } }),
  ],
  [
    "rag-any-ranges",
    psp("rag-any", { runAsGroup: { rule: "RunAsAny", ranges: [{ min: 1, max: 2 }] } }),
  ],
  ["rag-must-nil", psp("rag-must", { runAsGroup: { rule: "MustRunAs" } })],
  ["rag-may-empty", psp("rag-may", { runAsGroup: { rule: "MayRunAs", ranges: [] } })],
  [
    "rag-must-bad-range",
    psp("rag-range", { runAsGroup: { rule: "MustRunAs", ranges: [{ min: 9, max: 8 }] } }),
  ],
  ["volumes-bad", psp("volumes-bad", { volumes: ["secret", "cephfs", "none", "*"] })],
  ["volumes-dup", psp("volumes-dup", { volumes: ["bad", "bad"] })],
  [
    "caps-wildcard-drop",
    psp("caps-wild", {
      allowedCapabilities: ["*"],
      requiredDropCapabilities: ["NET_RAW", "SYS_ADMIN"],
    }),
  ],
  [
    "caps-overlap",
    psp("caps-overlap", {
      defaultAddCapabilities: ["NET_RAW"],
      allowedCapabilities: ["CHOWN", "NET_RAW"],
      requiredDropCapabilities: ["NET_RAW"],
    }),
  ],
  [
    "caps-wildcard-empty-drop",
    psp("caps-wild-empty", { allowedCapabilities: ["*"], requiredDropCapabilities: [] }),
  ],
  [
    "dape-true-ape-false",
    psp("dape", { defaultAllowPrivilegeEscalation: true, allowPrivilegeEscalation: false }),
  ],
  ["dape-true-ape-unset", psp("dape-unset", { defaultAllowPrivilegeEscalation: true })],
  ["procmount-bogus", psp("procmount", { allowedProcMountTypes: ["Default", "Bogus"] })],
  [
    "hostpaths-bad",
    psp("hostpaths-bad", {
      allowedHostPaths: [{ pathPrefix: "/a/../b" }, { pathPrefix: "" }, { pathPrefix: "/x/.." }],
    }),
  ],
  [
    "hostpaths-ok",
    psp("hostpaths-ok", {
      allowedHostPaths: [{ pathPrefix: "relative" }, { pathPrefix: "*" }, { pathPrefix: "/a..b" }],
    }),
  ],
  ["flex-empty", psp("flex-empty", { allowedFlexVolumes: [{ driver: "ok/x" }, { driver: "" }] })],
  ["csi-bad-name", psp("csi-bad", { allowedCSIDrivers: [{ name: "Bad_Name" }] })],
  ["csi-empty", psp("csi-empty", { allowedCSIDrivers: [{ name: "" }] })],
  ["csi-long", psp("csi-long", { allowedCSIDrivers: [{ name: "a".repeat(64) }] })],
  ["csi-upper", psp("csi-upper", { allowedCSIDrivers: [{ name: "CSI.Example.com" }] })],
  [
    "sysctls-bad",
    psp("sysctls-bad", { allowedUnsafeSysctls: ["", "kernel.msg*", "net.core.somaxconn", "Bad"] }),
  ],
  ["sysctls-star", psp("sysctls-star", { forbiddenSysctls: ["*", "kernel.msgmax"] })],
  [
    "sysctl-overlap-1",
    psp("so1", { allowedUnsafeSysctls: ["net.ipv4.*"], forbiddenSysctls: ["net.*"] }),
  ],
  [
    "sysctl-overlap-2",
    psp("so2", { allowedUnsafeSysctls: ["net.*"], forbiddenSysctls: ["net.ipv4.*"] }),
  ],
  [
    "sysctl-overlap-3",
    psp("so3", { allowedUnsafeSysctls: ["kernel.*"], forbiddenSysctls: ["kernel.msgmax"] }),
  ],
  [
    "sysctl-overlap-4",
    psp("so4", {
      allowedUnsafeSysctls: ["a.b", "kernel.msgmax", "foo.bar"],
      forbiddenSysctls: ["kernel.*", "foo.bar"],
    }),
  ],
  [
    "runtimeclass-list",
    psp("rc-list", { runtimeClass: { allowedRuntimeClassNames: use(["*", "a", "a", "Bad_"]) } }),
  ],
  [
    "runtimeclass-default-not-allowed",
    psp("rc-default", {
      runtimeClass: { allowedRuntimeClassNames: ["a"], defaultRuntimeClassName: "z" },
    }),
  ],
  [
    "runtimeclass-default-wildcard",
    psp("rc-wild", {
      runtimeClass: { allowedRuntimeClassNames: ["*"], defaultRuntimeClassName: "z" },
    }),
  ],
  [
    "runtimeclass-default-bad",
    psp("rc-bad", { runtimeClass: { allowedRuntimeClassNames: [], defaultRuntimeClassName: "Z" } }),
  ],
  ["apparmor-default", psp("aa-default", {}, { annotations: { [AA_D]: "foo" } })],
  [
    "apparmor-allowed",
    psp("aa-allowed", {}, { annotations: { [AA_A]: "runtime/default,bar,localhost/x" } }),
  ],
  [
    "apparmor-ok",
    psp("aa-ok", {}, {
      annotations: { [AA_A]: "runtime/default,unconfined,localhost/a", [AA_D]: "" },
    }),
  ],
  ["seccomp-default", psp("sc-default", {}, { annotations: { [SC_D]: "foo" } })],
  [
    "seccomp-allowed",
    psp("sc-allowed", {}, {
      annotations: { [SC_A]: "*,localhost//abs,localhost/../x,bar,docker/default" },
    }),
  ],
  [
    "seccomp-ok",
    psp("sc-ok", {}, {
      annotations: { [SC_D]: "runtime/default", [SC_A]: "unconfined,localhost/p.json,localhost/" },
    }),
  ],
  [
    "not-validated",
    psp("not-validated", {
      hostPorts: [{ min: 90, max: 80 }, { min: -1, max: 70000 }],
      privileged: true,
      hostPID: true,
      hostIPC: true,
      hostNetwork: true,
      readOnlyRootFilesystem: true,
    }),
  ],
  [
    "several-errors",
    psp("Several_Errors", { runAsUser: { rule: "x" }, volumes: ["bad", "bad"] }),
  ],
  ["generation-negative", psp("generation", {}, { generation: -1 })],
  ["label-value-long", psp("label-long", {}, { labels: { k: "v".repeat(64) } })],
  ["annotation-key-two-slashes", psp("ann-slashes", {}, { annotations: { "a/b/c": "" } })],
  ["annotation-key-long-name", psp("ann-long", {}, { annotations: { ["k".repeat(64)]: "" } })],
  [
    "sysctl-patterns-ok",
    psp("sysctl-ok", { allowedUnsafeSysctls: ["a*", "net.ipv4.tcp_*"], forbiddenSysctls: ["*"] }),
  ],
  ["seccomp-empty-entry", psp("sc-empty", {}, { annotations: { [SC_A]: "runtime/default," } })],
  ["apparmor-empty-entry", psp("aa-empty", {}, { annotations: { [AA_A]: "runtime/default," } })],
  ["volumes-empty", psp("volumes-empty", { volumes: [] })],
  ["finalizers", psp("finalizers", {}, { finalizers: ["bad finalizer", "example.com/ok"] })],
  [
    "finalizers-both",
    psp("finalizers-both", {}, { finalizers: ["orphan", "foregroundDeletion", "kubernetes"] }),
  ],
  [
    "owner-references",
    psp("owners", {}, {
      ownerReferences: [
        { apiVersion: "", kind: "", name: "", uid: "" },
        { apiVersion: "a/b/c", kind: "K", name: "n", uid: "u" },
        { apiVersion: "apps/v1", kind: "Deployment", name: "d", uid: "1234" },
      ],
    }),
  ],
  [
    "unusable-but-valid",
    psp("unusable", {
      runAsUser: { rule: "MustRunAs" },
      seLinux: { rule: "MustRunAs" },
      fsGroup: { rule: "MustRunAs" },
      supplementalGroups: { rule: "MayRunAs" },
    }),
  ],
];

async function main() {
  const envFile = Deno.args[0];
  if (!envFile) throw new Error("usage: record_validation_answers.ts ENV_FILE");
  const env = Object.fromEntries(
    (await Deno.readTextFile(envFile)).split("\n").filter((l) => l.includes("=")).map((l) => {
      const i = l.indexOf("=");
      return [l.slice(0, i), l.slice(i + 1).replace(/^'|'$/g, "")];
    }),
  );
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(env.CA_FILE)] });
  const answers = [];
  for (const [label, object] of CASES) {
    const res = await fetch(
      `${env.APISERVER_URL}/apis/policy/v1beta1/podsecuritypolicies?dryRun=All`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(object),
        client,
      },
    );
    const body = await res.json();
    answers.push({
      label,
      psp: object,
      code: res.status,
      message: res.status === 201 ? null : body.message,
    });
    console.log(label, res.status);
  }
  client.close();
  const out = new URL("../../fixtures/psp/validation-answers.json", import.meta.url);
  await Deno.writeTextFile(
    out,
    JSON.stringify(
      {
        comment:
          "Answers of a real kube-apiserver v1.20.2 (scripts/start-apiserver.sh) to creating each PSP (dryRun=All), recorded by tests/psp/record_validation_answers.ts",
        answers,
      },
      null,
      1,
    ) + "\n",
  );
}

if (import.meta.main) await main();
