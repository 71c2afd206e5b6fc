/**
 * Shell completion: the `completion bash|zsh|fish` command and the engine behind
 * Cobra's `__complete` protocol, which kubectl (>= 1.26) uses for plugins through
 * the `kubectl_complete-falco_psp` helper and our own shell scripts use directly.
 *
 * Protocol (as Cobra defines it): the program is called as
 * `kubectl-falco_psp __complete <args...> <toComplete>` (the last argument is the
 * word being completed, `""` for a new word) and prints one `value<TAB>description`
 * line per suggestion, then `:<directive>` where the directive is a bit set of
 * {@link Directive}. `__completeNoDesc` prints the values without descriptions.
 *
 * Everything is derived from the commander definition of the program (commands,
 * options, their choices and value placeholders); only the kube-specific flags
 * (`--context`, `--cluster`, `--user`, `--namespace`) get dynamic values, from
 * the kubeconfig and from the cluster (see completion_sources.ts).
 */
import { Argument, Command, type Option } from "@commander-js/extra-typings";
import { completionScript, type CompletionScriptShell, SHELLS } from "./completion_scripts.ts";
import { type KubeTarget, listKubeconfigNames, listNamespaces } from "./completion_sources.ts";

/** Name of the hidden request command, as in Cobra. */
const COMPLETE_REQUEST = "__complete";
/** Same request, answered without descriptions. */
const COMPLETE_REQUEST_NO_DESC = "__completeNoDesc";

/** Cobra's ShellCompDirective bits (kubectl reads them from the last line). */
export const Directive = {
  /** Let the shell do its default (file completion when nothing is suggested). */
  Default: 0,
  /** An error occurred; ignore the suggestions. */
  Error: 1,
  /** Do not add a space after the (single) completion. */
  NoSpace: 2,
  /** Do not fall back to file completion. */
  NoFileComp: 4,
  /** The suggestions are file extensions to filter file completion by. */
  FilterFileExt: 8,
  /** Complete directory names only (a suggestion, if any, is the directory to look in). */
  FilterDirs: 16,
  /** Keep the order of the suggestions. */
  KeepOrder: 32,
} as const;

/** One suggestion: the value and an optional one-line description. */
export interface Suggestion {
  value: string;
  description?: string;
}

/** The answer to a completion request. */
export interface CompletionResult {
  suggestions: Suggestion[];
  directive: number;
}

/** Where dynamic values come from; replaced in tests. */
export interface CompletionSources {
  /** Names of contexts, clusters or users in the kubeconfig selected by `target`. */
  kubeconfigNames(
    kind: "contexts" | "clusters" | "users",
    target: KubeTarget,
  ): Promise<Suggestion[]>;
  /** Namespace names of the cluster selected by `target` (empty on any error). */
  namespaces(target: KubeTarget): Promise<string[]>;
}

/** The real sources: kubeconfig files and `kubectl get namespaces`. */
const defaultSources: CompletionSources = {
  kubeconfigNames: (kind, target) => Promise.resolve(listKubeconfigNames(kind, target)),
  namespaces: (target) => listNamespaces(target),
};

/** The program's options that are kube connection settings, by long name. */
const KUBE_TARGET_FLAGS: Record<string, keyof KubeTarget> = {
  "--kubeconfig": "kubeconfig",
  "--context": "context",
  "--cluster": "cluster",
  "--user": "user",
};

/** Commander's `Command` with the extra-typings generics erased. */
// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any, any, any>;
// deno-lint-ignore no-explicit-any
type AnyOption = Option<any, any, any, any, any, any>;

/** The state after reading the words before the one being completed. */
interface WalkState {
  command: AnyCommand;
  /** Positional arguments seen for `command`. */
  positionals: string[];
  /** Options given (by attribute name) for `command`. */
  given: Set<string>;
  /** An option still waiting for its value (the word being completed is it). */
  pendingValueFor?: AnyOption;
  /** After `--`: every word is positional. */
  afterDashDash: boolean;
  target: KubeTarget;
}

