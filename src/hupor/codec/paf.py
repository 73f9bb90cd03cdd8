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
    # quick test with samples t = N // 2 and N // 4 (distinct for N ≥ 3; points between two peaks
    # inside [0, w-1] x [0, h-1] round to in-map pixels: no clipping needed)
    lim = point_thr * scale * length
    ch0 = x_ch * hw
    fails = np.zeros(m)
    for q in (2, 4):
        fr = (np.floor(n / q) + 0.5) / n
        base = ch0 + (ay + fr * dy + 0.5).astype(np.int64) * w + (ax + fr * dx + 0.5).astype(np.int64)
        fails += flat[base] * dx + flat[base + hw] * dy <= lim
    if n_min < 3:
        fails = np.where(n < 3, np.minimum(fails, 1), fails)
    todo = np.flatnonzero(n - fails > keep_ratio * n)
    if len(todo):
        nt = n[todo][:, None]
        t = np.arange(n_max)[None, :]
        frac = (t + 0.5) / nt
        tx, ty = dx[todo], dy[todo]
        ln = np.where(length[todo] > 0, length[todo], 1.0)
        px = np.clip(np.floor(ax[todo, None] + frac * tx[:, None] + 0.5), 0, w - 1).astype(np.int64)
        py = np.clip(np.floor(ay[todo, None] + frac * ty[:, None] + 0.5), 0, h - 1).astype(np.int64)
        b2 = x_ch[todo, None] * hw + py * w + px
        s = (flat[b2] * (tx / ln)[:, None] + flat[b2 + hw] * (ty / ln)[:, None]) / scale
        kept = (t < nt) & (s > point_thr)
        nk = kept.sum(axis=1)
        mean = np.where(kept, s, 0.0).sum(axis=1) / np.maximum(nk, 1)
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
