"""The bundled lift model (src/hupor/assets/lift.pt) lifts clean COCO keypoints of unseen mocap people."""

import numpy as np

from hupor.bench.evaluate import evaluate_predictions
from hupor.cli.lift import default_lift_model
from hupor.data.synth import SceneConfig, SkeletonScenes, load_motion_library
from hupor.lift.coco import coco_to_mpi15
from hupor.lift.lifter import Lifter
from hupor.nets import load_bundle
from hupor.skeleton import COCO17, from_mpi15


def test_bundled_lift_model_beats_a_flat_person_on_unseen_scenes():
    bundle = load_bundle(default_lift_model())
    assert bundle.method == "lift" and bundle.detector is None and bundle.refiner is not None
    lifter = Lifter(bundle)
    scenes = list(SkeletonScenes(SceneConfig(width=832, height=512, max_people=3), seed=9400, length=25,
                                 motion=load_motion_library()))
    preds, flat = [], []
    for rec in scenes:
        score = np.where(rec.visibility >= 1, 0.9, 0.0)[..., None]
        kp = np.nan_to_num(from_mpi15(np.concatenate([rec.joints_2d, score], -1), COCO17))
        j2d, sc, det, _ = coco_to_mpi15(kp)
        poses = lifter.lift(j2d, det, sc, rec.width, rec.height, rec.intrinsics)
        preds.append(poses)
        flat.append((poses.joints_2d, rec.intrinsics.backproject(
            poses.joints_2d, np.repeat(poses.root_depth_mm[:, None], 15, 1))))
    lifted = evaluate_predictions(scenes, preds, match_px=40.0 * 832 / 2048)["matched"]
    baseline = evaluate_predictions(scenes, flat, match_px=40.0 * 832 / 2048)["matched"]
    assert lifted["matched"] >= 0.8 * sum(r.num_persons for r in scenes)
    assert lifted["pck_rel"] > 60 and lifted["pck_rel"] > baseline["pck_rel"] + 15
