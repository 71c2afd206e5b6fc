/**
 * The one escaping of untrusted text (names, file paths, annotation values, messages quoting
 * input) for a terminal: every warning, error and table cell goes through `terminalText`, so
 * that no input can move the cursor, recolour, retitle or clear the terminal, reorder what is
 * shown (bidi controls), or hide characters (zero-width and other invisible characters).
 */

/**
 * What is escaped: C0 and C1 controls and DEL (`Cc`), format characters (`Cf`: bidi
 * controls U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069; zero-width U+200B–U+200D,
 * U+2060–U+2064, U+FEFF; soft hyphen; tag characters), line and paragraph separators
 * (U+2028, U+2029), lone surrogates, and every other default-ignorable (invisible) code point
 * (U+034F, U+115F, U+1160, U+3164, U+FFA0, variation selectors...).
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu;

/** Options of `terminalText`. */
export interface TerminalTextOptions {
  /**
   * Escape line feeds and tabs too, so that the text stays on one line (table cells, names
   * inside a message). Default false: messages keep their line breaks and tabs.
   */
  oneLine?: boolean;
}

/** `\u001b` for code points up to U+FFFF, `\u{e0001}` above (unambiguous either way). */
function escapeChar(c: string): string {
  const n = c.codePointAt(0)!;
  return n > 0xffff ? `\\u{${n.toString(16)}}` : `\\u${n.toString(16).padStart(4, "0")}`;
}

/**
 * Makes untrusted text safe to print on a terminal: every character listed at `UNSAFE`
 * becomes its `\uNNNN` escape; line feeds and tabs are kept unless `oneLine`. Printable text
 * (any script, emoji) is left as it is. Backslashes are not escaped: an escape in the output
 * may also be the input's own text, which is harmless on a terminal.
 */
export function terminalText(text: string, opts: TerminalTextOptions = {}): string {
  const oneLine = opts.oneLine ?? false;
  return text.replace(UNSAFE, (c) => !oneLine && (c === "\n" || c === "\t") ? c : escapeChar(c));
}
