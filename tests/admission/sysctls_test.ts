import assert from "node:assert/strict";
import {
  admit,
  defaultPod,
  defaultPSP,
  goodPod,
  messageList,
  restrictivePSP,
  validateOnly,
} from "./fixtures.ts";

function sysctlPod(...names: string[]) {
  return defaultPod({ securityContext: { sysctls: names.map((name) => ({ name, value: "1" })) } });
}

Deno.test("sysctls: TestValidatePodFailures/Success cases", () => {
  assert.deepEqual(
    validateOnly(defaultPSP({ forbiddenSysctls: ["*"] }), sysctlPod("kernel.shm_rmid_forced")),
    [
      'pod.spec.securityContext.sysctls[0]: Forbidden: sysctl "kernel.shm_rmid_forced" is not allowed',
    ],
  );
  assert.deepEqual(
    validateOnly(
      defaultPSP({ forbiddenSysctls: ["kernel.shm_rmid_forced"] }),
      sysctlPod("kernel.shm_rmid_forced"),
    ),
    [
      'pod.spec.securityContext.sysctls[0]: Forbidden: sysctl "kernel.shm_rmid_forced" is not allowed',
    ],
  );
  assert.deepEqual(
    validateOnly(defaultPSP({ allowedUnsafeSysctls: [] }), sysctlPod("kernel.sem")),
    [
      'pod.spec.securityContext.sysctls[0]: Forbidden: unsafe sysctl "kernel.sem" is not allowed',
    ],
  );
  const catchAll = defaultPSP({ forbiddenSysctls: [], allowedUnsafeSysctls: ["*"] });
  assert.deepEqual(validateOnly(catchAll, sysctlPod("kernel.shm_rmid_forced")), []);
  assert.deepEqual(validateOnly(catchAll, sysctlPod("kernel.sem")), []);
});

Deno.test("sysctls: patterns are raw prefixes; forbidden beats allowed; safe list", () => {
  const psp = defaultPSP({ allowedUnsafeSysctls: ["a.*", "b.*", "c.d.e", "d.e.f.*"] });
  for (
    const ok of [
      "a.b",
      "b.c",
      "c.d.e",
      "d.e.f.g.h",
      "net.ipv4.ping_group_range",
      "net.ipv4.tcp_syncookies",
    ]
  ) {
    assert.deepEqual(validateOnly(psp, sysctlPod(ok)), [], ok);
  }
  for (const bad of ["a", "b", "c", "c.d", "d.e", "d.e.f"]) {
    assert.deepEqual(validateOnly(psp, sysctlPod(bad)), [
      `pod.spec.securityContext.sysctls[0]: Forbidden: unsafe sysctl "${bad}" is not allowed`,
    ]);
  }
  // No dot boundary: kernel.msg* matches kernel.msgmax.
  assert.deepEqual(
    validateOnly(defaultPSP({ allowedUnsafeSysctls: ["kernel.msg*"] }), sysctlPod("kernel.msgmax")),
    [],
  );
  assert.deepEqual(
    validateOnly(
      defaultPSP({ allowedUnsafeSysctls: ["*"], forbiddenSysctls: ["kernel.msg*"] }),
      sysctlPod("kernel.msgmax"),
    ),
    ['pod.spec.securityContext.sysctls[0]: Forbidden: sysctl "kernel.msgmax" is not allowed'],
  );
});

// admission_test.go TestAdmitSysctls (PSP names contain spaces).
Deno.test("sysctls: TestAdmitSysctls", () => {
  const psp = (name: string, allowed?: string[], forbidden?: string[]) =>
    restrictivePSP({ allowedUnsafeSysctls: allowed, forbiddenSysctls: forbidden }, {}, name);
  const noSysctls = psp("no sysctls");
  const empty = psp("empty sysctls", undefined, ["*"]);
  const mixed = psp("wildcard sysctls", ["a.*", "b.*"], ["net.*"]);
  const aSysctl = psp("a sysctl", ["a"]);
  const catchall = psp("catchall sysctl", ["*"]);
  const pod = (...names: string[]) =>
    goodPod({ securityContext: { sysctls: names.map((name) => ({ name, value: "dummy" })) } });
  const at = (i: number, msg: string) =>
    `pod.spec.securityContext.sysctls[${i}]: Forbidden: ${msg}`;
  assert.equal(admit(pod(), noSysctls).policy, "no sysctls");
  assert.equal(admit(pod(), empty).policy, "empty sysctls");
  assert.equal(
    admit(pod("kernel.shm_rmid_forced", "net.ipv4.tcp_syncookies"), noSysctls).policy,
    "no sysctls",
  );
  assert.equal(
    messageList(admit(pod("a", "b"), empty)),
    `${at(0, 'sysctl "a" is not allowed')} ${at(1, 'sysctl "b" is not allowed')}`,
  );
  assert.equal(
    messageList(admit(pod("a", "b"), aSysctl)),
    at(1, 'unsafe sysctl "b" is not allowed'),
  );
  assert.equal(messageList(admit(pod("b"), aSysctl)), at(0, 'unsafe sysctl "b" is not allowed'));
  assert.equal(admit(pod("a"), aSysctl).policy, "a sysctl");
  assert.equal(admit(pod("net.ipv4.ip_local_port_range"), aSysctl).policy, "a sysctl");
  assert.equal(
    messageList(admit(pod("net.ipv4.ip_local_port_range"), empty)),
    at(0, 'sysctl "net.ipv4.ip_local_port_range" is not allowed'),
  );
  assert.equal(
    admit(pod("kernel.shm_rmid_forced", "a.b", "b.a"), mixed).policy,
    "wildcard sysctls",
  );
  assert.equal(messageList(admit(pod("e"), mixed)), at(0, 'unsafe sysctl "e" is not allowed'));
  assert.equal(
    messageList(admit(pod("net.ipv4.ip_local_port_range"), mixed)),
    at(0, 'sysctl "net.ipv4.ip_local_port_range" is not allowed'),
  );
  assert.equal(admit(pod("net.ipv4.ip_local_port_range", "f"), catchall).policy, "catchall sysctl");
  // Sysctls are never mutated.
  const withSysctls = pod("a");
  assert.deepEqual(admit(withSysctls, aSysctl).admitted!.spec.securityContext!.sysctls, [{
    name: "a",
    value: "dummy",
  }]);
});

Deno.test("sysctls: names are Go-quoted in messages", () => {
  assert.deepEqual(validateOnly(defaultPSP(), sysctlPod('we"ird\n')), [
    'pod.spec.securityContext.sysctls[0]: Forbidden: unsafe sysctl "we\\"ird\\n" is not allowed',
  ]);
});
