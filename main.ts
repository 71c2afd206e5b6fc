#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env --allow-net --allow-run
/** Entry point of `kubectl-falco_psp`. */
import { run } from "./src/cli/main.ts";

if (import.meta.main) {
  Deno.exit(await run(Deno.args));
}
