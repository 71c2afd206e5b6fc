/**
 * Acceptance: the admission evaluator against a real kube-apiserver v1.20.2
 * (fixtures/oracle, see its README). Every recorded verdict — each pod against each single
 * PSP, each set, and `all` — is re-decided and compared: status, chosen PSP, the multiset of
 * violation lines (parsed from the server's message; duplicates kept, order ignored because the
 * server aggregates PSPs in Go map order), and the admitted pod's recorded fields.
 *
 * Explained differences (not counted as disagreements):
 * - Annotations are compared on the keys the oracle recorded: `seccomp.security.alpha.kubernetes.io/*`,
 *   `container.seccomp.security.alpha.kubernetes.io/*` and `apparmor.security.beta.kubernetes.io/*`.
 *   The recorder dropped every other key, e.g. `kubernetes.io/psp` (its value is compared through
 *   `psp` instead) and `container.apparmor.security.beta.kubernetes.io/*`, which the server does
 *   add: for a plain pod under `all`, the server chose `caps-allowed` over the alphabetically
 *   earlier `apparmor`, so `apparmor` must have changed the pod, and adding its default profile
 *   annotation is the only change it can make.
 * - `invalid` (422) verdicts (none in the recorded corpus) are compared on the reason and the
 *   errors' details: the server prints a Go struct dump with pointer addresses as the value.
 */
import assert from "node:assert/strict";
import {
  admitPod,
  type CompiledPolicy,
  compilePolicy,
  validatingPhase,
} from "../../src/admission/admit.ts";
import type { Container, Pod } from "../../src/model/pod.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { ORACLE_DIR } from "../support/shared.ts";

const ORACLE = Deno.env.get("ORACLE_DIR") ??
  ORACLE_DIR.pathname;

interface Verdict {
  pod: string;
  policies: string;
  status: "allowed" | "forbidden" | "invalid";
  psp?: string;
  message?: string;
  result?: Record<string, unknown>;
}

const RECORDED_ANNOTATION_PREFIXES = [
  "seccomp.security.alpha.kubernetes.io/",
  "container.seccomp.security.alpha.kubernetes.io/",
  "apparmor.security.beta.kubernetes.io/",
];

/** The admitted pod's fields in the oracle's `result` shape. */
function project(pod: Pod): Record<string, unknown> {
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.metadata.annotations ?? {})) {
    if (RECORDED_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))) annotations[k] = v;
  }
  const container = (c: Container) => ({
    name: c.name,
    securityContext: c.securityContext ?? null,
    ports: c.ports ?? null,
  });
  return {
    annotations,
    podSecurityContext: pod.spec.securityContext ?? null,
    runtimeClassName: pod.spec.runtimeClassName ?? null,
    containers: (pod.spec.containers ?? []).map(container),
    initContainers: (pod.spec.initContainers ?? []).map(container),
  };
}

