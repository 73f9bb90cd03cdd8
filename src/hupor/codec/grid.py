"""Pixel-grid convention shared by the encoder, the decoder and the flips.

hupor uses integer-centred pixel coordinates everywhere (pixel ``i`` covers ``[i − 0.5, i + 0.5)``),
as ``cv2.warpAffine`` (``camera.Letterbox``) and the data transforms' flip ``x → net_w − 1 − x`` do.
Output pixel ``c`` of a stride-``s`` map pools network-input pixels ``s·c … s·c + s − 1``, so its centre
is ``x_net = s·c + (s − 1)/2``. Output coordinates are therefore ``u = (x_net − (s − 1)/2) / s`` and
output pixel ``c`` has its centre at ``u = c``: a Gaussian rendered at ``u`` and the decoder's
value-weighted mean pixel index agree without any ±0.5 term, and reversing a map's width axis is the
exact mirror of reversing the input image (``x → net_w − 1 − x``).
"""

from __future__ import annotations

import numpy as np


def net_to_out(x_net, stride: int):
    """Network-input px → output-map coordinates (pixel c centre at c)."""
    return (np.asarray(x_net, dtype=np.float64) - 0.5 * (stride - 1)) / stride


def out_to_net(u, stride: int):
    """Output-map coordinates → network-input px."""
    return np.asarray(u, dtype=np.float64) * stride + 0.5 * (stride - 1)


def nearest_pixel(u) -> np.ndarray:
    """Index of the output pixel containing output coordinate ``u`` (int64, not clipped)."""
    return np.floor(np.asarray(u, dtype=np.float64) + 0.5).astype(np.int64)


def window_max(maps: np.ndarray, ch: np.ndarray, row: np.ndarray, col: np.ndarray, radius: int) -> np.ndarray:
    """Max of ``maps`` (C, h, w) over the (2·radius+1)² output pixels centred on pixel (row, col) of
    channel ``ch`` (integer arrays of one shape, row/col inside the map); pixels outside the map count
    as 0. Equals ``scipy.ndimage.maximum_filter(maps, (1, k, k), mode="constant", cval=0)`` read at those
    pixels, for a few points instead of the whole map."""
    _, h, w = maps.shape
    d = np.arange(-radius, radius + 1)
    rr = np.asarray(row)[..., None, None] + d[:, None]
    cc = np.asarray(col)[..., None, None] + d[None, :]
    inside = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
    vals = maps[np.asarray(ch)[..., None, None], np.clip(rr, 0, h - 1), np.clip(cc, 0, w - 1)]
    return np.where(inside, vals, np.zeros((), maps.dtype)).max(axis=(-2, -1))
