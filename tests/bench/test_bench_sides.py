"""The side oracle: a person predicted with its sides swapped is restored, a correct one is kept."""

import numpy as np

from hupor.bench.evaluate import evaluate_predictions
from hupor.bench.sides import side_oracle
from hupor.data.synth import SceneConfig, load_motion_library, sample_scene
from hupor.data.synth.occlusion import scene_record
from hupor.skeleton import MPI15


def test_swapped_people_are_restored_and_scored_as_the_truth():
    cfg = SceneConfig(width=416, height=256, min_people=3, max_people=3)
    rec = scene_record(sample_scene(cfg, load_motion_library(), 9670, 0, appearance=False), cfg, "x.png")
    flip = np.asarray(MPI15.flip)
    j2, j3 = rec.joints_2d.copy(), rec.joints_3d.copy()
    j2[0], j3[0] = j2[0, flip], j3[0, flip]                          # person 0 mirrored in its labels
    fixed, frac = side_oracle([(j2, j3)], [rec], MPI15)
    assert frac == 1 / 3
    np.testing.assert_allclose(fixed[0][1], rec.joints_3d)
    np.testing.assert_allclose(fixed[0][0], rec.joints_2d)
    before = evaluate_predictions([rec], [(j2, j3)], 16.0)["matched"]["pck_rel"]
    after = evaluate_predictions([rec], fixed, 16.0)["matched"]["pck_rel"]
    assert after == 100.0 and before < after
    empty, frac = side_oracle([(np.zeros((0, 15, 2)), np.zeros((0, 15, 3)))], [rec], MPI15)
    assert frac == 0 and empty[0][0].shape == (0, 15, 2)
