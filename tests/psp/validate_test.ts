import assert from "node:assert/strict";
import {
  checkPspShape,
  formatInvalidPspMessage,
  pruneUnknownPspFields,
  pspProviderErrors,
  validatePsp,
  validateStoredPsp,
} from "../../src/psp/validate.ts";
import type { PodSecurityPolicy, PodSecurityPolicySpec } from "../../src/model/psp.ts";
import { ORACLE_DIR } from "../support/shared.ts";

const ORACLE = ORACLE_DIR;

const DNS_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

function psp(
  spec: Partial<PodSecurityPolicySpec> = {},
  metadata: PodSecurityPolicy["metadata"] = { name: "p" },
): PodSecurityPolicy {
  return {
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata,
    spec: {
      seLinux: { rule: "RunAsAny" },
      runAsUser: { rule: "RunAsAny" },
      supplementalGroups: { rule: "RunAsAny" },
      fsGroup: { rule: "RunAsAny" },
      ...spec,
    },
  };
}

const texts = (p: PodSecurityPolicy) => validatePsp(p).map((e) => e.text);

Deno.test("oracle: validatePsp agrees with the real API server on every invalidPsps entry", async () => {
  const corpus = JSON.parse(await Deno.readTextFile(new URL("corpus.json", ORACLE)));
  const verdicts = JSON.parse(await Deno.readTextFile(new URL("verdicts.json", ORACLE)));
  const entries = corpus.invalidPsps as PodSecurityPolicy[];
  assert.equal(entries.length, verdicts.invalidPsps.length);
  const disagreements: string[] = [];
  entries.forEach((p, i) => {
    const want = verdicts.invalidPsps[i] as { name: string; code: number; message: string | null };
    assert.equal(want.name, p.metadata.name);
    assert.deepEqual(checkPspShape(p).errors, []);
    const errs = validatePsp(p);
    const code = errs.length ? 422 : 201;
    const message = errs.length ? formatInvalidPspMessage(p.metadata.name!, errs) : null;
    if (code !== want.code || message !== want.message) {
      disagreements.push(`${want.name}: got ${code} ${message}, want ${want.code} ${want.message}`);
    }
  });
  console.log(
    `invalidPsps: ${
      entries.length - disagreements.length
    }/${entries.length} agree with kube-apiserver v1.20.2`,
  );
  assert.deepEqual(disagreements, []);
});

Deno.test("oracle: every PSP the real API server created is valid", async () => {
  const corpus = JSON.parse(await Deno.readTextFile(new URL("corpus.json", ORACLE)));
  for (const p of corpus.psps as PodSecurityPolicy[]) {
    assert.deepEqual(checkPspShape(p).errors, [], p.metadata.name ?? "");
    assert.deepEqual(validatePsp(p), [], p.metadata.name ?? "");
  }
});

Deno.test("name: must be a DNS subdomain; required; length; generateName", () => {
  assert.deepEqual(texts(psp({}, { name: "Bad_Name" })), [
    `metadata.name: Invalid value: "Bad_Name": ${DNS_MSG}`,
  ]);
  const long = "a".repeat(254);
  assert.deepEqual(texts(psp({}, { name: long })), [
    `metadata.name: Invalid value: "${long}": must be no more than 253 characters`,
  ]);
  assert.deepEqual(texts(psp({}, {})), [
    "metadata.name: Required value: name or generateName is required",
  ]);
  // generateName: one trailing dash is allowed (the server appends a suffix)
  assert.deepEqual(texts(psp({}, { generateName: "psp-" })), []);
  assert.deepEqual(texts(psp({}, { generateName: "PSP-" })), [
    `metadata.generateName: Invalid value: "PSP-": ${DNS_MSG}`,
    `metadata.name: Invalid value: "PSP-xxxxx": ${DNS_MSG}`,
  ]);
  assert.deepEqual(texts(psp({}, { name: "a.b-c" })), []);
});

