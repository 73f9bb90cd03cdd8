"""Heatmap peaks (method §8.4): 3x3 non-maximum suppression and sub-pixel refinement, all channels at once.

Convention (:mod:`hupor.codec.grid`): output pixel (r, c) has its centre at output coordinates (c, r),
the encoder's convention, so the refined position is the value-weighted mean pixel index itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import HuporError


@dataclass
class Peaks:
    """K peaks over all channels, sorted by channel then score (descending)."""

    channel: np.ndarray  # (K,) int64 joint channel
    xy: np.ndarray  # (K, 2) float64 output coordinates (pixel c centre at c)
    score: np.ndarray  # (K,) float64 map value at the peak pixel / peak scale, in [0, 1] for sane maps
    start: np.ndarray  # (J+1,) peaks of channel j are rows start[j]:start[j+1]

    def of(self, j: int) -> slice:
        return slice(int(self.start[j]), int(self.start[j + 1]))


def find_peaks(heat: np.ndarray, threshold: float, radius: int = 3, max_peaks: int = 127,
               refine: str = "mean") -> Peaks:
    """Peaks of ``heat`` (J, h, w), any positive scale; ``threshold`` is in the map's own scale.

    A peak is an interior pixel above ``threshold`` and greater than its 8 neighbours (border pixels
    are excluded); ties are broken in raster order (strictly greater than the 4 neighbours before it,
    ≥ the 4 after it), so a plateau — e.g. a Gaussian centred exactly on a pixel corner — gives one
    peak, where the official strict rule gives none. At most ``max_peaks`` per channel (best first).
    Scores are raw map values (the caller normalises).

    Sub-pixel position (``refine``): "mean" (official) — the value-weighted mean pixel (positive
    values only) in a ``(2·radius+1)²`` window clipped to the map; "gaussian" — a parabola
    through the logs of the peak and its two neighbours, per axis (exact for a Gaussian, unaffected by
    other peaks ≥ 2 px away; an axis with a non-positive neighbour falls back to "mean").
    """
    nj, h, w = heat.shape
    flat_map = heat.reshape(-1)
    flat = np.flatnonzero(flat_map > threshold)
    jr, cc = np.divmod(flat, w)
    rr = jr % h
    flat = flat[(rr > 0) & (rr < h - 1) & (cc > 0) & (cc < w - 1)]  # border pixels are excluded
    v = flat_map[flat]
    # strictly above the neighbours before it (raster order), at least the ones after it: a plateau
    # yields one peak. Two stages: the row neighbours first, the other six on the survivors.
    ok = (v > flat_map[flat - 1]) & (v >= flat_map[flat + 1])
    flat, v = flat[ok], v[ok]
    is_max = np.ones(flat.shape, dtype=bool)
    for off in (-w - 1, -w, -w + 1):
        is_max &= v > flat_map[flat + off]
    for off in (w - 1, w, w + 1):
        is_max &= v >= flat_map[flat + off]
    flat, v = flat[is_max], v[is_max]
    jr, cc = np.divmod(flat, w)
    jj, rr = np.divmod(jr, h)
    order = np.lexsort((-v, jj))
    jj, rr, cc, v = jj[order], rr[order], cc[order], v[order]
    counts = np.bincount(jj, minlength=nj)
    start = np.concatenate([[0], np.cumsum(counts)])
    if counts.max(initial=0) > max_peaks:
        rank = np.arange(len(jj)) - start[jj]
        keep = rank < max_peaks
        jj, rr, cc, v = jj[keep], rr[keep], cc[keep], v[keep]
        counts = np.minimum(counts, max_peaks)
        start = np.concatenate([[0], np.cumsum(counts)])
    xy = np.stack([cc, rr], axis=1).astype(np.float64)
    if radius > 0 and len(jj):
        off = np.arange(-radius, radius + 1)
        r_win = rr[:, None] + off  # (K, S)
        c_win = cc[:, None] + off
        r_ok = (r_win >= 0) & (r_win < h)
        c_ok = (c_win >= 0) & (c_win < w)
        idx = ((jj[:, None, None] * h + np.clip(r_win, 0, h - 1)[:, :, None]) * w
               + np.clip(c_win, 0, w - 1)[:, None, :])
        wts = np.maximum(flat_map[idx], 0).astype(np.float64) * (r_ok[:, :, None] & c_ok[:, None, :])
        tot = wts.sum(axis=(1, 2))  # > 0: the centre pixel is above threshold ≥ 0
        xy[:, 0] = (wts.sum(axis=1) * c_win).sum(axis=1) / tot
        xy[:, 1] = (wts.sum(axis=2) * r_win).sum(axis=1) / tot
    if refine == "gaussian" and len(jj):
        ctr = (jj * h + rr) * w + cc
        lc = np.log(np.maximum(flat_map[ctr].astype(np.float64), 1e-30))
        for axis, step in ((0, 1), (1, w)):
            lo, hi = flat_map[ctr - step].astype(np.float64), flat_map[ctr + step].astype(np.float64)
            ok = (lo > 0) & (hi > 0)
            llo, lhi = np.log(np.where(ok, lo, 1.0)), np.log(np.where(ok, hi, 1.0))
            den = llo - 2.0 * lc + lhi
            good = ok & (den < 0)
            off = np.clip(0.5 * (llo - lhi) / np.where(good, den, -1.0), -0.5, 0.5)
            base = cc if axis == 0 else rr
            xy[:, axis] = np.where(good, base + off, xy[:, axis])
    elif refine != "mean":
        raise HuporError(f"find_peaks: refine must be 'mean' or 'gaussian', got {refine!r}")
    return Peaks(jj.astype(np.int64), xy, v.astype(np.float64), start.astype(np.int64))
