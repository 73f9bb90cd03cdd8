"""One-Euro Smoother stage: constant signals pass, missing joints stay missing, jitter drops, fps-aware."""

import numpy as np
import pytest

from hupor.camera import Intrinsics, Letterbox
from hupor.codec import Poses
from hupor.errors import HuporError
from hupor.methods import StageContext
from hupor.methods.smooth import OneEuro, OneEuroFilter, Smoother
from hupor.schema import MISSING, VISIBLE

J = 15
CTX = dict(raw={}, letterbox=Letterbox.fit(640, 480, 640, 480), intrinsics=Intrinsics(600, 600, 320, 240))


def _poses(j3, track_id=(0,), missing=()):
    """One frame: (N, J, 3) mm → Poses with 2D = projection; ``missing``: (person, joint) pairs."""
    j3 = np.array(j3, dtype=np.float64).reshape(-1, J, 3)
    n = j3.shape[0]
    j2 = CTX["intrinsics"].project(j3)
    state = np.full((n, J), VISIBLE, np.int8)
    for p, j in missing:
        state[p, j] = MISSING
        j2[p, j] = j3[p, j] = np.nan
    det = state != MISSING
    return Poses(j2.copy(), j2, j3, det.astype(np.float32), det, j3[:, 2, 2].copy(), np.ones(n), state=state,
                 track_id=np.asarray(track_id, np.int64))


def _body(rng):
    return rng.normal(0, 300, size=(J, 3)) + [0, 0, 4000]


def test_constant_signal_passes_unchanged(rng):
    sm = Smoother()
    body = _body(rng)
    for f in range(20):
        out = sm(_poses(body), StageContext(**CTX, frame=f, fps=25.0))
        np.testing.assert_allclose(out.joints_3d[0], body, rtol=0, atol=1e-9)
        np.testing.assert_allclose(out.joints_2d[0], CTX["intrinsics"].project(body), rtol=0, atol=1e-9)
        assert out.root_depth_mm[0] == pytest.approx(body[2, 2], abs=1e-9)


def test_missing_joint_stays_missing_and_restarts_from_its_raw_value(rng):
    sm = Smoother()
    body = _body(rng)
    for f in range(10):
        sm(_poses(body + 5 * f), StageContext(**CTX, frame=f))
    out = sm(_poses(body, missing=[(0, 4)]), StageContext(**CTX, frame=10))
    assert np.isnan(out.joints_3d[0, 4]).all() and np.isnan(out.joints_2d[0, 4]).all()
    assert np.isfinite(out.joints_3d[0, 3]).all()
    back = body + 500.0
    out = sm(_poses(back), StageContext(**CTX, frame=11))
    np.testing.assert_allclose(out.joints_3d[0, 4], back[4])  # reset: no lag from the old state
    assert np.abs(out.joints_3d[0, 3] - back[3]).max() > 10  # a filtered joint lags the jump


def test_smoothing_lowers_jitter_and_untracked_people_pass(rng):
    sm = Smoother()
    truth = np.array([_body(np.random.default_rng(0)) + [20.0 * f, 0, 0] for f in range(60)])
    noisy = truth + rng.normal(0, 15, size=truth.shape)
    other = _body(rng)
    out = []
    for f in range(60):
        o = sm(_poses([noisy[f], other], track_id=(0, -1)), StageContext(**CTX, frame=f, fps=30.0))
        np.testing.assert_array_equal(o.joints_3d[1], other)
        out.append(o.joints_3d[0])
    out = np.array(out)

    def jitter(x):
        return np.linalg.norm(x[2:] - 2 * x[1:-1] + x[:-2], axis=-1).mean()

    assert jitter(out) < 0.5 * jitter(noisy)
    assert np.linalg.norm(out[10:] - truth[10:], axis=-1).mean() < np.linalg.norm(noisy - truth, axis=-1).mean()


def test_filter_uses_time_not_frames():
    sig = lambda t: np.sin(2 * np.pi * 0.7 * t)[:, None, None]  # noqa: E731  (K=1, D=1)

    def run(t, dt):
        f = OneEuroFilter(OneEuro(1.0, 0.0))  # a plain 1 Hz low-pass: the lag is pure time
        return np.array([f(x, dt) for x in sig(t)])[:, 0, 0]

    y30 = run(np.arange(30) / 30.0, 1 / 30)
    y60 = run(np.arange(60) / 60.0, 1 / 60)[::2]  # 60 fps, read at the 30 fps times
    y_frames = run(np.arange(60) / 60.0, 1 / 30)[::2]  # 60 fps data taken for 30 fps: twice the lag
    same_time = np.abs(y30 - y60)[10:].max()
    assert same_time < 0.03 and np.abs(y_frames - y60)[10:].max() > 0.2


def test_smoother_needs_tracks_and_valid_parameters():
    p = _poses(np.zeros((J, 3)) + [0, 0, 3000])
    p.track_id = None
    with pytest.raises(HuporError, match="Tracker"):
        Smoother()(p, StageContext(**CTX))
    with pytest.raises(HuporError):
        OneEuro(min_cutoff=0)
