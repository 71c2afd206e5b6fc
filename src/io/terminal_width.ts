/**
 * How wide the table may be: `COLUMNS` when it holds a positive whole number (set by the
 * user, or exported by the shell), else the terminal's width when stdout is a terminal, else
 * no limit (output to a file or a pipe keeps whole lines).
 */

/** Where the width comes from (Deno's by default; tests pass their own). */
export interface WidthSources {
  env(name: string): string | undefined;
  isTerminal(): boolean;
  consoleColumns(): number | undefined;
}

const DENO: WidthSources = {
  env: (name) => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined; // no --allow-env for it
    }
  },
  isTerminal: () => Deno.stdout.isTerminal(),
  consoleColumns: () => {
    try {
      return Deno.consoleSize().columns;
    } catch {
      return undefined;
    }
  },
};

/** The table's width in columns, or undefined for no limit (see the module comment). */
export function terminalWidth(from: WidthSources = DENO): number | undefined {
  const columns = from.env("COLUMNS")?.trim();
  if (columns && /^[0-9]+$/.test(columns) && Number(columns) > 0) return Number(columns);
  if (!from.isTerminal()) return undefined;
  const n = from.consoleColumns();
  return n !== undefined && n > 0 ? n : undefined;
}
