import assert from "node:assert/strict";
import {
  allowsHostPath,
  hasPathPrefix,
  isOnlyServiceAccountTokenSources,
  VOLUME_FS_TYPES,
  volumeFsType,
} from "../../src/admission/volumes.ts";
import type { Volume } from "../../src/model/pod.ts";
import {
  admit,
  defaultPod,
  defaultPSP,
  goodPod,
  messageList,
  restrictivePSP,
  validateOnly,
} from "./fixtures.ts";

const ALL_FS_TYPES = [
  "hostPath",
  "emptyDir",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "gitRepo",
  "secret",
  "nfs",
  "iscsi",
  "glusterfs",
  "persistentVolumeClaim",
  "rbd",
  "quobyte",
  "flexVolume",
  "cinder",
  "cephFS",
  "flocker",
  "downwardAPI",
  "fc",
  "azureFile",
  "configMap",
  "vsphereVolume",
  "azureDisk",
  "photonPersistentDisk",
  "projected",
  "portworxVolume",
  "scaleIO",
  "storageos",
  "csi",
  "ephemeral",
];

function volumeOf(fsType: string): Volume {
  const source = VOLUME_FS_TYPES.find(([, t]) => t === fsType)![0];
  return { name: "", [source]: {} };
}

Deno.test("volumes: every volume source maps to its FSType (TestVolumeSourceFSTypeDrift)", () => {
  assert.deepEqual(VOLUME_FS_TYPES.map(([, t]) => t).sort(), [...ALL_FS_TYPES].sort());
  assert.equal(volumeFsType({ name: "x", cephfs: {} }), "cephFS");
  assert.equal(volumeFsType({ name: "x" }), null);
  assert.equal(volumeFsType({ name: "x", secret: null }), null);
});

// provider_test.go TestValidateAllowedVolumes: zero-valued source, no name.
Deno.test("volumes: TestValidateAllowedVolumes", async (t) => {
  for (const fsType of ALL_FS_TYPES) {
    await t.step(fsType, () => {
      const pod = defaultPod({ volumes: [volumeOf(fsType)] });
      assert.deepEqual(validateOnly(defaultPSP(), pod), [
        `spec.volumes[0]: Invalid value: "${fsType}": ${fsType} volumes are not allowed to be used`,
      ]);
      assert.deepEqual(validateOnly(defaultPSP({ volumes: [fsType] }), pod), []);
      assert.deepEqual(validateOnly(defaultPSP({ volumes: ["*"] }), pod), []);
    });
  }
});

// admission_test.go TestAdmitVolumes: denial with containers and init containers, direct and wildcard accept.
Deno.test("volumes: TestAdmitVolumes", () => {
  for (const fsType of ALL_FS_TYPES) {
    const pod = goodPod({ volumes: [volumeOf(fsType)] });
    const initPod = goodPod({
      volumes: [volumeOf(fsType)],
      initContainers: pod.spec.containers,
      containers: [],
    });
    const denial =
      `spec.volumes[0]: Invalid value: "${fsType}": ${fsType} volumes are not allowed to be used`;
    assert.equal(
      admit(pod, restrictivePSP()).message,
      `pods "pod" is forbidden: PodSecurityPolicy: unable to admit pod: [${denial}]`,
    );
    assert.equal(messageList(admit(initPod, restrictivePSP())), denial);
    assert.equal(admit(initPod, restrictivePSP({ volumes: [fsType] })).policy, "restrictive");
    assert.equal(admit(initPod, restrictivePSP({ volumes: ["*"] })).policy, "restrictive");
  }
});

