"""Turn canonical records and predicted arrays into MuPoTS-order frames for :mod:`hupor.eval.mupots`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import PurePosixPath

import numpy as np

from ..errors import HuporError
from ..records import ImageRecord, RecordSet
from .mupots_core import MPI15_TO_MUPOTS15, GTFrame, PredFrame, Variant

log = logging.getLogger(__name__)


def image_key(path: str) -> str:
    """Normalised key of an image path: its last two components, '/'-separated
    (``/data/MultiPersonTestSet/TS1/img_000000.jpg`` → ``TS1/img_000000.jpg``)."""
    parts = PurePosixPath(str(path).replace("\\", "/")).parts
    return "/".join(parts[-2:])


def record_sequence(rec: ImageRecord) -> str:
    """Sequence of a record: ``meta["sequence"]``, else the image's folder name, else "all"."""
    seq = rec.meta.get("sequence") if isinstance(rec.meta, dict) else None
    if seq:
        return str(seq)
    parent = PurePosixPath(str(rec.path).replace("\\", "/")).parent.name
    return parent or "all"


def mpi15_to_mupots(points: np.ndarray, variant: Variant) -> np.ndarray:
    """(..., 15, D) MPI15 → (..., J, D) MuPoTS order. For the 17-joint variant spine and head are
    synthesised: spine = mid(pelvis, neck), head = mid(neck, head_top) (documented approximation)."""
    p = np.asarray(points, dtype=np.float64)
    out = p[..., list(MPI15_TO_MUPOTS15), :]
    if variant.num_joints == 17:
        spine = 0.5 * (out[..., 14, :] + out[..., 1, :])
        head = 0.5 * (out[..., 1, :] + out[..., 0, :])
        out = np.concatenate([out, spine[..., None, :], head[..., None, :]], axis=-2)
    return out


def frames_from_records(records, variant: Variant) -> list[GTFrame]:
    """Canonical MPI15 records → GT frames (MuPoTS order; the 17-joint variant needs 17-joint GT)."""
    recs = records.records if isinstance(records, RecordSet) else list(records)
    if variant.num_joints != 15:
        raise HuporError("canonical records hold 15 MPI15 joints: evaluate them with variant 'smap15' "
                         "(the 17-joint variant needs the release annot.mat)")
    frames = []
    for i, rec in enumerate(recs):
        if not isinstance(rec, ImageRecord):
            raise HuporError(f"ground truth [{i}]: expected an ImageRecord, got {type(rec).__name__}")
        if rec.num_joints != 15:
            raise HuporError(f"{rec.path}: expected 15 MPI15 joints, got {rec.num_joints}")
        if rec.num_persons and not rec.has_3d:
            raise HuporError(f"{rec.path}: ground truth has no 3D (has_3d is false)")
        j3 = rec.joints_3d
        univ = rec.meta.get("univ_3d_mm") if isinstance(rec.meta, dict) else None
        if univ is not None:
            j3 = np.asarray(univ, dtype=np.float64)
            if j3.shape != (rec.num_persons, 15, 3):
                raise HuporError(f"{rec.path}: meta.univ_3d_mm must be N x 15 x 3, got {j3.shape}")
        v = rec.visibility[:, list(MPI15_TO_MUPOTS15)]
        frames.append(GTFrame(rec.path, record_sequence(rec), rec.joints_2d[:, list(MPI15_TO_MUPOTS15)],
                              j3[:, list(MPI15_TO_MUPOTS15)], v == 1, v == 2, rec.width, rec.height,
                              (rec.intrinsics.fx, rec.intrinsics.fy, rec.intrinsics.cx, rec.intrinsics.cy)))
    return frames


def as_gt_frames(gt, variant: Variant) -> list[GTFrame]:
    if isinstance(gt, RecordSet):
        return frames_from_records(gt, variant)
    items = list(gt)
    if items and all(isinstance(x, GTFrame) for x in items):
        for f in items:
            if f.joints_3d.shape[1] != variant.num_joints:
                if f.joints_3d.shape[1] == 17 and variant.num_joints == 15:
                    f.joints_2d, f.joints_3d = f.joints_2d[:, :15], f.joints_3d[:, :15]
                    f.occluded, f.visible = f.occluded[:, :15], f.visible[:, :15]
                else:
                    raise HuporError(f"{f.key}: GT has {f.joints_3d.shape[1]} joints, "
                                     f"variant {variant.name} needs {variant.num_joints}")
        return items
    return frames_from_records(items, variant)