Deno.test("metadata: label and annotation keys, label values, annotation size, generation", () => {
  const labelErrs = texts(psp({}, { name: "p", labels: { "bad key": "ok", good: "bad value" } }));
  assert.equal(labelErrs.length, 2);
  assert.match(labelErrs[0], /^metadata\.labels: Invalid value: "bad key": name part must consist/);
  // Go's RegexError puts "', " after each example and " or " between them: double spaces.
  assert.ok(
    labelErrs[0].includes(
      "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ),
  );
  assert.match(labelErrs[1], /^metadata\.labels: Invalid value: "bad value": a valid label must/);
  assert.deepEqual(
    texts(psp({}, { name: "p", annotations: { "/x": "" } })),
    ['metadata.annotations: Invalid value: "/x": prefix part must be non-empty'],
  );
  // annotation keys are lower-cased before the check
  assert.deepEqual(texts(psp({}, { name: "p", annotations: { "Example.COM/Key": "" } })), []);
  assert.deepEqual(
    texts(psp({}, { name: "p", annotations: { big: "x".repeat(256 * 1024) } })),
    ["metadata.annotations: Too long: must have at most 262144 bytes"],
  );
  assert.deepEqual(
    texts({ ...psp(), metadata: { name: "p", generation: -1 } as PodSecurityPolicy["metadata"] }),
    ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"],
  );
});

Deno.test("rules: unsupported strategy rules list the supported values", () => {
  assert.deepEqual(texts(psp({ runAsUser: { rule: "bogus" } })), [
    'spec.runAsUser.rule: Unsupported value: "bogus": supported values: "MustRunAs", "MustRunAsNonRoot", "RunAsAny"',
  ]);
  const spec = psp().spec as unknown as Record<string, unknown>;
  delete spec.seLinux;
  delete spec.supplementalGroups;
  delete spec.fsGroup;
  assert.deepEqual(texts({ metadata: { name: "p" }, spec } as unknown as PodSecurityPolicy), [
    'spec.seLinux.rule: Unsupported value: "": supported values: "MustRunAs", "RunAsAny"',
    'spec.supplementalGroups.rule: Unsupported value: "": supported values: "MayRunAs", "MustRunAs", "RunAsAny"',
    'spec.fsGroup.rule: Unsupported value: "": supported values: "MayRunAs", "MustRunAs", "RunAsAny"',
  ]);
  assert.deepEqual(texts(psp({ runAsGroup: { rule: "x" } })), [
    'spec.runAsGroup.rule: Unsupported value: "x": supported values: "MustRunAs", "RunAsAny", "MayRunAs"',
  ]);
});

Deno.test("ranges: per index, negative and min>max, all four strategies", () => {
  assert.deepEqual(
    texts(
      psp({ runAsUser: { rule: "MustRunAs", ranges: [{ min: 5, max: 1 }, { min: -1, max: -2 }] } }),
    ),
    [
      "spec.runAsUser.ranges[0].min: Invalid value: 5: min cannot be greater than max",
      "spec.runAsUser.ranges[1].min: Invalid value: -1: min cannot be negative",
      "spec.runAsUser.ranges[1].max: Invalid value: -2: max cannot be negative",
      "spec.runAsUser.ranges[1].min: Invalid value: -1: min cannot be greater than max",
    ],
  );
  assert.deepEqual(texts(psp({ fsGroup: { rule: "MayRunAs", ranges: [{ min: 0, max: -3 }] } })), [
    "spec.fsGroup.ranges[0].max: Invalid value: -3: max cannot be negative",
    "spec.fsGroup.ranges[0].min: Invalid value: 0: min cannot be greater than max",
  ]);
  assert.deepEqual(
    texts(psp({ supplementalGroups: { rule: "RunAsAny", ranges: [{ min: 9, max: 8 }] } })),
    ["spec.supplementalGroups.ranges[0].min: Invalid value: 9: min cannot be greater than max"],
  );
  assert.deepEqual(
    texts(psp({ runAsGroup: { rule: "MustRunAs", ranges: [{ min: 9, max: 8 }] } })),
    ["spec.runAsGroup.ranges[0].min: Invalid value: 9: min cannot be greater than max"],
  );
});

Deno.test("runAsGroup: RunAsAny forbids ranges, MustRunAs/MayRunAs need one", () => {
  assert.deepEqual(texts(psp({ runAsGroup: { rule: "RunAsAny", ranges: [{ min: 1, max: 2 }] } })), [
    "spec.runAsGroup.ranges: Invalid value: []policy.IDRange{policy.IDRange{Min:1, Max:2}}: Ranges must be empty",
  ]);
  assert.deepEqual(texts(psp({ runAsGroup: { rule: "MustRunAs" } })), [
    "spec.runAsGroup.ranges: Invalid value: []policy.IDRange(nil): must provide at least one range",
  ]);
  assert.deepEqual(texts(psp({ runAsGroup: { rule: "MayRunAs", ranges: [] } })), [
    "spec.runAsGroup.ranges: Invalid value: []policy.IDRange{}: must provide at least one range",
  ]);
  assert.deepEqual(texts(psp({ runAsGroup: null })), []);
});

Deno.test("valid but unusable strategies pass validation (§6.3) and are reported by pspProviderErrors", () => {
  const cases: [Partial<PodSecurityPolicySpec>, string][] = [
    [{ runAsUser: { rule: "MustRunAs" } }, "MustRunAs requires at least one range"],
    [{ fsGroup: { rule: "MustRunAs" } }, "ranges must be supplied for MustRunAs"],
    [
      { supplementalGroups: { rule: "MayRunAs", ranges: [] } },
      "ranges must be supplied for MayRunAs",
    ],
    [{ seLinux: { rule: "MustRunAs" } }, "MustRunAs requires SELinuxOptions"],
  ];
  for (const [spec, msg] of cases) {
    assert.deepEqual(texts(psp(spec)), []);
    assert.deepEqual(pspProviderErrors(psp(spec)), [msg]);
  }
  assert.deepEqual(pspProviderErrors(psp({ runAsUser: { rule: "MustRunAsNonRoot" } })), []);
  assert.deepEqual(
    pspProviderErrors(psp({ seLinux: { rule: "MustRunAs", seLinuxOptions: { level: "s0" } } })),
    [],
  );
});

Deno.test("volumes: each entry must be a known type or *", () => {
  const errs = texts(psp({ volumes: ["secret", "cephfs", "none", "*"] }));
  assert.equal(errs.length, 2);
  assert.ok(
    errs[0].startsWith(
      'spec.volumes: Unsupported value: "cephfs": supported values: "*", "awsElasticBlockStore", ',
    ),
  );
  assert.ok(errs[1].startsWith('spec.volumes: Unsupported value: "none": '));
  assert.ok(errs[1].endsWith('"storageos", "vsphereVolume"'));
  assert.ok(
    errs[1].includes(
      '"cephFS", "cinder", "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",',
    ),
  );
  assert.deepEqual(texts(psp({ volumes: [] })), []);
});

Deno.test("capabilities: wildcard with drops, overlaps (paths without spec.)", () => {
  assert.deepEqual(
    texts(psp({ allowedCapabilities: ["*"], requiredDropCapabilities: ["NET_RAW", "SYS_ADMIN"] })),
    [
      'requiredDropCapabilities: Invalid value: []core.Capability{"NET_RAW", "SYS_ADMIN"}: must be empty when all capabilities are allowed by a wildcard',
    ],
  );
  assert.deepEqual(
    texts(
      psp({
        defaultAddCapabilities: ["NET_RAW"],
        allowedCapabilities: ["CHOWN", "NET_RAW"],
        requiredDropCapabilities: ["NET_RAW"],
      }),
    ),
    [
      'defaultAddCapabilities: Invalid value: "NET_RAW": capability is listed in defaultAddCapabilities and requiredDropCapabilities',
      'allowedCapabilities: Invalid value: "NET_RAW": capability is listed in allowedCapabilities and requiredDropCapabilities',
    ],
  );
  assert.deepEqual(texts(psp({ allowedCapabilities: ["*"], requiredDropCapabilities: [] })), []);
});

Deno.test("privilege escalation: DAPE true needs APE true (APE defaults to true)", () => {
  assert.deepEqual(
    texts(psp({ defaultAllowPrivilegeEscalation: true, allowPrivilegeEscalation: false })),
    [
      "spec.defaultAllowPrivilegeEscalation: Invalid value: true: Cannot set DefaultAllowPrivilegeEscalation to true without also setting AllowPrivilegeEscalation to true",
    ],
  );
  assert.deepEqual(texts(psp({ defaultAllowPrivilegeEscalation: true })), []);
  assert.deepEqual(
    texts(psp({ defaultAllowPrivilegeEscalation: false, allowPrivilegeEscalation: false })),
    [],
  );
});

Deno.test("allowedProcMountTypes: validated when stored, but dropped on create in 1.20", () => {
  const p = psp({ allowedProcMountTypes: ["Default", "Bogus"] });
  assert.deepEqual(validateStoredPsp(p).map((e) => e.text), [
    'spec.allowedProcMountTypes[1]: Unsupported value: "Bogus": supported values: "Default", "Unmasked"',
  ]);
  assert.deepEqual(texts(p), []);
});

Deno.test("allowedHostPaths: required prefix stops the loop; no '..' element", () => {
  assert.deepEqual(
    texts(
      psp({
        allowedHostPaths: [{ pathPrefix: "/a/../b" }, { pathPrefix: "" }, { pathPrefix: "/x/.." }],
      }),
    ),
    [
      "spec.allowedHostPaths[0]: Invalid value: \"/a/../b\": must not contain '..'",
      "spec.allowedHostPaths[1]: Required value: is required",
    ],
  );
  assert.deepEqual(
    texts(
      psp({
        allowedHostPaths: [{ pathPrefix: "relative" }, { pathPrefix: "*" }, {
          pathPrefix: "/a..b",
        }],
      }),
    ),
    [],
  );
});

Deno.test("allowedFlexVolumes and allowedCSIDrivers: doubled paths", () => {
  assert.deepEqual(texts(psp({ allowedFlexVolumes: [{ driver: "ok/x" }, { driver: "" }] })), [
    "spec.allowedFlexVolumes.allowedFlexVolumes[1].driver: Required value: must specify a driver",
  ]);
  assert.deepEqual(texts(psp({ allowedCSIDrivers: [{ name: "Bad_Name" }] })), [
    `spec.allowedCSIDrivers.allowedCSIDriver[0].name: Invalid value: "Bad_Name": ${DNS_MSG}`,
  ]);
  const empty = texts(psp({ allowedCSIDrivers: [{ name: "" }] }));
  assert.equal(empty[0], "spec.allowedCSIDrivers.allowedCSIDriver[0].name: Required value");
  const long = "a".repeat(64);
  assert.deepEqual(texts(psp({ allowedCSIDrivers: [{ name: long }] })), [
    "spec.allowedCSIDrivers.allowedCSIDriver[0].name: Too long: must have at most 63 bytes",
  ]);
  // the name is lower-cased before the DNS check
  assert.deepEqual(texts(psp({ allowedCSIDrivers: [{ name: "CSI.Example.com" }] })), []);
});

Deno.test("sysctls: empty, pattern, wildcard with others", () => {
  assert.deepEqual(
    texts(psp({ allowedUnsafeSysctls: ["", "kernel.msg*", "net.core.somaxconn", "Bad"] })),
    [
      'spec.allowedUnsafeSysctls[0]: Invalid value: "": empty sysctl not allowed',
      'spec.allowedUnsafeSysctls[3]: Invalid value: "Bad": must have at most 253 characters and match regex ([a-z0-9]([-_a-z0-9]*[a-z0-9])?\\.)*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]',
    ],
  );
  assert.deepEqual(texts(psp({ forbiddenSysctls: ["*", "kernel.msgmax"] })), [
    "spec.forbiddenSysctls.items: Forbidden: if '*' is present, must not specify other sysctls",
  ]);
});

Deno.test("sysctls: allowed and forbidden lists must not overlap", () => {
  assert.deepEqual(
    texts(psp({ allowedUnsafeSysctls: ["net.ipv4.*"], forbiddenSysctls: ["net.*"] })),
    ['spec.allowedUnsafeSysctls[0]: Invalid value: "net.ipv4.*": sysctl overlaps with net.*'],
  );
  assert.deepEqual(
    texts(psp({ allowedUnsafeSysctls: ["net.*"], forbiddenSysctls: ["net.ipv4.*"] })),
    ['spec.forbiddenSysctls[0]: Invalid value: "net.ipv4.*": sysctl overlaps with net.*'],
  );
  assert.deepEqual(
    texts(psp({ allowedUnsafeSysctls: ["kernel.*"], forbiddenSysctls: ["kernel.msgmax"] })),
    ['spec.forbiddenSysctls[0]: Invalid value: "kernel.msgmax": sysctl overlaps with kernel.*'],
  );
  assert.deepEqual(
    texts(
      psp({
        allowedUnsafeSysctls: ["a.b", "kernel.msgmax", "foo.bar"],
        forbiddenSysctls: ["kernel.*", "foo.bar"],
      }),
    ),
    [
      'spec.allowedUnsafeSysctls[1]: Invalid value: "kernel.msgmax": sysctl overlaps with kernel.*',
      'spec.allowedUnsafeSysctls[2]: Invalid value: "foo.bar": sysctl overlaps with foo.bar',
    ],
  );
});

Deno.test("runtimeClass: names, duplicates, wildcard, default must be allowed", () => {
  assert.deepEqual(
    texts(psp({ runtimeClass: { allowedRuntimeClassNames: ["*", "a", "a", "Bad_"] } })),
    [
      'spec.runtimeClass.allowedRuntimeClassNames[2]: Duplicate value: "a"',
      `spec.runtimeClass.allowedRuntimeClassNames[3]: Invalid value: "Bad_": ${DNS_MSG}`,
      'spec.runtimeClass.allowedRuntimeClassNames: Invalid value: []string{"*", "a", "a", "Bad_"}: if \'*\' is present, must not specify other RuntimeClass names',
    ],
  );
  assert.deepEqual(
    texts(psp({ runtimeClass: { allowedRuntimeClassNames: ["a"], defaultRuntimeClassName: "z" } })),
    ['spec.runtimeClass.allowedRuntimeClassNames: Required value: default "z" must be allowed'],
  );
  assert.deepEqual(
    texts(psp({ runtimeClass: { allowedRuntimeClassNames: ["*"], defaultRuntimeClassName: "z" } })),
    [],
  );
  assert.deepEqual(
    texts(psp({ runtimeClass: { allowedRuntimeClassNames: [], defaultRuntimeClassName: "Z" } })),
    [
      `spec.runtimeClass.defaultRuntimeClassName: Invalid value: "Z": ${DNS_MSG}`,
      'spec.runtimeClass.allowedRuntimeClassNames: Required value: default "Z" must be allowed',
    ],
  );
});

Deno.test("annotations: AppArmor profile names", () => {
  const ann = (a: Record<string, string>) => psp({}, { name: "p", annotations: a });
  assert.deepEqual(
    texts(ann({ "apparmor.security.beta.kubernetes.io/defaultProfileName": "foo" })),
    [
      'metadata.annotations[apparmor.security.beta.kubernetes.io/defaultProfileName]: Invalid value: "foo": invalid AppArmor profile name: "foo"',
    ],
  );
  assert.deepEqual(
    texts(
      ann({
        "apparmor.security.beta.kubernetes.io/allowedProfileNames":
          "runtime/default,bar,localhost/x",
      }),
    ),
    [
      'metadata.annotations[apparmor.security.beta.kubernetes.io/allowedProfileNames]: Invalid value: "runtime/default,bar,localhost/x": invalid AppArmor profile name: "bar"',
    ],
  );
  assert.deepEqual(
    texts(
      ann({
        "apparmor.security.beta.kubernetes.io/allowedProfileNames":
          "runtime/default,unconfined,localhost/a",
      }),
    ),
    [],
  );
});

Deno.test("annotations: seccomp profile names", () => {
  const ann = (a: Record<string, string>) => psp({}, { name: "p", annotations: a });
  const d = "seccomp.security.alpha.kubernetes.io/defaultProfileName";
  const a = "seccomp.security.alpha.kubernetes.io/allowedProfileNames";
  assert.deepEqual(texts(ann({ [d]: "foo" })), [
    `metadata.annotations[${d}]: Invalid value: "foo": must be a valid seccomp profile`,
  ]);
  assert.deepEqual(texts(ann({ [a]: "*,localhost//abs,localhost/../x,bar,docker/default" })), [
    `metadata.annotations[${a}]: Invalid value: "/abs": must be a relative path`,
    `metadata.annotations[${a}]: Invalid value: "../x": must not contain '..'`,
    `metadata.annotations[${a}]: Invalid value: "bar": must be a valid seccomp profile`,
  ]);
  assert.deepEqual(texts(ann({ [d]: "runtime/default", [a]: "unconfined,localhost/p.json" })), []);
});

Deno.test("not validated: hostPorts, privileged, host namespaces, readOnlyRootFilesystem", () => {
  assert.deepEqual(
    texts(
      psp({
        hostPorts: [{ min: 90, max: 80 }, { min: -1, max: 70000 }],
        privileged: true,
        hostPID: true,
        hostIPC: true,
        hostNetwork: true,
        readOnlyRootFilesystem: true,
      }),
    ),
    [],
  );
});

Deno.test("formatInvalidPspMessage: one error bare, several in brackets, duplicates dropped", () => {
  const errs = validatePsp(
    psp({ runAsUser: { rule: "x" }, volumes: ["bad", "bad"] }, { name: "My" }),
  );
  assert.equal(errs.length, 4);
  const msg = formatInvalidPspMessage("My", errs);
  assert.ok(msg.startsWith('PodSecurityPolicy.extensions "My" is invalid: [metadata.name: '));
  assert.equal(msg.split('spec.volumes: Unsupported value: "bad"').length, 2);
  assert.ok(msg.endsWith("]"));
});

Deno.test("shape: wrong JSON types are errors with field paths", () => {
  const bad = {
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata: { name: "p", annotations: { n: 5 } },
    spec: {
      privileged: "yes",
      volumes: "secret",
      hostPorts: [{ min: 2 ** 31, max: 1.5 }],
      runAsUser: { rule: "MustRunAs", ranges: [{ min: "5", max: 10 }] },
      seLinux: ["RunAsAny"],
      allowedCapabilities: [null],
    },
  };
  const r = checkPspShape(bad);
  assert.deepEqual(r.errors.map((e) => e.text), [
    "metadata.annotations[n]: Invalid value: 5: must be a string (quote it in YAML)",
    'spec.privileged: Invalid value: "yes": must be a boolean: write true or false without quotes',
    'spec.volumes: Invalid value: "secret": must be a list',
    "spec.hostPorts[0].min: Invalid value: 2147483648: must be a 32-bit integer",
    "spec.hostPorts[0].max: Invalid value: 1.5: must be an integer",
    'spec.runAsUser.ranges[0].min: Invalid value: "5": must be an integer',
    "spec.seLinux: Invalid value: a list: must be a mapping",
    "spec.allowedCapabilities[0]: Invalid value: null: list items must not be null",
  ]);
  assert.deepEqual(r.errors[3].path, ["spec", "hostPorts", 0, "min"]);
  assert.equal(checkPspShape([1]).errors[0].text, "[]: Invalid value: a list: must be a mapping");
  assert.deepEqual(
    checkPspShape({ ...psp(), spec: { privileged: null, volumes: null } }).errors,
    [],
  );
});

Deno.test("shape: unknown fields are listed and pruned", () => {
  const p = {
    ...psp({ privileged: false }),
    status: {},
    spec: { ...psp().spec, privilegd: true, runAsUser: { rule: "RunAsAny", rnages: [] } },
  };
  const r = checkPspShape(p);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.unknownFields.map((u) => u.field).sort(), [
    "spec.privilegd",
    "spec.runAsUser.rnages",
    "status",
  ]);
  const pruned = pruneUnknownPspFields(p as unknown as PodSecurityPolicy) as unknown as Record<
    string,
    Record<string, unknown>
  >;
  assert.equal("status" in pruned, false);
  assert.equal("privilegd" in pruned.spec, false);
  assert.deepEqual(pruned.spec.runAsUser, { rule: "RunAsAny" });
});

