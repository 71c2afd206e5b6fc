/** PSPs and expectations shared by the tests of src/psp/validate.ts and its rule modules. */
import type { PodSecurityPolicy, PodSecurityPolicySpec } from "../../src/model/psp.ts";
import { validatePsp } from "../../src/psp/validate.ts";

/** The message of a value that is not a DNS subdomain. */
export const DNS_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** A valid PSP (every rule RunAsAny) with these spec fields and metadata. */
export function psp(
  spec: Partial<PodSecurityPolicySpec> = {},
  metadata: PodSecurityPolicy["metadata"] = { name: "p" },
): PodSecurityPolicy {
  return {
    apiVersion: "policy/v1beta1",
    kind: "PodSecurityPolicy",
    metadata,
    spec: {
      seLinux: { rule: "RunAsAny" },
      runAsUser: { rule: "RunAsAny" },
      supplementalGroups: { rule: "RunAsAny" },
      fsGroup: { rule: "RunAsAny" },
      ...spec,
    },
  };
}

/** What the API server answers creating the PSP: its errors' texts, in order. */
export const texts = (p: PodSecurityPolicy): string[] => validatePsp(p).map((e) => e.text);
