/**
 * Everything the project relies on that its YAML libraries do not promise: one module, so that
 * a library update that changes any of it fails one test (tests/io/library_internals_test.ts,
 * which checks each point against the installed js-yaml and `yaml`) instead of silently
 * changing results or speed. (A `process.env` view that made the `yaml` library's per-token
 * reads of its debug switches plain reads was dropped: scripts/bench_yaml.ts measured 1.07-1.11x
 * on the `yaml` library path and nothing on the fast path, which reads nearly every document.)
 *
 * - js-yaml 4.x: the state object its `listener` receives (`kind`, `result`, `position`,
 *   `line`, `lineStart`, and `depth`, which 4.2+ keeps for its recursion bound) and the
 *   `maxDepth` load option of that bound; yaml_fast.ts reads item positions, scalar spans and
 *   the composed collections from them.
 * - `yaml`: that a Composer with YAML_OPTIONS tries exactly the tags of KUBECTL_SCALAR_TAGS on
 *   plain scalars, in that order (yaml_fast.ts resolves scalars with those tags itself).
 */
import type { LoadOptions } from "js-yaml";

/** What yaml_fast.ts reads of the state js-yaml passes to its listener. */
export interface JsYamlListenerState {
  /** The node's kind when it closes: `scalar`, `mapping`, `sequence`. */
  kind: string | null;
  /** The node's value when it closes. */
  result: unknown;
  /** Nesting depth of the node (every node counts); undefined before js-yaml 4.2. */
  depth?: number;
  /** Offset in the text: where the node opens (event `open`) or where reading stopped (`close`). */
  position: number;
  /** 0-based line of `position`. */
  line: number;
  /** Offset of that line's first character. */
  lineStart: number;
}

/** js-yaml's listener state, as JsYamlListenerState (its type says `State`, with no fields). */
export function listenerState(state: unknown): JsYamlListenerState {
  return state as JsYamlListenerState;
}

/** js-yaml load options with its recursion bound (js-yaml 4.2+; not in its type declarations). */
export function withMaxDepth(options: LoadOptions, maxDepth: number): LoadOptions {
  return { ...options, maxDepth } as LoadOptions & { maxDepth: number };
}