Deno.test("volumes: hasPathPrefix (util_test.go and docs/psp-admission.md §4)", () => {
  const table: [string, string, boolean][] = [
    ["/foo", "/foo", true],
    ["/foo", "/foo/", true],
    ["/foo", "/foo/bar", true],
    ["/foo", "/foo//bar", true],
    ["/foo", "/foobar", false],
    ["/foo", "/fo", false],
    ["/foo", "//foo", false],
    ["/foo", "/foo/bar/../../etc", true],
    ["/foo/", "/foo", true],
    ["/foo/", "/foo/x", true],
    ["/foo//", "/foo", false],
    ["/foo//", "/foo/", false],
    ["/foo//", "/foo/x", false],
    ["/foo//", "/foo//", true],
    ["/", "/", true],
    ["/", "/etc", true],
    ["/", "//x", true],
    ["/", "", true],
    ["/", "etc", false],
    ["/foo/bar", "/foo", false],
    ["/Foo", "/foo", false],
    ["/foo*", "/foo/x", false],
    ["/foo*", "/foo*", true],
  ];
  for (const [prefix, path, want] of table) {
    assert.equal(hasPathPrefix(path, prefix), want, `${prefix} vs ${path}`);
  }
});

Deno.test("volumes: writable beats read-only regardless of order (AllowsHostVolumePath)", () => {
  const entries = [{ pathPrefix: "/foo", readOnly: true }, {
    pathPrefix: "/foo/bar",
    readOnly: false,
  }];
  assert.deepEqual(allowsHostPath(entries, "/foo"), { allowed: true, readOnly: true });
  assert.deepEqual(allowsHostPath(entries, "/foo/baz"), { allowed: true, readOnly: true });
  assert.deepEqual(allowsHostPath(entries, "/foo/bar"), { allowed: true, readOnly: false });
  assert.deepEqual(allowsHostPath(entries, "/foo/bar/baz"), { allowed: true, readOnly: false });
  assert.deepEqual(allowsHostPath(entries, "/etc"), { allowed: false, readOnly: false });
  assert.deepEqual(allowsHostPath([], "/anything"), { allowed: true, readOnly: false });
});

Deno.test("volumes: host path failures and successes (TestValidatePodFailures/Success)", () => {
  const hostPath = (path: string, name = "v") => ({ name, hostPath: { path } });
  assert.deepEqual(
    validateOnly(defaultPSP(), defaultPod({ volumes: [hostPath("", "bad volume")] })),
    [
      'spec.volumes[0]: Invalid value: "hostPath": hostPath volumes are not allowed to be used',
    ],
  );
  assert.deepEqual(
    validateOnly(
      defaultPSP({ volumes: ["hostPath"], allowedHostPaths: [{ pathPrefix: "/foo/bar" }] }),
      defaultPod({ volumes: [hostPath("/fail")] }),
    ),
    ['spec.volumes[0].hostPath.pathPrefix: Invalid value: "/fail": is not allowed to be used'],
  );
  const roPod = defaultPod({
    volumes: [hostPath("/foo")],
    containers: [{
      name: "test-c",
      securityContext: {},
      volumeMounts: [{ name: "v", mountPath: "/m", readOnly: false }],
    }],
  });
  assert.deepEqual(
    validateOnly(
      defaultPSP({
        volumes: ["hostPath"],
        allowedHostPaths: [{ pathPrefix: "/foo", readOnly: true }],
      }),
      roPod,
    ),
    ["spec.containers[0].volumeMounts[0].readOnly: Invalid value: false: must be read-only"],
  );
  // pass hostDir validating PSP: hostPath allowed, no allowedHostPaths, empty path.
  assert.deepEqual(
    validateOnly(defaultPSP({ volumes: ["hostPath"] }), defaultPod({ volumes: [hostPath("")] })),
    [],
  );
});

