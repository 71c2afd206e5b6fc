import assert from "node:assert/strict";
import {
  LabelSelectorError,
  labelsMatch,
  parseLabelSelector,
} from "../../src/workloads/label_selector.ts";

const LABELS = { app: "web", tier: "front", "app.kubernetes.io/name": "shop", replicas: "3" };

Deno.test("label selectors: equality, inequality, set-based, existence, as kubectl get -l", () => {
  const cases: [string, boolean][] = [
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app = web", true],
    ["app=api", false],
    ["app!=api", true],
    ["app!=web", false],
    ["missing!=x", true /* absent labels satisfy != */],
    ["app in (web,api)", true],
    ["app in (api)", false],
    ["app notin (api, db)", true],
    ["app notin (web)", false],
    ["missing notin (x)", true],
    ["missing in (x)", false],
    ["tier", true],
    ["missing", false],
    ["!missing", true],
    ["!tier", false],
    ["app=web,tier=front", true],
    ["app=web,tier=back", false],
    ["app in (web,api),!missing,tier", true],
    ["app.kubernetes.io/name=shop", true],
    ["replicas>2", true],
    ["replicas<3", false],
    ["app>1", false /* not an integer value */],
    ["app=", false],
  ];
  for (const [selector, expected] of cases) {
    assert.equal(labelsMatch(parseLabelSelector(selector), LABELS), expected, selector);
  }
  assert.equal(labelsMatch(parseLabelSelector("app="), { app: "" }), true);
  // An empty set is the empty value (a v1.20 API server selects app="" with it).
  assert.equal(labelsMatch(parseLabelSelector("app in ()"), { app: "" }), true);
  assert.equal(labelsMatch(parseLabelSelector("app in ()"), { app: "web" }), false);
  assert.equal(labelsMatch(parseLabelSelector("!app"), undefined), true, "no labels at all");
  assert.equal(labelsMatch(parseLabelSelector("app"), null), false);
});

Deno.test("label selectors: what kubectl refuses is refused, saying what", () => {
  const bad: [string, RegExp][] = [
    ["app in (", /unable to parse requirement/],
    ["-app=web", /invalid label key "-app"/],
    ["app=we b", /invalid label value/],
    ["app=web,", /found ''/],
    ["a/b/c=d", /invalid label key/],
    ["replicas>x", /must be an integer/],
    [`app=${"x".repeat(64)}`, /invalid label value/],
  ];
  for (const [selector, message] of bad) {
    assert.throws(() => parseLabelSelector(selector), (e: unknown) => {
      assert.ok(e instanceof LabelSelectorError, selector);
      assert.match((e as Error).message, message, selector);
      return true;
    });
  }
});
