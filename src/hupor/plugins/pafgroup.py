"""Grouping HigherHRNet's peaks with its PAF branch instead of the associative-embedding tags
(``model.higherhrnet.grouping: paf``; a hupor option, not the paper's: supplement §1.3 adds the PAF
branch but keeps grouping by tags).

Peaks as :func:`hupor.plugins.ae.decode_higher` finds them (the mean of the 1/2 heatmaps and the
upsampled 1/4 ones). Every limb's candidate pairs are scored by the PAF line integral
(:func:`hupor.codec.paf.pair_scores` at 1/4, OpenPose's rule: a pair counts when ``keep_ratio`` of
its samples agree with the limb direction); then all pairs of all limbs with a positive score, best
first, merge their two peaks' people unless that would give one person two peaks of one joint
(a greedy maximum spanning forest, which needs no root joint and no limb order). Every person keeps
its joints' heatmap scores; a person's score is their sum over the joint set / J, as
``decode_higher``'s.
"""

from __future__ import annotations

import numpy as np

from ..codec.grid import out_to_net
from ..codec.paf import candidate_pairs, pair_scores
from ..codec.peaks import find_peaks
from .ae import peak_heat

POINT_THR, KEEP_RATIO = 0.05, 0.8     # the line-integral test's defaults (OpenPose's sample threshold)


def decode_higher_paf(heat_lo: np.ndarray, pafs: np.ndarray, heat_hi: np.ndarray, limbs, threshold: float = 0.1,
                      max_peaks: int = 30, keep_ratio: float = KEEP_RATIO, point_thr: float = POINT_THR
                      ) -> tuple[np.ndarray, np.ndarray]:
    """One image: ``heat_lo`` (J, h, w), ``pafs`` (2·L, h, w) unit limb vectors at 1/4, ``heat_hi``
    (J, 2h, 2w), ``limbs`` (L, 2) joint pairs → ``keypoints`` (N, J, 3) x, y network-input px and
    score (0 where absent), ``scores`` (N,). A pair counts when ``keep_ratio`` of its samples have
    ⟨û, PAF⟩ > ``point_thr`` (:func:`hupor.codec.paf.pair_scores`)."""
    heat = peak_heat(heat_lo, heat_hi)
    nj = heat.shape[0]
    peaks = find_peaks(heat, threshold, max_peaks=max_peaks)
    npk = len(peaks.score)
    if npk == 0:
        return np.zeros((0, nj, 3)), np.zeros(0)
    limbs = np.asarray(limbs, np.int64).reshape(-1, 2)
    joint = np.repeat(np.arange(nj), np.diff(peaks.start))                    # (P,) joint of each peak
    limb, ia, ib, _ = candidate_pairs(peaks, limbs)
    xy_q = (peaks.xy + 0.5) / 2.0 - 0.5                                      # 1/2 → 1/4 map px
    score, _ = pair_scores(np.asarray(pafs, np.float32), 2 * limb, 1.0, xy_q, ia, ib, point_thr=point_thr,
                           keep_ratio=keep_ratio)
    # one person per peak to start; merge along the best pairs without joint conflicts
    owner = np.arange(npk)
    members = {p: {int(joint[p]): p} for p in range(npk)}
    for k in np.argsort(-score, kind="stable"):
        if score[k] <= 0:
            break
        a, b = owner[ia[k]], owner[ib[k]]
        if a == b or members[a].keys() & members[b].keys():
            continue
        if len(members[a]) < len(members[b]):
            a, b = b, a
        members[a].update(members.pop(b))
        owner[list(members[a].values())] = a
    people = [m for m in members.values() if len(m) >= 2 or nj == 1]
    kp = np.zeros((len(people), nj, 3))
    for n, m in enumerate(people):
        for j, p in m.items():
            kp[n, j] = (*peaks.xy[p], peaks.score[p])
    if not len(kp):
        return np.zeros((0, nj, 3)), np.zeros(0)
    found = kp[..., 2] > 0
    kp[..., :2] = np.where(found[..., None], out_to_net(kp[..., :2], 2), 0.0)
    return kp, kp[..., 2].sum(1) / nj
