"""COCO and CrowdPose keypoint AP (OKS) through faster-coco-eval (data-and-eval.md §3).

COCO: ``COCOeval_faster(gt, dt, "keypoints", kpt_oks_sigmas=<17 COCO sigmas>, use_area=True)``;
CrowdPose: ``"keypoints_crowd"`` with the 14 CrowdPose sigmas and ``use_area=False`` (OKS scale
0.53·w·h), giving AP easy / medium / hard by ``crowdIndex`` (< 0.2, < 0.8, ≥ 0.8). faster-coco-eval
reproduces pycocotools / xtcocotools / crowdposetools exactly (checked on §5.5 and §5.6).
hupor predictions are MPI15: COCO's face joints (nose, eyes, ears) are not predicted and are written
as (0, 0) with score 0, so they count as misses for every labelled face keypoint.
"""

from __future__ import annotations

import copy
import logging

import numpy as np

from ..errors import HuporError
from ..skeleton import COCO17, CROWDPOSE14, from_mpi15

log = logging.getLogger(__name__)

STAT_NAMES = {
    "coco": ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"),
    "crowdpose": ("AP", "AP50", "AP75", "AR", "AR50", "AR75", "AP_easy", "AP_medium", "AP_hard"),
}
JOINT_SETS = {"coco": COCO17, "crowdpose": CROWDPOSE14}


def _check_gt(gt, kind: str, where: str) -> dict:
    """Field-by-field validation and completion (missing ``area`` from the box, ...):
    :func:`hupor.eval.coco_gt.check_coco_gt`."""
    from .coco_gt import check_coco_gt

    return check_coco_gt(gt, kind, where, JOINT_SETS[kind].num_joints)


check_gt = _check_gt  # public name (hupor eval validates the file before matching predictions to it)


def _evaluator(gt: dict, detections: list[dict], kind: str, where: str):
    from faster_coco_eval import COCO, COCOeval_faster

    js = JOINT_SETS[kind]
    for i, d in enumerate(detections):
        if len(d.get("keypoints", ())) != 3 * js.num_joints or not np.isfinite(d["keypoints"]).all():
            raise HuporError(f"detections[{i}]: keypoints must be {3 * js.num_joints} finite numbers")
    G = COCO(gt)
    D = G.loadRes(copy.deepcopy(detections))
    iou = "keypoints" if kind == "coco" else "keypoints_crowd"
    return COCOeval_faster(G, D, iou, kpt_oks_sigmas=list(js.sigmas), use_area=(kind == "coco"),
                           print_function=log.debug)


def oks_matrices(gt: dict, detections: list[dict], kind: str = "coco", where: str = "<gt>") -> dict:
    """OKS of every (detection, GT person) pair per image: {image_id: (D, G) array} (diagnostics)."""
    if kind not in STAT_NAMES:
        raise HuporError(f"unknown keypoint AP protocol {kind!r}; known: coco, crowdpose")
    if not detections:
        return {}
    E = _evaluator(_check_gt(gt, kind, where), detections, kind, where)
    E.evaluate()
    return {int(img): np.asarray(v) for (img, _cat), v in E.ious.items() if len(v)}


def keypoint_ap(gt: dict, detections: list[dict], kind: str = "coco", where: str = "<gt>") -> dict:
    """AP statistics (dict name → value) of ``detections`` (COCO result dicts: ``image_id``,
    ``category_id``, ``keypoints`` [x, y, s] * K, ``score``) against the COCO-style ``gt`` dict.

    No detection at all gives every statistic 0.0 (documented zero; the toolkits refuse an empty list).
    """
    if kind not in STAT_NAMES:
        raise HuporError(f"unknown keypoint AP protocol {kind!r}; known: coco, crowdpose")
    gt = _check_gt(gt, kind, where)
    names = STAT_NAMES[kind]
    if not detections:
        return {n: 0.0 for n in names}
    E = _evaluator(gt, detections, kind, where)
    E.evaluate()
    E.accumulate()
    E.summarize()
    out = {n: float(v) for n, v in zip(names, E.stats)}
    undefined = [n for n, v in out.items() if v == -1.0]
    if undefined:
        log.warning("%s: %s undefined (-1): no ground-truth person in that category / area range",
                    where, ", ".join(undefined))
    return out


def detections_from_predictions(preds, gt: dict, kind: str = "coco") -> tuple[list[dict], list[str]]:
    """hupor :class:`~hupor.eval.predictions.PredImage` list → COCO result dicts for ``gt``'s images
    (matched by file name tail). MPI15 predictions are mapped to the protocol's joints; predictions
    whose skeleton is the protocol's joint set (a 2D plug-in's) are taken as they are. Returns
    (detections, notes)."""
    from .predictions import match_paths

    js = JOINT_SETS[kind]
    images = gt.get("images", []) if isinstance(gt, dict) else []
    pairs, unmatched = match_paths([str(im.get("file_name", "")) for im in images], [p.path for p in preds],
                                   [p.source or p.path for p in preds])
    notes = []
    if preds and not pairs:
        raise HuporError(f"no prediction matches a ground-truth image (prediction {preds[0].path!r}, "
                         f"ground truth {images[0].get('file_name') if images else 'none'!r})")
    if unmatched:
        notes.append(f"{len(unmatched)} prediction images have no ground truth and were ignored")
    dets = []
    for k, g in pairs.items():
        p = preds[k]
        native = p.joint_set == js.name     # a 2D plug-in's output is already in the protocol's joints
        want = js.num_joints if native else 15
        if p.joints_2d.shape[0] and p.joints_2d.shape[1] != want:
            raise HuporError(f"{p.path}: expected {want} {'MPI15 ' if not native else js.name + ' '}joints, "
                             f"got {p.joints_2d.shape[1]}")
        for i in range(p.joints_2d.shape[0]):
            xy = p.joints_2d[i] if native else from_mpi15(p.joints_2d[i], js)
            s = p.joint_scores[i] if native else from_mpi15(p.joint_scores[i][:, None], js)[:, 0]
            ok = np.isfinite(xy).all(-1)
            s = np.where(ok & np.isfinite(s), np.clip(s, 0.0, None), 0.0)
            xy = np.where(ok[:, None], xy, 0.0)
            kp = np.concatenate([xy, s[:, None]], 1).reshape(-1)
            dets.append({"image_id": images[g]["id"], "category_id": 1, "keypoints": kp.tolist(),
                         "score": float(p.scores[i])})
    return dets, notes


def coco_results(preds, kind: str, images: dict | None = None) -> list[dict]:
    """COCO / CrowdPose keypoint results (``image_id``, ``category_id`` 1, ``keypoints`` J × 3,
    ``score``) of :class:`~hupor.eval.predictions.PredImage` s. Image ids come from ``images`` (a COCO
    JSON with an ``images`` list, matched by file name) or else from each file's numeric stem (COCO's
    ``000000397133.jpg`` → 397133), or 1, 2, … in order when a stem is not a number."""
    from pathlib import PurePosixPath

    if images is None:
        ids = []
        for i, p in enumerate(preds, start=1):
            stem = PurePosixPath(str(p.path).replace("\\", "/")).stem
            ids.append(int(stem) if stem.isdigit() else i)
        if len(set(ids)) < len(ids):
            ids = list(range(1, len(preds) + 1))
        images = {"images": [{"id": k, "file_name": str(p.path)} for k, p in zip(ids, preds)]}
    dets, _ = detections_from_predictions(preds, images, kind)
    return dets
