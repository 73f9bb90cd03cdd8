import numpy as np
import pytest

from hupor.codec.paf import limb_depths, pair_scores
from hupor.codec.peaks import find_peaks


def gauss(h, w, x, y, s):
    rr, cc = np.mgrid[0:h, 0:w]
    return np.exp(-((cc - x) ** 2 + (rr - y) ** 2) / (2 * s * s))


def test_peaks_subpixel_threshold_border_and_order():
    heat = np.zeros((2, 20, 30), np.float32)
    heat[0] = 0.9 * gauss(20, 30, 10.3, 7.8, 1.0) + 0.6 * gauss(20, 30, 22.6, 12.2, 1.0)
    heat[0, 0, 5] = 1.0  # border pixel: excluded
    heat[1] = 0.15 * gauss(20, 30, 5.0, 5.0, 1.0)  # below threshold
    heat[1, 10, 10] = heat[1, 10, 11] = 0.5  # plateau: exactly one peak
    pk = find_peaks(heat, 0.2, radius=3)
    assert list(pk.start) == [0, 2, 3]
    np.testing.assert_allclose(pk.xy[2], (10.5, 10.0), atol=0.02)  # ≈ mean of the two plateau pixels
    np.testing.assert_allclose(pk.xy[0], (10.3, 7.8), atol=0.01)
    np.testing.assert_allclose(pk.xy[1], (22.6, 12.2), atol=0.01)
    assert pk.score[0] > pk.score[1]
    assert list(find_peaks(heat, 0.2, radius=3, max_peaks=1).start) == [0, 1, 2]
    empty = find_peaks(np.zeros((3, 8, 8), np.float32), 0.2)
    assert empty.xy.shape == (0, 2) and list(empty.start) == [0, 0, 0, 0]


def test_pair_scores_rules():
    maps = np.zeros((2, 30, 40), np.float32)  # one limb: x, y channels
    maps[0, 10, 5:30] = 127.0  # PAF pointing +x along row 10
    xy = np.array([[6.0, 10.0], [28.0, 10.0], [6.0, 25.0], [6.1, 25.05]])
    ia, ib = np.array([0, 1, 0, 2]), np.array([1, 0, 2, 3])
    score, length = pair_scores(maps, np.zeros(4, np.int64), 127.0, xy, ia, ib)
    assert score[0] == 1.0  # aligned
    assert score[1] == -1.0  # reversed direction
    assert score[2] == -1.0  # off the PAF
    assert abs(score[3] - (0.1 + 1e-6)) < 1e-9  # off the PAF but shorter than sqrt(w h)/150
    np.testing.assert_allclose(length[:3], [22.0, 22.0, 15.0])


def test_limb_depths_robust_mean():
    z = np.zeros((1, 10, 40), np.float32)
    z[0, 5, :] = 7.0
    # one outlier on a sampled pixel (samples at x = 2.2 + 35.8·k/9: pixel 18 is the 5th); the old
    # outlier at pixel 20 was never sampled, so the test could not fail
    z[0, 5, 18] = 100.0
    a, b = np.array([[2.2, 5.2]]), np.array([[38.0, 4.8]])
    # 10 samples, 90th percentile (linear) = 7 + 0.1·93 = 16.3: the outlier is clipped to it
    d = limb_depths(z, np.array([0]), a, b, 10, (10, 90))
    assert d[0] == pytest.approx((9 * 7.0 + 16.3) / 10, abs=1e-6)
    assert limb_depths(z, np.array([0]), a, b, 10, (0, 100))[0] == pytest.approx((9 * 7.0 + 100) / 10, abs=1e-6)


def test_gaussian_refinement_is_exact_and_ignores_neighbours():
    import pytest

    from hupor.errors import HuporError

    heat = np.zeros((1, 30, 40), np.float32)
    heat[0] = np.maximum(gauss(30, 40, 12.37, 9.81, 1.37), 0.9 * gauss(30, 40, 16.2, 11.0, 1.37))
    pk_g = find_peaks(heat, 0.2, refine="gaussian")
    pk_m = find_peaks(heat, 0.2, refine="mean")
    np.testing.assert_allclose(pk_g.xy[0], (12.37, 9.81), atol=2e-3)  # float32 map precision
    assert np.abs(pk_m.xy[0] - (12.37, 9.81)).max() > 0.05  # the window mean is pulled by the neighbour
    with pytest.raises(HuporError, match="refine"):
        find_peaks(heat, 0.2, refine="dark")


def test_window_mean_at_the_border_and_inside():
    # peaks near all four borders and in the middle: the clipped 7x7 mean of the positive values
    rng = np.random.default_rng(3)
    h, w = 16, 24
    heat = rng.uniform(-0.1, 0.15, (2, h, w)).astype(np.float32)
    spots = [(0, 1, 1), (0, 14, 22), (0, 8, 12), (1, 1, 20), (1, 13, 2), (1, 7, 6)]
    for j, r, c in spots:
        heat[j, r, c] = 0.9
    pk = find_peaks(heat, 0.5, radius=3)
    assert len(pk.channel) == len(spots)
    for j, r, c in spots:
        xy = pk.xy[pk.channel == j][np.argmin(np.abs(pk.xy[pk.channel == j] - (c, r)).sum(axis=1))]
        r0, r1, c0, c1 = max(r - 3, 0), min(r + 4, h), max(c - 3, 0), min(c + 4, w)
        win = np.maximum(heat[j, r0:r1, c0:c1].astype(np.float64), 0)
        rr, cc = np.mgrid[r0:r1, c0:c1]
        np.testing.assert_allclose(xy, ((win * cc).sum() / win.sum(), (win * rr).sum() / win.sum()),
                                   atol=1e-9)


@pytest.mark.parametrize("radius", [0, 1, 2])
def test_window_max_equals_maximum_filter_at_the_points(radius):
    from scipy.ndimage import maximum_filter

    from hupor.codec.grid import window_max

    rng = np.random.default_rng(radius)
    maps = rng.normal(size=(5, 9, 11)).astype(np.float32)  # negative values: the border's 0 counts
    ch = rng.integers(0, 5, size=(40, 3))
    row = rng.integers(0, 9, size=(40, 3))
    col = rng.integers(0, 11, size=(40, 3))
    row[:5], col[5:10] = 0, 10  # borders
    k = 2 * radius + 1
    want = maximum_filter(maps, size=(1, k, k), mode="constant", cval=0.0)[ch, row, col]
    np.testing.assert_array_equal(window_max(maps, ch, row, col, radius), want)
