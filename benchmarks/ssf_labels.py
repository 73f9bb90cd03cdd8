"""SSF labels from the capsule body vs the generator's true labels, on rendered synthetic scenes.

    .venv/bin/python benchmarks/ssf_labels.py [--seed 9600] [--scenes 300] [--size 832x512] [--people 1-6] \
        [--shape-model runs/ssf/shape.pt [--refine-steps 0 20]]

The generator labels every joint from its full scene (the people's exact bodies and the occluders);
:func:`hupor.ssf.label_people` sees the record's people's 15 3D joints (it rebuilds their capsule
bodies) and, in the "+ mask" rows, the rendered instance-id mask (as ``hupor synth --maps`` writes
it). The naive baseline: a joint is occluded when its pixel lies in a nearer person's mask. The
"3D withheld" row sees only the 2D joints inside the image and the mask (COCO-like input,
:func:`hupor.ssf.labels2d.label_people_2d`: depth order from the mask, self-occlusion from a body
lifted from the 2D by the bundled lifter); with ``--shape-model`` the same with each body fitted to
the image and the mask by SSF's ShapeInit + ShapeOpt (one row per ``--refine-steps`` value). Printed
per row, over the joints inside the image: agreement of v (visible / occluded), and per cause of
the true label the share labelled occluded.
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
    ap.add_argument("--shape-model", help="a hupor train ssf run's shape.pt: ShapeInit + ShapeOpt rows")
    ap.add_argument("--refine-steps", type=int, nargs="+", default=[0])
    args = ap.parse_args()
    from hupor.data.synth import SceneConfig, load_motion_library, render_scene
    from hupor.records import CAUSE_CODE
    from hupor.ssf import label_people

    w, h = (int(v) for v in args.size.split("x"))
    lo, hi = (int(v) for v in args.people.split("-"))
    cfg = SceneConfig(width=w, height=h, min_people=lo, max_people=hi)
    lib = load_motion_library()
    rows = {"naive (in a nearer person's mask)": [], "capsule body": [], "capsule body + mask": [],
            "3D withheld: 2D + mask, lifted body": []}
    from hupor.lift.lifter import Lifter
    from hupor.nets import load_bundle
    from hupor.predictor import ASSETS
    from hupor.ssf.labels2d import label_people_2d

    lifter = Lifter(load_bundle(ASSETS / "lift.pt"))
    fitters = {}
    if args.shape_model:
        from hupor.ssf.fit import ShapeFitter

        for n in args.refine_steps:
            name = f"3D withheld: 2D + mask + image, ShapeInit + ShapeOpt, {n} fit steps"
            fitters[name] = ShapeFitter(args.shape_model, refine_steps=n)
            rows[name] = []
    truth_v, truth_c = [], []
    for i in range(args.scenes):
        img, rec, maps = render_scene(cfg, args.seed, i, lib, maps=True)
        raw = maps.ids.astype(np.int64)                          # rendered: -1 background, -2 occluder
        ids = np.where(raw == -1, 0, np.where(raw == -2, 1, raw + 2))   # the PNG convention of synth --maps
        truth_v.append(rec.visibility.ravel())
        truth_c.append(rec.cause.ravel())
        sampled = np.asarray(rec.meta.get("person_index", range(rec.num_persons)))
        rows["capsule body"].append(label_people(rec.joints_3d, rec.intrinsics, w, h, cfg)[0].ravel())
        rows["capsule body + mask"].append(label_people(rec.joints_3d, rec.intrinsics, w, h, cfg, ids)[0].ravel())
        rows["3D withheld: 2D + mask, lifted body"].append(label_people_2d(
            rec.joints_2d, rec.visibility > 0, rec.intrinsics, w, h, ids, sampled + 2, lifter, cfg)[0].ravel())
        for name, fitter in fitters.items():
            rows[name].append(label_people_2d(rec.joints_2d, rec.visibility > 0, rec.intrinsics, w, h, ids,
                                              sampled + 2, rule=cfg, fitter=fitter, image=img)[0].ravel())
        # naive: the pixel shows another person of the record who is nearer (root depth)
        uv = np.rint(rec.joints_2d).astype(int)
        inside = (rec.visibility > 0)
        x, y = np.clip(uv[..., 0], 0, w - 1), np.clip(uv[..., 1], 0, h - 1)
        who = ids[y, x] - 2                                       # sampled index at each joint's pixel
        root_z = dict(zip(sampled.tolist(), rec.joints_3d[:, 2, 2].tolist()))
        nearer = np.vectorize(lambda q, zp: q in root_z and root_z[q] < zp)(who, rec.joints_3d[:, [2], 2])
        other = who != sampled[:, None]
        rows["naive (in a nearer person's mask)"].append(np.where(inside, np.where(other & nearer, 1, 2), 0).ravel())
    tv, tc = np.concatenate(truth_v), np.concatenate(truth_c)
    m = tv > 0
    print(f"{args.scenes} rendered scenes (seed {args.seed}, {w}x{h}, {lo}-{hi} people): {m.sum()} joints in the "
          f"image, {100 * (tv[m] == 1).mean():.1f} % occluded (person {(tc[m] == CAUSE_CODE['person']).sum()}, "
          f"self {(tc[m] == CAUSE_CODE['self']).sum()}, object {(tc[m] == CAUSE_CODE['object']).sum()})")
    print("| labels | agreement (joints in the image) | visible kept visible | occluded by a person found | "
          "by self | by an object |\n|---|---|---|---|---|---|")
    for name, est in rows.items():
        ev = np.concatenate(est)

        def found(cause):
            k = m & (tv == 1) & (tc == CAUSE_CODE[cause])
            return f"{100 * (ev[k] == 1).mean():.1f} %" if k.any() else "-"

        print(f"| {name} | {100 * (ev[m] == tv[m]).mean():.1f} % | {100 * (ev[m & (tv == 2)] == 2).mean():.1f} % | "
              f"{found('person')} | {found('self')} | {found('object')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
