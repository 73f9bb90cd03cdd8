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
    above = heat > threshold
    above[:, [0, -1], :] = False  # border pixels are excluded
    above[:, :, [0, -1]] = False
    flat = np.flatnonzero(above)
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
    if refine not in ("mean", "gaussian"):
        raise HuporError(f"find_peaks: refine must be 'mean' or 'gaussian', got {refine!r}")
    todo = np.arange(len(jj))
    if refine == "gaussian" and len(jj):
        ctr = (jj * h + rr) * w + cc
        lc = np.log(np.maximum(flat_map[ctr].astype(np.float64), 1e-30))
        fit = np.ones(len(jj), dtype=bool)
        for axis, step in ((0, 1), (1, w)):
            lo, hi = flat_map[ctr - step].astype(np.float64), flat_map[ctr + step].astype(np.float64)
            ok = (lo > 0) & (hi > 0)
            llo, lhi = np.log(np.where(ok, lo, 1.0)), np.log(np.where(ok, hi, 1.0))
            den = llo - 2.0 * lc + lhi
            good = ok & (den < 0)
            off = np.clip(0.5 * (llo - lhi) / np.where(good, den, -1.0), -0.5, 0.5)
            xy[:, axis] += np.where(good, off, 0.0)
            fit &= good
        todo = np.flatnonzero(~fit)  # these fall back to the window mean
        xy[todo] = np.stack([cc[todo], rr[todo]], axis=1)
    if radius > 0 and len(todo):
        xy[todo] = _window_mean(flat_map, jj[todo], rr[todo], cc[todo], h, w, radius)
    return Peaks(jj.astype(np.int64), xy, v.astype(np.float64), start.astype(np.int64))


def _window_mean(flat_map, jj, rr, cc, h, w, radius) -> np.ndarray:
    """(K, 2) value-weighted mean (x, y) of the positive values in each peak's window (clipped).

    Windows are laid out (window pixel, peak): numpy's inner loops then run over the K peaks."""
    size = 2 * radius + 1
    dy, dx = np.divmod(np.arange(size * size), size)
    dy, dx = dy - radius, dx - radius
    edge = np.flatnonzero((rr < radius) | (rr >= h - radius) | (cc < radius) | (cc >= w - radius))
    ctr = (jj * h + rr) * w + cc
    # interior windows: one gather (edge windows are clipped here and redone below)
    wts = flat_map.take((dy * w + dx)[:, None] + ctr, mode="clip")  # (size², K)
    if len(edge):  # windows cut by the border: pixels outside the map do not count
        r, c = rr[edge] + dy[:, None], cc[edge] + dx[:, None]
        inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        idx = (jj[edge] * h + np.clip(r, 0, h - 1)) * w + np.clip(c, 0, w - 1)
        wts[:, edge] = np.where(inside, flat_map[idx], 0)
    np.maximum(wts, 0, out=wts)
    mom = np.stack([np.ones(size * size), dx, dy]) @ wts.astype(np.float64)  # (3, K)
    return np.stack([cc + mom[1] / mom[0], rr + mom[2] / mom[0]], axis=1)  # mom0 > 0
