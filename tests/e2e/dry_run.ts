/**
 * What a real API server answers to a pod submitted as a server-side dry run,
 * in audit-pods' terms (admitted, changed, refused), for the end-to-end tests
 * that compare the two (commands_test.ts, service_account_test.ts).
 */
import type { ClusterClient } from "../../src/cluster/client.ts";
import { ApiError } from "../../src/cluster/errors.ts";
import { finalizeAdmittedPod } from "../../src/admission/post_admission.ts";
import type { Pod } from "../../src/model/pod.ts";

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

/** The fields PSP admission may change, canonical (sorted keys, empty values dropped). */
export function projection(pod: Obj): string {
  const annotations = { ...(pod.metadata?.annotations ?? {}) };
  delete annotations["kubernetes.io/psp"];
  const containers = (list: Obj[] | undefined) =>
    (list ?? []).map((c) => ({ name: c.name, securityContext: c.securityContext, ports: c.ports }));
  return canonical({
    annotations,
    securityContext: pod.spec?.securityContext,
    runtimeClassName: pod.spec?.runtimeClassName,
    initContainers: containers(pod.spec?.initContainers),
    containers: containers(pod.spec?.containers),
  });
}

/** JSON of a value with sorted keys, nulls and empty arrays and objects dropped. */
export function canonical(v: unknown): string {
  const clean = (x: unknown): unknown => {
    if (Array.isArray(x)) {
      const a = x.map(clean).filter((e) => e !== undefined);
      return a.length ? a : undefined;
    }
    if (x && typeof x === "object") {
      const entries = Object.keys(x as Obj).sort()
        .map((k) => [k, clean((x as Obj)[k])] as const)
        .filter(([, e]) => e !== undefined);
      return entries.length ? Object.fromEntries(entries) : undefined;
    }
    return x === null ? undefined : x;
  };
  return JSON.stringify(clean(v) ?? null);
}

/** What the API server did with a pod submitted as a dry run. */
export interface ServerAnswer {
  verdict: "admitted" | "changed" | "refused";
  policy: string | null;
  message?: string;
  admitted?: Obj;
}

/**
 * Submits `pod` to `namespace` as a dry run by `client`'s identity. "changed" means the
 * PSP changed the pod: the answer is compared with what the API server itself does to
 * any created pod after admission (seccomp field/annotation sync, procMount), which is
 * not a PSP change. A 403 is a refusal; other errors are thrown.
 */
export async function dryRunCreate(
  client: ClusterClient,
  namespace: string,
  pod: Obj,
): Promise<ServerAnswer> {
  try {
    const res = await client.post<Obj>(`/api/v1/namespaces/${namespace}/pods`, pod, {
      dryRun: "All",
    });
    const policy = res.metadata?.annotations?.["kubernetes.io/psp"] ?? null;
    const unchanged = finalizeAdmittedPod(pod as Pod, policy ?? "");
    const changed = projection(res) !== projection(unchanged);
    return { verdict: changed ? "changed" : "admitted", policy, admitted: res };
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      return { verdict: "refused", policy: null, message: e.apiStatus?.message };
    }
    throw e;
  }
}

/**
 * The one case where the server's answer cannot tell "changed" from "admitted":
 * a PSP turns a seccomp field into the seccomp annotation (docs/psp-admission.md
 * §2.19: Generate converts the field), which is a PSP change, but the API
 * server adds the same annotation to every created pod after admission
 * (applySeccompVersionSkew). audit-pods says "changed"; the stored pod is the
 * same either way. Accepted when those annotations are all the chosen PSP
 * changed and the server stored exactly them.
 */
export function seccompConversionOnly(item: Obj, server: ServerAnswer): boolean {
  if (item.verdict !== "changed" || server.verdict !== "admitted") return false;
  if (item.policy !== server.policy) return false;
  const chosen = (item.results as Obj[]).find((r) => r.policy === item.policy);
  const stored = server.admitted?.metadata?.annotations ?? {};
  return !!chosen?.changes.length && (chosen.changes as Obj[]).every((c) => {
    const m =
      /^metadata\.annotations\[((?:container\.)?seccomp\.security\.alpha\.kubernetes\.io\/[^\]]*)\]$/
        .exec(c.field);
    return m !== null && stored[m[1]] === c.to;
  });
}
