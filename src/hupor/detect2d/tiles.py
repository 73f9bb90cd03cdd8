"""Multi-person detection with a single-person 2D detector: crops of the frame and duplicate removal.

A single-person detector (MediaPipe's BlazePose) finds one person per call and misses people much
smaller than its input (224 px). Running it on the whole frame plus overlapping square tiles finds
people of every size; the same person found in several crops is merged by keypoint distance (an
OKS-style NMS: two skeletons whose commonly scored keypoints lie within ``same_person`` × the larger
box height of each other are one person, the higher-scoring one is kept). All sizes in px of the
original image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import HuporError
from ..skeleton import joint_boxes


@dataclass(frozen=True)
class TileConfig:
    """``tile``: tile side px (0 = whole frame only); ``overlap``: fraction of a tile shared with its
    neighbour; ``min_height``: skeletons whose box is lower than this (px) are dropped (cloth and
    background taken for people); ``keypoint_threshold``: score a keypoint needs to count in boxes
    and merging; ``same_person``: median keypoint distance / box height below which two skeletons
    are one person."""

    tile: int = 256
    overlap: float = 0.25
    min_height: float = 35.0
    keypoint_threshold: float = 0.3
    same_person: float = 0.15

    def __post_init__(self):
        if self.tile < 0 or (0 < self.tile < 32):
            raise HuporError(f"tile size: must be 0 (whole frame only) or at least 32 px, got {self.tile}")
        if not 0.0 <= self.overlap < 1.0:
            raise HuporError(f"tile overlap: must be in [0, 1), got {self.overlap}")
        if not 0.0 < self.same_person < 1.0:
            raise HuporError(f"same_person: must be in (0, 1), got {self.same_person}")


def tile_boxes(width: int, height: int, cfg: TileConfig = TileConfig()) -> np.ndarray:
    """Crops (K, 4) int x0, y0, x1, y1 (x1, y1 exclusive): the whole frame first, then square tiles
    of ``cfg.tile`` px stepping ``tile·(1 − overlap)``, the last row/column flush with the border.
    Tiles are only made when the frame is larger than one tile in some direction."""
    boxes = [(0, 0, int(width), int(height))]
    t = cfg.tile
    if t and (width > t or height > t):
        step = max(1, int(round(t * (1.0 - cfg.overlap))))

        def starts(n):
            if n <= t:
                return [0]
            s = list(range(0, n - t, step))
            return s + [n - t]

        tw, th = min(t, width), min(t, height)
        boxes += [(x, y, x + tw, y + th) for y in starts(height) for x in starts(width)]
    return np.asarray(boxes, np.int64)


def skeleton_boxes(keypoints: np.ndarray, threshold: float) -> np.ndarray:
    """(N, 4) x0, y0, x1, y1 over the keypoints scoring at least ``threshold`` (NaN when none)."""
    k = np.asarray(keypoints, np.float64)
    return joint_boxes(k[..., :2], k[..., 2] >= threshold)


def merge_people(keypoints: np.ndarray, cfg: TileConfig = TileConfig(), priority=None) -> np.ndarray:
    """Candidates from all crops (N, K, 3) → the kept people (M, K, 3), best first.

    A candidate's rank is ``priority`` (N,) when given, else the sum of its keypoint scores (a
    complete skeleton beats a crop's truncated one). Candidates lower than ``cfg.min_height`` or with fewer than 4 scored keypoints
    are dropped; then greedily, a candidate is dropped when it duplicates a kept person
    (:func:`_same`: common keypoints within ``cfg.same_person`` × the larger box height, or a part
    of the kept person's body).
    """
    k = np.asarray(keypoints, np.float64)
    return k[merged_index(k, cfg, priority)] if len(k) else k


def merged_index(keypoints: np.ndarray, cfg: TileConfig = TileConfig(), priority=None) -> list[int]:
    """The indices of the people :func:`merge_people` keeps, best first; ``priority`` (N,) ranks the
    candidates instead of their summed keypoint score (higher first)."""
    k = np.asarray(keypoints, np.float64)
    if k.ndim != 3 or k.shape[-1] != 3:
        raise HuporError(f"merge_people: keypoints must be (N, K, 3), got {k.shape}")
    if len(k) == 0:
        return []
    ok = k[..., 2] >= cfg.keypoint_threshold
    box = skeleton_boxes(k, cfg.keypoint_threshold)
    h = np.nan_to_num(box[:, 3] - box[:, 1], nan=0.0)
    alive = (h >= cfg.min_height) & (ok.sum(1) >= 4)
    rank = np.where(ok, k[..., 2], 0.0).sum(1) if priority is None else np.asarray(priority, np.float64)
    order = [i for i in np.argsort(-rank, kind="stable") if alive[i]]
    kept: list[int] = []
    for i in order:
        if not any(_same(k, ok, box, h, i, m, cfg.same_person) for m in kept):
            kept.append(int(i))
    return kept


def _same(k, ok, box, h, i: int, m: int, same: float) -> bool:
    """Candidate ``i`` duplicates kept person ``m``: their common keypoints (≥ 4) lie within ``same``
    × the larger height (median), or ``i`` is a part of ``m``: its box lies inside ``m``'s (80 % of
    its area) and 60 % of its keypoints lie within ``same`` × ``m``'s height of one of ``m``'s
    keypoints, whatever their names (a crop's partial view of the same body, limbs mislabelled)."""
    common = ok[i] & ok[m]
    if common.sum() >= 4:
        d = np.linalg.norm(k[i, common, :2] - k[m, common, :2], axis=1)
        if np.median(d) < same * max(h[i], h[m]):
            return True
    bi, bm = box[i], box[m]
    iw = min(bi[2], bm[2]) - max(bi[0], bm[0])
    ih = min(bi[3], bm[3]) - max(bi[1], bm[1])
    area = max((bi[2] - bi[0]) * (bi[3] - bi[1]), 1e-9)
    if iw <= 0 or ih <= 0 or iw * ih < 0.8 * area or h[i] > h[m]:
        return False
    d = np.linalg.norm(k[i, ok[i], None, :2] - k[m, None, ok[m], :2], axis=-1).min(1)
    return bool((d < same * h[m]).mean() >= 0.6)
