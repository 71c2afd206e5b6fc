/**
 * Short plain hints for API server messages whose value is empty, which read as a typo:
 * `Forbidden:  is not an allowed seccomp profile` (two spaces: the profile is ""). The hint is
 * shown next to the server's words, which are never changed. Pure.
 */

interface Hint {
  /** Matches the violation's message (without its field path). */
  message: RegExp;
  hint: (field: string) => string;
}

const HINTS: readonly Hint[] = [
  {
    message: /^Forbidden: {2}is not an allowed seccomp profile\./,
    hint: (field) =>
      `the empty value is "no seccomp profile": ${
        field.includes("container.seccomp.") ? "the container" : "the pod"
      } sets none and the PSP gives no defaultProfileName`,
  },
  {
    message: /is not an allowed seccomp profile\. Valid values are $/,
    hint: () => "the empty list: the PSP's allowedProfileNames annotation is empty",
  },
];

/** A hint for a violation (field path and message), or undefined when it needs none. */
export function messageHint(field: string, message: string): string | undefined {
  for (const h of HINTS) if (h.message.test(message)) return h.hint(field);
  return undefined;
}
