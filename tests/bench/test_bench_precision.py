"""Joint-by-joint comparison of two runs' predictions (hupor.bench.precision)."""

import numpy as np
import pytest

from hupor.bench.precision import compare_predictions, match_people
from hupor.errors import HuporError


def _people(rng, n, j=15):
    p2 = rng.uniform(0, 800, (n, 1, 2)) + rng.uniform(-30, 30, (n, j, 2))
    p3 = rng.uniform(-1000, 1000, (n, j, 3)) + [0, 0, 5000]
    return p2, p3


def test_matches_people_in_any_order_and_averages_common_joints():
    rng = np.random.default_rng(0)
    r2, r3 = _people(rng, 3)
    r2[:, :, 0] += [[0], [300], [600]]  # well apart
    t2, t3 = r2[::-1].copy() + [1.0, 0.0], r3[::-1].copy() + [0, 0, 10.0]   # shifted 1 px / 10 mm, reversed
    t2[0, 4] = np.nan  # a joint only the reference has (test person 0 = reference person 2)
    t3[0, 4] = np.nan
    far = np.full((1, 15, 2), 5000.0)
    c = compare_predictions([(r2, r3)], [(np.concatenate([t2, far]), np.concatenate([t3, np.ones((1, 15, 3))]))])
    assert (c["people_ref"], c["people_test"], c["matched"]) == (3, 4, 3)
    assert c["joints"] == 44 and c["only_one"] == 1
    assert c["mean_px"] == pytest.approx(1.0) and c["max_px"] == pytest.approx(1.0)
    assert c["mean_mm"] == pytest.approx(10.0)
    assert sorted(match_people(r2, t2)) == [(0, 2), (1, 1), (2, 0)]


def test_identical_runs_and_empty_images():
    rng = np.random.default_rng(1)
    r2, r3 = _people(rng, 2)
    empty = (np.zeros((0, 15, 2)), np.zeros((0, 15, 3)))
    c = compare_predictions([(r2, r3), empty], [(r2, r3), empty])
    assert c["mean_px"] == 0.0 and c["matched"] == 2 and c["images"] == 2
    none = compare_predictions([empty], [empty])
    assert none["matched"] == 0 and none["mean_px"] is None


def test_mismatched_inputs_are_refused():
    rng = np.random.default_rng(2)
    r = _people(rng, 1)
    with pytest.raises(HuporError, match="1 reference images but 2 test images"):
        compare_predictions([r], [r, r])
    with pytest.raises(HuporError, match="image 0: joint shapes"):
        compare_predictions([r], [(r[0][:, :14], r[1][:, :14])])