def as_pred_frame(obj, variant: Variant, where: str) -> PredFrame:
    """One image's predictions → :class:`PredFrame` in the variant's MuPoTS order."""
    J = variant.num_joints
    if obj is None:
        return PredFrame.empty(J)
    if isinstance(obj, PredFrame):
        j2, j3 = obj.joints_2d, obj.joints_3d
        if j2.shape[0] == 0:
            return PredFrame.empty(J)
        if j2.shape[1] == J:
            return obj
        if j2.shape[1] == 17 and J == 15:
            return PredFrame(j2[:, :15], j3[:, :15])
        raise HuporError(f"{where}: prediction has {j2.shape[1]} joints, variant {variant.name} needs {J}")
    detected = None
    if hasattr(obj, "joints_2d") and hasattr(obj, "joints_3d"):
        j2, j3 = obj.joints_2d, obj.joints_3d
        detected = getattr(obj, "detected", None)
    elif isinstance(obj, (tuple, list)) and len(obj) == 2:
        j2, j3 = obj
    else:
        raise HuporError(f"{where}: expected (joints_2d, joints_3d) arrays or a PredFrame")
    try:
        j2 = np.asarray(j2, dtype=np.float64)
        j3 = np.asarray(j3, dtype=np.float64)
    except (TypeError, ValueError):
        raise HuporError(f"{where}: predicted joints are not numeric arrays") from None
    if j2.size == 0 and j3.size == 0:
        return PredFrame.empty(J)
    if j2.ndim != 3 or j2.shape[2] != 2 or j3.ndim != 3 or j3.shape[2] != 3 or j2.shape[:2] != j3.shape[:2]:
        raise HuporError(f"{where}: predictions must be P x J x 2 and P x J x 3, got {j2.shape} and {j3.shape}")
    if detected is not None:
        det = np.asarray(detected, dtype=bool).reshape(j2.shape[:2])
        j2 = np.where(det[..., None], j2, 0.0)
    nj = j2.shape[1]
    if nj == 15:
        return PredFrame(mpi15_to_mupots(j2, variant), mpi15_to_mupots(j3, variant))
    if nj == 17:
        return PredFrame(j2[:, :J], j3[:, :J])
    raise HuporError(f"{where}: predictions have {nj} joints; expected 15 (MPI15) or 17 (MuPoTS)")


def align_predictions(gts: list[GTFrame], preds, variant: Variant) -> tuple[list[PredFrame], list[str]]:
    """Predictions aligned with ``gts``; a dict is matched by :func:`image_key`. Returns (frames, notes)."""
    notes: list[str] = []
    if isinstance(preds, Mapping):
        from .predictions import match_paths

        keys = list(preds)
        pairs, unknown = match_paths([g.key for g in gts], [str(k) for k in keys])
        if keys and not pairs and gts:
            raise HuporError(f"no prediction matches a ground-truth image (prediction key {str(keys[0])!r}, "
                             f"ground-truth key {gts[0].key!r})")
        if unknown:
            notes.append(f"{len(unknown)} prediction images have no ground truth and were ignored "
                         f"(e.g. {keys[unknown[0]]})")
            log.warning(notes[-1])
        by_gt = {g: keys[k] for k, g in pairs.items()}
        missing = len(gts) - len(by_gt)
        if missing:
            notes.append(f"{missing} ground-truth images have no prediction (their people count as undetected)")
            log.warning(notes[-1])
        return [as_pred_frame(preds[by_gt[i]] if i in by_gt else None, variant, g.key)
                for i, g in enumerate(gts)], notes
    items = list(preds)
    if len(items) != len(gts):
        raise HuporError(f"predictions: got {len(items)} frames for {len(gts)} ground-truth frames "
                         "(pass a list aligned with the ground truth, or a dict keyed by image path)")
    return [as_pred_frame(p, variant, g.key) for p, g in zip(items, gts)], notes
