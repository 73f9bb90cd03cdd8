"""Pose / body / camera augmentation of skeleton scenes for the lifter (hupor.lift.augment)."""

import numpy as np
import pytest

from hupor.data.synth import SceneConfig, SkeletonScenes, load_motion_library
from hupor.lift.augment import J, AugmentConfig, AugmentedScenes, augment_person, body_axes, rotation
from hupor.skeleton import MPI15

NONE = AugmentConfig(bone_sigma=0.0, p_sit=0.0, p_crouch=0.0, p_bend=0.0, p_angles=0.0, p_exchange=0.0,
                     focal_range=(1.0, 1.0))


@pytest.fixture(scope="module")
def scenes():
    return SkeletonScenes(SceneConfig(width=832, height=512, max_people=3), seed=21, length=30,
                          motion=load_motion_library())


def bones(x):
    return np.array([np.linalg.norm(x[j] - x[p]) for j, p in enumerate(MPI15.parents) if p >= 0])


def test_without_augmentation_the_scene_is_unchanged(scenes):
    for rec, aug in zip(scenes, AugmentedScenes(scenes, seed=0, cfg=NONE)):
        assert np.allclose(aug.joints_3d, rec.joints_3d) and np.allclose(aug.joints_2d, rec.joints_2d, atol=1e-6)
        seen = rec.visibility >= 1
        assert (aug.visibility[seen] == rec.visibility[seen]).all()


def test_sitting_moves_the_knees_forward_keeps_bones_and_pelvis(scenes):
    sit = AugmentConfig(bone_sigma=0.0, p_sit=1.0, p_crouch=0.0, p_bend=0.0, p_angles=0.0, p_exchange=0.0)
    rng = np.random.default_rng(0)
    for rec in list(scenes)[:10]:
        for x in rec.joints_3d:
            y = augment_person(x, rng, sit)
            up, lat, fwd = body_axes(y)
            thigh = np.linalg.norm(y[J["l_knee"]] - y[J["l_hip"]])
            assert (y[J["l_knee"]] - y[J["l_hip"]]) @ fwd > 0.6 * thigh          # thighs forward
            assert (y[J["l_ankle"]] - y[J["l_knee"]]) @ -up > 0.7 * np.linalg.norm(y[J["l_ankle"]] - y[J["l_knee"]])
            assert np.allclose(bones(y), bones(x), rtol=1e-6) and np.allclose(y[MPI15.root], x[MPI15.root])


def test_bone_lengths_vary_symmetrically_and_projection_follows_the_new_camera(scenes):
    cfg = AugmentConfig(bone_sigma=0.1, p_sit=0.0, p_crouch=0.0, p_bend=0.0, p_angles=0.0, p_exchange=0.0)
    rec = next(iter(scenes))
    aug = next(iter(AugmentedScenes(scenes, seed=3, cfg=cfg)))
    x, y = rec.joints_3d[0], aug.joints_3d[0]
    ratio = np.linalg.norm(y[J["l_knee"]] - y[J["l_hip"]]) / np.linalg.norm(x[J["l_knee"]] - x[J["l_hip"]])
    ratio_r = np.linalg.norm(y[J["r_knee"]] - y[J["r_hip"]]) / np.linalg.norm(x[J["r_knee"]] - x[J["r_hip"]])
    assert ratio == pytest.approx(ratio_r) and 0.75 <= ratio <= 1.3
    k = aug.intrinsics
    uv = np.stack([k.fx * y[:, 0] / y[:, 2] + k.cx, k.fy * y[:, 1] / y[:, 2] + k.cy], 1)
    assert np.allclose(aug.joints_2d[0], uv) and 0.6 <= k.fx / rec.intrinsics.fx <= 1.6
    out = (uv[:, 0] < 0) | (uv[:, 0] > rec.width - 1) | (uv[:, 1] < 0) | (uv[:, 1] > rec.height - 1)
    assert (aug.visibility[0][out] == 0).all()


def test_full_augmentation_is_deterministic_and_keeps_people_plausible(scenes):
    a = [r.joints_3d for r in AugmentedScenes(scenes, seed=7)]
    b = [r.joints_3d for r in AugmentedScenes(scenes, seed=7)]
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    for rec, x in zip(scenes, a):
        assert np.allclose(x[:, MPI15.root], rec.joints_3d[:, MPI15.root])
        assert np.isfinite(x).all()
        ratio = np.array([bones(p) / bones(q) for p, q in zip(x, rec.joints_3d)])
        assert ratio.min() > 0.7 and ratio.max() < 1.35                        # bone scaling only


def test_rotation_is_a_rotation():
    R = rotation(np.array([1.0, 2.0, 3.0]), 0.7)
    assert np.allclose(R @ R.T, np.eye(3)) and np.linalg.det(R) == pytest.approx(1.0)
