import assert from "node:assert/strict";
import { checkPspShape } from "../../src/psp/shape.ts";
import { formatInvalidPspMessage, validatePsp } from "../../src/psp/validate.ts";
import type { PodSecurityPolicy } from "../../src/model/psp.ts";
import { ORACLE_DIR } from "../support/shared.ts";
import { psp, texts } from "./helpers.ts";

const ORACLE = ORACLE_DIR;

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

Deno.test("validatePsp reports wrong JSON types instead of validating garbage", () => {
  const bad = {
    ...psp(),
    spec: { ...psp().spec, volumes: "secret" },
  } as unknown as PodSecurityPolicy;
  assert.deepEqual(texts(bad), ['spec.volumes: Invalid value: "secret": must be a list']);
  assert.deepEqual(Object.keys(validatePsp(bad)[0]).sort(), ["field", "message", "text"]);
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
