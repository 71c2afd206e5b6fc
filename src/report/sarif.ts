/**
 * `-o sarif`: the report as SARIF 2.1.0 for code scanning. Each violation of a
 * refused workload is an `error` result (one per candidate PSP's violation),
 * each change of a changed workload a `note` (`warning` with `--fail-on
 * changed`). Rule ids are the PSP controls of the fields that raised them
 * (src/report/rules.ts). File inputs get file/line locations; other inputs a
 * logical location. Pure.
 */
import { type AuditItem, type AuditReport, refusalReasons } from "./model.ts";
import { ALL_RULES, ruleFor } from "./rules.ts";
import { CHECKS } from "../pss/registry.ts";
import { jsonChunks, LazyArray } from "./stream.ts";
import { chosenChanges, showValue } from "./table.ts";

/** SARIF options. */
export interface SarifOptions {
  /** The tool version written into `tool.driver.version`. */
  version: string;
  /** With "changed", changes are `warning` results instead of `note`. */
  failOn?: "refused" | "changed";
}

/** With `--pss`: one rule per Pod Security Standards check, `pss/<check ID>`. */
const PSS_RULES = CHECKS.map((c) => ({ id: `pss/${c.id}`, title: `${c.id} (${c.level})` }));

const RULE_INDEX = new Map(
  [...ALL_RULES.map((r) => r.id), ...PSS_RULES.map((r) => r.id)].map((id, i) => [id, i]),
);

/** A file path as a SARIF artifact URI (relative paths stay relative). */
export function artifactUri(file: string): string {
  const encoded = file.split("/").map(encodeURIComponent).join("/");
  return file.startsWith("/") ? `file://${encoded}` : encoded;
}

function locations(it: AuditItem, field: string | undefined) {
  const logical = [{
    fullyQualifiedName: `${it.namespace}/${it.kind}/${it.name}`,
    kind: "object",
  }];
  const src = it.source;
  if (src.file === "-" || src.file === "cluster") return [{ logicalLocations: logical }];
  const at = (field !== undefined ? it.location?.fields[field] : undefined) ??
    (src.line !== undefined ? { line: src.line, column: src.column ?? 1 } : undefined);
  return [{
    physicalLocation: {
      artifactLocation: { uri: artifactUri(src.file) },
      ...(at ? { region: { startLine: at.line, startColumn: at.column } } : {}),
    },
    logicalLocations: logical,
  }];
}

function result(
  it: AuditItem,
  ruleId: string,
  level: string,
  text: string,
  field: string | undefined,
  policy: string | null,
) {
  return {
    ruleId,
    ruleIndex: RULE_INDEX.get(ruleId) ?? RULE_INDEX.get("admission")!,
    level,
    message: { text: `${it.kind} ${it.namespace}/${it.name}: ${text}` },
    locations: locations(it, field),
    properties: { verdict: it.verdict, policy, source: it.source, pods: it.pods },
  };
}

/** With `--pss LEVEL`: an `error` per check the level refuses the pod for. */
function* pssResults(report: AuditReport, it: AuditItem): Generator<unknown> {
  const p = it.pss;
  if (!p || p.allowed || report.pss?.level === null) return;
  const psp = report.pss?.psp !== false;
  for (const v of p.violations) {
    const text = `violates PodSecurity "${p.level}:${p.version}": ${
      v.detail === "" ? v.reason : `${v.reason} (${v.detail})`
    }`;
    const r = result(it, `pss/${v.check}`, "error", text, undefined, null);
    // Without PSPs there is no PSP verdict to report.
    yield psp ? r : { ...r, properties: { source: it.source, pods: it.pods } };
  }
}

function* sarifResults(report: AuditReport, opts: SarifOptions): Generator<unknown> {
  for (const it of report.items) {
    yield* pssResults(report, it);
    if (report.pss?.psp === false) continue;
    if (it.verdict === "refused") {
      for (const r of refusalReasons(it)) {
        const rule = ruleFor(r.pspField);
        const text = r.policy !== null
          ? `refused by PSP ${r.policy}: ${r.text}`
          : `refused: ${r.text}`;
        yield result(it, rule.id, "error", text, r.field, r.policy);
      }
    } else if (it.verdict === "changed") {
      // Changes without effect (ReportChange.effect) are no findings.
      for (const c of chosenChanges(it)) {
        const rule = ruleFor(c.pspField);
        const text = `PSP ${it.policy} would change ${c.field} from ${showValue(c.from)} to ${
          showValue(c.to)
        }`;
        const level = opts.failOn === "changed" ? "warning" : "note";
        yield result(it, rule.id, level, text, c.field, it.policy);
      }
    }
  }
}

/** The SARIF 2.1.0 log in chunks (one result per chunk at most). */
export function* renderSarifChunks(report: AuditReport, opts: SarifOptions): Generator<string> {
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{
      tool: {
        driver: {
          name: "kubectl-falco-psp",
          version: opts.version,
          rules: [
            ...ALL_RULES.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: `PodSecurityPolicy: ${r.title}` },
              defaultConfiguration: { level: "error" },
            })),
            ...PSS_RULES.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: `Pod Security Standards: ${r.title}` },
              defaultConfiguration: { level: "error" },
            })),
          ],
        },
      },
      results: new LazyArray(() => sarifResults(report, opts)),
    }],
  };
  yield* jsonChunks(log, 3);
  yield "\n";
}
