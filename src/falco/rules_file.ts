/**
 * The items of a Falco rules file and their YAML form (written with the `yaml` library, so
 * every scalar is quoted as YAML requires; no hand-built YAML).
 */
import { Document } from "yaml";

/** A Falco rule priority. */
export type Priority =
  | "EMERGENCY"
  | "ALERT"
  | "CRITICAL"
  | "ERROR"
  | "WARNING"
  | "NOTICE"
  | "INFO"
  | "DEBUG";

/** One top-level item of a rules file. */
export type RulesItem =
  | { kind: "engine"; version: number | string }
  | { kind: "plugins"; plugins: { name: string; version: string }[] }
  | { kind: "list"; name: string; items: string[] }
  | { kind: "macro"; name: string; condition: string }
  | {
    kind: "rule";
    rule: string;
    desc: string;
    condition: string;
    output: string;
    priority: Priority;
    source: "k8s_audit" | "syscall";
    tags: string[];
  };

function itemObject(item: RulesItem): Record<string, unknown> {
  switch (item.kind) {
    case "engine":
      return { required_engine_version: item.version };
    case "plugins":
      return { required_plugin_versions: item.plugins.map((p) => ({ ...p })) };
    case "list":
      return { list: item.name, items: [...item.items] };
    case "macro":
      return { macro: item.name, condition: item.condition };
    case "rule": {
      const { kind: _k, ...rest } = item;
      return { ...rest, tags: [...item.tags] };
    }
  }
}

/**
 * Renders a rules file: an optional comment at the top, then every item as one sequence
 * element, with a blank line between items.
 */
export function renderRulesYaml(items: readonly RulesItem[], headerComment?: string): string {
  const doc = new Document(items.map(itemObject));
  if (headerComment) doc.commentBefore = headerComment.split("\n").map((l) => ` ${l}`).join("\n");
  const seq = doc.contents as unknown as { items: { spaceBefore?: boolean }[] };
  seq.items.forEach((node, i) => {
    if (i > 0) node.spaceBefore = true;
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
