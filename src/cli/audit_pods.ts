/** `kubectl falco-psp audit-pods` (being built: see issue 3). */
import { Command } from "@commander-js/extra-typings";

/** The audit-pods command. */
export function auditPodsCommand() {
  return new Command("audit-pods").description("Audit pods against PodSecurityPolicies");
}
