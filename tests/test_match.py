"""hupor.match: the three matching policies, ties, NaN / missing, gates."""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from hupor.errors import HuporError
from hupor.match import joint_errors, match, match_index


def pairs(rows, cols):
    return list(zip(rows.tolist(), cols.tolist()))


# -- gt_order: the MuPoTS kit ----------------------------------------------------------------------

def kit_loop(score):
    """mpii_multiperson_get_identity_matching.m's loop, as written in MATLAB (first argmax, score > 0)."""
    used = np.zeros(score.shape[1], bool)
    out = np.full(score.shape[0], -1)
    for k in range(score.shape[0] if score.shape[1] else 0):
        s = np.where(used, -1, score[k])
        j = int(np.argmax(s))
        if s[j] > 0:
            out[k], used[j] = j, True
    return out


def test_gt_order_takes_rows_in_order_not_the_best_pair():
    cost = np.array([[1.0, 2.0], [0.5, 9.0]])
    assert pairs(*match(cost, "gt_order")) == [(0, 0), (1, 1)]   # row 0 takes column 0 first
    assert pairs(*match(cost, "nearest")) == [(1, 0), (0, 1)]
    assert pairs(*match(cost, "hungarian")) == [(0, 1), (1, 0)]  # 2.5 < 10


def test_gt_order_ties_take_the_first_column_and_gate_is_strict():
    assert match_index(np.array([[-3.0, -3.0], [-3.0, -3.0]]), "gt_order", max_cost=0.0).tolist() == [0, 1]
    assert match_index(np.array([[0.0, -1.0]]), "gt_order", max_cost=0.0).tolist() == [1]
    assert match_index(np.array([[0.0, 0.0]]), "gt_order", max_cost=0.0).tolist() == [-1]


def test_gt_order_is_the_kit_bit_for_bit():
    rng = np.random.default_rng(0)
    for _ in range(300):
        score = rng.integers(0, 4, size=(rng.integers(0, 6), rng.integers(0, 6)))  # many ties and zeros
        got = match_index(-score.astype(float), "gt_order", max_cost=0.0)
        assert got.tolist() == kit_loop(score).tolist()


def test_gt_order_skips_a_row_with_only_nan():
    cost = np.array([[np.nan, np.nan], [np.nan, 1.0], [2.0, 0.5]])
    assert match_index(cost, "gt_order").tolist() == [-1, 1, 0]


# -- nearest ---------------------------------------------------------------------------------------

def best_first_loop(s, min_score):
    """bench.real's former greedy loop on a score matrix (best first, nanargmax)."""
    s = s.astype(float).copy()
    out = []
    while s.size and np.nanmax(s) >= min_score:
        g, p = np.unravel_index(np.nanargmax(s), s.shape)
        out.append((int(g), int(p)))
        s[g, :] = -1.0
        s[:, p] = -1.0
    return out


def test_nearest_ties_in_row_major_order():
    cost = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert pairs(*match(cost, "nearest")) == [(0, 0), (1, 1)]
    cost = np.array([[2.0, 1.0], [1.0, 5.0]])
    assert pairs(*match(cost, "nearest")) == [(0, 1), (1, 0)]


def test_nearest_equals_the_former_best_first_loop():
    rng = np.random.default_rng(1)
    for _ in range(300):
        s = np.round(rng.random((rng.integers(1, 6), rng.integers(1, 6))), 1)   # ties
        s[rng.random(s.shape) < 0.2] = np.nan
        if np.isnan(s).all():
            continue
        with np.errstate(invalid="ignore"):
            got = pairs(*match(-s, "nearest", allowed=s >= 0.5))
        assert got == best_first_loop(s, 0.5)


def test_nearest_gate_nan_and_inf():
    cost = np.array([[np.nan, 3.0, np.inf], [4.0, 10.0, 1.0]])
    assert pairs(*match(cost, "nearest")) == [(1, 2), (0, 1)]
    assert pairs(*match(cost, "nearest", max_cost=3.0)) == [(1, 2)]          # strict: 3.0 does not pass
    assert pairs(*match(cost, "nearest", max_cost=3.5)) == [(1, 2), (0, 1)]
    assert pairs(*match(np.full((2, 2), np.nan), "nearest")) == []


# -- hungarian -------------------------------------------------------------------------------------

def test_hungarian_is_optimal_over_the_allowed_pairs():
    rng = np.random.default_rng(2)
    for _ in range(100):
        c = rng.random((rng.integers(1, 6), rng.integers(1, 6))) * 10
        r, j = match(c, "hungarian")
        r0, j0 = linear_sum_assignment(c)
        assert pairs(r, j) == pairs(r0, j0)


def test_hungarian_prices_out_before_the_assignment():
    """Gate first: the most allowed pairs, then the least cost (not the least cost, then the gate)."""
    c = np.array([[1.0, 11.0], [11.0, 100.0]])
    assert pairs(*match(c, "hungarian", max_cost=10.0)) == [(0, 0)]
    r, j = match(c, "hungarian")                                        # ungated: 22 < 101
    assert pairs(r, j) == [(0, 1), (1, 0)]
    c = np.array([[np.nan, 2.0], [np.inf, np.nan]])
    assert pairs(*match(c, "hungarian")) == [(0, 1)]


def test_hungarian_large_costs_stay_above_the_fill():
    c = np.array([[5e9, np.nan], [np.nan, 6e9]])
    assert pairs(*match(c, "hungarian")) == [(0, 0), (1, 1)]


@pytest.mark.parametrize("policy", ["gt_order", "nearest", "hungarian"])
def test_empty_and_allowed_mask(policy):
    for shape in [(0, 0), (0, 3), (3, 0)]:
        r, j = match(np.zeros(shape), policy)
        assert r.dtype == np.int64 and r.size == j.size == 0
    assert match_index(np.zeros((2, 0)), policy).tolist() == [-1, -1]
    allowed = np.array([[False, True], [True, True]])
    r, j = match(np.zeros((2, 2)), policy, allowed=allowed)
    assert sorted(pairs(r, j)) == [(0, 1), (1, 0)]
    with pytest.raises(HuporError, match="allowed has shape"):
        match(np.zeros((2, 2)), policy, allowed=np.ones((2, 3), bool))


def test_bad_arguments():
    with pytest.raises(HuporError, match="unknown policy 'best'"):
        match(np.zeros((1, 1)), "best")
    with pytest.raises(HuporError, match="2-D"):
        match(np.zeros(3), "nearest")


def test_joint_errors():
    gt = np.zeros((1, 3, 3))
    pred = gt + [[[0.0, 0, 0], [3, 4, 0], [np.nan, 0, 0]]]
    assert np.allclose(joint_errors(pred, gt)[0, :2], [0, 5]) and np.isnan(joint_errors(pred, gt)[0, 2])
    assert np.allclose(joint_errors(pred + 7.0, gt, root=0)[0, :2], [0, 5])
    with pytest.raises(HuporError, match="same"):
        joint_errors(pred, gt[:, :2])