Deno.test("validatePsp reports wrong JSON types instead of validating garbage", () => {
  const bad = {
    ...psp(),
    spec: { ...psp().spec, volumes: "secret" },
  } as unknown as PodSecurityPolicy;
  assert.deepEqual(texts(bad), ['spec.volumes: Invalid value: "secret": must be a list']);
  assert.deepEqual(Object.keys(validatePsp(bad)[0]).sort(), ["field", "message", "text"]);
});

Deno.test("generateName: masked prefix, then the generated name is validated too", () => {
  // maskTrailingDash replaces the last two characters: "a-" -> "a"; the generated name is
  // generateName (58 characters at most) plus 5 random ones, shown here as "xxxxx"
  assert.deepEqual(texts(psp({}, { generateName: "a-" })), []);
  assert.deepEqual(texts(psp({}, { generateName: "-" })), [
    `metadata.generateName: Invalid value: "-": ${DNS_MSG}`,
    `metadata.name: Invalid value: "-xxxxx": ${DNS_MSG}`,
  ]);
  // "x_-" masks to "xa", a valid prefix, but the generated "x_-xxxxx" is not a valid name
  assert.deepEqual(texts(psp({}, { generateName: "x_-" })), [
    `metadata.name: Invalid value: "x_-xxxxx": ${DNS_MSG}`,
  ]);
  assert.deepEqual(texts(psp({}, { generateName: "a".repeat(300) })).length, 1);
});

