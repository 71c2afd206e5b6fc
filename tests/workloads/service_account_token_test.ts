import assert from "node:assert/strict";
import type { Pod } from "../../src/model/pod.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import {
  isMirrorPod,
  podServiceAccount,
  TOKEN_MOUNT_PATH,
  withServiceAccountToken,
} from "../../src/workloads/service_account_token.ts";
import { admitPod, compilePolicy } from "../../src/admission/admit.ts";

const pod = (extra: Partial<Pod["spec"]> = {}): Pod => ({
  metadata: { name: "p", namespace: "ns" },
  spec: {
    containers: [{
      name: "c",
      image: "nginx",
      volumeMounts: [{ name: "data", mountPath: "/data" }],
    }],
    initContainers: [{ name: "i", image: "busybox" }],
    volumes: [{ name: "data", emptyDir: {} }],
    ...extra,
  },
});

const psp = (volumes: string[]): PodSecurityPolicy => ({
  metadata: { name: "vols" },
  spec: {
    volumes,
    seLinux: { rule: "RunAsAny" },
    runAsUser: { rule: "RunAsAny" },
    supplementalGroups: { rule: "RunAsAny" },
    fsGroup: { rule: "RunAsAny" },
  },
});

Deno.test("projected mode appends the 1.21+ token volume and mounts it in every container", () => {
  const input = pod();
  const before = structuredClone(input);
  const out = withServiceAccountToken(input, "projected");
  assert.deepEqual(input, before, "input untouched");
  assert.equal(out.spec.volumes!.length, 2);
  const vol = out.spec.volumes![1];
  assert.match(vol.name, /^kube-api-access-/);
  assert.ok(vol.projected);
  for (const c of [...out.spec.containers, ...out.spec.initContainers!]) {
    const m = c.volumeMounts!.at(-1)!;
    assert.deepEqual(m, { name: vol.name, readOnly: true, mountPath: TOKEN_MOUNT_PATH });
  }
});

Deno.test("secret mode appends a secret volume named after the service account", () => {
  const out = withServiceAccountToken(pod({ serviceAccountName: "app" }), "secret");
  const vol = out.spec.volumes!.at(-1)!;
  assert.equal((vol.secret as { secretName: string }).secretName, "app-token-xxxxx");
});

Deno.test("no token when automount is off, for mirror pods, in none mode, or when every container mounts the path", () => {
  const off = pod({ automountServiceAccountToken: false });
  assert.equal(withServiceAccountToken(off, "projected"), off);
  const mirror = {
    ...pod(),
    metadata: { name: "m", annotations: { "kubernetes.io/config.mirror": "x" } },
  };
  assert.equal(withServiceAccountToken(mirror, "projected"), mirror);
  const p = pod();
  assert.equal(withServiceAccountToken(p, "none"), p);
  const own = pod({
    initContainers: [],
    containers: [{ name: "c", volumeMounts: [{ name: "mine", mountPath: TOKEN_MOUNT_PATH }] }],
    volumes: [{ name: "mine", emptyDir: {} }],
  });
  assert.equal(withServiceAccountToken(own, "projected"), own);
});

Deno.test("PSP admission sees the token volume: refused without secret, projected allowed via secret", () => {
  const onlyEmptyDir = [compilePolicy(psp(["emptyDir"]))];
  assert.equal(admitPod(pod(), onlyEmptyDir).verdict, "admitted");
  const projected = admitPod(withServiceAccountToken(pod(), "projected"), onlyEmptyDir);
  assert.equal(projected.verdict, "refused");
  assert.match(projected.results[0].violations[0].text, /^spec\.volumes\[1\]: .*"projected"/);
  const secret = admitPod(withServiceAccountToken(pod(), "secret"), onlyEmptyDir);
  assert.match(secret.results[0].violations[0].text, /^spec\.volumes\[1\]: .*"secret"/);
  const withSecret = [compilePolicy(psp(["emptyDir", "secret"]))];
  assert.equal(
    admitPod(withServiceAccountToken(pod(), "projected"), withSecret).verdict,
    "admitted",
  );
});

Deno.test("secret mode names the volume after the Secret with dots made dashes, as the plugin does", () => {
  const out = withServiceAccountToken(pod({ serviceAccountName: "web.frontend" }), "secret");
  const vol = out.spec.volumes!.at(-1)!;
  assert.equal(vol.name, "web-frontend-token-xxxxx");
  assert.equal((vol.secret as { secretName: string }).secretName, "web.frontend-token-xxxxx");
  assert.equal(out.spec.containers[0].volumeMounts!.at(-1)!.name, "web-frontend-token-xxxxx");
  // the token controller cuts `<sa>-token-` to 58 characters before its 5 random ones
  const long = "a".repeat(60);
  const longOut = withServiceAccountToken(pod({ serviceAccountName: long }), "secret");
  assert.equal(
    (longOut.spec.volumes!.at(-1)!.secret as { secretName: string }).secretName,
    `${"a".repeat(58)}xxxxx`,
  );
});

Deno.test("secret mode mounts an existing volume of the token Secret instead of adding one", () => {
  // a pod read back from a 1.20 cluster, with a container that does not mount the token yet
  const exported = pod({
    initContainers: [],
    containers: [
      { name: "c", volumeMounts: [{ name: "tok", mountPath: TOKEN_MOUNT_PATH, readOnly: true }] },
      { name: "s" },
    ],
    volumes: [{ name: "tok", secret: { secretName: "default-token-7hx2k", defaultMode: 420 } }],
  });
  const out = withServiceAccountToken(exported, "secret");
  assert.equal(out.spec.volumes!.length, 1, "no second secret volume");
  assert.deepEqual(out.spec.containers[1].volumeMounts, [
    { name: "tok", readOnly: true, mountPath: TOKEN_MOUNT_PATH },
  ]);
  // so a PSP without `secret` names that one volume only, as the API server does
  const refused = admitPod(out, [compilePolicy(psp(["emptyDir"]))]);
  assert.deepEqual(refused.results[0].violations.map((v) => v.field), ["spec.volumes[0]"]);
  // another service account's token, or another secret, is not the token volume
  for (const secretName of ["app-token-7hx2k", "default-token-7hx2k-x", "default-config"]) {
    const other = pod({
      initContainers: [],
      volumes: [{ name: "tok", secret: { secretName } }],
    });
    assert.equal(withServiceAccountToken(other, "secret").spec.volumes!.length, 2, secretName);
  }
});

Deno.test("podServiceAccount: serviceAccountName, else the deprecated serviceAccount, else default; none for a mirror pod", () => {
  const pod = (spec: Record<string, unknown>, annotations?: Record<string, string>) =>
    ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", ...(annotations ? { annotations } : {}) },
      spec: { containers: [{ name: "c", image: "i" }], ...spec },
    }) as Pod;
  assert.equal(podServiceAccount(pod({ serviceAccountName: "a", serviceAccount: "b" })), "a");
  assert.equal(podServiceAccount(pod({ serviceAccount: "b" })), "b");
  assert.equal(podServiceAccount(pod({})), "default");
  const mirror = { "kubernetes.io/config.mirror": "abc" };
  assert.equal(podServiceAccount(pod({}, mirror)), "");
  assert.equal(isMirrorPod(pod({}, mirror)), true);
  assert.equal(podServiceAccount(pod({ serviceAccountName: "a" }, mirror)), "a");
});
