/**
 * Errors that reach the user, each with the exit code documented in README.md:
 * 1 refused pods (not an error), 2 bad usage or input, 3 cluster or I/O failure,
 * 4 internal error (a bug), 130 interrupted.
 */

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;
export const EXIT_IO = 3;
/** An unexpected error: a bug in the plugin, not a problem with the input or the cluster. */
export const EXIT_INTERNAL = 4;
export const EXIT_INTERRUPTED = 130;
/**
 * The reader of stdout went away (`| head`): the status a shell reports for a program that
 * SIGPIPE ended (128 + 13), as `kubectl ... | head` gives; nothing is printed.
 */
export const EXIT_BROKEN_PIPE = 141;

/** Whether `e` is a write to a pipe whose reader has gone (EPIPE). */
export function isBrokenPipe(e: unknown): boolean {
  return e instanceof Deno.errors.BrokenPipe || (e as { code?: unknown })?.code === "EPIPE";
}

/** Where in the input something was found. */
export interface SourceRef {
  /** File path, `-` for stdin, or `cluster`. */
  file: string;
  /** 1-based document number in a multi-document stream. */
  document?: number;
  /** 0-based index inside a `kind: List` document. */
  item?: number;
  /** 1-based line and column of the object's start. */
  line?: number;
  column?: number;
}

/** Renders a SourceRef as `file: document N (item M, line L)`. */
export function formatSource(ref: SourceRef): string {
  let s = ref.file;
  const parts: string[] = [];
  if (ref.document !== undefined) parts.push(`document ${ref.document}`);
  if (ref.item !== undefined) parts.push(`item ${ref.item}`);
  if (ref.line !== undefined) {
    parts.push(`line ${ref.line}${ref.column !== undefined ? `:${ref.column}` : ""}`);
  }
  if (parts.length) s += ` (${parts.join(", ")})`;
  return s;
}

/** Base class: a message for the user and an exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments. Exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/** Input that cannot be read as what it should be: names file, document and field. Exit code 2. */
export class InputError extends CliError {
  constructor(
    readonly source: SourceRef,
    readonly field: string | undefined,
    readonly detail: string,
  ) {
    // a detail that already starts with the field (a validator's full text) is not repeated
    super(
      `${formatSource(source)}${
        field && !detail.startsWith(`${field}: `) ? `: ${field}` : ""
      }: ${detail}`,
      EXIT_USAGE,
    );
  }
}

/** A file could not be read or written, or the cluster failed. Exit code 3. */
export class IoError extends CliError {
  constructor(message: string) {
    super(message, EXIT_IO);
  }
}

/**
 * What went wrong reading or writing `path`, in words that say what the user can do. Deno's
 * own permission errors (NotCapable, whose text advises `--allow-all`) and the system's
 * permission denials become such advice; other errors keep the system's text.
 */
export function ioFailureText(action: "read" | "write", path: string, e: unknown): string {
  if (e instanceof Deno.errors.NotCapable) {
    return `cannot ${action} ${path}: this program was started without access to it ` +
      `(run it as installed, 'kubectl falco-psp', or ${
        action === "read" ? "give the input on stdin: - < FILE" : "write to stdout: > FILE"
      })`;
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return `cannot ${action} ${path}: permission denied (check its permissions and those of ` +
      `its directory, or run as a user who may ${action} it)`;
  }
  return `cannot ${action} ${path}: ${(e as Error)?.message ?? String(e)}`;
}