Deno.test("volumes: pass hostDir allowed directory validating PSP (init and regular containers)", () => {
  const names = [
    "writeable /foo/bar",
    "read only /foo/bar/baz",
    "parent read only volume",
    "read only child volume",
  ];
  const paths = ["/foo/bar", "/foo/bar/baz", "/foo/", "/foo/readonly/child"];
  const mounts = names.map((name, i) => ({ name, mountPath: `/m${i}`, readOnly: i !== 0 }));
  const pod = defaultPod({
    volumes: names.map((name, i) => ({ name, hostPath: { path: paths[i] } })),
    initContainers: [{ name: "init", securityContext: {}, volumeMounts: mounts }],
    containers: [{ name: "test-c", securityContext: {}, volumeMounts: mounts }],
  });
  const allowedHostPaths = [
    { pathPrefix: "/foo/bar/baz", readOnly: true },
    { pathPrefix: "/foo", readOnly: true },
    { pathPrefix: "/foo/bar", readOnly: false },
  ];
  assert.deepEqual(validateOnly(defaultPSP({ volumes: ["hostPath"], allowedHostPaths }), pod), []);
  assert.deepEqual(
    validateOnly(defaultPSP({ volumes: ["*"], allowedHostPaths: [{ pathPrefix: "/foo" }] }), pod),
    [],
  );
  // Read-only is enforced on every mount of the volume, init containers first; never mutated.
  const ro = defaultPSP({
    volumes: ["hostPath"],
    allowedHostPaths: [{ pathPrefix: "/foo", readOnly: true }],
  });
  assert.deepEqual(validateOnly(ro, pod), [
    "spec.initContainers[0].volumeMounts[0].readOnly: Invalid value: false: must be read-only",
    "spec.containers[0].volumeMounts[0].readOnly: Invalid value: false: must be read-only",
  ]);
});

Deno.test("volumes: flexVolume drivers", () => {
  const pod = (driver: string) => defaultPod({ volumes: [{ name: "f", flexVolume: { driver } }] });
  const allowedFlexVolumes = [{ driver: "example/foo" }, { driver: "example/bar" }];
  const err =
    'spec.volumes[0].driver: Invalid value: "example/unknown": Flexvolume driver is not allowed to be used';
  assert.deepEqual(
    validateOnly(
      defaultPSP({ volumes: ["flexVolume"], allowedFlexVolumes }),
      pod("example/unknown"),
    ),
    [err],
  );
  assert.deepEqual(
    validateOnly(defaultPSP({ volumes: ["*"], allowedFlexVolumes }), pod("example/unknown")),
    [err],
  );
  for (const volumes of [["*"], ["flexVolume"]]) {
    assert.deepEqual(
      validateOnly(defaultPSP({ volumes, allowedFlexVolumes }), pod("example/bar")),
      [],
    );
    assert.deepEqual(
      validateOnly(defaultPSP({ volumes, allowedFlexVolumes: [] }), pod("example/bar")),
      [],
    );
  }
});

Deno.test("volumes: inline CSI drivers", () => {
  const pod = (...drivers: string[]) =>
    defaultPod({ volumes: drivers.map((driver, i) => ({ name: `c${i}`, csi: { driver } })) });
  assert.deepEqual(
    validateOnly(
      defaultPSP({ volumes: ["csi"], allowedCSIDrivers: [{ name: "csi.driver.disallowed" }] }),
      pod("csi.driver.foo"),
    ),
    ['spec.volumes[0].csi.driver: Invalid value: "csi.driver.foo": Inline CSI driver is not allowed to be used'],
  );
  assert.deepEqual(
    validateOnly(
      defaultPSP({ volumes: ["*"], allowedCSIDrivers: [{ name: "csi.driver.disallowed" }] }),
      pod("csi.driver.foo"),
    ),
    ['spec.volumes[0].csi.driver: Invalid value: "csi.driver.foo": Inline CSI driver is not allowed to be used'],
  );
  assert.deepEqual(
    validateOnly(
      defaultPSP({ volumes: [], allowedCSIDrivers: [{ name: "csi.driver.foo" }] }),
      pod("csi.driver.foo"),
    ),
    [
      'spec.volumes[0]: Invalid value: "csi": csi volumes are not allowed to be used',
    ],
  );
  const drivers = [{ name: "foo" }, { name: "bar" }, { name: "baz" }];
  assert.deepEqual(
    validateOnly(defaultPSP({ volumes: ["csi"], allowedCSIDrivers: drivers }), pod()),
    [],
  );
  assert.deepEqual(
    validateOnly(
      defaultPSP({ volumes: ["csi"], allowedCSIDrivers: drivers }),
      pod("foo", "bar", "baz"),
    ),
    [],
  );
  assert.deepEqual(
    validateOnly(
      defaultPSP({ volumes: ["*"], allowedCSIDrivers: drivers }),
      pod("foo", "bar", "baz"),
    ),
    [],
  );
});

