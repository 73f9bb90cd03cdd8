"""RefineNet training pairs from the trained pipeline (method §9).

Run detector (+ DSED) + ``Codec.decode`` over records with images, match each decoded person to a
ground-truth person by pelvis 2D distance (greedy, nearest first, below ``max_dist_net`` network-input
px), and keep ``features`` = :func:`hupor.nets.refine_features` of the prediction (N, J, 5) and
``target`` = ground-truth 3D relative to its root, in **cm** (N, J, 3). Saved as ``.npz`` (no pickle),
with the matched ground truth's 2D (network-input px), visibility and root (cm), from which
:func:`hupor.lift.noise.calibrate` measures the pipeline's errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..camera import Letterbox
from ..codec import Poses
from ..errors import HuporError
from ..fileio import write_atomic
from ..match import match
from ..nets import refine_features
from ..records import ImageRecord, RecordSet

MM_PER_CM = 10.0


@dataclass
class Pairs:
    """features (N, J, 5) float32; target (N, J, 3) float32 root-relative cm; image (N,) int64 index of
    the source image; match_dist (N,) float32 pelvis distance (network-input px); gt_net (N, J, 2)
    float32 the ground truth's 2D in network-input px; visibility (N, J) int8 (0/1/2); gt_root_cm
    (N, 3) float32 the ground-truth root, camera frame, cm."""

    features: np.ndarray
    target: np.ndarray
    image: np.ndarray
    match_dist: np.ndarray
    gt_net: np.ndarray | None = None
    visibility: np.ndarray | None = None
    gt_root_cm: np.ndarray | None = None
    num_images: int = 0
    num_gt: int = 0
    num_pred: int = 0
    stats: dict = field(default_factory=dict)


def match_people(pred: Poses, rec: ImageRecord, root: int, scale: float, max_dist_net: float
                 ) -> list[tuple[int, int, float]]:
    """Greedy nearest-first matching (:func:`hupor.match.match`, ``nearest``) of predicted to ground-truth
    roots: (pred index, GT index, distance in network-input px), nearest first, distance < ``max_dist_net``.
    Predictions need a detected root, ground truth a labelled root (v ≥ 1)."""
    p_ok = np.flatnonzero(pred.detected[:, root]) if len(pred.joints_2d) else np.zeros(0, int)
    g_ok = np.flatnonzero(rec.visibility[:, root] >= 1)
    if p_ok.size == 0 or g_ok.size == 0:
        return []
    d = np.linalg.norm(pred.joints_2d[p_ok, root][:, None] - rec.joints_2d[g_ok, root][None], axis=-1) * scale
    rows, cols = match(d, "nearest", max_cost=max_dist_net)
    return [(int(p_ok[i]), int(g_ok[j]), float(d[i, j])) for i, j in zip(rows, cols)]


def make_pairs(method, records: RecordSet, max_dist_net: float | None = None, progress: bool = True) -> Pairs:
    """Pairs over all records with 3D ground truth (images read with OpenCV).

    ``method``: any :mod:`hupor.methods` method (normally ``HuporMethod`` of a detector + reasoner
    bundle, optionally with flip test); it gets the record as ground truth too (the oracle reads it).
    Only ``method.decode`` runs, no post-stage (the pairs are RefineNet's input)."""
    from ..media import read_image
    from tqdm import tqdm

    cp = method.codec_params
    root = method.skeleton.root
    if max_dist_net is None:
        max_dist_net = 30.0 * cp.net_w / 832.0
    feats, targets, images, dists, gt_net, gt_vis, gt_root = [], [], [], [], [], [], []
    n_gt = n_pred = n_img = 0
    for i, rec in enumerate(tqdm(records.records, desc="pairs", unit="img", disable=not progress)):
        if not rec.has_3d or rec.num_persons == 0:
            continue
        path = records.image_path(rec)
        image = read_image(path)  # header size and PNG chunks checked before decoding
        lb = Letterbox.fit(image.shape[1], image.shape[0], cp.net_w, cp.net_h)
        raw = method.infer(lb.apply(image)[None], [rec])[0]
        poses = method.decode(raw, lb, rec.intrinsics)
        n_img += 1
        n_gt += int((rec.visibility[:, root] >= 1).sum())
        n_pred += len(poses.joints_2d)
        for p, g, dist in match_people(poses, rec, root, lb.scale, max_dist_net):
            f = refine_features(poses.joints_net[p:p + 1], poses.joints_3d[p:p + 1] / MM_PER_CM,
                                poses.detected[p:p + 1], root)
            gt = rec.joints_3d[g]
            feats.append(f[0])
            targets.append(((gt - gt[root]) / MM_PER_CM).astype(np.float32))
            images.append(i)
            dists.append(dist)
            gt_net.append(lb.to_net(rec.joints_2d[g]).astype(np.float32))
            gt_vis.append(rec.visibility[g])
            gt_root.append((gt[root] / MM_PER_CM).astype(np.float32))
    j = method.skeleton.num_joints
    pairs = Pairs(np.asarray(feats, np.float32).reshape(-1, j, 5), np.asarray(targets, np.float32).reshape(-1, j, 3),
                  np.asarray(images, np.int64), np.asarray(dists, np.float32),
                  np.asarray(gt_net, np.float32).reshape(-1, j, 2), np.asarray(gt_vis, np.int8).reshape(-1, j),
                  np.asarray(gt_root, np.float32).reshape(-1, 3), n_img, n_gt, n_pred)
    pairs.stats = pair_stats(pairs, root)
    return pairs


def pair_stats(pairs: Pairs, root: int) -> dict:
    """Root-relative MPJPE (cm) of the unrefined predictions on the matched pairs (detected joints)."""
    if len(pairs.features) == 0:
        return {"pairs": 0}
    pred_rel = pairs.features[..., 2:5].copy()
    pred_rel[:, root] = 0.0
    det = np.any(pairs.features != 0, axis=-1)
    det[:, root] = False
    err = np.linalg.norm(pred_rel - pairs.target, axis=-1)
    return {"pairs": int(len(pairs.features)), "mpjpe_cm_unrefined": float(err[det].mean()) if det.any() else None}


def save_pairs(path, pairs: Pairs):
    """Write pairs as ``.npz`` atomically (arrays only)."""
    def writer(p):
        with open(p, "wb") as f:
            extra = {k: getattr(pairs, k) for k in ("gt_net", "visibility", "gt_root_cm")
                     if getattr(pairs, k) is not None}
            np.savez(f, features=pairs.features, target=pairs.target, image=pairs.image,
                     match_dist=pairs.match_dist, **extra)
    return write_atomic(path, writer)
