import assert from "node:assert/strict";
import {
  compileFsGroup,
  compileRunAsGroup,
  compileSupplementalGroups,
  GroupRanges,
} from "../../src/admission/group.ts";
import type { Violation } from "../../src/admission/violation.ts";
import {
  admit,
  container,
  defaultPod,
  defaultPSP,
  goodPod,
  messageList,
  permissivePSP,
  restrictivePSP,
  validateOnly,
} from "./fixtures.ts";

function check(g: GroupRanges, groups: number[] | null): string[] {
  const out: Violation[] = [];
  g.validate("f", groups, out);
  return out.map((v) => v.text);
}

Deno.test("group: provider creation errors", () => {
  assert.throws(() => compileFsGroup({ rule: "MustRunAs" }), {
    message: "ranges must be supplied for MustRunAs",
  });
  assert.throws(() => compileSupplementalGroups({ rule: "MayRunAs", ranges: [] }), {
    message: "ranges must be supplied for MayRunAs",
  });
  assert.throws(() => compileRunAsGroup({ rule: "MustRunAs" }), {
    message: "ranges must be supplied for MustRunAs",
  });
  assert.throws(() => compileFsGroup({ rule: "x" }), {
    message: "Unrecognized FSGroup strategy type x",
  });
  assert.throws(() => compileSupplementalGroups({ rule: "" }), {
    message: "Unrecognized SupplementalGroups strategy type ",
  });
  assert.throws(() => compileRunAsGroup({ rule: "y" }), {
    message: "Unrecognized RunAsGroup strategy type y",
  });
  // A nil runAsGroup is RunAsAny.
  assert.equal(compileRunAsGroup(null), null);
  assert.equal(compileRunAsGroup(undefined), null);
  assert.equal(compileFsGroup({ rule: "RunAsAny" }), null);
});

Deno.test("group: MustRunAs validate (group/mustrunas_test.go)", () => {
  const g = new GroupRanges("supplementalGroups", true, [{ min: 1, max: 3 }, { min: 4, max: 4 }]);
  assert.equal(g.defaultValue, 1);
  assert.deepEqual(check(g, null), [
    "f: Invalid value: []int64(nil): unable to validate empty groups against required ranges",
  ]);
  assert.deepEqual(check(g, []), [
    "f: Invalid value: []int64{}: unable to validate empty groups against required ranges",
  ]);
  assert.deepEqual(check(g, [5]), [
    "f: Invalid value: []int64{5}: group 5 must be in the ranges: [{1 3} {4 4}]",
  ]);
  assert.deepEqual(check(g, [1, 3, 4]), []); // boundaries are inclusive
});

Deno.test("group: MayRunAs validate: empty is fine, one error per failing group with the whole list", () => {
  const g = new GroupRanges("fsGroup", false, [{ min: 1, max: 3 }, { min: 15, max: 70 }]);
  assert.equal(g.defaultValue, null);
  assert.deepEqual(check(g, null), []);
  assert.deepEqual(check(g, []), []);
  assert.deepEqual(check(g, [5, 10, 2020, 2, 15]), [
    "f: Invalid value: []int64{5, 10, 2020, 2, 15}: group 5 must be in the ranges: [{1 3} {15 70}]",
    "f: Invalid value: []int64{5, 10, 2020, 2, 15}: group 10 must be in the ranges: [{1 3} {15 70}]",
    "f: Invalid value: []int64{5, 10, 2020, 2, 15}: group 2020 must be in the ranges: [{1 3} {15 70}]",
  ]);
});

