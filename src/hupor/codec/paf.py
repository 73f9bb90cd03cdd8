"""PAF line scores for all candidate pairs of all limbs at once (method §8.5), and limb depths (§8.7)."""

from __future__ import annotations

import numpy as np

from .peaks import Peaks


def candidate_pairs(peaks: Peaks, limbs: np.ndarray):
    """All (A, B) candidate pairs per limb, concatenated over limbs.

    Returns ``(limb (M,), ia (M,), ib (M,), offsets (P+1,))``: global peak indices; the pairs of limb k
    are rows ``offsets[k]:offsets[k+1]`` in row-major (a, b) order of that limb's candidates.
    """
    ks, ias, ibs, offs = [], [], [], [0]
    for k, (ja, jb) in enumerate(limbs):
        sa, sb = peaks.of(ja), peaks.of(jb)
        na, nb = sa.stop - sa.start, sb.stop - sb.start
        if na and nb:
            ias.append(np.repeat(np.arange(sa.start, sa.stop), nb))
            ibs.append(np.tile(np.arange(sb.start, sb.stop), na))
            ks.append(np.full(na * nb, k))
        offs.append(offs[-1] + na * nb)
    if not ks:
        e = np.zeros(0, np.int64)
        return e, e, e, np.asarray(offs, np.int64)
    return np.concatenate(ks), np.concatenate(ias), np.concatenate(ibs), np.asarray(offs, np.int64)


def pair_scores(maps: np.ndarray, x_ch: np.ndarray, scale: float, xy: np.ndarray, ia: np.ndarray,
                ib: np.ndarray, n_min: int = 5, n_max: int = 25, point_thr: float = 0.05,
                keep_ratio: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """PAF scores and lengths (output px) of pairs ``(xy[ia], xy[ib])``.

    ``maps`` (C, h, w) raw maps; pair i reads PAF x from channel ``x_ch[i]`` and y from ``x_ch[i] + 1``
    (divided by ``scale``). Each pair is sampled at ``N = clip(round(√(5·max(|dx|,|dy|))), n_min,
    n_max)`` points at fractions (t + 0.5)/N of the segment (pixel = floor of the point). Score = mean
    of the samples ⟨û, PAF⟩ > ``point_thr`` if more than ``keep_ratio`` of them pass; else 0.1 + 1e-6
    for pairs shorter than √(w·h)/150; else −1.
    """
    _, h, w = maps.shape
    if len(ia) == 0:
        return np.zeros(0), np.zeros(0)
    a, b = xy[ia], xy[ib]
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    u = d / np.where(length > 0, length, 1.0)[:, None]
    n = np.clip(np.rint(np.sqrt(5.0 * np.abs(d).max(axis=1))), n_min, n_max).astype(np.int64)
    t = np.arange(n_max)
    frac = (t[None, :] + 0.5) / n[:, None]  # (M, n_max)
    valid = t[None, :] < n[:, None]
    px = np.clip(np.floor(a[:, 0:1] + frac * d[:, 0:1]), 0, w - 1).astype(np.int64)
    py = np.clip(np.floor(a[:, 1:2] + frac * d[:, 1:2]), 0, h - 1).astype(np.int64)
    base = x_ch[:, None] * (h * w) + py * w + px
    flat = maps.reshape(-1)
    s = (flat[base] * u[:, 0:1] + flat[base + h * w] * u[:, 1:2]) / scale
    kept = valid & (s > point_thr)
    nk = kept.sum(axis=1)
    mean = np.where(kept, s, 0.0).sum(axis=1) / np.maximum(nk, 1)
    short = length < np.sqrt(w * h) / 150.0
    score = np.where(nk > keep_ratio * n, mean, np.where(short, 0.1 + 1e-6, -1.0))
    return score, length


def limb_depths(maps: np.ndarray, z_ch: np.ndarray, a: np.ndarray, b: np.ndarray, samples: int = 10,
                clip=(10.0, 90.0)) -> np.ndarray:
    """Robust mean of channel ``z_ch`` (M,) of ``maps`` (C, h, w) along segments a→b (M, 2) output
    coords (method §8.7).

    ``samples`` equally spaced points from a to b inclusive, nearest pixel (floor), values clipped to
    their ``clip`` percentiles (linear interpolation), then averaged. Returns (M,) in the map's unit.
    """
    _, h, w = maps.shape
    if len(z_ch) == 0:
        return np.zeros(0)
    t = np.linspace(0.0, 1.0, samples)
    p = a[:, None, :] + t[None, :, None] * (b - a)[:, None, :]
    px = np.clip(np.floor(p[..., 0]), 0, w - 1).astype(np.int64)
    py = np.clip(np.floor(p[..., 1]), 0, h - 1).astype(np.int64)
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
