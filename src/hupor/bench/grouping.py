"""The grouping oracle of the 2D plug-ins: what the base network's heatmaps score when their peaks
are grouped into people by the ground truth instead of by tags or PAFs.

A diagnostic, not a method (``benchmarks/plugin_table.py --grouping truth``): per joint, the decoder's
own peaks (``hupor.codec.find_peaks`` on the same 1/2 map as :func:`hupor.plugins.ae.decode_higher`)
are matched one to one (Hungarian on the distance) to the labelled joints of that type within
``radius`` network-input px; a matched peak joins its true person with its own position and score,
and a person's score is the mean joint score over the joint set, as the decoder's. Peaks that match no
labelled joint are dropped, so the figure bounds what any grouping of these peaks could reach (and
counts no false positives); the gap to the method's own grouping is the grouping's cost.
:func:`peak_stats` (``plugin_table.py --paf-stats``) says how far the peaks lie from the true joints
and how many there are per joint; :func:`swap_in_truth` (``plugin_table.py --truth-maps``) replaces the network's heatmaps, its PAF
fields or both by the ground-truth targets before the PAF grouping: which of the two fails.
"""

from __future__ import annotations

import numpy as np
from ..codec.grid import out_to_net
from ..codec.peaks import find_peaks
from ..match import match


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
        for r, c in zip(*match(d, "hungarian", max_cost=radius)):
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


def swap_in_truth(which: str, heat_lo: np.ndarray, heat_hi: np.ndarray, pafs: np.ndarray, joints_net: np.ndarray,
                  labelled: np.ndarray, limbs, net_w: int, net_h: int):
    """The maps a HigherHRNet PAF grouping decodes, with the network's heatmaps (``which`` = ``heat``),
    its PAF fields (``paf``) or both replaced by the targets of the true joints ``joints_net`` (N, J, 2)
    network-input px, ``labelled`` (N, J) bool (targets as training makes them, every labelled joint).
    Returns (heat_lo (J, H/4, W/4), heat_hi (J, H/2, W/2), pafs (2·L, H/4, W/4))."""
    from ..plugins.ae import higher_targets
    from ..plugins.data import paf2d_targets

    if which not in ("heat", "paf", "both"):
        raise ValueError(f"swap_in_truth: 'heat', 'paf' or 'both', got {which!r}")
    xy = np.nan_to_num(np.asarray(joints_net, np.float64))
    labelled = np.asarray(labelled, bool)
    if which in ("paf", "both"):
        pafs = paf2d_targets(xy, labelled, limbs, 4, net_w, net_h)
    if which in ("heat", "both"):
        t = higher_targets(xy, np.where(labelled, 2, 0), net_w, net_h)
        heat_lo, heat_hi = t.heat_lo, t.heat_hi
    return heat_lo, heat_hi, pafs


def peak_stats(heat: np.ndarray, joints_net: np.ndarray, labelled: np.ndarray, threshold: float,
               stride: int = 2, max_peaks: int = 30) -> tuple[np.ndarray, int]:
    """``heat`` (J, h, w) at 1/``stride``; ``joints_net`` (N, J, 2) network-input px; ``labelled``
    (N, J) bool → (per labelled joint with at least one peak of its type: the distance in network-input
    px to the nearest such peak, (M,); the number of peaks above ``threshold``)."""
    heat = np.asarray(heat, np.float32)
    joints_net = np.asarray(joints_net, np.float64).reshape(-1, heat.shape[0], 2)
    labelled = np.asarray(labelled, bool).reshape(joints_net.shape[:2]) & np.isfinite(joints_net).all(-1)
    peaks = find_peaks(heat, threshold, max_peaks=max_peaks)
    dist = []
    for j in range(heat.shape[0]):
        sl = peaks.of(j)
        who = np.flatnonzero(labelled[:, j])
        if sl.stop > sl.start and len(who):
            xy = out_to_net(peaks.xy[sl], stride)
            dist.append(np.linalg.norm(xy[None] - joints_net[who, j][:, None], axis=-1).min(1))
    return (np.concatenate(dist) if dist else np.zeros(0)), int(len(peaks.score))