Deno.test("group: TestValidatePodFailures / TestValidatePodSuccess (groups)", () => {
  const v = (spec: object, podSc: object) =>
    validateOnly(defaultPSP(spec), defaultPod({ securityContext: podSc }));
  assert.deepEqual(
    v({ supplementalGroups: { rule: "MustRunAs", ranges: [{ min: 1, max: 1 }] } }, {
      supplementalGroups: [999],
    }),
    [
      "spec.securityContext.supplementalGroups: Invalid value: []int64{999}: group 999 must be in the ranges: [{1 1}]",
    ],
  );
  assert.deepEqual(
    v({
      supplementalGroups: {
        rule: "MayRunAs",
        ranges: [{ min: 50, max: 50 }, { min: 55, max: 998 }, { min: 1000, max: 1000 }],
      },
    }, { supplementalGroups: [999] }),
    [
      "spec.securityContext.supplementalGroups: Invalid value: []int64{999}: group 999 must be in the ranges: [{50 50} {55 998} {1000 1000}]",
    ],
  );
  assert.deepEqual(
    v({ supplementalGroups: { rule: "MustRunAs", ranges: [{ min: 1, max: 1 }] } }, {}),
    [
      "spec.securityContext.supplementalGroups: Invalid value: []int64(nil): unable to validate empty groups against required ranges",
    ],
  );
  assert.deepEqual(
    v({ fsGroup: { rule: "MustRunAs", ranges: [{ min: 1, max: 1 }] } }, { fsGroup: 999 }),
    [
      "spec.securityContext.fsGroup: Invalid value: []int64{999}: group 999 must be in the ranges: [{1 1}]",
    ],
  );
  assert.deepEqual(
    v({ fsGroup: { rule: "MayRunAs", ranges: [{ min: 10, max: 20 }, { min: 1000, max: 1001 }] } }, {
      fsGroup: 999,
    }),
    [
      "spec.securityContext.fsGroup: Invalid value: []int64{999}: group 999 must be in the ranges: [{10 20} {1000 1001}]",
    ],
  );
  assert.deepEqual(v({ fsGroup: { rule: "MustRunAs", ranges: [{ min: 1, max: 1 }] } }, {}), [
    "spec.securityContext.fsGroup: Invalid value: []int64(nil): unable to validate empty groups against required ranges",
  ]);
  // Successes.
  const r15 = [{ min: 1, max: 5 }];
  assert.deepEqual(
    v({ supplementalGroups: { rule: "MustRunAs", ranges: r15 } }, { supplementalGroups: [3] }),
    [],
  );
  assert.deepEqual(
    v({ supplementalGroups: { rule: "MayRunAs", ranges: r15 } }, { supplementalGroups: [3] }),
    [],
  );
  assert.deepEqual(v({ supplementalGroups: { rule: "MayRunAs", ranges: r15 } }, {}), []);
  assert.deepEqual(v({ fsGroup: { rule: "MustRunAs", ranges: r15 } }, { fsGroup: 3 }), []);
  assert.deepEqual(v({ fsGroup: { rule: "MayRunAs", ranges: r15 } }, { fsGroup: 3 }), []);
  assert.deepEqual(v({ fsGroup: { rule: "MayRunAs", ranges: r15 } }, {}), []);
});

Deno.test("group: runAsGroup errors are reported at the securityContext itself", () => {
  const must = defaultPSP({ runAsGroup: { rule: "MustRunAs", ranges: [{ min: 10, max: 20 }] } });
  assert.deepEqual(validateOnly(must, defaultPod({ containers: [container({ runAsGroup: 5 })] })), [
    "spec.containers[0].securityContext: Invalid value: []int64{5}: group 5 must be in the ranges: [{10 20}]",
  ]);
  assert.deepEqual(validateOnly(must, defaultPod({ containers: [container({})] })), [
    "spec.containers[0].securityContext: Invalid value: []int64(nil): unable to validate empty groups against required ranges",
  ]);
  const may = defaultPSP({ runAsGroup: { rule: "MayRunAs", ranges: [{ min: 10, max: 20 }] } });
  assert.deepEqual(validateOnly(may, defaultPod({ containers: [container({})] })), []);
  // Pod-level runAsGroup is checked through each container's effective value.
  assert.deepEqual(
    validateOnly(
      may,
      defaultPod({ securityContext: { runAsGroup: 0 }, containers: [container({})] }),
    ),
    [
      "spec.containers[0].securityContext: Invalid value: []int64{0}: group 0 must be in the ranges: [{10 20}]",
    ],
  );
  assert.deepEqual(
    validateOnly(
      may,
      defaultPod({
        securityContext: { runAsGroup: 0 },
        containers: [container({ runAsGroup: 15 })],
      }),
    ),
    [],
  );
});