/** Every option a command accepts, including hidden ones and the built-in help option. */
function allOptions(command: AnyCommand): AnyOption[] {
  const help = command.createHelp();
  const visible = help.visibleOptions(command) as AnyOption[];
  const hidden = (command.options as readonly AnyOption[]).filter((o) => o.hidden);
  return [...visible, ...hidden];
}

/** Finds the option `flag` (`-o` or `--output`) on `command` or one of its ancestors. */
function findOption(command: AnyCommand, flag: string): AnyOption | undefined {
  for (let c: AnyCommand | null = command; c; c = c.parent as AnyCommand | null) {
    const found = allOptions(c).find((o) => o.short === flag || o.long === flag);
    if (found) return found;
  }
  return undefined;
}

/** True when the option reads a value (`<value>` or `[value]`). */
function takesValue(option: AnyOption): boolean {
  return option.required || option.optional;
}

/** Finds a visible or hidden subcommand by name or alias (implicit `help` included). */
function findSubcommand(command: AnyCommand, name: string): AnyCommand | undefined {
  const all = command.createHelp().visibleCommands(command) as AnyCommand[];
  const hidden = (command.commands as readonly AnyCommand[]).filter((c) => !all.includes(c));
  return [...all, ...hidden].find((c) => c.name() === name || c.aliases().includes(name));
}

/** Records a given option and, for kube settings, its value. */
function noteOption(state: WalkState, option: AnyOption, value: string | undefined): void {
  state.given.add(option.attributeName());
  const key = option.long ? KUBE_TARGET_FLAGS[option.long] : undefined;
  if (key && value !== undefined) state.target[key] = value;
}

/**
 * Takes the value of `option` (given as `words[i]`) from the next word, as
 * commander does (an optional value only when the next word is not a flag);
 * at the end of the words, the value is the word being completed. Returns the
 * index of the last word used.
 */
function readValue(state: WalkState, option: AnyOption, words: string[], i: number): number {
  const next = words[i + 1];
  if (next === undefined) {
    noteOption(state, option, undefined);
    state.pendingValueFor = option;
    return i;
  }
  if (option.required || !next.startsWith("-")) {
    noteOption(state, option, next);
    return i + 1;
  }
  noteOption(state, option, undefined);
  return i;
}

/** Reads the words before the one being completed, like commander would parse them. */
function walk(program: AnyCommand, words: string[]): WalkState {
  const state: WalkState = {
    command: program,
    positionals: [],
    given: new Set(),
    afterDashDash: false,
    target: {},
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    state.pendingValueFor = undefined;
    if (state.afterDashDash || word === "-" || !word.startsWith("-")) {
      const sub = state.positionals.length === 0 && !state.afterDashDash
        ? findSubcommand(state.command, word)
        : undefined;
      if (sub && sub.name() !== "help") {
        state.command = sub;
        state.given = new Set();
      } else {
        state.positionals.push(word);
      }
      continue;
    }
    if (word === "--") {
      state.afterDashDash = true;
      continue;
    }
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      const option = findOption(state.command, eq >= 0 ? word.slice(0, eq) : word);
      if (!option) continue; // unknown flag: assume it takes no value
      if (eq >= 0) noteOption(state, option, word.slice(eq + 1));
      else if (takesValue(option)) i = readValue(state, option, words, i);
      else noteOption(state, option, undefined);
      continue;
    }
    // Short flags, possibly combined (`-Rv`) or with an attached value (`-ojson`).
    for (let j = 1; j < word.length; j++) {
      const option = findOption(state.command, `-${word[j]}`);
      if (!option) continue;
      if (!takesValue(option)) {
        noteOption(state, option, undefined);
        continue;
      }
      const attached = word.slice(j + 1);
      if (attached) noteOption(state, option, attached);
      else i = readValue(state, option, words, i);
      break;
    }
  }
  return state;
}

/** First line of a help text, with tabs and newlines removed. */
function oneLine(text: string | undefined): string | undefined {
  const line = (text ?? "").split("\n")[0].replace(/\t/g, " ").trim();
  return line || undefined;
}

/** True for an option that may be given more than once. */
function isRepeatable(option: AnyOption): boolean {
  return option.variadic || Array.isArray(option.defaultValue) ||
    /\brepeatable\b/i.test(option.description ?? "");
}

