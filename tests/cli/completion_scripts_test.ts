/**
 * The printed bash/zsh/fish scripts, run in the real shells against the real
 * program (through the launcher `deno task install` writes): each must turn
 * the `__complete` answer into the shell's completions and honour directives.
 * A shell that is not installed is ignored with the reason printed (.ci/run
 * installs zsh, fish and bash-completion from Debian).
 */
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { installLaunchers } from "../../scripts/install.ts";
import { buildProgram } from "../../src/cli/main.ts";
import { ignoreIf } from "../support/ignore.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** `ignore` for a test that needs the shell `name`: true, with the reason printed, without it. */
function withoutShell(name: string): boolean {
  let found = false;
  try {
    found = new Deno.Command(name, { args: ["-c", "exit 0"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    found = false;
  }
  return ignoreIf(
    import.meta.url,
    found ? undefined : `${name} is not installed (its completion test needs it)`,
  );
}

/**
 * The directives the stand-in program answers, by the word after `__complete`:
 * the real program's answers depend on other commands' flags, these do not.
 */
const STAND_IN = `#!/bin/sh
shift
case "$1" in
  files) printf ':0\\n' ;;
  ext) printf 'yaml\\n:8\\n' ;;
  dirs) printf ':16\\n' ;;
  none) printf ':4\\n' ;;
  error) printf 'x\\n:1\\n' ;;
  *) printf 'files\\tfile completion\\next\\tyaml files\\ndirs\\nnone\\nerror\\n:4\\n' ;;
esac
`;

/**
 * A temp dir with the real plugin launcher in bin/, a stand-in program of the
 * same name in fake/, and a few files to complete in work/.
 */
async function setup(): Promise<
  { dir: string; env: Record<string, string>; fake: Record<string, string> }
> {
  const dir = await Deno.makeTempDir();
  await installLaunchers({ binDir: join(dir, "bin"), repoDir: REPO, denoPath: Deno.execPath() });
  await Deno.mkdir(join(dir, "fake"));
  await Deno.writeTextFile(join(dir, "fake", "kubectl-falco_psp"), STAND_IN, { mode: 0o755 });
  await Deno.mkdir(join(dir, "work", "pspdir"), { recursive: true });
  await Deno.writeTextFile(join(dir, "work", "psp.yaml"), "");
  await Deno.writeTextFile(join(dir, "work", "pod.yml"), "");
  await Deno.writeTextFile(join(dir, "work", "notes.txt"), "");
  const path = Deno.env.get("PATH");
  return {
    dir,
    env: { PATH: `${join(dir, "bin")}:${path}`, HOME: dir },
    fake: { PATH: `${join(dir, "fake")}:${path}`, HOME: dir },
  };
}

async function shell(
  name: string,
  script: string,
  dir: string,
  env: Record<string, string>,
): Promise<string> {
  const out = await new Deno.Command(name, {
    args: ["-c", script],
    cwd: join(dir, "work"),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `${name} failed: ${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

const lines = (s: string) => s.split("\n").filter((l) => l !== "").sort();

/** The program's subcommands starting with "co", from its definition. */
const CO_COMMANDS = buildProgram().commands.map((c) => c.name()).filter((n) => n.startsWith("co"))
  .sort();

Deno.test({
  name: "bash script: program's suggestions, and each directive applied",
  ignore: withoutShell("bash"),
  async fn() {
    const { dir, env, fake } = await setup();
    try {
      const run = (words: string[], e = fake) =>
        shell(
          "bash",
          `source <(${join(dir, "bin", "kubectl-falco_psp")} completion bash)
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
__kubectl_falco_psp_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
          dir,
          e,
        );
      const p = "kubectl-falco_psp";
      assert.deepEqual(lines(await run([p, "co"], env)), CO_COMMANDS);
      assert.deepEqual(lines(await run([p, "completion", ""], env)), ["bash", "fish", "zsh"]);
      assert.deepEqual(lines(await run([p, "e"])), ["error", "ext"]);
      assert.deepEqual(lines(await run([p, "files", "p"])), ["pod.yml", "psp.yaml", "pspdir"]);
      assert.deepEqual(lines(await run([p, "ext", ""])), ["psp.yaml", "pspdir"]);
      assert.deepEqual(lines(await run([p, "dirs", ""])), ["pspdir"]);
      assert.deepEqual(lines(await run([p, "none", "p"])), []);
      assert.deepEqual(lines(await run([p, "error", ""])), []);
      // bash splits '--flag=value' at '=' (COMP_WORDBREAKS); the reply is the part after it,
      // with and without bash-completion's _get_comp_words_by_ref.
      const bashCompletion = "/usr/share/bash-completion/bash_completion";
      const loaders = [""];
      if (await Deno.stat(bashCompletion).then(() => true, () => false)) {
        loaders.push(`source ${bashCompletion}`);
      } else {
        console.warn(`${bashCompletion} not installed: '--flag=value' checked without it only`);
      }
      // The values come from convert's definition.
      const convert = buildProgram().commands.find((c) => c.name() === "convert")!;
      const falcoVersions = [
        ...convert.options.find((o) => o.long === "--falco-version")!.argChoices!,
      ].sort();
      assert.ok(falcoVersions.length > 1);
      for (const loader of loaders) {
        const eq = async (line: string, words: string[]) =>
          lines(
            await shell(
              "bash",
              `${loader}
source <(${join(dir, "bin", "kubectl-falco_psp")} completion bash)
COMP_LINE='${line}'; COMP_POINT=${line.length}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
__kubectl_falco_psp_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
              dir,
              env,
            ),
          );
        const line = `${p} convert --falco-version=`;
        const words = [p, "convert", "--falco-version", "="];
        assert.deepEqual(await eq(line, words), falcoVersions, loader);
        assert.deepEqual(
          await eq(`${line}0`, [...words, "0"]),
          falcoVersions.filter((v) => v.startsWith("0")),
          loader,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "zsh script: values with descriptions to _describe, file directives to _files",
  ignore: withoutShell("zsh"),
  async fn() {
    const { dir, env, fake } = await setup();
    try {
      const run = (words: string[], e = fake) =>
        shell(
          "zsh",
          // Stand-ins for the completion system's functions record what the script asks for.
          `compdef() { :; }
_describe() { local n=$4; print -l -- "\${(@P)n}"; }
_files() { print -- "_files $*"; }
source <(${join(dir, "bin", "kubectl-falco_psp")} completion zsh)
words=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length}
__kubectl_falco_psp; exit 0`,
          dir,
          e,
        );
      const p = "kubectl-falco_psp";
      const top = lines(await run([p, "co"], env));
      assert.deepEqual(top.map((l) => l.split(":")[0]), CO_COMMANDS);
      assert.ok(top.every((l) => /^\w+:\S/.test(l)), "descriptions are passed on");
      assert.deepEqual(lines(await run([p, "files", ""])), ["_files "]);
      assert.deepEqual(lines(await run([p, "ext", ""])), ["_files -g *.(yaml)"]);
      assert.deepEqual(lines(await run([p, "dirs", ""])), ["_files -/"]);
      assert.deepEqual(lines(await run([p, "none", ""])), []);
      assert.deepEqual(lines(await run([p, "error", ""])), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "fish script: complete -C gives the program's suggestions and honours directives",
  ignore: withoutShell("fish"),
  async fn() {
    const { dir, env, fake } = await setup();
    try {
      const run = async (line: string, e = fake) =>
        (await shell(
          "fish",
          `${join(dir, "bin", "kubectl-falco_psp")} completion fish | source; complete -C'${line}'`,
          dir,
          e,
        )).split("\n").map((l) => e === fake ? l.split("\t")[0] : l).join("\n");
      const top = lines(await run("kubectl-falco_psp co", env));
      assert.deepEqual(top.map((l) => l.split("\t")[0]), CO_COMMANDS);
      assert.ok(top.every((l) => /^\w+\t\S/.test(l)), "descriptions are passed on");
      assert.deepEqual(lines(await run("kubectl-falco_psp completion ", env)), [
        "bash",
        "fish",
        "zsh",
      ]);
      assert.deepEqual(lines(await run("kubectl-falco_psp files p")), [
        "pod.yml",
        "psp.yaml",
        "pspdir/",
      ]);
      assert.deepEqual(lines(await run("kubectl-falco_psp ext ")), ["psp.yaml", "pspdir/"]);
      assert.deepEqual(lines(await run("kubectl-falco_psp dirs ")), ["pspdir/"]);
      assert.deepEqual(lines(await run("kubectl-falco_psp none p")), []);
      assert.deepEqual(lines(await run("kubectl-falco_psp error ")), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
