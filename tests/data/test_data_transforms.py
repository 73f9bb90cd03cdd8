import numpy as np
import pytest

from hupor.camera import Intrinsics, Letterbox
from hupor.data.transforms import AugmentConfig, sample_transform, transform_joints
from hupor.errors import HuporError
from hupor.records import ImageRecord
from hupor.skeleton import MPI15


def _record(rng, w=200, h=120, n=2):
    j2 = np.stack([rng.uniform([10, 10], [w - 10, h - 10], size=(15, 2)) for _ in range(n)])
    j3 = rng.uniform([-500, -500, 2000], [500, 500, 5000], size=(n, 15, 3))
    vis = rng.integers(1, 3, size=(n, 15))
    return ImageRecord("x.jpg", w, h, Intrinsics.default_for(w, h), j2, j3, vis)


def test_no_augmentation_equals_letterbox_and_inverts(rng):
    t = sample_transform(200, 120, 96, 64)
    lb = Letterbox.fit(200, 120, 96, 64)
    np.testing.assert_allclose(t.affine, lb.affine, atol=1e-12)
    assert t.letterbox() == lb
    pts = rng.uniform(0, 120, size=(7, 2))
    np.testing.assert_allclose(t.inverse_points(t.points(pts)), pts, atol=1e-9)
    np.testing.assert_allclose(lb.to_image(t.points(pts)), pts, atol=1e-9)


def test_augmented_transform_inverts_and_moves_image_with_points(rng):
    aug = AugmentConfig(rotation_deg=10, jitter_px=5, flip_prob=0.5)
    for _ in range(5):
        t = sample_transform(200, 120, 96, 64, aug, rng)
        pts = rng.uniform(0, 120, size=(5, 2))
        np.testing.assert_allclose(t.inverse_points(t.points(pts)), pts, atol=1e-9)
    # a single bright pixel lands where its coordinates are mapped to
    img = np.zeros((120, 200, 3), np.uint8)
    img[60:63, 100:103] = 255
    t = sample_transform(200, 120, 96, 64, AugmentConfig(rotation_deg=10, jitter_px=5, flip_prob=1.0), rng)
    out = t.image(img, fill=0)
    yx = np.argwhere(out[..., 0] == out[..., 0].max()).mean(0)
    np.testing.assert_allclose(yx[::-1], t.points([101.0, 61.0]), atol=1.0)


def test_flip_swaps_left_right_and_mirrors_x(rng):
    rec = _record(rng)
    aug = AugmentConfig(rotation_deg=0, jitter_px=0, flip_prob=1.0)
    t = sample_transform(rec.width, rec.height, 96, 64, aug, rng)
    assert t.flipped
    j2, j3, vis = transform_joints(rec, t, MPI15)
    plain = sample_transform(rec.width, rec.height, 96, 64)
    ref = plain.points(rec.joints_2d)
    perm = np.asarray(MPI15.flip)
    # left shoulder (3) of the flipped sample is the mirrored right shoulder (9) of the original
    np.testing.assert_allclose(j2[:, 3, 0], 95 - ref[:, 9, 0], atol=1e-9)
    np.testing.assert_allclose(j2[:, 3, 1], ref[:, 9, 1], atol=1e-9)
    np.testing.assert_allclose(j2, np.stack([95 - ref[..., 0], ref[..., 1]], -1)[:, perm], atol=1e-9)
    np.testing.assert_array_equal(j3[..., 2], rec.joints_3d[:, perm, 2])
    np.testing.assert_array_equal(j3[..., 0], -rec.joints_3d[:, perm, 0])
    np.testing.assert_array_equal(vis, rec.visibility[:, perm])
    # a left limb stays a left limb: the flipped left wrist is right of the flipped left shoulder iff
    # the original right wrist was left of the original right shoulder
    assert np.all((j2[:, 5, 0] > j2[:, 3, 0]) == (ref[:, 11, 0] < ref[:, 9, 0]))


def test_joints_outside_crop_get_v0(rng):
    rec = _record(rng, n=1)
    rec.joints_2d[0, 4] = (-50.0, 60.0)
    rec.joints_2d[0, 7] = (190.0, 500.0)
    j2, _, vis = transform_joints(rec, sample_transform(rec.width, rec.height, 96, 64), MPI15)
    assert vis[0, 4] == 0 and vis[0, 7] == 0
    inside = (j2[0, :, 0] >= 0) & (j2[0, :, 0] <= 95) & (j2[0, :, 1] >= 0) & (j2[0, :, 1] <= 63)
    assert np.array_equal(vis[0] > 0, inside & (rec.visibility[0] > 0))


def test_scale_augmentation_only_without_3d(rng):
    aug = AugmentConfig(rotation_deg=0, jitter_px=0, flip_prob=0, scale_min=0.5, scale_max=0.6)
    base = min(96 / 200, 64 / 120)
    assert sample_transform(200, 120, 96, 64, aug, rng, has_3d=True).scale == pytest.approx(base)
    s2 = sample_transform(200, 120, 96, 64, aug, rng, has_3d=False).scale
    assert 0.5 * base <= s2 <= 0.6 * base


def test_bad_sizes_raise():
    with pytest.raises(HuporError, match="image size"):
        sample_transform(0, 10, 96, 64)
    with pytest.raises(HuporError, match="flip_prob"):
        AugmentConfig(flip_prob=2.0)


def test_crop_keeps_scale_and_moves_points_by_the_window(rng):
    from hupor.data.transforms import crop_transform

    t = sample_transform(400, 240, 192, 128)
    centres = np.array([[300.0, 100.0]])
    for prob in (0.0, 1.0):
        c = crop_transform(t, 64, 64, rng, centres, person_prob=prob)
        assert (c.net_w, c.net_h, c.scale) == (64, 64, t.scale)
        offset = t.points([0.0, 0.0]) - c.points([0.0, 0.0])          # the window's origin
        assert 0 <= offset[0] <= 192 - 64 and 0 <= offset[1] <= 128 - 64
        np.testing.assert_allclose(c.points(centres) + offset, t.points(centres), atol=1e-9)
    # centred on the person: within a quarter window of the window's centre (unless clamped)
    near = [crop_transform(t, 64, 64, rng, centres, person_prob=1.0).points(centres)[0] for _ in range(20)]
    assert np.all(np.abs(np.array(near) - 32) <= 16 + 0.5)   # + the rounding of the origin
    with pytest.raises(HuporError, match="larger than the network input"):
        crop_transform(t, 256, 64, rng)
    with pytest.raises(HuporError, match="crop_w/crop_h"):
        AugmentConfig(crop_w=64, crop_h=0)
