/** The spec and annotation rules (src/psp/spec_rules.ts), as the API server applies them on create. */
import assert from "node:assert/strict";
import type { PodSecurityPolicy, PodSecurityPolicySpec } from "../../src/model/psp.ts";
import { pspProviderErrors } from "../../src/psp/spec_rules.ts";
import { validateStoredPsp } from "../../src/psp/validate.ts";
import { DNS_MSG, psp, texts } from "./helpers.ts";

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
