import numpy as np
import pytest

from hupor.data.synth import SceneConfig, SkeletonScenes, load_motion_library
from hupor.errors import HuporError
from hupor.lift import DetectionNoise, calibrate, simulate, synthetic_pairs
from hupor.nets import refine_features
from hupor.skeleton import MPI15

ROOT = MPI15.root
J = MPI15.num_joints
F_NET, C_NET = (300.0, 300.0), (128.0, 80.0)


def people(rng, n):
    """n standing-ish people 3-8 m away (mm) and their projection (network px)."""
    base = rng.normal(0, 300, (n, J, 3))
    base[..., 1] += np.linspace(-900, 900, J)[None]
    base[:, :, 2] *= 0.3
    z = rng.uniform(3000, 8000, n)
    xyz = base + np.stack([rng.uniform(-800, 800, n), np.zeros(n), z], -1)[:, None]
    uv = np.stack([xyz[..., 0] / xyz[..., 2] * F_NET[0] + C_NET[0],
                   xyz[..., 1] / xyz[..., 2] * F_NET[1] + C_NET[1]], -1)
    return uv, xyz


def exact_noise(**kw):
    d = dict(p_visible=[1.0] * J, p_occluded=[1.0] * J, sigma_px=[0.0] * J, outlier_rate=0.0, outlier_px=0.0,
             relz_gain=1.0, sigma_z_cm=[0.0] * J, root_log_sigma=0.0)
    d.update(kw)
    return DetectionNoise(**d)


def test_noise_free_simulation_is_the_ground_truth(rng):
    uv, xyz = people(rng, 20)
    vis = np.full((20, J), 2)
    feats, target, det = simulate(exact_noise(), uv, xyz, vis, F_NET, C_NET, ROOT, rng)
    assert det.all()
    np.testing.assert_allclose(feats, refine_features(uv, xyz / 10.0, det, ROOT), atol=1e-3)
    np.testing.assert_allclose(target, (xyz - xyz[:, ROOT:ROOT + 1]) / 10.0, atol=1e-4)


def test_flat_z_puts_every_joint_at_the_root_depth(rng):
    uv, xyz = people(rng, 5)
    feats, _, _ = simulate(exact_noise(flat_z=True), uv, xyz, np.full((5, J), 2), F_NET, C_NET, ROOT, rng)
    rel = np.delete(feats, ROOT, axis=1)
    np.testing.assert_allclose(rel[..., 4], 0.0, atol=1e-4)      # relative Z
    np.testing.assert_allclose(feats[:, ROOT, 4], xyz[:, ROOT, 2] / 10.0, rtol=1e-5)


def test_outside_joints_are_never_reported_and_the_root_always_is(rng):
    uv, xyz = people(rng, 50)
    vis = rng.integers(0, 3, (50, J))
    noise = exact_noise(p_visible=[0.5] * J, p_occluded=[0.2] * J)
    feats, _, det = simulate(noise, uv, xyz, vis, F_NET, C_NET, ROOT, rng)
    assert det[:, ROOT].all()
    others = np.arange(J) != ROOT
    assert not det[:, others][vis[:, others] == 0].any()
    assert (feats[~det] == 0).all()


def test_calibrate_recovers_the_simulated_noise(rng):
    n = 6000
    uv, xyz = people(rng, n)
    vis = np.where(rng.random((n, J)) < 0.6, 2, 1)
    truth = DetectionNoise(p_visible=list(np.linspace(0.5, 0.9, J)), p_occluded=[0.3] * J,
                           sigma_px=list(np.linspace(1.0, 4.0, J)), outlier_rate=0.0, outlier_px=0.0,
                           relz_gain=0.4, sigma_z_cm=[6.0] * J, root_log_sigma=0.1)
    feats, target, _ = simulate(truth, uv, xyz, vis, F_NET, C_NET, ROOT, rng)
    fit = calibrate(feats, target, uv, vis, xyz[:, ROOT] / 10.0, ROOT)
    others = np.arange(J) != ROOT
    np.testing.assert_allclose(np.asarray(fit.p_visible)[others], np.asarray(truth.p_visible)[others], atol=0.04)
    np.testing.assert_allclose(np.asarray(fit.p_occluded)[others], 0.3, atol=0.04)
    np.testing.assert_allclose(np.asarray(fit.sigma_px)[others], np.asarray(truth.sigma_px)[others], rtol=0.15)
    assert fit.relz_gain == pytest.approx(0.4, abs=0.05)
    assert fit.root_log_sigma == pytest.approx(0.1, rel=0.1)


