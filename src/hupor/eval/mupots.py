"""MuPoTS-3D evaluation, equal to the official MATLAB kit (data-and-eval.md §2).

Follows ``mpii_mupots_multiperson_eval.m`` (per-frame identity matching, bone-length mapping onto
``univ_annot3``, unmatched people = 100000 mm), ``mpii_compute_3d_pck.m`` (PCK < 150 mm, AUC over
0:5:150), ``mpii_evaluate_multiperson_errors_visibility_mask.m`` (PCK_vis / PCK_occ with the
``> 150`` miss rule, NaN → 160) and SMAP's ``mupots_smap.m`` (15-joint variant, ordinal depth).

Everything here works in the **MuPoTS joint order** (17 joints, or its first 15 for the SMAP
variant): 0 head_top, 1 neck, 2 r_sho, 3 r_elb, 4 r_wri, 5 l_sho, 6 l_elb, 7 l_wri, 8 r_hip,
9 r_knee, 10 r_ank, 11 l_hip, 12 l_knee, 13 l_ank, 14 pelvis, 15 spine, 16 head.
Units: 2D in original-image pixels, 3D in mm (camera frame).

Public entry point: :func:`evaluate_mupots` (array / record level); file readers live in
:mod:`hupor.eval.mupots_io`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import HuporError
from ..skeleton import MUPOTS17

log = logging.getLogger(__name__)

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


# -- the official building blocks ------------------------------------------------------------------

def match_identities(gt_2d: np.ndarray, pred_2d: np.ndarray, threshold: float = MATCH_THRESHOLD_PX,
                     joints=MATCHING_JOINTS) -> np.ndarray:
    """``mpii_multiperson_get_identity_matching.m``: greedy over GT people in annotation order.

    gt_2d (N, J, 2), pred_2d (P, J, 2) px. For each GT, every still-unused prediction scores the
    number of matching joints with ``|dx| < thr and |dy| < thr`` whose predicted 2D is not exactly
    (0, 0); the first argmax is taken if its score > 0. Returns (N,) prediction index or -1.
    """
    joints = list(joints)
    g = np.asarray(gt_2d, dtype=np.float64)[:, joints]
    p = np.asarray(pred_2d, dtype=np.float64)[:, joints]
    n = g.shape[0]
    match = np.full(n, -1, dtype=np.int64)
    if n == 0 or p.shape[0] == 0:
        return match
    vis = ~((p[..., 0] == 0) & (p[..., 1] == 0))                                # (P, M)
    d = np.abs(g[:, None] - p[None])                                            # (N, P, M, 2)
    with np.errstate(invalid="ignore"):
        close = (d[..., 0] < threshold) & (d[..., 1] < threshold) & vis[None]
    score = close.sum(-1)                                                       # (N, P)
    used = np.zeros(p.shape[0], dtype=bool)
    for k in range(n):
        s = np.where(used, -1, score[k])
        j = int(np.argmax(s))
        if s[j] > 0:
            match[k] = j
            used[j] = True
    return match


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


def evaluate_frame(gt: GTFrame, pred: PredFrame, variant: str | Variant = "smap15", relative: bool = True,
                   threshold_px: float = MATCH_THRESHOLD_PX) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image of the official loop. Returns (errors (N, J) mm, match (N,) pred index or -1,
    pred_root_z (N,) mm of the matched prediction's root, UNMATCHED_MM when unmatched).

    Unmatched GT people get the official 100000-mm prediction, so their errors are huge; whether they
    count is the evaluation mode's business (:func:`evaluate_mupots`).
    """
    v = get_variant(variant)
    j = v.num_joints
    if gt.joints_3d.shape[1] != j:
        raise HuporError(f"{gt.key}: GT has {gt.joints_3d.shape[1]} joints, variant {v.name} needs {j}")
    if pred.joints_3d.shape[0] and pred.joints_3d.shape[1] != j:
        raise HuporError(f"{gt.key}: prediction has {pred.joints_3d.shape[1]} joints, variant {v.name} needs {j}")
    match = match_identities(gt.joints_2d, pred.joints_2d, threshold_px)
    P = gt.joints_3d - (gt.joints_3d[:, ROOT:ROOT + 1] if relative else 0.0)
    q = np.full_like(P, UNMATCHED_MM)
    root_z = np.full(len(P), UNMATCHED_MM)
    hit = match >= 0
    if hit.any():
        pr = pred.joints_3d[match[hit]]
        if relative:
            pr = pr - pr[:, ROOT:ROOT + 1]
        root_z[hit] = pred.joints_3d[match[hit], ROOT, 2]
        q[hit] = map_to_gt_bone_lengths(pr, P[hit], v)
    return np.linalg.norm(q - P, axis=-1), match, root_z


