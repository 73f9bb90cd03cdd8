import numpy as np
import pytest

from hupor.codec import DecodeParams
from hupor.codec.rootdepth import RULES, root_depth
from hupor.errors import HuporError
from hupor.skeleton import MPI15

# torso channel order: neck, head, pelvis, l_sho, r_sho, l_hip, r_hip
D = np.array([1.0, 1.1, 2.0, 3.0, 4.0, 5.0, 6.0])


def run(conf, rule="cascade", **kw):
    c = np.asarray(conf, dtype=float)[None]
    v, r = root_depth(D[None], c, DecodeParams(root_rule=rule, **kw), MPI15, mm_to_unit=0.01)
    return float(v[0]), RULES[int(r[0])]


@pytest.mark.parametrize("conf, value, rule", [
    ([0.9, 0.9, 0.6, 0.9, 0.9, 0.9, 0.9], 2.0, "pelvis"),
    ([0.9, 0.9, 0.4, 0.9, 0.9, 0.5, 0.5], 5.5, "hips"),
    ([0.9, 0.9, 0.4, 0.5, 0.5, 0.5, 0.1], 3.5, "shoulders"),
    ([0.9, 0.9, 0.4, 0.5, 0.1, 0.1, 0.5], 4.5, "diagonal"),  # L-sho + R-hip
    ([0.9, 0.9, 0.4, 0.1, 0.5, 0.5, 0.1], 4.5, "diagonal"),  # R-sho + L-hip
    ([0.9, 0.9, 0.4, 0.1, 0.0, 0.0, 0.1], 1.0, "neck_head"),
    ([0.2, 0.0, 0.4, 0.0, 0.0, 0.0, 0.8], 6.0, "single"),
    ([0.3, 0.0, 0.2, 0.0, 0.0, 0.0, 0.1], 2.0, "fallback"),
])
def test_cascade(conf, value, rule):
    assert run(conf) == (pytest.approx(value), rule)


def test_cascade_offsets():
    assert run([0.9, 0.9, 0.4, 0.5, 0.5, 0.1, 0.1], delta_shoulders_mm=25.0)[0] == pytest.approx(3.75)
    delta = (0, 0, 0, 0, 0, 0, -50.0)
    assert run([0.0, 0.0, 0.4, 0.0, 0.0, 0.0, 0.8], delta_single_mm=delta)[0] == pytest.approx(5.5)


def test_weighted_and_pelvis_rules():
    assert run([0.9, 0.9, 0.6, 0, 0, 0, 0], "weighted") == (pytest.approx(2.0), "pelvis")
    v, rule = run([0.5, 0.0, 0.4, 0.0, 0.0, 0.0, 1.0], "weighted")
    assert rule == "weighted" and v == pytest.approx((0.5 * 1.0 + 0.4 * 2.0 + 1.0 * 6.0) / 1.9)
    assert run([0.1] * 7, "weighted") == (pytest.approx(2.0), "fallback")
    assert run([0.9, 0.9, 0.0, 0.9, 0.9, 0.9, 0.9], "pelvis") == (pytest.approx(2.0), "pelvis")


def test_missing_joints_are_nan_safe_and_shapes_checked():
    d = D.copy()[None]
    d[0, 4] = np.nan
    v, _ = root_depth(d, np.array([[0.9, 0.9, 0.1, 0.9, 0.0, 0.9, 0.9]]), DecodeParams(), MPI15)
    assert v[0] == pytest.approx(5.5)
    with pytest.raises(HuporError, match="depth and conf"):
        root_depth(np.zeros((2, 6)), np.zeros((2, 6)), DecodeParams(), MPI15)
    with pytest.raises(HuporError, match="root_rule"):
        DecodeParams(root_rule="median")


def test_fit_root_offsets_recovers_known_offsets():
    from hupor.codec.rootdepth import fit_root_offsets

    rng = np.random.default_rng(0)
    j = rng.normal(size=(50, 15, 3)) * 100
    idx = {n: MPI15.joints.index(n) for n in ("pelvis", "l_shoulder", "r_shoulder", "neck")}
    j[:, idx["pelvis"], 2] = 5000.0
    j[:, idx["l_shoulder"], 2] = 4950.0 + rng.normal(size=50) * 10
    j[:, idx["r_shoulder"], 2] = 4950.0 - (j[:, idx["l_shoulder"], 2] - 4950.0)
    j[:, idx["neck"], 2] = 4900.0
    fit = fit_root_offsets(j, MPI15)
    assert fit["shoulders"] == (pytest.approx(50.0), pytest.approx(0.0, abs=1e-9))
    assert fit["neck_head"][0] == pytest.approx(100.0) and fit["single_pelvis"] == (0.0, 0.0)
    j[0, idx["neck"], 2] = np.nan  # skipped
    assert fit_root_offsets(j, MPI15)["neck_head"][1] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(HuporError, match="fit_root_offsets"):
        fit_root_offsets(j[:, :14], MPI15)