def test_noise_model_validation():
    with pytest.raises(HuporError, match="differ in length"):
        DetectionNoise(p_visible=[0.5] * 3)
    with pytest.raises(HuporError, match="p_occluded"):
        DetectionNoise(p_occluded=[1.5] * 15)


def test_synthetic_pairs_from_skeleton_scenes():
    scenes = SkeletonScenes(SceneConfig(width=256, height=160, max_people=4), seed=3, length=20,
                            motion=load_motion_library())
    pairs = synthetic_pairs(exact_noise(), scenes, 256, 160, ROOT, seed=0)
    n_root_in = sum(int((r.visibility[:, ROOT] >= 1).sum()) for r in scenes)
    assert len(pairs.features) == n_root_in > 0
    assert pairs.stats["mpjpe_cm_unrefined"] < 1e-3        # no noise: the prediction is the truth
    noisy = synthetic_pairs(DetectionNoise(), scenes, 256, 160, ROOT, seed=0)
    assert noisy.stats["mpjpe_cm_unrefined"] > 3.0
    again = synthetic_pairs(DetectionNoise(), scenes, 256, 160, ROOT, seed=0)
    np.testing.assert_array_equal(noisy.features, again.features)


def test_left_right_collapse_is_simulated_and_recovered(rng):
    """lr_collapse: a reported left/right pair decoded at one spot; calibrate measures the rate."""
    from hupor.lift.noise import lr_pairs

    n = 4000
    uv, xyz = people(rng, n)
    vis = np.full((n, J), 2)
    truth = exact_noise(sigma_px=[0.5] * J, lr_collapse=0.4)
    feats, target, det = simulate(truth, uv, xyz, vis, F_NET, C_NET, ROOT, rng, flip=MPI15.flip)
    a, b = lr_pairs(MPI15.flip)
    assert list(zip(a, b)) == [(3, 9), (4, 10), (5, 11), (6, 12), (7, 13), (8, 14)]
    pos = feats[..., :2].astype(float)
    pos[:, np.arange(J) != ROOT] += pos[:, ROOT:ROOT + 1]
    same = np.linalg.norm(pos[:, a] - pos[:, b], axis=-1) < 1e-3
    assert same.mean() == pytest.approx(0.4, abs=0.03)
    at_a = np.linalg.norm(pos[:, a] - uv[:, a], axis=-1) < 3
    assert at_a[same].mean() == pytest.approx(0.5, abs=0.05)           # either joint's position
    fit = calibrate(feats, target, uv, vis, xyz[:, ROOT] / 10.0, ROOT, flip=MPI15.flip)
    assert fit.lr_collapse == pytest.approx(0.4, abs=0.03)
    plain, _, _ = simulate(truth, uv, xyz, vis, F_NET, C_NET, ROOT, np.random.default_rng(1))   # no flip: none
    p2 = plain[..., :2].astype(float)
    p2[:, np.arange(J) != ROOT] += p2[:, ROOT:ROOT + 1]
    assert (np.linalg.norm(p2[:, a] - p2[:, b], axis=-1) < 1e-3).mean() < 0.01
    with pytest.raises(HuporError, match="lr_collapse"):
        DetectionNoise(lr_collapse=1.5)