# -- results ---------------------------------------------------------------------------------------

@dataclass
class MupotsMetrics:
    """Metrics over a set of person-instances. Percentages except mpjpe_* (mm); None = undefined.

    pck/auc/groups: 14 scored joints, ``e < 150`` (official main table). pck_vis/pck_occ: masked
    script (``e <= 150`` is a hit, NaN = 160 mm). mpjpe*: masked-script MPJPE, only in the
    matched-people mode (in the all-people mode misses are 100000 mm and the MPJPE is meaningless).
    """

    instances: int = 0
    matched: int = 0
    pck: float | None = None
    auc: float | None = None
    groups: dict = field(default_factory=dict)
    pck_vis: float | None = None
    pck_occ: float | None = None
    n_vis: int = 0
    n_occ: int = 0
    mpjpe: float | None = None
    mpjpe_vis: float | None = None
    mpjpe_occ: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class MupotsModeResult:
    """One evaluation mode: per-sequence metrics and the two aggregations.

    sequence_mean: unweighted mean over sequences of each per-sequence value (sequences where it is
    undefined are left out; counts are summed). pooled: every person-instance of every sequence
    together (PCK_occ / PCK_vis therefore weighted by the mask counts).
    """

    mode: str
    sequences: dict[str, MupotsMetrics]
    sequence_mean: MupotsMetrics
    pooled: MupotsMetrics
    pck15_smap_pooled: float | None = None   # SMAP's "PCK15": 15 joints incl. pelvis, e <= 150, pooled

    def to_dict(self) -> dict:
        return {"mode": self.mode, "sequences": {k: m.to_dict() for k, m in self.sequences.items()},
                "sequence_mean": self.sequence_mean.to_dict(), "pooled": self.pooled.to_dict(),
                "pck15_smap_pooled": self.pck15_smap_pooled}


@dataclass
class MupotsResult:
    """Both evaluation modes ("all" = EVALUATION_MODE 0, "matched" = 1) for one setting."""

    variant: str
    relative: bool
    modes: dict[str, MupotsModeResult]
    frames: int
    annotated_people: int
    ordinal_depth: dict | None = None        # absolute mode only: per-sequence and mean rates, per mode
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"protocol": "mupots", "variant": self.variant,
                "setting": "relative" if self.relative else "absolute", "frames": self.frames,
                "annotated_people": self.annotated_people,
                "modes": {k: m.to_dict() for k, m in self.modes.items()},
                "ordinal_depth": self.ordinal_depth, "notes": list(self.notes)}


def _metrics(errors: np.ndarray, occ: np.ndarray, vis: np.ndarray, matched: np.ndarray,
             with_mpjpe: bool) -> MupotsMetrics:
    m = MupotsMetrics(instances=int(len(errors)), matched=int(np.count_nonzero(matched)))
    if len(errors) == 0:
        return m
    e = errors[:, list(SCORED_JOINTS)]
    o = occ[:, list(SCORED_JOINTS)]
    vv = vis[:, list(SCORED_JOINTS)]
    m.pck, m.auc = pck_auc(e)
    m.groups = {g: pck_auc(e[:, list(idx)])[0] for g, idx in JOINT_GROUPS.items()}
    m.n_vis, m.n_occ = int(vv.sum()), int(o.sum())
    pv, ev = masked_pck_mpjpe(e, vv)
    po, eo = masked_pck_mpjpe(e, o)
    m.pck_vis = None if np.isnan(pv) else 100.0 * pv
    m.pck_occ = None if np.isnan(po) else 100.0 * po
    if with_mpjpe:
        m.mpjpe = masked_pck_mpjpe(e, np.ones_like(e))[1]
        m.mpjpe_vis = None if np.isnan(ev) else ev
        m.mpjpe_occ = None if np.isnan(eo) else eo
    return m


def _mean_metrics(items: list[MupotsMetrics]) -> MupotsMetrics:
    out = MupotsMetrics(instances=sum(m.instances for m in items), matched=sum(m.matched for m in items),
                        n_vis=sum(m.n_vis for m in items), n_occ=sum(m.n_occ for m in items))
    for name in ("pck", "auc", "pck_vis", "pck_occ", "mpjpe", "mpjpe_vis", "mpjpe_occ"):
        vals = [getattr(m, name) for m in items if getattr(m, name) is not None]
        setattr(out, name, float(np.mean(vals)) if vals else None)
    for g in JOINT_GROUPS:
        vals = [m.groups[g] for m in items if g in m.groups]
        if vals:
            out.groups[g] = float(np.mean(vals))
    return out


def _natural(key: str):
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", key)]


