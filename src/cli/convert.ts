/** `kubectl falco-psp convert` (being built: see issue 2). */
import { Command } from "@commander-js/extra-typings";

/** The convert command. */
export function convertCommand() {
  return new Command("convert").description("Convert PodSecurityPolicies to Falco rules");
}
