"""PAF line scores for all candidate pairs of all limbs at once (method §8.5), and limb depths (§8.7)."""

from __future__ import annotations

import numpy as np

from .peaks import Peaks


def candidate_pairs(peaks: Peaks, limbs: np.ndarray):
    """All (A, B) candidate pairs per limb, concatenated over limbs.

    Returns ``(limb (M,), ia (M,), ib (M,), offsets (P+1,))``: global peak indices; the pairs of limb k
    are rows ``offsets[k]:offsets[k+1]`` in row-major (a, b) order of that limb's candidates.
    """
    cnt = np.diff(peaks.start)
    na, nb = cnt[limbs[:, 0]], cnt[limbs[:, 1]]
    per = na * nb
    offsets = np.concatenate([[0], np.cumsum(per)]).astype(np.int64)
    limb = np.repeat(np.arange(len(limbs)), per)
    local = np.arange(offsets[-1]) - offsets[limb]
    nbl = np.maximum(nb[limb], 1)
    ia = peaks.start[limbs[limb, 0]] + local // nbl
    ib = peaks.start[limbs[limb, 1]] + local % nbl
    return limb, ia, ib, offsets


def pair_scores(maps: np.ndarray, x_ch: np.ndarray, scale: float, xy: np.ndarray, ia: np.ndarray,
                ib: np.ndarray, n_min: int = 5, n_max: int = 25, point_thr: float = 0.05,
                keep_ratio: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """PAF scores and lengths (output px) of pairs ``(xy[ia], xy[ib])``.

    ``maps`` (C, h, w) raw maps; pair i reads PAF x from channel ``x_ch[i]`` and y from ``x_ch[i] + 1``
    (divided by ``scale``). ``xy`` is clipped to the map. Each pair is sampled at
    ``N = clip(round(√(5·max(|dx|,|dy|))), n_min, n_max)`` points at fractions (t + 0.5)/N of the
    segment (nearest pixel). Score = mean of the samples ⟨û, PAF⟩ > ``point_thr`` if more
    than ``keep_ratio`` of them pass; else 0.1 + 1e-6 for pairs shorter than √(w·h)/150; else −1.

    Speed: samples t = N // 2 and N // 4 are tested first for all pairs; a pair that already fails
    too many of them to pass is not sampled further (same result, far less work in crowds).
    """
    _, h, w = maps.shape
    hw = h * w
    m = len(ia)
    if m == 0:
        return np.zeros(0), np.zeros(0)
    flat = maps.reshape(-1)
    xs, ys = np.clip(xy[:, 0], 0, w - 1), np.clip(xy[:, 1], 0, h - 1)
    ax, ay = xs[ia], ys[ia]
    dx, dy = xs[ib] - ax, ys[ib] - ay
    length = np.hypot(dx, dy)
    n = np.clip(np.rint(np.sqrt(5.0 * np.maximum(np.abs(dx), np.abs(dy)))), n_min, n_max)
    score = np.where(length < np.sqrt(hw) / 150.0, 0.1 + 1e-6, -1.0)
    # quick test with samples t = N // 2, then t = N // 4 on the pairs that may still pass (distinct
    # for N ≥ 3; points between two peaks inside [0, w-1] x [0, h-1] round to in-map pixels)
    ch0 = x_ch * hw
    lim = point_thr * scale * length
    todo = np.arange(m)
    fails = np.zeros(m)
    for q in (2, 4):
        nn, ddx, ddy = n[todo], dx[todo], dy[todo]
        fr = (np.floor(nn / q) + 0.5) / nn
        base = (ch0[todo] + (ay[todo] + fr * ddy + 0.5).astype(np.int64) * w
                + (ax[todo] + fr * ddx + 0.5).astype(np.int64))
        f = fails[todo] + (flat[base] * ddx + flat[base + hw] * ddy <= lim[todo])
        if q == 4 and n_min < 3:
            f = np.where(nn < 3, np.minimum(f, 1), f)
        alive = nn - f > keep_ratio * nn
        fails[todo] = f
        todo = todo[alive]
    if len(todo):  # all N samples of the remaining pairs (points stay in the map: no clipping)
        nt = n[todo][:, None]
        t = np.arange(n_max)
        frac = np.minimum((t + 0.5) / nt, 1.0)  # samples t ≥ N are masked below
        tx, ty = dx[todo][:, None], dy[todo][:, None]
        b2 = (ch0[todo][:, None] + (ay[todo][:, None] + frac * ty + 0.5).astype(np.int64) * w
              + (ax[todo][:, None] + frac * tx + 0.5).astype(np.int64))
        dot = flat[b2] * tx + flat[b2 + hw] * ty  # = ⟨û, PAF⟩ · length
        kept = (dot > lim[todo][:, None]) & (t < nt)
        nk = kept.sum(axis=1)
        mean = (dot * kept).sum(axis=1) / (scale * np.maximum(length[todo], 1e-12) * np.maximum(nk, 1))
        score[todo] = np.where(nk > keep_ratio * nt[:, 0], mean, score[todo])
    return score, length


def limb_depths(maps: np.ndarray, z_ch: np.ndarray, a: np.ndarray, b: np.ndarray, samples: int = 10,
                clip=(10.0, 90.0)) -> np.ndarray:
    """Robust mean of channel ``z_ch`` (M,) of ``maps`` (C, h, w) along segments a→b (M, 2) output
    coords (method §8.7).

    ``samples`` equally spaced points from a to b inclusive, nearest pixel, values clipped to
    their ``clip`` percentiles (linear interpolation), then averaged. Returns (M,) in the map's unit.
    """
    _, h, w = maps.shape
    if len(z_ch) == 0:
        return np.zeros(0)
    t = np.linspace(0.0, 1.0, samples)
    p = a[:, None, :] + t[None, :, None] * (b - a)[:, None, :]
    px = np.clip(np.floor(p[..., 0] + 0.5), 0, w - 1).astype(np.int64)
    py = np.clip(np.floor(p[..., 1] + 0.5), 0, h - 1).astype(np.int64)
    vals = np.sort(maps.reshape(-1)[(z_ch[:, None] * h + py) * w + px].astype(np.float64), axis=1)
    lo, hi = _sorted_percentile(vals, clip[0]), _sorted_percentile(vals, clip[1])
    return np.clip(vals, lo[:, None], hi[:, None]).mean(axis=1)


def _sorted_percentile(vals: np.ndarray, q: float) -> np.ndarray:
    """Percentile ``q`` of each row of row-sorted ``vals`` (numpy's default linear rule)."""
    pos = q / 100.0 * (vals.shape[1] - 1)
    i0 = int(np.floor(pos))
    i1 = min(i0 + 1, vals.shape[1] - 1)
    f = pos - i0
    return vals[:, i0] * (1 - f) + vals[:, i1] * f
