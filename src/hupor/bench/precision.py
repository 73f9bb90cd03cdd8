"""Joint-by-joint comparison of two runs' predictions on the same images (e.g. int8 against fp32).

People are matched per image by the Hungarian algorithm on the mean 2D distance (px of the original
image) over the joints both predict; pairs without a common joint, or farther apart than ``max_px``,
stay unmatched. Over the matched pairs' common joints: mean / median / 95th percentile / max 2D
distance (px) and mean 3D distance (mm, camera frame). People left unmatched and joints present in
one run only are counted, not averaged in (a precision that loses people shows it there and in PCK).
"""

from __future__ import annotations

import numpy as np

from ..errors import HuporError
from ..match import match


def match_people(ref_2d: np.ndarray, test_2d: np.ndarray, max_px: float = 50.0) -> list[tuple[int, int]]:
    """``(i_ref, i_test)`` pairs of people of one image; ``*_2d`` (N, J, 2) px, NaN where missing."""
    ref_2d, test_2d = np.asarray(ref_2d, float), np.asarray(test_2d, float)
    if not len(ref_2d) or not len(test_2d):
        return []
    d = np.linalg.norm(ref_2d[:, None] - test_2d[None], axis=-1)           # (Nr, Nt, J), NaN if either missing
    common = np.isfinite(d)
    with np.errstate(invalid="ignore"):
        cost = np.where(common.any(-1), np.nansum(np.where(common, d, 0), -1) / np.maximum(common.sum(-1), 1),
                        np.inf)
    rows, cols = match(cost, "hungarian")  # over every finite cost; the pairs above max_px dropped afterwards
    return [(int(r), int(c)) for r, c in zip(rows, cols) if cost[r, c] <= max_px]


def compare_predictions(ref: list, test: list, max_px: float = 50.0) -> dict:
    """Compare two runs: ``ref`` / ``test`` are per image ``(joints_2d (N, J, 2) px, joints_3d (N, J, 3) mm)``
    with NaN for missing joints (what :func:`hupor.bench.e2e.predict_scenes` returns).

    Returns ``{"images", "people_ref", "people_test", "matched", "joints", "only_one", "mean_px",
    "median_px", "p95_px", "max_px", "mean_mm"}`` (distances over the matched people's common joints;
    ``only_one``: joints of matched people present in one run only)."""
    if len(ref) != len(test):
        raise HuporError(f"compare_predictions: {len(ref)} reference images but {len(test)} test images")
    d2, d3 = [], []
    people_ref = people_test = matched = only_one = 0
    for k, ((r2, r3), (t2, t3)) in enumerate(zip(ref, test)):
        r2, t2, r3, t3 = (np.asarray(a, float) for a in (r2, t2, r3, t3))
        if r2.shape[1:] != t2.shape[1:]:
            raise HuporError(f"compare_predictions: image {k}: joint shapes {r2.shape} and {t2.shape} differ")
        people_ref, people_test = people_ref + len(r2), people_test + len(t2)
        for i, j in match_people(r2, t2, max_px):
            a, b = np.isfinite(r2[i, :, 0]), np.isfinite(t2[j, :, 0])
            both = a & b
            only_one += int((a ^ b).sum())
            d2.append(np.linalg.norm(r2[i, both] - t2[j, both], axis=-1))
            d3.append(np.linalg.norm(r3[i, both] - t3[j, both], axis=-1))
            matched += 1
    d2 = np.concatenate(d2) if d2 else np.zeros(0)
    d3 = np.concatenate(d3) if d3 else np.zeros(0)
    d3 = d3[np.isfinite(d3)]

    def stat(f, v):
        return float(f(v)) if len(v) else None

    return {"images": len(ref), "people_ref": people_ref, "people_test": people_test, "matched": matched,
            "joints": int(len(d2)), "only_one": only_one, "mean_px": stat(np.mean, d2),
            "median_px": stat(np.median, d2), "p95_px": stat(lambda v: np.percentile(v, 95), d2),
            "max_px": stat(np.max, d2), "mean_mm": stat(np.mean, d3)}
