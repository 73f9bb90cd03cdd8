"""``hupor lift`` on synthetic people: COCO-style noisy keypoints → lifter → MuPoTS metrics.

    python benchmarks/lift.py [--model src/hupor/assets/lift.pt] [--seed 9300] [--scenes 300] [--noise protocol|coco]
        [--augment]     # the people augmented (hupor.lift.augment): sitting, crouching, other bodies and cameras

Scenes: the skeleton-only generator (832x512, 1-4 people at 1.5-10 m, lift-coco's data.synth options),
a seed the lift model never trained on. Each person's 2D joints are turned into a COCO-17 keypoint
result (shoulders ... ankles copied from the ground truth, face points absent) with

* ``--noise protocol`` (default, the issue's fixed test noise): Gaussian 2D noise of σ = 3 % of the
  person's box height on every joint, 15 % of the joints dropped at random (absent, score 0), the
  other occluded joints scored 0.1 (below the 0.3 threshold: a model without a hint channel ignores
  them, one with it reads them as hints);
* ``--noise coco``: the noise model the lifter was trained with (``hupor/lift/coco_noise.json``),

then mapped and lifted exactly as ``hupor lift`` does (``Lifter.lift_coco``) with the true
intrinsics. Rows: the lifter; "no reasoning" (the lifter's 3D for the given joints only, the others
missing); "flat" (every joint at the lifter's root depth: no relative depth); the lifter given the
true root depth (what the body-size rule costs); the lifter with the *size-limited* root depth (the true
depth × the mean skeleton's size / the person's true size: what a perfect 2D size measurement gives
when the person's height is unknown, the floor of any depth from body size); with a *known floor*
(the scene's camera height and pitch given, as ``hupor lift --camera-height --pitch`` takes them,
:class:`hupor.lift.floor.Floor`): the floor's depth alone, and the lifter's default with a floor
(the geometric mean of the body-size and the floor depths). Metrics: ``hupor.bench.evaluate_predictions``
(MuPoTS kit rules; 14 scored joints, head_top included, which COCO never gives).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch


def coco_keypoints(rec, noise, rng):
    """(N, 17, 3) COCO-format detections of ``rec``'s people: ``noise`` a DetectionNoise
    (``hupor.lift.noise.noisy_2d``), or None for the protocol noise."""
    from hupor.lift.noise import noisy_2d
    from hupor.skeleton import COCO17, from_mpi15

    vis = rec.visibility
    if noise is None:   # the protocol: σ = 3 % of the box height, 15 % dropped, occluded ones scored 0.1
        height = np.ptp(rec.joints_2d[..., 1], axis=1)[:, None, None]
        kept = (vis >= 1) & (rng.random(vis.shape) >= 0.15)
        uv = rec.joints_2d + rng.normal(size=rec.joints_2d.shape) * 0.03 * height
        score = np.where(kept, np.where(vis == 2, 0.9, 0.1), 0.0)[..., None]
    else:
        uv, rep = noisy_2d(noise, rec.joints_2d, vis, rng)
        score = np.where(rep, np.where(vis == 2, 0.9, 0.1), 0.0)[..., None]
    kp = np.nan_to_num(from_mpi15(np.concatenate([uv, score], -1), COCO17))   # face points: score 0
    return kp


def main() -> None:
    from hupor.bench.evaluate import evaluate_predictions
    from hupor.cli.lift import default_lift_model
    from hupor.config import from_dict
    from hupor.data.synth import SceneConfig, SkeletonScenes
    from hupor.lift import load_noise
    from hupor.lift.coco import coco_to_mpi15
    from hupor.lift.floor import Floor
    from hupor.lift.lifter import Lifter
    from hupor.nets import load_bundle
    from hupor.train.config import load_experiment

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(default_lift_model()))
    ap.add_argument("--seed", type=int, default=9300)
    ap.add_argument("--scenes", type=int, default=300)
    ap.add_argument("--noise", choices=("protocol", "coco"), default="protocol")
    ap.add_argument("--augment", action="store_true", help="test on augmented skeletons (hupor.lift.augment: "
                    "sitting, crouching, bending, other proportions and cameras; seed + 1)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = load_experiment("lift-coco")
    scenes = list(SkeletonScenes(from_dict(SceneConfig, dict(cfg.data.synth.options), "options"),
                                 seed=args.seed, length=args.scenes))
    if args.augment:
        from hupor.lift.augment import AugmentedScenes

        scenes = list(AugmentedScenes(scenes, seed=args.seed + 1))
    noise = load_noise("coco") if args.noise == "coco" else None
    lifter = Lifter(load_bundle(args.model))
    rng = np.random.default_rng(args.seed)
    rows = {"lifter (body-size root depth)": [], "no reasoning (given joints only)": [],
            "flat (no relative depth)": [], "lifter, true root depth": [],
            "lifter, size-limited root depth": [], "known floor: the floor depth alone": [],
            "**known floor: lifter --camera-height --pitch** (body size × floor)": []}
    limbs = np.asarray(lifter.skeleton.limbs)
    mean_size = 10.0 * float(np.sum(lifter.skeleton.bone_length_cm))
    z_err = []
    for rec in scenes:
        kp = coco_keypoints(rec, noise, rng)
        j2d, sc, det, anchor = coco_to_mpi15(kp, 0.3)          # (the people the lifter keeps, below)
        poses = lifter.lift_coco(kp, rec.width, rec.height, rec.intrinsics)
        rows["lifter (body-size root depth)"].append((poses.joints_2d, poses.joints_3d))  # as hupor eval reads the JSON
        given = np.where(poses.detected[..., None], poses.joints_3d, np.nan)
        rows["no reasoning (given joints only)"].append((np.where(poses.detected[..., None], poses.joints_2d, np.nan),
                                                         given))
        flat = poses.joints_3d.copy()
        if len(flat):
            z = poses.root_depth_mm[:, None]
            flat = rec.intrinsics.backproject(poses.joints_2d, np.repeat(z, 15, 1))
        rows["flat (no relative depth)"].append((poses.joints_2d, flat))
        # true root depth: shift each lifted person to its matched ground-truth root depth
        root = lifter.skeleton.root
        keep = (det[:, root] | anchor) & np.isfinite(j2d[:, root]).all(-1)      # the people Lifter keeps
        gt_root = rec.joints_3d[keep, root, 2]
        shifted = poses.joints_3d.copy()
        if len(shifted):
            root3d = rec.intrinsics.backproject(poses.joints_2d[:, root], gt_root)
            shifted = shifted - shifted[:, root:root + 1] + root3d[:, None]
            z_err.extend(zip((poses.root_depth_mm - gt_root).tolist(), gt_root.tolist()))
        rows["lifter, true root depth"].append((poses.joints_2d, shifted))
        # size-limited: the depth a perfect 2D size measurement gives with the mean skeleton (the
        # person's true size unknown): true depth x mean / true body size (sum of bone lengths)
        sized = poses.joints_3d.copy()
        if len(sized):
            gt3 = rec.joints_3d[keep]
            size = np.linalg.norm(gt3[:, limbs[:, 0]] - gt3[:, limbs[:, 1]], axis=-1).sum(1)
            root3d = rec.intrinsics.backproject(poses.joints_2d[:, root], gt_root * mean_size / size)
            sized = sized - sized[:, root:root + 1] + root3d[:, None]
        rows["lifter, size-limited root depth"].append((poses.joints_2d, sized))
        floor = Floor(rec.meta["camera_height_mm"], rec.meta["pitch_deg"])
        alone = poses.joints_3d.copy()
        if len(alone):
            rel = alone - alone[:, root:root + 1]
            z = floor.depth(rel, poses.joints_2d[:, root], rec.intrinsics, poses.root_depth_mm)
            alone = rec.intrinsics.backproject(poses.joints_2d[:, root], z)[:, None] + rel
        rows["known floor: the floor depth alone"].append((poses.joints_2d, alone))
        both = lifter.lift_coco(kp, rec.width, rec.height, rec.intrinsics, floor=floor)
        rows["**known floor: lifter --camera-height --pitch** (body size × floor)"].append(
            (both.joints_2d, both.joints_3d))
    people = sum(r.num_persons for r in scenes)
    print(f"{len(scenes)} scenes (seed {args.seed}), {people} people, noise {args.noise}; model {args.model}")
    print("| row | lifted / annotated | all PCK_rel | all PCK_abs | all PCK_occ | matched PCK_rel | matched PCK_abs | "
          "matched MPJPE_rel mm |")
    print("|---|---|---|---|---|---|---|---|")
    for name, preds in rows.items():
        m = evaluate_predictions(scenes, preds, match_px=40.0 * scenes[0].width / 2048)
        a, mt = m["all"], m["matched"]
        print(f"| {name} | {mt['matched']} / {a['instances']} | {a['pck_rel']:.1f} | {a['pck_abs']:.1f} | "
              f"{a['pck_occ']:.1f} | {mt['pck_rel']:.1f} | {mt['pck_abs']:.1f} | {mt['mpjpe_rel']:.0f} |")
    e, gt = np.asarray(z_err).T
    print(f"root depth error (body-size rule + refit): median |error| {np.median(np.abs(e)):.0f} mm, "
          f"median |error| / depth {100 * np.median(np.abs(e) / gt):.1f} %, median signed {np.median(e):+.0f} mm; "
          f"within 150 mm: {100 * np.mean(np.abs(e) < 150):.1f} % of the people")
    lo, hi = scenes[0].meta.get("height_range_mm", (1500.0, 1950.0)) if scenes[0].meta else (1500.0, 1950.0)
    spread = (hi - lo) / np.sqrt(12) / ((hi + lo) / 2)
    print(f"the generator's body heights: uniform {lo:.0f}-{hi:.0f} mm, std {100 * spread:.1f} % of the mean: "
          f"a root depth from 2D size alone cannot be better than about that")


if __name__ == "__main__":
    main()
