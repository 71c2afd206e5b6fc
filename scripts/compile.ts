/**
 * `deno task compile [--target T ...] [--no-bundle] [--no-package]`: builds the
 * single-binary `kubectl-falco_psp` for linux amd64/arm64, darwin amd64/arm64 and
 * windows amd64 with `deno compile`, into dist/bin/<os>-<arch>/, then packages
 * them (see package.ts: archives, SHA256SUMS, Krew manifest).
 *
 * Lean binaries: by default the entry point is bundled and minified with
 * `deno compile --bundle --minify`, so only the code reachable from main.ts is
 * embedded (no npm package trees, type declarations or source maps);
 * `--no-bundle` embeds the npm packages instead, limited to the ones reachable
 * from main.ts (`--exclude-unused-npm`). Tests, fixtures and scripts are never
 * embedded (only the module graph of main.ts is).
 *
 * Runtime: `deno compile` downloads the Deno runtime (denort) for each target
 * unless `DENORT_BIN` names one. A denort binary serves one target, so
 * `DENORT_BIN` needs a single `--target`; `DENORT_BIN_<OS>_<ARCH>` (e.g.
 * `DENORT_BIN_LINUX_AMD64`) sets it per target. When the runtime cannot be
 * downloaded, the task stops with a message saying so and exits 3; nothing is
 * packaged.
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { binaryName, denortVariable, platformName, type ReleaseTarget } from "./release/targets.ts";
import { RUNTIME_PERMISSIONS, RUNTIME_V8_FLAGS } from "./launchers.ts";
import {
  PACKAGE_FLAGS,
  packageFromDist,
  projectVersion,
  releaseUrls,
  REPO_DIR,
  selectTargets,
} from "./package.ts";

/** Exit code when a binary could not be built. */
export const EXIT_COMPILE_FAILED = 3;

/** How one target is built. */
export interface CompilePlan {
  target: ReleaseTarget;
  /** Path of the runtime binary to use, when not downloaded by deno. */
  denortBin?: string;
  output: string;
  args: string[];
}

/** Picks the runtime for each target from `DENORT_BIN` / `DENORT_BIN_<OS>_<ARCH>`. */
export function runtimeFor(
  targets: ReleaseTarget[],
  env: (name: string) => string | undefined,
): Map<ReleaseTarget, string | undefined> {
  const shared = env("DENORT_BIN");
  if (shared && targets.length !== 1) {
    throw new Error(
      "DENORT_BIN names the Deno runtime of one target; pass exactly one --target " +
        "(e.g. --target linux-amd64), or set DENORT_BIN_<OS>_<ARCH> per target " +
        "(e.g. DENORT_BIN_LINUX_AMD64)",
    );
  }
  return new Map(targets.map((t) => [t, env(denortVariable(t)) ?? shared]));
}

/** The `deno compile` arguments for `target`. */
export function compileArgs(target: ReleaseTarget, output: string, bundle: boolean): string[] {
  return [
    "compile",
    "--target",
    target.triple,
    "--output",
    output,
    ...(bundle ? ["--bundle", "--minify"] : ["--exclude-unused-npm"]),
    "--no-prompt",
    ...RUNTIME_PERMISSIONS,
    ...RUNTIME_V8_FLAGS,
    "--config",
    join(REPO_DIR, "deno.json"),
    join(REPO_DIR, "main.ts"),
  ];
}

/**
 * Explains a failed `deno compile` for `target`: the runtime download failure
 * gets its own message with what to do; anything else shows deno's output.
 */
export function explainCompileFailure(
  target: ReleaseTarget,
  output: string,
  denortBin: string | undefined,
): string {
  const url = /https?:\/\/\S*denort-[\w.-]+\.zip/.exec(output)?.[0];
  const cause = output.split("\n").map((l) => l.trim()).filter((l) =>
    /error sending request|dns error|failed to lookup|Connect|timed out|connection refused/i
      .test(l)
  ).pop();
  if (!denortBin && url) {
    return [
      `error: cannot build kubectl-falco_psp for ${platformName(target)}: deno compile could not ` +
      `download the Deno runtime for that target (${url}).`,
      ...(cause ? [`  cause: ${cause.replace(/^\d+:\s*/, "")}`] : []),
      `  This machine cannot reach that host. Either run 'deno task compile' where it can ` +
      `(the release workflow does), or download that zip elsewhere, unzip it and set ` +
      `${denortVariable(target)}=/path/to/denort (or DENORT_BIN with --target ${
        platformName(target)
      }).`,
      "  Nothing was packaged.",
    ].join("\n");
  }
  return [
    `error: deno compile failed for ${platformName(target)}` +
    (denortBin ? ` with the runtime ${denortBin}` : "") + ":",
    output.trim().split("\n").map((l) => `  ${l}`).join("\n"),
    "  Nothing was packaged.",
  ].join("\n");
}

/** Runs `deno compile` for one target; returns deno's combined output and success. */
async function compileTarget(
  plan: CompilePlan,
): Promise<{ success: boolean; output: string }> {
  await Deno.mkdir(resolve(plan.output, ".."), { recursive: true });
  // When no runtime is given, DENORT_BIN is not set either (runtimeFor uses it if it is).
  const env: Record<string, string> = { NO_COLOR: "1" };
  if (plan.denortBin) env.DENORT_BIN = plan.denortBin;
  const child = new Deno.Command(Deno.execPath(), {
    args: plan.args,
    env,
    stdout: "piped",
    stderr: "piped",
  });
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { success: out.success, output: text };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ...PACKAGE_FLAGS,
      "no-bundle": { type: "boolean" },
      "no-package": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task compile [--target T ...] [--no-bundle] [--no-package]\n" +
        "       [--dist DIR] [--manifest FILE] [--download-url URL] [--homepage URL]\n" +
        "Targets: linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 (default: all).\n" +
        "Runtime: DENORT_BIN (one --target) or DENORT_BIN_<OS>_<ARCH>; else deno downloads it.",
    );
    return 0;
  }
  const targets = selectTargets(values.target);
  // Fail on a missing download URL before spending minutes compiling.
  if (!values["no-package"]) releaseUrls(await projectVersion(), values);
  const runtimes = runtimeFor(targets, (n) => Deno.env.get(n));
  const dist = resolve(values.dist ?? join(REPO_DIR, "dist"));
  for (const target of targets) {
    const output = join(dist, "bin", platformName(target), binaryName(target));
    const plan: CompilePlan = {
      target,
      denortBin: runtimes.get(target),
      output,
      args: compileArgs(target, output, !values["no-bundle"]),
    };
    console.log(`compiling ${platformName(target)} -> ${output}`);
    const result = await compileTarget(plan);
    if (!result.success) {
      await Deno.remove(output).catch(() => {});
      console.error(explainCompileFailure(target, result.output, plan.denortBin));
      return EXIT_COMPILE_FAILED;
    }
    console.log(result.output.trim());
  }
  if (!values["no-package"]) await packageFromDist(targets, { ...values, dist });
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(2);
  }
}
