import assert from "node:assert/strict";
import {
  buildPodSchema,
  currentPodSchemaSource,
  pinnedClientNodeVersion,
  SCHEMA_PATH,
} from "../../scripts/gen_pod_schema.ts";
import { POD_SCHEMA, POD_SCHEMA_CLIENT_NODE_VERSION } from "../../src/workloads/pod_schema.ts";

Deno.test("pod_schema.ts is what scripts/gen_pod_schema.ts generates from the pinned client-node", async () => {
  // If this fails after a client-node upgrade: run scripts/gen_pod_schema.ts and commit.
  assert.equal(POD_SCHEMA_CLIENT_NODE_VERSION, pinnedClientNodeVersion());
  assert.equal(await Deno.readTextFile(SCHEMA_PATH), currentPodSchemaSource());
});

Deno.test("pod_schema.ts holds the pod fields admission reads, with their list and map types", () => {
  assert.equal(POD_SCHEMA.V1Pod.spec, "V1PodSpec");
  assert.equal(POD_SCHEMA.V1PodSpec.containers, "[]V1Container");
  assert.equal(POD_SCHEMA.V1PodSpec.hostNetwork, "");
  assert.equal(POD_SCHEMA.V1PodSpec.nodeSelector, "{}");
  assert.equal(POD_SCHEMA.V1Container.securityContext, "V1SecurityContext");
  assert.equal(POD_SCHEMA.V1SecurityContext.privileged, "");
  assert.equal(POD_SCHEMA.V1PodTemplateSpec.spec, "V1PodSpec");
  assert.ok(!("privilegd" in POD_SCHEMA.V1SecurityContext));
});

/** A stand-in for client-node's exports: models with attribute maps, and non-models. */
function model(attrs: [string, string][]) {
  return {
    getAttributeTypeMap: () =>
      attrs.map(([baseName, type]) => ({ name: baseName, baseName, type })),
  };
}

Deno.test("buildPodSchema: lists, maps, leaves and recursive models, reachable ones only", () => {
  const lib = {
    Root: model([
      ["kids", "Array<Node>"],
      ["byName", "{ [key: string]: Node; }"],
      ["labels", "{ [key: string]: string; }"],
      ["tags", "Array<string>"],
      ["count", "number"],
      ["when", "Date"],
    ]),
    Node: model([["next", "Node"], ["children", "Array<Node>"], ["raw", "any"]]),
    Unreached: model([["x", "string"]]),
    helper: () => 1,
  };
  assert.deepEqual(buildPodSchema(lib, ["Root"]), {
    Root: {
      kids: "[]Node",
      byName: "{}Node",
      labels: "{}",
      tags: "[]",
      count: "",
      when: "",
    },
    Node: { next: "Node", children: "[]Node", raw: "" },
  });
  // A changed model changes the schema (what the drift test above relies on).
  const changed = { ...lib, Node: model([["next", "Node"]]) };
  assert.notDeepEqual(buildPodSchema(changed, ["Root"]), buildPodSchema(lib, ["Root"]));
  assert.throws(() => buildPodSchema(lib, ["Missing"]), /no model Missing/);
});