Deno.test("metadata: ownerReferences and finalizers", () => {
  assert.deepEqual(
    texts(psp({}, {
      name: "p",
      ownerReferences: [{ apiVersion: "a/b/c", kind: "", name: "n", uid: "u" }],
    })),
    [
      'metadata.ownerReferences.apiVersion: Invalid value: "a/b/c": version must not be empty',
      'metadata.ownerReferences.kind: Invalid value: "": kind must not be empty',
    ],
  );
  const fin = (finalizers: string[]) =>
    texts({ ...psp(), metadata: { name: "p", finalizers } as PodSecurityPolicy["metadata"] });
  assert.deepEqual(fin(["kubernetes", "example.com/x"]), []);
  assert.deepEqual(fin(["custom"]), [
    'metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
  ]);
  assert.deepEqual(fin(["orphan", "foregroundDeletion"]), [
    'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
  ]);
});

Deno.test("real kube-apiserver v1.20.2 answers (fixtures/psp/validation-answers.json) agree", async () => {
  const file = new URL("../../fixtures/psp/validation-answers.json", import.meta.url);
  const { answers } = JSON.parse(await Deno.readTextFile(file)) as {
    answers: { label: string; psp: PodSecurityPolicy; code: number; message: string | null }[];
  };
  assert.ok(answers.length >= 60);
  const disagreements: string[] = [];
  for (const a of answers) {
    const errs = validatePsp(a.psp);
    const meta = a.psp.metadata ?? {};
    let want = a.message;
    let name = meta.name ?? "";
    if (!meta.name && meta.generateName) {
      // the server generated a name with 5 random characters; ours are "xxxxx"
      name = `${meta.generateName.slice(0, 58)}xxxxx`;
      const random = new RegExp(
        `${
          meta.generateName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
        }[bcdfghjklmnpqrstvwxz2456789]{5}`,
        "g",
      );
      want = want?.replace(random, name) ?? null;
    }
    const got = errs.length ? formatInvalidPspMessage(name, errs) : null;
    if ((errs.length ? 422 : 201) !== a.code || got !== want) {
      disagreements.push(`${a.label}:\n  server: ${want}\n  ours:   ${got}`);
    }
  }
  console.log(
    `validation-answers: ${
      answers.length - disagreements.length
    }/${answers.length} agree with kube-apiserver v1.20.2`,
  );
  assert.deepEqual(disagreements, []);
});
