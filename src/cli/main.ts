/**
 * The command-line shell: `kubectl falco-psp <command>`. Parses flags, runs a
 * command, maps errors to exit codes. Each command lives in its own module.
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import {
  CliError,
  EXIT_BROKEN_PIPE,
  EXIT_INTERNAL,
  EXIT_INTERRUPTED,
  EXIT_IO,
  EXIT_USAGE,
  isBrokenPipe,
} from "../io/errors.ts";
import { terminalText } from "../io/terminal_text.ts";
import { ApiError, TransportError } from "../cluster/errors.ts";
import { removeTemporaryFiles } from "../io/atomic_write.ts";
import { checkLegacyRulesFlag, convertCommand } from "./convert.ts";
import { auditPodsCommand } from "./audit_pods.ts";
import { completionCommand, isCompletionRequest, runCompletionRequest } from "./completion.ts";
import denoJson from "../../deno.json" with { type: "json" };

/** The plugin's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** Builds the root command with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command("kubectl falco-psp")
    .description(
      "Dry-run PodSecurityPolicies: convert them to Falco rules, or audit pods against them.",
    )
    .version(VERSION, "--version", "print the version and exit")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  program.addCommand(convertCommand());
  program.addCommand(auditPodsCommand());
  program.addCommand(completionCommand());
  return program as unknown as Command;
}

/** Runs the CLI with `args` (without the program name) and returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const program = buildProgram();
  if (isCompletionRequest(args)) return await runCompletionRequest(program, args[0], args.slice(1));
  const applyExitOverride = (c: Command) => {
    c.exitOverride();
    // Commander's own errors quote the arguments (`unknown option '...'`): escaped like ours.
    c.configureOutput({ outputError: (text, write) => write(terminalText(text)) });
    c.commands.forEach((sub) => applyExitOverride(sub as unknown as Command));
  };
  applyExitOverride(program);
  const interruptible = listenForInterrupt(true);
  try {
    if (args[0] === "convert") checkLegacyRulesFlag(args.slice(1));
    await program.parseAsync(args, { from: "user" });
    return Number(Deno.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" || e.code === "commander.version" ||
        e.code === "commander.help"
      ) return 0;
      return EXIT_USAGE;
    }
    if (e instanceof Deno.errors.Interrupted) return EXIT_INTERRUPTED;
    if (isBrokenPipe(e)) return EXIT_BROKEN_PIPE; // quietly, as other CLIs end
    const failure = describeFailure(e);
    console.error(terminalText(failure.text));
    return failure.exitCode;
  } finally {
    if (interruptible) listenForInterrupt(false);
  }
}

/** Node's system errors (`ECONNRESET`, `EPIPE`...) carry their errno name as `code`. */
function isSystemError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code);
}

/** An error of the operating system or the network that no CliError wrapped: exit 3. */
function isIoFailure(e: unknown): boolean {
  return Object.values(Deno.errors).some((c) => e instanceof c) ||
    e instanceof ApiError || e instanceof TransportError || isSystemError(e);
}

/**
 * What an error that ends the command prints on stderr and the exit code: a CliError its
 * message and code; an I/O failure no CliError wrapped its message and 3; anything else is a
 * bug (a TypeError, a failed assumption): it says so, prints the stack, and exits 4.
 */
export function describeFailure(e: unknown): { text: string; exitCode: number } {
  if (e instanceof CliError) return { text: `error: ${e.message}`, exitCode: e.exitCode };
  if (isIoFailure(e)) return { text: `error: ${(e as Error).message}`, exitCode: EXIT_IO };
  const err = e instanceof Error ? e : undefined;
  const what = err ? `${err.name}: ${err.message}` : `thrown value: ${String(e)}`;
  // V8's stack starts with "Name: message"; the frames follow.
  const stack = err?.stack?.startsWith(what) ? err.stack.slice(what.length) : `\n${err?.stack}`;
  return {
    text: `error: internal error (a bug in kubectl falco-psp ${VERSION}; please report it with ` +
      `the command and this text): ${what}${err?.stack ? stack : ""}`,
    exitCode: EXIT_INTERNAL,
  };
}

/**
 * Ctrl-C (SIGINT): stop at once, abandoning requests in flight, remove the
 * temporary files of unfinished atomic writes (output files keep their
 * previous content), and exit 130.
 */
function onInterrupt(): void {
  removeTemporaryFiles();
  console.error("error: interrupted");
  Deno.exit(EXIT_INTERRUPTED);
}

function listenForInterrupt(on: boolean): boolean {
  try {
    if (on) Deno.addSignalListener("SIGINT", onInterrupt);
    else Deno.removeSignalListener("SIGINT", onInterrupt);
    return true;
  } catch {
    return false; // no signals here
  }
}