/** Suggestions for option names of the current command. */
function flagSuggestions(state: WalkState, toComplete: string): Suggestion[] {
  const out: Suggestion[] = [];
  const help = state.command.createHelp();
  const options = [...help.visibleOptions(state.command)] as AnyOption[];
  for (const option of options) {
    if (state.given.has(option.attributeName()) && !isRepeatable(option)) continue;
    const description = oneLine(option.description);
    if (option.long) out.push({ value: option.long, description });
    if (option.short && !toComplete.startsWith("--")) {
      out.push({ value: option.short, description });
    }
  }
  return out;
}

/** Suggestions for subcommands of the current command. */
function subcommandSuggestions(command: AnyCommand): Suggestion[] {
  const help = command.createHelp();
  return (help.visibleCommands(command) as AnyCommand[]).map((c) => ({
    value: c.name(),
    description: oneLine(c.summary() || c.description()),
  }));
}

/** The placeholder of an option's value (`file` for `-f, --filename <file>`). */
function valuePlaceholder(option: AnyOption): string {
  return /[<[]([^>\]]*)[>\]]/.exec(option.flags)?.[1].replace(/\.\.\.$/, "").toLowerCase() ?? "";
}

/** Completes the value of `option`, already having read `state`. */
async function optionValueCompletion(
  option: AnyOption,
  state: WalkState,
  sources: CompletionSources,
): Promise<CompletionResult> {
  const noFiles = (suggestions: Suggestion[]) => ({
    suggestions,
    directive: Directive.NoFileComp,
  });
  if (option.argChoices) return noFiles(option.argChoices.map((value) => ({ value })));
  switch (option.long) {
    case "--context":
      return noFiles(await sources.kubeconfigNames("contexts", state.target));
    case "--cluster":
      return noFiles(await sources.kubeconfigNames("clusters", state.target));
    case "--user":
      return noFiles(await sources.kubeconfigNames("users", state.target));
    case "--namespace":
      return noFiles((await sources.namespaces(state.target)).map((value) => ({ value })));
  }
  const placeholder = valuePlaceholder(option);
  if (/\bdir(ectory)?\b/.test(placeholder)) {
    return { suggestions: [], directive: Directive.FilterDirs };
  }
  if (
    /file|path|kubeconfig|log/.test(placeholder) || /file|path|kubeconfig/.test(option.long ?? "")
  ) {
    return { suggestions: [], directive: Directive.Default };
  }
  return noFiles([]);
}

/** Completes a positional argument of the current command. */
function positionalCompletion(state: WalkState): CompletionResult {
  const command = state.command;
  const subcommandsOpen = state.positionals.length === 0 && !state.afterDashDash;
  const subs = subcommandsOpen ? subcommandSuggestions(command) : [];
  // `help <command>` (commander's implicit help command) completes command names.
  if (
    state.positionals.length === 1 && state.positionals[0] === "help" && !state.afterDashDash &&
    findSubcommand(command, "help")
  ) {
    return {
      suggestions: subcommandSuggestions(command).filter((s) => s.value !== "help"),
      directive: Directive.NoFileComp,
    };
  }
  const args = command.registeredArguments as readonly Argument[];
  const last = args[args.length - 1];
  const argument = args[state.positionals.length] ?? (last?.variadic ? last : undefined);
  if (!argument) return { suggestions: subs, directive: Directive.NoFileComp };
  if (argument.argChoices) {
    return {
      suggestions: [...subs, ...argument.argChoices.map((value) => ({ value }))],
      directive: Directive.NoFileComp,
    };
  }
  const name = argument.name().toLowerCase();
  if (/file|path|input|dir|manifest/.test(name)) {
    return { suggestions: subs, directive: Directive.Default };
  }
  return { suggestions: subs, directive: Directive.NoFileComp };
}

/** Keeps the suggestions whose value starts with `prefix`. */
function filterByPrefix(suggestions: Suggestion[], prefix: string): Suggestion[] {
  return suggestions.filter((s) => s.value.startsWith(prefix));
}

/**
 * Computes the completions for `args` (the words after the program name, the
 * last one being the word to complete) against the commander `program`.
 */
