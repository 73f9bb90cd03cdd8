import numpy as np
import pytest

from hupor.camera import Intrinsics, Letterbox, depth_to_normalized, normalized_to_depth
from hupor.errors import HuporError


def test_project_backproject_roundtrip(rng):
    K = Intrinsics(1500.0, 1490.0, 1024.7, 1051.4)
    xyz = np.stack([rng.uniform(-2000, 2000, 50), rng.uniform(-1000, 1000, 50),
                    rng.uniform(2000, 10000, 50)], axis=1)
    uv = K.project(xyz)
    np.testing.assert_allclose(K.backproject(uv, xyz[:, 2]), xyz, atol=1e-6)
    hom = (K.K @ xyz.T).T
    np.testing.assert_allclose(uv, hom[:, :2] / hom[:, 2:], rtol=1e-12)


def test_intrinsics_validation():
    with pytest.raises(HuporError, match="positive"):
        Intrinsics(-1, 1, 0, 0)
    with pytest.raises(HuporError, match="3x3"):
        Intrinsics.from_matrix(np.eye(2))
    with pytest.raises(HuporError, match="non-finite"):
        Intrinsics(np.nan, 1, 0, 0)
    K = Intrinsics.from_matrix([[1000, 0, 320], [0, 1001, 240], [0, 0, 1]])
    assert (K.fx, K.fy, K.cx, K.cy) == (1000, 1001, 320, 240)


def test_default_intrinsics():
    K = Intrinsics.default_for(640, 480)
    assert K.fx == 640 and K.cx == 320 and K.cy == 240
    K = Intrinsics.default_for(640, 480, fov_degrees=90)
    assert K.fx == pytest.approx(320)
    with pytest.raises(HuporError):
        Intrinsics.default_for(640, 480, fov_degrees=190)


@pytest.mark.parametrize("size", [(2048, 2048), (1920, 1080), (640, 480)])
def test_letterbox_matches_official_formula(size):
    W, H = size
    lb = Letterbox.fit(W, H, 832, 512)
    s = min(832 / W, 512 / H)
    assert lb.scale == pytest.approx(s)
    x_net = np.array([[100.0, 50.0], [400.0, 300.0]])
    # method §8.9: x = x_net / s - (832 / s - W) / 2
    x_img = x_net[:, 0] / s - (832 / s - W) / 2
    y_img = x_net[:, 1] / s - (512 / s - H) / 2
    np.testing.assert_allclose(lb.to_image(x_net), np.stack([x_img, y_img], 1))
    np.testing.assert_allclose(lb.to_net(lb.to_image(x_net)), x_net)


def test_letterbox_warp_places_pixels():
    img = np.zeros((100, 200, 3), np.uint8)
    img[10, 20] = 255
    lb = Letterbox.fit(200, 100, 400, 400)
    out = lb.apply(img)
    assert out.shape == (400, 400, 3)
    y, x = np.unravel_index(out[..., 0].argmax(), out.shape[:2])
    np.testing.assert_allclose(lb.to_net([20, 10]), [x, y], atol=1.5)
    assert out[0, 0, 0] == 128  # padding is gray


def test_normalised_depth():
    # method §4.3: Z = 500 cm, fx = 1500, s = 0.25 -> 1.33
    assert depth_to_normalized(5000, 1500, 0.25) == pytest.approx(500 / 375)
    assert normalized_to_depth(depth_to_normalized(4321.0, 1200, 0.4), 1200, 0.4) == pytest.approx(4321.0)
