import assert from "node:assert/strict";
import { sysctlsCheck } from "../../../src/pss/checks/sysctls.ts";
import { run, said } from "../helpers.ts";

Deno.test("sysctls: unsafe names in pod order; the safe set grows by version", () => {
  const spec = (...names: string[]) => ({
    securityContext: { sysctls: names.map((name) => ({ name, value: "1" })) },
  });
  assert.deepEqual(
    said(run(sysctlsCheck, 0, spec("kernel.msgmax", "net.ipv4.tcp_syncookies", "a.b"))),
    [
      "forbidden sysctls",
      "kernel.msgmax, a.b",
    ],
  );
  for (
    const [name, since] of [
      ["net.ipv4.ip_local_reserved_ports", 27],
      ["net.ipv4.tcp_keepalive_probes", 29],
      ["net.ipv4.tcp_wmem", 32],
      ["net.ipv4.tcp_notsent_lowat", 37],
    ] as const
  ) {
    assert.deepEqual(said(run(sysctlsCheck, since - 1, spec(name))), ["forbidden sysctls", name]);
    assert.equal(said(run(sysctlsCheck, since, spec(name))), "allowed");
  }
});