const TOKEN_SOURCES = [
  { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
  { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
  {
    downwardAPI: {
      items: [{
        path: "namespace",
        fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" },
      }],
    },
  },
];

Deno.test("volumes: IsOnlyServiceAccountTokenSources (util_test.go)", () => {
  const only = (sources: unknown[]) => isOnlyServiceAccountTokenSources({ sources });
  assert.ok(only(TOKEN_SOURCES));
  assert.ok(only([]));
  assert.ok(!only([{ serviceAccountToken: { path: "other" } }]));
  assert.ok(!only([{ serviceAccountToken: { path: "token", audience: "x" } }]));
  assert.ok(!only([{ configMap: { name: "foo-ca.crt" } }]));
  const dapi = (item: object) => [{ downwardAPI: { items: [item] } }];
  assert.ok(
    !only(dapi({ path: "ns", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } })),
  );
  assert.ok(!only(dapi({ path: "namespace" })));
  assert.ok(
    !only(
      dapi({
        path: "namespace",
        fieldRef: { apiVersion: "v1beta1", fieldPath: "metadata.namespace" },
      }),
    ),
  );
  assert.ok(
    !only(dapi({ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } })),
  );
  // v1 defaulting sets a missing fieldRef apiVersion to v1.
  assert.ok(only(dapi({ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } })));
  assert.ok(!only([{ secret: { name: "s" } }]));
  assert.ok(!only([{}]));
});

// provider_test.go TestValidateProjectedVolume.
Deno.test("volumes: TestValidateProjectedVolume", () => {
  const pod = (sources: unknown[]) =>
    defaultPod({ volumes: [{ name: "p", projected: { sources } }] });
  const denied = [
    'spec.volumes[0]: Invalid value: "projected": projected volumes are not allowed to be used',
  ];
  assert.deepEqual(validateOnly(defaultPSP({ volumes: ["emptyDir"] }), pod(TOKEN_SOURCES)), denied);
  assert.deepEqual(
    validateOnly(defaultPSP({ volumes: ["secret"] }), pod([{ configMap: { name: "foo-ca.crt" } }])),
    denied,
  );
  assert.deepEqual(validateOnly(defaultPSP({ volumes: ["secret"] }), pod(TOKEN_SOURCES)), []);
  assert.deepEqual(validateOnly(defaultPSP({ volumes: ["secret"] }), pod([])), []);
});

Deno.test("volumes: a volume with no source is reported at the volume", () => {
  const lines = validateOnly(
    defaultPSP({ volumes: ["*"] }),
    defaultPod({ volumes: [{ name: "nothing" }] }),
  );
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^spec\.volumes\[0\]: Invalid value: "": unknown volume type for volume: /,
  );
});

Deno.test("volumes: errors follow volume order; a refused type skips its sub-checks", () => {
  const psp = defaultPSP({
    volumes: ["hostPath", "flexVolume"],
    allowedHostPaths: [{ pathPrefix: "/data" }],
    allowedFlexVolumes: [{ driver: "a/b" }],
  });
  const pod = defaultPod({
    volumes: [
      { name: "a", flexVolume: { driver: "c/d" } },
      { name: "b", csi: { driver: "x" } },
      { name: "c", hostPath: { path: "/etc" } },
      { name: "d", hostPath: { path: "/data/db" } },
    ],
  });
  assert.deepEqual(validateOnly(psp, pod), [
    'spec.volumes[0].driver: Invalid value: "c/d": Flexvolume driver is not allowed to be used',
    'spec.volumes[1]: Invalid value: "csi": csi volumes are not allowed to be used',
    'spec.volumes[2].hostPath.pathPrefix: Invalid value: "/etc": is not allowed to be used',
  ]);
});
