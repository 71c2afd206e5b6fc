/** terminalText: what main.ts applies to every error message before printing it. */
import assert from "node:assert/strict";
import { terminalText } from "../../src/io/errors.ts";

Deno.test("terminalText escapes C0/C1 controls and format characters, keeps newlines and tabs", () => {
  assert.equal(terminalText("a\u001b[31mb"), "a\\u001b[31mb");
  assert.equal(terminalText("\u009b2J\u0007\r\u0000"), "\\u009b2J\\u0007\\u000d\\u0000");
  assert.equal(terminalText("x\u2028y\u200bz\ufeff"), "x\\u2028y\\u200bz\\ufeff");
  assert.equal(terminalText("line 1\n\tline 2 é 日本"), "line 1\n\tline 2 é 日本");
});
