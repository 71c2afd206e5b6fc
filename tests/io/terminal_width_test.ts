import assert from "node:assert/strict";
import { terminalWidth, type WidthSources } from "../../src/io/terminal_width.ts";

function from(columns: string | undefined, tty: boolean, console?: number): WidthSources {
  return {
    env: (name) => name === "COLUMNS" ? columns : undefined,
    isTerminal: () => tty,
    consoleColumns: () => console,
  };
}

Deno.test("COLUMNS wins, then the terminal's width, else no limit", () => {
  assert.equal(terminalWidth(from("100", true, 80)), 100);
  assert.equal(terminalWidth(from("100", false)), 100, "COLUMNS also for a pipe or a file");
  assert.equal(terminalWidth(from(undefined, true, 80)), 80);
  assert.equal(terminalWidth(from(undefined, false, 80)), undefined, "a pipe: whole lines");
  for (const bad of ["", "0", "-5", "80x", "abc", "1e3"]) {
    assert.equal(terminalWidth(from(bad, true, 90)), 90, JSON.stringify(bad));
    assert.equal(terminalWidth(from(bad, false)), undefined, JSON.stringify(bad));
  }
  assert.equal(terminalWidth(from(undefined, true, 0)), undefined, "a terminal reporting 0");
  assert.equal(terminalWidth(from(undefined, true, undefined)), undefined);
});