Deno.test("group: runAsGroup MustRunAs defaults the container when the effective value is nil", () => {
  const psp = defaultPSP({ runAsGroup: { rule: "MustRunAs", ranges: [{ min: 1000, max: 2000 }] } });
  const d = admit(defaultPod(), psp);
  assert.equal(d.verdict, "changed");
  assert.deepEqual(d.admitted!.spec.containers[0].securityContext, {
    privileged: false,
    runAsGroup: 1000,
  });
  assert.equal(
    admit(defaultPod({ securityContext: { runAsGroup: 1500 } }), psp).verdict,
    "admitted",
  );
});

// admission_test.go TestAdmitSupplementalGroups.
Deno.test("group: TestAdmitSupplementalGroups", () => {
  const runAsAny = permissivePSP({}, {}, "runAsAny");
  const mustRunAs = permissivePSP(
    { supplementalGroups: { rule: "MustRunAs", ranges: [{ min: 999, max: 1000 }] } },
    {},
    "mustRunAs",
  );
  const sc = (psp: typeof runAsAny, podSc: object | null) => {
    const d = admit(goodPod({ securityContext: podSc }), psp);
    return d.verdict === "refused" ? messageList(d) : d.admitted!.spec.securityContext;
  };
  assert.deepEqual(sc(runAsAny, null), {});
  assert.deepEqual(sc(runAsAny, {}), {});
  assert.deepEqual(sc(runAsAny, { supplementalGroups: [] }), { supplementalGroups: [] });
  assert.deepEqual(sc(runAsAny, { supplementalGroups: [1] }), { supplementalGroups: [1] });
  assert.deepEqual(sc(mustRunAs, null), { supplementalGroups: [999] });
  assert.equal(
    sc(mustRunAs, { supplementalGroups: [1] }),
    "spec.securityContext.supplementalGroups: Invalid value: []int64{1}: group 1 must be in the ranges: [{999 1000}]",
  );
  assert.deepEqual(sc(mustRunAs, { supplementalGroups: [999] }), { supplementalGroups: [999] });
  // An explicitly empty list is not nil: not defaulted, then refused.
  assert.equal(
    sc(mustRunAs, { supplementalGroups: [] }),
    "spec.securityContext.supplementalGroups: Invalid value: []int64{}: unable to validate empty groups against required ranges",
  );
});

// admission_test.go TestAdmitFSGroup.
Deno.test("group: TestAdmitFSGroup", () => {
  const runAsAny = restrictivePSP({ fsGroup: { rule: "RunAsAny" } }, {}, "runAsAny");
  const mustRunAs = restrictivePSP({}, {}, "mustRunAs");
  const fs = (psp: typeof runAsAny, fsGroup?: number) => {
    const d = admit(goodPod({ securityContext: fsGroup === undefined ? {} : { fsGroup } }), psp);
    return d.verdict === "refused" ? messageList(d) : d.admitted!.spec.securityContext!.fsGroup;
  };
  assert.equal(fs(runAsAny), undefined);
  assert.equal(fs(runAsAny, 1), 1);
  assert.equal(fs(mustRunAs), 999);
  assert.equal(
    fs(mustRunAs, 1),
    "spec.securityContext.fsGroup: Invalid value: []int64{1}: group 1 must be in the ranges: [{999 999}]",
  );
  assert.equal(fs(mustRunAs, 999), 999);
});
