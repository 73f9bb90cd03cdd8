"""SSF labels from the capsule body vs the generator's true labels, on synthetic scenes.

    .venv/bin/python benchmarks/ssf_labels.py [--seed 9600] [--scenes 300] [--size 832x512] [--people 1-6]

The generator labels every joint from its full scene (the people's exact bodies and the occluders);
:func:`hupor.ssf.label_people` sees only the people's 15 3D joints and rebuilds their capsule bodies.
Printed: over the joints inside the image, the agreement of v (visible / occluded), the confusion
matrix, and the agreement when joints occluded by an *object* (which needs masks, not read yet) are
left out; then the same per cause of the true label.
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=9600)
    ap.add_argument("--scenes", type=int, default=300)
    ap.add_argument("--size", default="832x512")
    ap.add_argument("--people", default="1-6")
    args = ap.parse_args()
    from hupor.data.synth import SceneConfig, load_motion_library
    from hupor.data.synth.occlusion import label_joints
    from hupor.data.synth.scene import sample_scene
    from hupor.records import CAUSE_CODE
    from hupor.ssf import label_people

    w, h = (int(v) for v in args.size.split("x"))
    lo, hi = (int(v) for v in args.people.split("-"))
    cfg = SceneConfig(width=w, height=h, min_people=lo, max_people=hi)
    lib = load_motion_library()
    true_v, true_c, est_v = [], [], []
    for i in range(args.scenes):
        s = sample_scene(cfg, lib, args.seed, i, appearance=False)
        v, c, _ = label_joints(s, cfg)
        e, _ = label_people(s.joints_3d, s.intrinsics, w, h, cfg)
        true_v.append(v.ravel())
        true_c.append(c.ravel())
        est_v.append(e.ravel())
    tv, tc, ev = (np.concatenate(x) for x in (true_v, true_c, est_v))
    inside = tv > 0
    print(f"{args.scenes} scenes (seed {args.seed}, {w}x{h}, {lo}-{hi} people): {inside.sum()} joints in the image, "
          f"{100 * (tv[inside] == 1).mean():.1f} % occluded")
    agree = (ev[inside] == tv[inside]).mean()
    print(f"agreement of v on joints in the image: {100 * agree:.1f} %  (v = 0 joints agree: "
          f"{100 * (ev[~inside] == 0).mean():.1f} %)")
    print("| true \\ capsule labels | visible | occluded |\n|---|---|---|")
    for name, t in (("visible", 2), ("occluded", 1)):
        m = inside & (tv == t)
        print(f"| {name} ({m.sum()}) | {100 * (ev[m] == 2).mean():.1f} % | {100 * (ev[m] == 1).mean():.1f} % |")
    no_obj = inside & (tc != CAUSE_CODE["object"])
    print(f"without the object-occluded joints (they need masks): agreement {100 * (ev[no_obj] == tv[no_obj]).mean():.1f} %")
    for cause in ("person", "self", "object"):
        m = inside & (tv == 1) & (tc == CAUSE_CODE[cause])
        if m.any():
            print(f"true occluded by {cause} ({m.sum()} joints): capsule labels say occluded for {100 * (ev[m] == 1).mean():.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
