/** terminalText: the one escaping of untrusted text printed to a terminal. */
import assert from "node:assert/strict";
import { terminalText } from "../../src/io/terminal_text.ts";
import { HOSTILE_STRINGS } from "../hostile/strings.ts";

/** Characters a terminal acts on or does not show: none may remain after escaping. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/u;

/** Bidi controls, zero-width and other invisible characters the escaping must catch. */
const INVISIBLE = [
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e", // embeddings and overrides
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069", // isolates
  "\u200e",
  "\u200f",
  "\u061c", // marks
  "\u200b",
  "\u200c",
  "\u200d",
  "\u2060",
  "\u2061",
  "\u2064",
  "\ufeff", // zero-width
  "\u00ad",
  "\u034f",
  "\u115f",
  "\u3164",
  "\ufe0f", // soft hyphen, joiners, fillers, selector
  "\u{e0041}",
  "\u{e0001}", // tag characters
  "\u2028",
  "\u2029",
];

Deno.test("C0/C1 controls and DEL are escaped; line feeds and tabs kept unless oneLine", () => {
  assert.equal(terminalText("a\u001b[31mb"), "a\\u001b[31mb");
  assert.equal(
    terminalText("\u009b2J\u0007\r\u0000\u007f"),
    "\\u009b2J\\u0007\\u000d\\u0000\\u007f",
  );
  assert.equal(terminalText("line 1\n\tline 2 é 日本"), "line 1\n\tline 2 é 日本");
  assert.equal(terminalText("line 1\n\tline 2", { oneLine: true }), "line 1\\u000a\\u0009line 2");
});

Deno.test("bidi controls, zero-width and invisible characters are escaped", () => {
  for (const c of INVISIBLE) {
    const out = terminalText(`a${c}b`);
    assert.ok(!UNSAFE.test(out), JSON.stringify(out));
    assert.match(out, /^a\\u(?:[0-9a-f]{4}|\{[0-9a-f]{5}\})b$/);
  }
  assert.equal(terminalText("evil\u202egpj.exe"), "evil\\u202egpj.exe");
  assert.equal(terminalText("\u{e0041}"), "\\u{e0041}");
  assert.equal(terminalText("x\u2028y\u200bz\ufeff"), "x\\u2028y\\u200bz\\ufeff");
});

Deno.test("a lone surrogate is escaped, a pair (emoji) kept", () => {
  assert.equal(terminalText("a\ud800b"), "a\\ud800b");
  assert.equal(terminalText("\udc00"), "\\udc00");
  assert.equal(terminalText("ok 🙂"), "ok 🙂");
});

Deno.test("every hostile string comes out safe, and printable text unchanged", () => {
  for (const s of HOSTILE_STRINGS) {
    for (const text of [s, `name-${s}-${[...INVISIBLE].join("")}`]) {
      const multi = terminalText(text);
      const one = terminalText(text, { oneLine: true });
      assert.ok(!/[^\P{Cc}\n\t]/u.test(multi), JSON.stringify(multi));
      assert.ok(!UNSAFE.test(one), JSON.stringify(one));
      assert.ok(!one.includes("\n"));
      // Only unsafe characters change: removing escapes of the unsafe ones gives the rest back.
      const kept = [...text].filter((c) => !UNSAFE.test(c)).join("");
      assert.equal(
        one.replace(/\\u(?:[0-9a-f]{4}|\{[0-9a-f]+\})/g, ""),
        kept.replace(/\\u(?:[0-9a-f]{4}|\{[0-9a-f]+\})/g, ""),
      );
    }
  }
});
