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
from .mupots_core import (AUC_THRESHOLDS_MM, JOINT_GROUPS, MATCH_THRESHOLD_PX, MATCHING_JOINTS,  # noqa: F401
                          MPI15_TO_MUPOTS15, MUPOTS17_VARIANT, PCK_THRESHOLD_MM, ROOT, SCORED_JOINTS,
                          SMAP15_VARIANT, UNMATCHED_MM, VARIANTS, Variant, get_variant,
                          map_to_gt_bone_lengths, masked_pck_mpjpe, match_identities,
                          ordinal_depth_counts, pck_auc, GTFrame, PredFrame, _shaped)
from .mupots_frames import align_predictions, as_gt_frames

log = logging.getLogger(__name__)


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
    v = get_variant(variant)
    gts = as_gt_frames(gt_frames, v)
    if not gts:
        raise HuporError("ground truth: no frames to evaluate")
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
