import assert from "node:assert/strict";
import { hostPortRangesToString } from "../../src/admission/host_namespaces.ts";
import {
  admit,
  container,
  defaultPod,
  defaultPSP,
  goodPod,
  messageList,
  restrictivePSP,
  validateOnly,
} from "./fixtures.ts";

Deno.test("host namespaces: failHostNetwork/PID/IPC and their successes", () => {
  const cases = [
    [
      "hostNetwork",
      "spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used",
    ],
    [
      "hostPID",
      "spec.securityContext.hostPID: Invalid value: true: Host PID is not allowed to be used",
    ],
    [
      "hostIPC",
      "spec.securityContext.hostIPC: Invalid value: true: Host IPC is not allowed to be used",
    ],
  ] as const;
  for (const [flag, error] of cases) {
    assert.deepEqual(validateOnly(defaultPSP(), defaultPod({ [flag]: true })), [error]);
    assert.deepEqual(validateOnly(defaultPSP({ [flag]: true }), defaultPod({ [flag]: true })), []);
    assert.deepEqual(validateOnly(defaultPSP(), defaultPod({ [flag]: false })), []);
  }
});

// admission_test.go TestAdmitHostNetwork / TestAdmitHostPID / TestAdmitHostIPC.
Deno.test("host namespaces: TestAdmitHostNetwork/PID/IPC with containers and init containers", () => {
  const cases = [
    [
      "hostNetwork",
      "hostnetwork",
      "spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used",
    ],
    [
      "hostPID",
      "hostpid",
      "spec.securityContext.hostPID: Invalid value: true: Host PID is not allowed to be used",
    ],
    [
      "hostIPC",
      "hostIPC",
      "spec.securityContext.hostIPC: Invalid value: true: Host IPC is not allowed to be used",
    ],
  ] as const;
  for (const [flag, name, error] of cases) {
    const no = restrictivePSP({}, {}, `no-${name}`);
    const yes = restrictivePSP({ [flag]: true }, {}, name);
    for (const init of [false, true]) {
      const pod = (v: boolean) => {
        const p = goodPod({ [flag]: v });
        return init ? goodPod({ [flag]: v, initContainers: p.spec.containers, containers: [] }) : p;
      };
      assert.equal(admit(pod(false), no).policy, `no-${name}`);
      assert.equal(admit(pod(false), yes).policy, name);
      assert.equal(messageList(admit(pod(true), no)), error);
      assert.equal(admit(pod(true), no, yes).policy, name);
    }
  }
});

Deno.test("host ports: range rendering", () => {
  assert.equal(hostPortRangesToString([]), "");
  assert.equal(hostPortRangesToString([{ min: 1, max: 10 }, { min: 80, max: 80 }]), "1-10,80");
  assert.equal(hostPortRangesToString([{ min: 10, max: 1 }]), "10-1");
});

// admission_test.go TestAdmitHostPorts, with init containers and then containers.
Deno.test("host ports: TestAdmitHostPorts", () => {
  const noHostPorts = restrictivePSP({}, {}, "noHostPorts");
  const hostPorts = restrictivePSP({ hostPorts: [{ min: 1, max: 10 }] }, {}, "hostPorts");
  for (const kind of ["initContainers", "containers"] as const) {
    const pod = (...ports: number[]) => {
      const c = container({}, { ports: ports.map((p) => ({ containerPort: p, hostPort: p })) });
      return kind === "containers"
        ? goodPod({ containers: [c] })
        : goodPod({ initContainers: [c], containers: [] });
    };
    assert.equal(
      messageList(admit(pod(11), hostPorts)),
      `spec.${kind}[0].hostPort: Invalid value: 11: Host port 11 is not allowed to be used. Allowed ports: [1-10]`,
    );
    assert.equal(admit(pod(5), hostPorts).policy, "hostPorts");
    assert.equal(admit(pod(), hostPorts).policy, "hostPorts");
    assert.equal(admit(pod(), noHostPorts).policy, "noHostPorts");
    assert.equal(
      messageList(admit(pod(5), noHostPorts)),
      `spec.${kind}[0].hostPort: Invalid value: 5: Host port 5 is not allowed to be used. Allowed ports: []`,
    );
  }
});

Deno.test("host ports: failHostPortPSP / pass hostPort validating PSP; hostPort 0 is never checked", () => {
  const pod = (hostPort: number) =>
    defaultPod({ containers: [container({}, { ports: [{ containerPort: 8080, hostPort }] })] });
  assert.deepEqual(validateOnly(defaultPSP(), pod(1)), [
    "spec.containers[0].hostPort: Invalid value: 1: Host port 1 is not allowed to be used. Allowed ports: []",
  ]);
  assert.deepEqual(validateOnly(defaultPSP({ hostPorts: [{ min: 1, max: 1 }] }), pod(1)), []);
  assert.deepEqual(validateOnly(defaultPSP(), pod(0)), []);
  // min > max is accepted by PSP validation and matches nothing.
  assert.deepEqual(validateOnly(defaultPSP({ hostPorts: [{ min: 10, max: 1 }] }), pod(5)), [
    "spec.containers[0].hostPort: Invalid value: 5: Host port 5 is not allowed to be used. Allowed ports: [10-1]",
  ]);
});

Deno.test("host ports: hostNetwork makes container ports host ports (v1 defaulting)", () => {
  const pod = goodPod({
    hostNetwork: true,
    containers: [container({}, { ports: [{ containerPort: 80 }] })],
  });
  const hostNetOnly = defaultPSP({ hostNetwork: true }, {}, "hostnet");
  const d = admit(pod, hostNetOnly);
  assert.equal(
    messageList(d),
    "spec.containers[0].hostPort: Invalid value: 80: Host port 80 is not allowed to be used. Allowed ports: []",
  );
  const ok = admit(pod, defaultPSP({ hostNetwork: true, hostPorts: [{ min: 80, max: 80 }] }));
  assert.equal(ok.verdict, "admitted");
  assert.deepEqual(ok.admitted!.spec.containers[0].ports, [{
    containerPort: 80,
    hostPort: 80,
    protocol: "TCP",
  }]);
});
