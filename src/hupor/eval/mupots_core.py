"""MuPoTS-3D official building blocks (data-and-eval.md §2): constants, joint variants, identity
matching, bone-length mapping, PCK/AUC, masked PCK and ordinal depth. Joint order: MuPoTS (see
:mod:`hupor.eval.mupots`). Units: px for 2D, mm for 3D.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import HuporError
from ..match import match_index
from ..skeleton import MUPOTS17

PCK_THRESHOLD_MM = 150.0
AUC_THRESHOLDS_MM = tuple(float(t) for t in range(0, 151, 5))   # 31 values, 0 included
MATCH_THRESHOLD_PX = 40.0
UNMATCHED_MM = 100000.0
ROOT = 14                                                      # pelvis, MuPoTS order
MATCHING_JOINTS = tuple(range(1, 14))                          # neck .. l_ankle (1-based 2:14)
SCORED_JOINTS = tuple(range(14))                               # head_top .. l_ankle (1-based 1:14)
JOINT_GROUPS = {"head": (0,), "neck": (1,), "shoulder": (2, 5), "elbow": (3, 6), "wrist": (4, 7),
                "hip": (8, 11), "knee": (9, 12), "ankle": (10, 13)}
#: MuPoTS(first 15) joint i <- MPI15 joint MPI15_TO_MUPOTS15[i] (mupots_smap.m L123)
MPI15_TO_MUPOTS15 = tuple(MUPOTS17.from_mpi15[:15])


@dataclass(frozen=True)
class Variant:
    """A joint variant of the protocol: parents ``o1`` and the bone traversal, 0-based."""

    name: str
    num_joints: int
    parents: tuple[int, ...]
    traversal: tuple[int, ...]


#: Official kit: 17 joints, ``o1`` = [2,16,2,3,4,2,6,7,15,9,10,15,12,13,15,15,2] (1-based),
#: traversal ``safe_traversal_order(2:end)`` = [16,2,1,17,3,...,14] (1-based).
MUPOTS17_VARIANT = Variant("mupots17", 17, (1, 15, 1, 2, 3, 1, 5, 6, 14, 8, 9, 14, 11, 12, 14, 14, 1),
                           (15, 1, 0, 16) + tuple(range(2, 14)))
#: SMAP/HUPOR ``mupots_smap.m``: joints 1–15, ``o1(2) = 15`` (neck hangs off the pelvis),
#: traversal [2, 1, 3, ..., 14] (1-based).
SMAP15_VARIANT = Variant("smap15", 15, (1, 14, 1, 2, 3, 1, 5, 6, 14, 8, 9, 14, 11, 12, 14),
                         (1, 0) + tuple(range(2, 14)))
VARIANTS = {"mupots17": MUPOTS17_VARIANT, "smap15": SMAP15_VARIANT}


def get_variant(name: str | Variant) -> Variant:
    if isinstance(name, Variant):
        return name
    try:
        return VARIANTS[name]
    except KeyError:
        raise HuporError(f"unknown MuPoTS joint variant {name!r}; known: {', '.join(VARIANTS)}") from None


# -- the official building blocks ------------------------------------------------------------------

def match_identities(gt_2d: np.ndarray, pred_2d: np.ndarray, threshold: float = MATCH_THRESHOLD_PX,
                     joints=MATCHING_JOINTS) -> np.ndarray:
    """``mpii_multiperson_get_identity_matching.m``: greedy over GT people in annotation order.

    gt_2d (N, J, 2), pred_2d (P, J, 2) px. For each GT, every still-unused prediction scores the
    number of matching joints with ``|dx| < thr and |dy| < thr`` whose predicted 2D is not exactly
    (0, 0); the first argmax is taken if its score > 0 (:func:`hupor.match.match`, policy ``gt_order``).
    Returns (N,) prediction index or -1.
    """
    joints = list(joints)
    g = np.asarray(gt_2d, dtype=np.float64)[:, joints]
    p = np.asarray(pred_2d, dtype=np.float64)[:, joints]
    n = g.shape[0]
    if n == 0 or p.shape[0] == 0:
        return np.full(n, -1, dtype=np.int64)
    vis = ~((p[..., 0] == 0) & (p[..., 1] == 0))                                # (P, M)
    d = np.abs(g[:, None] - p[None])                                            # (N, P, M, 2)
    with np.errstate(invalid="ignore"):
        close = (d[..., 0] < threshold) & (d[..., 1] < threshold) & vis[None]
    score = close.sum(-1)                                                       # (N, P)
    return match_index(-score.astype(np.float64), "gt_order", max_cost=0.0)    # first argmax, score > 0


def map_to_gt_bone_lengths(pred: np.ndarray, gt: np.ndarray, variant: str | Variant = "mupots17") -> np.ndarray:
    """``mpii_map_to_gt_bone_lengths.m``: give each predicted bone the GT bone's length.

    pred, gt (..., J, 3) mm. Walks the variant's traversal; the root keeps its predicted position;
    each bone keeps the direction of the *original* predicted bone. A zero-length predicted bone
    gives NaN (MATLAB 0/0), which scores as a miss.
    """
    v = get_variant(variant)
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    out = pred.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in v.traversal:
            par = v.parents[j]
            length = np.linalg.norm(gt[..., j, :] - gt[..., par, :], axis=-1, keepdims=True)
            d = pred[..., j, :] - pred[..., par, :]
            out[..., j, :] = out[..., par, :] + d * length / np.linalg.norm(d, axis=-1, keepdims=True)
    return out


def masked_pck_mpjpe(errors: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """``mpii_evaluate_multiperson_errors_visibility_mask.m`` over the given joints.

    errors, mask (K, J). NaN → 160; ``PCK = 1 − #(E·M > 150) / ΣM`` (a fraction: 150 is a hit),
    ``MPJPE = Σ E·M / ΣM`` (mm). Returns (nan, nan) when ΣM = 0.
    """
    e = np.where(np.isnan(errors), 160.0, np.asarray(errors, dtype=np.float64))
    m = np.asarray(mask, dtype=np.float64)
    em = e * m
    total = m.sum()
    if total == 0:
        return float("nan"), float("nan")
    return float(1.0 - np.count_nonzero(em > PCK_THRESHOLD_MM) / total), float(em.sum() / total)


def pck_auc(errors: np.ndarray) -> tuple[float, float]:
    """``mpii_compute_3d_pck.m`` over all entries of ``errors`` (K, J): PCK (%) with ``e < 150`` and
    AUC (%) = mean PCK over thresholds 0:5:150 (strict ``<``, NaN = miss)."""
    e = np.asarray(errors, dtype=np.float64)
    if e.size == 0:
        return float("nan"), float("nan")
    with np.errstate(invalid="ignore"):
        curve = [(e < t).mean() for t in AUC_THRESHOLDS_MM]
        pck = (e < PCK_THRESHOLD_MM).mean()
    return float(100.0 * pck), float(100.0 * np.mean(curve))


def ordinal_depth_counts(gt_depth: np.ndarray, pred_depth: np.ndarray, tol_mm: float = 300.0) -> tuple[int, int]:
    """SMAP ``cal_ordinal.m`` for one frame: (correct pairs, total pairs) of people by root depth (mm).

    A pair is correct if the depth orders agree, or if both |ΔGT| and |Δpred| are below ``tol_mm``.
    """
    g = np.asarray(gt_depth, dtype=np.float64)
    p = np.asarray(pred_depth, dtype=np.float64)
    a, b = np.triu_indices(len(g), k=1)
    if a.size == 0:
        return 0, 0
    dg, dp = g[b] - g[a], p[b] - p[a]
    ok = (dg * dp > 0) | ((np.abs(dg) < tol_mm) & (np.abs(dp) < tol_mm))
    return int(ok.sum()), int(a.size)


# -- frame types shared by mupots.py (scoring) and mupots_frames.py (conversion) ------------------

@dataclass
class GTFrame:
    """Ground truth of one image, MuPoTS joint order (J = 17 or 15), N valid people in annotation order.

    joints_2d (N, J, 2) px; joints_3d (N, J, 3) mm — the 3D the errors are measured against
    (``univ_annot3`` for the real data); occluded (N, J) bool (occlusion.mat = 1, or record v == 1);
    visible (N, J) bool, default ``~occluded`` (the official ``1 - occlusion``).
    """

    key: str
    sequence: str
    joints_2d: np.ndarray
    joints_3d: np.ndarray
    occluded: np.ndarray
    visible: np.ndarray | None = None
    width: int = 0
    height: int = 0
    intrinsics: tuple[float, float, float, float] | None = None   # fx, fy, cx, cy (px)

    def __post_init__(self):
        self.joints_2d = np.asarray(self.joints_2d, dtype=np.float64)
        if self.joints_2d.ndim != 3 or self.joints_2d.shape[2] != 2:
            raise HuporError(f"{self.key}: GT joints_2d must be N x J x 2, got {self.joints_2d.shape}")
        n, j = self.joints_2d.shape[:2]
        self.joints_3d = _shaped(self.joints_3d, (n, j, 3), f"{self.key}: GT joints_3d")
        self.occluded = _shaped(self.occluded, (n, j), f"{self.key}: GT occlusion").astype(bool)
        if self.visible is None:
            self.visible = ~self.occluded
        self.visible = _shaped(self.visible, (n, j), f"{self.key}: GT visibility").astype(bool)
        for name, arr in (("joints_2d", self.joints_2d), ("joints_3d", self.joints_3d)):
            if not np.isfinite(arr).all():
                p, jj = np.argwhere(~np.isfinite(arr))[0][:2]
                raise HuporError(f"{self.key}: GT {name}[{p}][{jj}] is not finite")


@dataclass
class PredFrame:
    """Predictions of one image, MuPoTS joint order (J = 17 or 15), P people.

    joints_2d (P, J, 2) px, exactly (0, 0) = joint not detected (ignored by matching);
    joints_3d (P, J, 3) mm, camera frame; NaN where unknown (the joint and the joints mapped
    through it then count as misses, like MATLAB's NaN).
    """

    joints_2d: np.ndarray
    joints_3d: np.ndarray

    def __post_init__(self):
        self.joints_2d = np.asarray(self.joints_2d, dtype=np.float64)
        if self.joints_2d.size == 0:
            self.joints_2d = self.joints_2d.reshape(0, self.joints_2d.shape[1] if self.joints_2d.ndim == 3 else 0, 2)
        if self.joints_2d.ndim != 3 or self.joints_2d.shape[2] != 2:
            raise HuporError(f"predicted joints_2d must be P x J x 2, got {self.joints_2d.shape}")
        p, j = self.joints_2d.shape[:2]
        self.joints_3d = _shaped(self.joints_3d, (p, j, 3), "predicted joints_3d")
        self.joints_2d = np.where(np.isfinite(self.joints_2d), self.joints_2d, 0.0)

    @classmethod
    def empty(cls, num_joints: int) -> "PredFrame":
        return cls(np.zeros((0, num_joints, 2)), np.zeros((0, num_joints, 3)))


def _shaped(value, shape, where) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0 and shape[0] == 0:
        return arr.reshape(shape)
    if arr.shape != shape:
        raise HuporError(f"{where}: expected shape {'x'.join(map(str, shape))}, got {arr.shape}")
    return arr