/** Splits the server's `[a b c]` list into violation lines (each starts with a field path). */
function parseViolations(list: string): string[] {
  if (list === "") return [];
  return list.split(/ (?=(?:spec|pod|metadata)[.\[][^ ]*: )/);
}

function parseMessage(message: string): { head: string; lines: string[] } {
  const m = /^(pods ".*" is forbidden: PodSecurityPolicy: [a-z ]+: )\[(.*)\]$/s.exec(message);
  if (!m) return { head: message, lines: [] };
  return { head: m[1], lines: parseViolations(m[2]) };
}

function sorted(list: string[]): string[] {
  return [...list].sort();
}

Deno.test("admission agrees with kube-apiserver v1.20.2 on every recorded verdict", async () => {
  const corpus = JSON.parse(await Deno.readTextFile(`${ORACLE}/corpus.json`));
  const { verdicts } = JSON.parse(await Deno.readTextFile(`${ORACLE}/verdicts.json`)) as {
    verdicts: Verdict[];
  };
  const policies = new Map<string, CompiledPolicy>(
    (corpus.psps as PodSecurityPolicy[]).map((p) => [p.metadata.name!, compilePolicy(p)]),
  );
  const pods = new Map<string, Pod>((corpus.pods as Pod[]).map((p) => [p.metadata.name!, p]));
  const frozen = structuredClone(corpus.pods);

  const disagreements: string[] = [];
  for (const v of verdicts) {
    const names = v.policies === "all"
      ? [...policies.keys()]
      : v.policies.startsWith("set:")
      ? v.policies.slice(4).split("+")
      : [v.policies];
    const candidates = names.map((n) => {
      const p = policies.get(n);
      if (!p) throw new Error(`verdict names unknown PSP ${n}`);
      return p;
    });
    const pod = pods.get(v.pod);
    if (!pod) throw new Error(`verdict names unknown pod ${v.pod}`);
    const d = admitPod(pod, candidates);
    const where = `${v.pod} x ${v.policies}`;
    const problems: string[] = [];

    if (v.status === "invalid") {
      // 422 after admission: the server prints the Go struct (with pointer addresses) as the
      // value, which we do not reproduce; compare the reason and each error's detail instead.
      const details = (m: string) =>
        [...m.matchAll(/: (cannot set [^,\]]*)/g)].map((x) => x[1]).sort();
      if (d.reason !== "Invalid") {
        problems.push(`decided ${d.verdict}/${d.reason}, server said 422: ${v.message}`);
      } else if (JSON.stringify(details(d.message!)) !== JSON.stringify(details(v.message!))) {
        problems.push(`422 text differs: ${d.message} vs ${v.message}`);
      }
    } else if (v.status === "allowed") {
      if (d.verdict === "refused") {
        problems.push(`refused (${d.message}) but the server admitted it`);
      } else {
        if (d.policy !== v.psp) problems.push(`chose ${d.policy}, server chose ${v.psp}`);
        const chosen = d.results.find((r) => r.policy === d.policy);
        assert.ok(chosen?.allowed, `${v.pod}: chosen PSP's result is not allowed`);
        assert.equal(d.verdict === "changed", chosen.changes.length > 0);
        // admitPod skips the server's validating phase because it cannot fail in 1.20; check it.
        const validate = validatingPhase(d.admitted!, candidates);
        if (validate !== null) problems.push(`validating phase would refuse: ${validate}`);
        try {
          assert.deepStrictEqual(project(d.admitted!), v.result);
        } catch {
          problems.push(
            `admitted pod differs:\n  ours:   ${JSON.stringify(project(d.admitted!))}\n  server: ${
              JSON.stringify(v.result)
            }`,
          );
        }
      }
    } else {
      if (d.verdict !== "refused") {
        problems.push(`admitted by ${d.policy} but the server refused: ${v.message}`);
      } else {
        const ours = parseMessage(d.message!);
        const theirs = parseMessage(v.message!);
        if (ours.head !== theirs.head) {
          problems.push(`message head "${ours.head}" vs "${theirs.head}"`);
        }
        const a = sorted(ours.lines);
        const b = sorted(theirs.lines);
        if (JSON.stringify(a) !== JSON.stringify(b)) {
          problems.push(
            `violations differ:\n  ours:   ${JSON.stringify(a)}\n  server: ${JSON.stringify(b)}`,
          );
        }
        // Our own message lists exactly our violations.
        assert.deepStrictEqual(
          a,
          sorted(d.results.flatMap((r) => r.violations.map((x) => x.text))),
        );
      }
    }
    if (problems.length) disagreements.push(`${where}: ${problems.join("; ")}`);
  }

  const agree = verdicts.length - disagreements.length;
  console.log(
    `oracle: ${agree}/${verdicts.length} verdicts agree (${
      (100 * agree / verdicts.length).toFixed(2)
    }%)`,
  );
  for (const d of disagreements.slice(0, 40)) console.log(`  DISAGREE ${d}`);
  assert.deepStrictEqual(corpus.pods, frozen, "admission mutated its input pods");
  assert.equal(disagreements.length, 0, `${disagreements.length} verdicts disagree`);
});
