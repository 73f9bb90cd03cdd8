"""The side oracle: how much of the end-to-end gap is the left/right labelling of each person.

A diagnostic, not a method: each predicted person is compared with its nearest ground-truth person
(2D pelvis distance, px of the original image) twice, as predicted and with every left/right joint
pair swapped (``skeleton.flip``, in 2D and 3D); the labelling with the smaller mean root-relative 3D
error over the joints both have is kept. Scoring the result gives the pipeline's figures as if it
knew each person's sides (a detector on mirror-symmetric renders cannot, docs/training.md).
"""

from __future__ import annotations

import numpy as np


def side_oracle(predictions: list, records: list, skeleton) -> tuple[list, float]:
    """``predictions``: ``(joints_2d (P, J, 2) px, joints_3d (P, J, 3) mm)`` per record →
    (the same with each person's sides chosen against the truth, fraction of people swapped)."""
    flip, root = np.asarray(skeleton.flip), skeleton.root
    out, swapped, people = [], 0, 0
    for (j2, j3), rec in zip(predictions, records):
        j2, j3 = np.array(j2, np.float64), np.array(j3, np.float64)
        if len(j2) and rec.num_persons:
            gt2, gt3 = rec.joints_2d, rec.joints_3d
            d = np.linalg.norm(j2[:, None, root] - gt2[None, :, root], axis=-1)
            nearest = np.nanargmin(np.where(np.isfinite(d), d, np.inf), axis=1)
            for p, g in enumerate(nearest):
                if not np.isfinite(d[p, g]):
                    continue
                people += 1
                truth = gt3[g] - gt3[g, root]
                as_is = _err(j3[p] - j3[p, root], truth)
                flipped = _err(j3[p, flip] - j3[p, root], truth)
                if flipped < as_is:
                    j2[p], j3[p] = j2[p, flip], j3[p, flip]
                    swapped += 1
        out.append((j2, j3))
    return out, swapped / max(people, 1)


def _err(a: np.ndarray, b: np.ndarray) -> float:
    e = np.linalg.norm(a - b, axis=-1)
    e = e[np.isfinite(e)]
    return float(e.mean()) if len(e) else np.inf