export async function complete(
  program: AnyCommand,
  args: string[],
  sources: CompletionSources = defaultSources,
): Promise<CompletionResult> {
  const words = args.length ? args.slice(0, -1) : [];
  const toComplete = args.length ? args[args.length - 1] : "";
  const state = walk(program, words);

  // The value of a flag given as the previous word (`-o <TAB>`).
  if (state.pendingValueFor && !(state.pendingValueFor.optional && toComplete.startsWith("-"))) {
    const result = await optionValueCompletion(state.pendingValueFor, state, sources);
    if (result.directive & (Directive.FilterDirs | Directive.FilterFileExt)) return result;
    return { ...result, suggestions: filterByPrefix(result.suggestions, toComplete) };
  }
  if (!state.afterDashDash && toComplete.startsWith("-")) {
    // `--flag=value`: complete the value, keeping the `--flag=` prefix.
    const eq = toComplete.indexOf("=");
    if (toComplete.startsWith("--") && eq > 0) {
      const flag = toComplete.slice(0, eq);
      const option = findOption(state.command, flag);
      if (!option || !takesValue(option)) {
        return { suggestions: [], directive: Directive.NoFileComp };
      }
      const result = await optionValueCompletion(option, state, sources);
      if (result.directive & (Directive.FilterDirs | Directive.FilterFileExt)) return result;
      const prefixed = filterByPrefix(result.suggestions, toComplete.slice(eq + 1))
        .map((s) => ({ ...s, value: `${flag}=${s.value}` }));
      return { suggestions: prefixed, directive: result.directive };
    }
    return {
      suggestions: filterByPrefix(flagSuggestions(state, toComplete), toComplete),
      directive: Directive.NoFileComp,
    };
  }
  const result = positionalCompletion(state);
  return { ...result, suggestions: filterByPrefix(result.suggestions, toComplete) };
}

/** Renders a result in the `__complete` wire format (suggestion lines, then `:<directive>`). */
export function formatCompletion(result: CompletionResult, withDescriptions = true): string {
  const lines = result.suggestions.map((s) =>
    withDescriptions && s.description ? `${s.value}\t${s.description}` : s.value
  );
  lines.push(`:${result.directive}`);
  return lines.join("\n") + "\n";
}

/**
 * Answers a `__complete` / `__completeNoDesc` request: prints the completions of
 * `args` on stdout and returns the exit code (0; errors become the Error directive).
 */
export async function runCompletionRequest(
  program: AnyCommand,
  request: string,
  args: string[],
  sources: CompletionSources = defaultSources,
): Promise<number> {
  let result: CompletionResult;
  try {
    result = await complete(program, args, sources);
  } catch {
    result = { suggestions: [], directive: Directive.Error };
  }
  const text = formatCompletion(result, request !== COMPLETE_REQUEST_NO_DESC);
  await Deno.stdout.write(new TextEncoder().encode(text));
  return 0;
}

/** True when `args` is a completion request (`__complete ...`) rather than a command. */
export function isCompletionRequest(args: string[]): boolean {
  return args[0] === COMPLETE_REQUEST || args[0] === COMPLETE_REQUEST_NO_DESC;
}

/** The `completion bash|zsh|fish` command: prints a shell completion script. */
export function completionCommand() {
  return new Command("completion")
    .description("Print a shell completion script (bash, zsh or fish)")
    .addArgument(new Argument("<shell>", "the shell to complete for").choices(SHELLS))
    .addHelpText(
      "after",
      `
Through kubectl (kubectl >= 1.26): 'kubectl falco-psp <TAB>' completes when the
kubectl_complete-falco_psp helper is on PATH ('deno task install' puts it there)
and kubectl's own completion is loaded (source <(kubectl completion bash)).

For the kubectl-falco_psp executable itself:
  bash:  source <(kubectl falco-psp completion bash)
  zsh:   source <(kubectl falco-psp completion zsh)
  fish:  kubectl falco-psp completion fish | source`,
    )
    .action(async (shell: string) => {
      const text = completionScript(shell as CompletionScriptShell);
      await Deno.stdout.write(new TextEncoder().encode(text));
    });
}