def evaluate_mupots(gt_frames, pred_frames, *, variant: str | Variant = "smap15", relative: bool = True,
                    threshold_px: float = MATCH_THRESHOLD_PX) -> MupotsResult:
    """Evaluate predictions against MuPoTS-style ground truth with the official protocol.

    gt_frames: a :class:`~hupor.records.RecordSet` / list of ``ImageRecord`` (MPI15, canonical:
      joints_2d px, joints_3d mm — or ``meta["univ_3d_mm"]`` when present —, v == 1 → occluded,
      v == 2 → visible, sequence = ``meta["sequence"]`` or the image's folder name), or a list of
      :class:`GTFrame` (MuPoTS order).
    pred_frames: a list aligned with ``gt_frames`` or a dict keyed by image path (matched by the
      last two path components, e.g. ``TS1/img_000000.jpg``). Each item: a :class:`PredFrame`
      (MuPoTS order), ``None`` (nothing predicted), a ``(joints_2d (P,J,2) px, joints_3d (P,J,3) mm)``
      pair — J = 15 means MPI15 order, J = 17 MuPoTS order —, or an object with ``joints_2d``,
      ``joints_3d`` and optionally ``detected`` (P,J) attributes (``codec.Poses``: undetected joints
      get 2D (0, 0), as the official matcher expects).
    variant: "smap15" (SMAP/HUPOR ``mupots_smap.m``) or "mupots17" (official kit).
    relative: root-relative (PCK_rel) or absolute (PCK_abs, with ordinal depth) setting.

    Returns a :class:`MupotsResult` holding both modes ("all" people and "matched" people).
    """
    from .mupots_frames import align_predictions, as_gt_frames

    v = get_variant(variant)
    gts = as_gt_frames(gt_frames, v)
    preds, notes = align_predictions(gts, pred_frames, v)
    acc: dict[str, dict[str, list]] = {}
    ordinal: dict[str, dict[str, list[int]]] = {}
    annotated = 0
    for gt, pr in zip(gts, preds):
        seq = acc.setdefault(gt.sequence, {"e": [], "o": [], "v": [], "m": []})
        od = ordinal.setdefault(gt.sequence, {"all": [0, 0], "matched": [0, 0]})
        n = len(gt.joints_3d)
        annotated += n
        if n == 0:
            continue
        e, match, root_z = evaluate_frame(gt, pr, v, relative, threshold_px)
        seq["e"].append(e)
        seq["o"].append(gt.occluded)
        seq["v"].append(gt.visible)
        seq["m"].append(match >= 0)
        if not relative:
            gz = gt.joints_3d[:, ROOT, 2]
            for mode, sel in (("all", np.ones(n, bool)), ("matched", match >= 0)):
                c, t = ordinal_depth_counts(gz[sel], root_z[sel])
                od[mode][0] += c
                od[mode][1] += t
    modes = {}
    names = sorted(acc, key=_natural)
    J = v.num_joints
    for mode in ("all", "matched"):
        per_seq, pooled = {}, {"e": [], "o": [], "v": [], "m": []}
        for s in names:
            arrs = {k: (np.concatenate(acc[s][k]) if acc[s][k] else
                        np.zeros((0, J)) if k != "m" else np.zeros(0, bool)) for k in acc[s]}
            sel = np.ones(len(arrs["m"]), bool) if mode == "all" else arrs["m"]
            for k in pooled:
                pooled[k].append(arrs[k][sel])
            per_seq[s] = _metrics(arrs["e"][sel], arrs["o"][sel], arrs["v"][sel], arrs["m"][sel],
                                  mode == "matched")
        cat = {k: (np.concatenate(x) if x else np.zeros((0, J)) if k != "m" else np.zeros(0, bool))
               for k, x in pooled.items()}
        pooled_m = _metrics(cat["e"], cat["o"], cat["v"], cat["m"], mode == "matched")
        pck15 = None
        if len(cat["e"]):
            with np.errstate(invalid="ignore"):
                pck15 = float(100.0 * (cat["e"][:, :15] <= PCK_THRESHOLD_MM).mean())
        modes[mode] = MupotsModeResult(mode, per_seq, _mean_metrics(list(per_seq.values())), pooled_m, pck15)
    od_out = None
    if not relative:
        od_out = {}
        for mode in ("all", "matched"):
            rates = {s: (ordinal[s][mode][0] / ordinal[s][mode][1] if ordinal[s][mode][1] else None)
                     for s in names}
            vals = [r for r in rates.values() if r is not None]
            od_out[mode] = {"sequences": rates, "sequence_mean": float(np.mean(vals)) if vals else None}
    return MupotsResult(v.name, relative, modes, len(gts), annotated, od_out, notes)
