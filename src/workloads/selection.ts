/**
 * `-n` and `-l` applied to objects read from files, as kubectl applies them: an object
 * that names no namespace takes `-n` (`kubectl apply -n`), one that names another is an
 * error worded as kubectl words it, and `-l` keeps the objects whose own labels
 * (`metadata.labels`, as `kubectl get -l` reads them; for a workload, the workload's, not
 * its pod template's) match.
 */
import { InputError } from "../io/errors.ts";
import type { LoadedObject } from "../io/documents.ts";
import { POD_KINDS } from "./extract.ts";
import { type LabelRequirement, labelsMatch, parseLabelSelector } from "./label_selector.ts";

/** The selection flags, as plain data (a worker thread receives them). */
export interface ObjectSelection {
  /** `-n`: the namespace of objects that name none; objects naming another are an error. */
  namespace?: string;
  /** `-l`: the label selector text. */
  selector?: string;
}

/** An ObjectSelection ready to apply (the selector parsed once). */
export interface CompiledSelection {
  namespace?: string;
  requirements: LabelRequirement[];
}

/** Parses the selector (a LabelSelectorError if it cannot be parsed). */
export function compileSelection(s: ObjectSelection | undefined): CompiledSelection {
  return {
    ...(s?.namespace ? { namespace: s.namespace } : {}),
    requirements: s?.selector ? parseLabelSelector(s.selector) : [],
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Whether the object is selected. An object of a pod kind whose namespace differs from
 * `-n` is an InputError with kubectl's words.
 */
export function objectSelected(
  lo: Pick<LoadedObject, "object" | "source" | "locate">,
  sel: CompiledSelection,
): boolean {
  const meta = isRecord(lo.object.metadata) ? lo.object.metadata : {};
  const kind = typeof lo.object.kind === "string" ? lo.object.kind : "";
  const ns = typeof meta.namespace === "string" ? meta.namespace : "";
  if (sel.namespace && ns !== "" && ns !== sel.namespace && POD_KINDS.includes(kind)) {
    const at = lo.locate?.(["metadata", "namespace"]);
    throw new InputError(
      { ...lo.source, ...(at ?? {}) },
      undefined,
      `the namespace from the provided object ${JSON.stringify(ns)} does not match the ` +
        `namespace ${JSON.stringify(sel.namespace)}. You must pass '--namespace=${ns}' to ` +
        `perform this operation.`,
    );
  }
  return sel.requirements.length === 0 || labelsMatch(sel.requirements, meta.labels);
}
