"""Depth-aware greedy grouping (method §8.6): one person per root (pelvis) peak, near → far.

Limbs are traversed in ``skeleton.chain`` order. For limb k, every person (in depth order) whose
source joint is assigned considers the unused destination candidates B with

    total = PAF_score + min(slack · E / |AB| − 1, 0) > 0        (only where PAF_score > 0)

and takes the one with the largest ``total + min(|AB| / (short · E) − 1, 0) + heat_weight · s_B``.
E = L_k / (z̃ · stride) is the expected limb length in output px (L_k the statistical bone length in
cm, z̃ = Z_cm/(fx·s) the person's root-depth value, |AB| the candidate distance in output px) and s_B
the candidate's heatmap score in [0, 1]. ``short`` = 0 and ``heat_weight`` = 0 give the official
rule, which penalises only limbs that are too long. A weakly trained network's PAF is strongest near
the limb's source joint, so a short candidate (a spurious peak next to the hip) can out-score the
true knee; ``short`` > 0 penalises limbs shorter than ``short · E``. The extra terms only re-rank the
accepted candidates, they never reject one (docs/codec.md). A missing parent drops its subtree.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import Skeleton
from .peaks import Peaks

_MIN_Z = 1e-6


def group_people(peaks: Peaks, score: np.ndarray, length: np.ndarray, offsets: np.ndarray,
                 root_cands: np.ndarray, root_z: np.ndarray, skeleton: Skeleton, stride: int,
                 slack: float = 1.2, heat_weight: float = 0.0, short: float = 0.0) -> np.ndarray:
    """Assignment (N, J) of global peak indices (−1 = missing), persons in the order of ``root_cands``.

    ``score`` / ``length``: pair scores and lengths from :func:`hupor.codec.paf.pair_scores` for the
    pairs of :func:`hupor.codec.paf.candidate_pairs` (``offsets`` per limb). ``root_cands`` (N,) global
    peak indices of the root joint, already sorted near → far; ``root_z`` (N,) their root-depth values.
    """
    nj = skeleton.num_joints
    n = len(root_cands)
    assign = np.full((n, nj), -1, dtype=np.int64)
    if n == 0:
        return assign
    assign[:, skeleton.root] = root_cands
    bone = np.asarray(skeleton.bone_length_cm, dtype=np.float64)
    inv_z = 1.0 / np.maximum(np.asarray(root_z, dtype=np.float64), _MIN_Z)
    start = peaks.start
    for k, src, dst, sign in skeleton.chain:
        ja, jb = skeleton.limbs[k]
        na, nb = int(start[ja + 1] - start[ja]), int(start[jb + 1] - start[jb])
        rows = np.flatnonzero(assign[:, src] >= 0)
        if na == 0 or nb == 0 or len(rows) == 0:
            continue
        sl = slice(int(offsets[k]), int(offsets[k + 1]))
        s_mat, l_mat = score[sl].reshape(na, nb), length[sl].reshape(na, nb)
        local = assign[rows, src] - start[src]
        if sign > 0:
            s_m, l_m = s_mat[local], l_mat[local]
        else:
            s_m, l_m = s_mat[:, local].T, l_mat[:, local].T
        expected = bone[k] * inv_z[rows] / stride  # output px
        prior = np.minimum(slack * expected[:, None] / np.maximum(l_m, 1e-9) - 1.0, 0.0)
        official = np.where(s_m > 0, s_m + prior, -np.inf)
        extra = heat_weight * peaks.score[start[dst]:start[dst + 1]] if heat_weight else 0.0
        if short > 0:
            extra = extra + np.minimum(l_m / (short * expected[:, None]) - 1.0, 0.0)
        # accepted by the official total, ranked by total + extra (exp: positive, same order)
        total = np.where(official > 0, np.exp(official + extra), -np.inf)
        best = np.argmax(total, axis=1)
        ok = total[np.arange(len(rows)), best] > 0
        picked = best[ok]
        if picked.size == 0 or np.bincount(picked).max() == 1:  # no two people want one candidate
            assign[rows[ok], dst] = start[dst] + picked
            continue
        _greedy(total, rows, assign, dst, int(start[dst]))
    return assign


def _greedy(total: np.ndarray, rows: np.ndarray, assign: np.ndarray, dst: int, first: int) -> None:
    """Sequential greedy in row (depth) order: each person takes its best unused candidate (> 0).

    Used only when two people's best candidates collide; plain Python over the small (people x
    candidates) matrix is faster here than repeated numpy passes.
    """
    order = np.argsort(-total, axis=1, kind="stable")
    tot_l, ord_l = total.tolist(), order.tolist()
    used: set[int] = set()
    for i, row in enumerate(rows.tolist()):
        t_row = tot_l[i]
        for c in ord_l[i]:
            if t_row[c] <= 0:
                break
            if c not in used:
                used.add(c)
                assign[row, dst] = first + c
                break
