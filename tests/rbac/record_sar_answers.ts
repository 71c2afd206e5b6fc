/**
 * Records what a real kube-apiserver v1.20.2 (RBAC authorizer) answers to the SubjectAccessReviews
 * the PSP admission makes (verb `use`, resource `podsecuritypolicies`, API groups `policy` and
 * `extensions`, the pod's namespace), for the RBAC objects of fixtures/psp/rbac/grants.yaml, into
 * fixtures/psp/rbac/sar-answers.json, which tests/rbac/authorize_test.ts checks against.
 *
 * The aggregated ClusterRole `psp-apps` (and its binding) is left out: a lone API server has no
 * clusterrole-aggregation controller to fill it in. Not a test; run by hand:
 *
 *   scripts/start-apiserver.sh --dir /tmp/sar-api >/dev/null
 *   NO_COLOR=1 npx -y deno@2.9.6 run -A tests/rbac/record_sar_answers.ts /tmp/sar-api/env
 *   scripts/start-apiserver.sh --stop /tmp/sar-api
 */
import { parseObjects } from "../../src/io/documents.ts";

/** Objects of grants.yaml not sent to the server (see above). */
export const NOT_RECORDED = ["psp-apps", "apps-sas"];

export const PSPS = ["host-ns", "hostports", "privileged", "restricted"];
export const NAMESPACES = ["apps", "monitoring", "default", "web", "kube-system"];

const sa = (ns: string, name: string) => ({
  user: `system:serviceaccount:${ns}:${name}`,
  groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`],
});
const user = (name: string, ...groups: string[]) => ({
  user: name,
  groups: [...groups, "system:authenticated"],
});

/** The identities asked about, as the admission passes them to the authorizer. */
export const IDENTITIES = [
  user("nobody"),
  user("admin"),
  user("carol", "platform-admins"),
  user("reader"),
  user("alice"),
  user("bob"),
  { user: "system:anonymous", groups: ["system:unauthenticated"] },
  sa("apps", "deployer"),
  sa("web", "deployer"),
  sa("apps", "default"),
  sa("kube-system", "node-exporter"),
];

const PLURAL: Record<string, string> = {
  Role: "roles",
  ClusterRole: "clusterroles",
  RoleBinding: "rolebindings",
  ClusterRoleBinding: "clusterrolebindings",
};

async function main() {
  const envFile = Deno.args[0];
  if (!envFile) throw new Error("usage: record_sar_answers.ts ENV_FILE");
  const env = Object.fromEntries(
    (await Deno.readTextFile(envFile)).split("\n").filter((l) => l.includes("=")).map((l) => {
      const i = l.indexOf("=");
      return [l.slice(0, i), l.slice(i + 1).replace(/^'|'$/g, "")];
    }),
  );
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(env.CA_FILE)] });
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${env.APISERVER_URL}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      client,
    });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${json.message}`);
    return json;
  };
  const file = new URL("../../fixtures/psp/rbac/grants.yaml", import.meta.url).pathname;
  const objects = parseObjects(await Deno.readTextFile(file), file).map((o) => o.object);
  for (const ns of NAMESPACES.filter((n) => n !== "default" && n !== "kube-system")) {
    await call("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns },
    });
  }
  for (const o of objects) {
    const meta = o.metadata as { name: string; namespace?: string };
    const plural = PLURAL[o.kind as string];
    if (!plural || NOT_RECORDED.includes(meta.name)) continue;
    const [group, version] = (o.apiVersion as string).split("/");
    const nsPart = meta.namespace ? `/namespaces/${meta.namespace}` : "";
    await call(`/apis/${group}/${version}${nsPart}/${plural}`, o);
  }
  await new Promise((r) => setTimeout(r, 2000)); // let the authorizer's informers catch up
  const answers = [];
  for (const id of IDENTITIES) {
    for (const namespace of NAMESPACES) {
      for (const psp of PSPS) {
        const allowed: Record<string, boolean> = {};
        for (const apiGroup of ["policy", "extensions"]) {
          const r = await call("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SubjectAccessReview",
            spec: {
              user: id.user,
              groups: id.groups,
              resourceAttributes: {
                namespace,
                verb: "use",
                group: apiGroup,
                version: "*",
                resource: "podsecuritypolicies",
                name: psp,
              },
            },
          });
          allowed[apiGroup] = r.status?.allowed === true;
        }
        answers.push({ ...id, namespace, psp, allowed });
      }
    }
  }
  client.close();
  const out = new URL("../../fixtures/psp/rbac/sar-answers.json", import.meta.url);
  await Deno.writeTextFile(
    out,
    JSON.stringify(
      {
        comment:
          "SubjectAccessReview answers of a real kube-apiserver v1.20.2 (RBAC) for grants.yaml without the aggregated ClusterRole psp-apps and its binding apps-sas; recorded by tests/rbac/record_sar_answers.ts",
        answers,
      },
      null,
      1,
    ) + "\n",
  );
  console.log(
    `${answers.length} answers, ${
      answers.filter((a) => a.allowed.policy || a.allowed.extensions).length
    } allowed`,
  );
}

if (import.meta.main) await main();
