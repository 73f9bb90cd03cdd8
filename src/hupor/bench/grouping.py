"""The grouping oracle of the 2D plug-ins: what the base network's heatmaps score when their peaks
are grouped into people by the ground truth instead of by tags or PAFs.

A diagnostic, not a method (``benchmarks/plugin_table.py --grouping truth``): per joint, the decoder's
own peaks (``hupor.codec.find_peaks`` on the same 1/2 map as :func:`hupor.plugins.ae.decode_higher`)
are matched one to one (Hungarian on the distance) to the labelled joints of that type within
``radius`` network-input px; a matched peak joins its true person with its own position and score,
and a person's score is the mean joint score over the joint set, as the decoder's. Peaks that match no
labelled joint are dropped, so the figure bounds what any grouping of these peaks could reach (and
counts no false positives); the gap to the method's own grouping is the grouping's cost.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..codec.grid import out_to_net
from ..codec.peaks import find_peaks


def group_by_truth(heat: np.ndarray, joints_net: np.ndarray, labelled: np.ndarray, threshold: float,
                   radius: float = 8.0, stride: int = 2, max_peaks: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """``heat`` (J, h, w) at 1/``stride`` of the network input; ``joints_net`` (N, J, 2) true joints in
    network-input px; ``labelled`` (N, J) bool → ``keypoints`` (M, J, 3) x, y network-input px and
    score (0 where absent) of the M true people with at least one matched peak, ``scores`` (M,)."""
    heat = np.asarray(heat, np.float32)
    nj = heat.shape[0]
    joints_net = np.asarray(joints_net, np.float64).reshape(-1, nj, 2)
    labelled = np.asarray(labelled, bool).reshape(-1, nj) & np.isfinite(joints_net).all(-1)
    kp = np.zeros((len(joints_net), nj, 3))
    peaks = find_peaks(heat, threshold, max_peaks=max_peaks)
    for j in range(nj):
        sl = peaks.of(j)
        who = np.flatnonzero(labelled[:, j])
        if sl.stop <= sl.start or not len(who):
            continue
        xy, sc = out_to_net(peaks.xy[sl], stride), peaks.score[sl]
        d = np.linalg.norm(xy[:, None] - joints_net[None, who, j], axis=-1)
        rows, cols = linear_sum_assignment(np.where(d < radius, d, 1e6))
        for r, c in zip(rows, cols):
            if d[r, c] < radius:
                kp[who[c], j] = (*xy[r], sc[r])
    kept = kp[..., 2].max(1) > 0
    return kp[kept], kp[kept, :, 2].sum(1) / nj


def paf_agreement(pred: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """How well a PAF branch's fields (2·L, h, w) follow the true limbs ``target`` (the same layout,
    unit vectors on the limbs, 0 elsewhere): (mean of ⟨û, PAF⟩ over the cells on a limb, the target
    of OpenPose's line-integral test being 1; mean field length |PAF| off the limbs)."""
    p = np.asarray(pred, np.float64).reshape(-1, 2, *np.shape(pred)[-2:])
    t = np.asarray(target, np.float64).reshape(p.shape)
    on = np.hypot(t[:, 0], t[:, 1]) > 0
    dot = (p * t).sum(1)
    off = np.hypot(p[:, 0], p[:, 1])[~on]
    return (float(dot[on].mean()) if on.any() else float("nan"), float(off.mean()) if off.size else float("nan"))
