"""PAF line scores for all candidate pairs of all limbs at once (method §8.5), and limb depths (§8.7)."""

from __future__ import annotations

import functools

import numpy as np

from .peaks import Peaks


def candidate_pairs(peaks: Peaks, limbs: np.ndarray):
    """All (A, B) candidate pairs per limb, concatenated over limbs.

    Returns ``(limb (M,), ia (M,), ib (M,), offsets (P+1,))``: global peak indices; the pairs of limb k
    are rows ``offsets[k]:offsets[k+1]`` in row-major (a, b) order of that limb's candidates.
    """
    start = peaks.start
    cnt = np.diff(start)
    na, nb = cnt[limbs[:, 0]], cnt[limbs[:, 1]]
    per = na * nb
    offsets = np.concatenate([[0], np.cumsum(per)]).astype(np.int64)
    # one row per (limb, candidate a): its global a index, its number of b and its first pair
    row_limb = np.repeat(np.arange(len(limbs)), na)
    row_a = np.arange(len(row_limb)) - np.repeat(np.cumsum(na) - na - start[limbs[:, 0]], na)
    row_nb = nb[row_limb]
    row_first = np.cumsum(row_nb) - row_nb
    limb = np.repeat(row_limb, row_nb)
    ia = np.repeat(row_a, row_nb)
    ib = np.arange(offsets[-1]) - np.repeat(row_first - start[limbs[row_limb, 1]], row_nb)
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

    Speed: the number of candidate pairs grows with the square of the number of people, so only
    samples t = ⌊N/2⌋, ⌊N/4⌋ and ⌊3N/4⌋ are tested first; a pair that already fails more samples
    than it may is not sampled further (same result, far less work in crowds).
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
    length = np.sqrt(dx * dx + dy * dy)
    n = np.clip(np.rint(np.sqrt(5.0 * np.maximum(np.abs(dx), np.abs(dy)))), n_min, n_max)
    score = np.where(length < np.sqrt(hw) / 150.0, 0.1 + 1e-6, -1.0)
    ch0 = x_ch * hw
    lim = point_thr * scale * length  # ⟨û, PAF⟩ > point_thr·scale  ⇔  ⟨B − A, PAF⟩ > lim
    tol = _tolerated_fails(n_max, keep_ratio)[n.astype(np.int64)]
    # quick tests (points between two peaks inside [0, w-1] x [0, h-1] round to in-map pixels);
    # sample ⌊q·N⌋ is distinct from the earlier ones for N ≥ n_distinct. The first runs on all pairs.
    fail = _dots(flat, w, hw, ch0, ax, ay, dx, dy, (np.floor(0.5 * n) + 0.5) / n) <= lim
    todo = np.flatnonzero(fail <= tol)
    fails = fail[todo].astype(np.int64)
    for q, n_distinct in ((0.25, 2), (0.75, 3)):
        if len(todo) == 0:
            return score, length
        nn = n[todo]
        fail = _dots(flat, w, hw, ch0[todo], ax[todo], ay[todo], dx[todo], dy[todo],
                     (np.floor(q * nn) + 0.5) / nn) <= lim[todo]
        if n_distinct > n_min:
            fail &= nn >= n_distinct
        fails = fails + fail
        alive = fails <= tol[todo]
        todo, fails = todo[alive], fails[alive]
    if len(todo) == 0:
        return score, length
    # all N samples of the remaining pairs, ragged: sample t of pair `own` (points stay in the map)
    nt = n[todo]
    cnt = nt.astype(np.int64)
    own = np.repeat(np.arange(len(todo)), cnt)
    t = np.arange(len(own)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    sel = todo[own]
    dot = _dots(flat, w, hw, ch0[sel], ax[sel], ay[sel], dx[sel], dy[sel], (t + 0.5) / nt[own])
    kept = dot > lim[sel]
    nk = np.bincount(own, weights=kept, minlength=len(todo))
    total = np.bincount(own, weights=np.where(kept, dot, 0.0), minlength=len(todo))
    mean = total / (scale * np.maximum(length[todo], 1e-12) * np.maximum(nk, 1))
    score[todo] = np.where(nk > keep_ratio * nt, mean, score[todo])
    return score, length


def _dots(flat, w, hw, ch0, ax, ay, dx, dy, frac) -> np.ndarray:
    """⟨B − A, PAF⟩ at the nearest pixel of A + frac·(B − A), per pair; ``flat`` the raveled maps,
    ``ch0`` the flat offset of each pair's PAF x channel (y is the next channel)."""
    base = ch0 + (ay + frac * dy + 0.5).astype(np.int64) * w + (ax + frac * dx + 0.5).astype(np.int64)
    return flat[base] * dx + flat[base + hw] * dy


@functools.lru_cache(maxsize=8)
def _tolerated_fails(n_max: int, keep_ratio: float) -> np.ndarray:
    """(n_max + 1,) the most failed samples f a pair of N samples may have: N − f > keep_ratio·N
    (−1 where even f = 0 fails)."""
    big_n, f = np.arange(n_max + 1)[:, None], np.arange(n_max + 1)[None, :]
    ok = (f <= big_n) & (big_n - f > keep_ratio * big_n)
    return np.where(ok.any(axis=1), np.where(ok, f, -1).max(axis=1), -1)


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
    d = b - a
    px = np.clip(np.floor(a[:, :1] + t * d[:, :1] + 0.5), 0, w - 1).astype(np.int64)  # (M, samples)
    py = np.clip(np.floor(a[:, 1:] + t * d[:, 1:] + 0.5), 0, h - 1).astype(np.int64)
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
