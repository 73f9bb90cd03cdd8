"""Synthetic RefineNet / lifter pairs: motion-capture skeleton scenes through :class:`DetectionNoise`.

``synthetic_pairs(noise, scenes, net_w, net_h)`` walks :class:`hupor.data.synth.SkeletonScenes` (no
rendering: occlusion labels come from the analytic ray casts), letterboxes each scene into the
network input and simulates the pipeline's output for every person whose root is in the frame. The
result is a :class:`hupor.train.refiner_data.Pairs` and is saved in the same ``.npz`` format as the
real pairs of ``hupor train pairs``, so ``hupor train refiner`` takes either (``data.mix_pairs``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..camera import Letterbox
from ..records import ImageRecord
from ..train.refiner_data import Pairs, pair_stats
from .noise import DetectionNoise, simulate


def record_pairs(noise: DetectionNoise, rec: ImageRecord, net_w: int, net_h: int, root: int,
                 rng: np.random.Generator, hint_channel: bool = False) -> tuple[np.ndarray, ...]:
    """Simulated pairs of one record's people with the root in frame: (features, target, gt_net,
    visibility, gt_root_cm); ``hint_channel``: features with the hint channel (:func:`simulate`)."""
    keep = (rec.visibility[:, root] >= 1) & (rec.joints_3d[:, root, 2] > 0)
    j = rec.num_joints
    if not keep.any():
        return (np.zeros((0, j, 6 if hint_channel else 5), np.float32), np.zeros((0, j, 3), np.float32),
                np.zeros((0, j, 2), np.float32), np.zeros((0, j), np.int8), np.zeros((0, 3), np.float32))
    lb = Letterbox.fit(rec.width, rec.height, net_w, net_h)
    k = rec.intrinsics
    gt_net = lb.to_net(rec.joints_2d[keep])
    f_net = (k.fx * lb.scale, k.fy * lb.scale)
    c_net = (k.cx * lb.scale + lb.pad_x, k.cy * lb.scale + lb.pad_y)
    from ..skeleton import MPI15

    feats, target, _ = simulate(noise, gt_net, rec.joints_3d[keep], rec.visibility[keep], f_net, c_net, root, rng,
                                hint_channel, MPI15.flip if j == MPI15.num_joints else None)
    return (feats, target, gt_net.astype(np.float32), rec.visibility[keep].astype(np.int8),
            (rec.joints_3d[keep, root] / 10.0).astype(np.float32))


def synthetic_pairs(noise: DetectionNoise, records: Sequence[ImageRecord], net_w: int, net_h: int, root: int,
                    seed: int = 0, progress: bool = False, hint_channel: bool = False) -> Pairs:
    """Pairs for every person (root in frame) of ``records`` (e.g. ``SkeletonScenes``); one noise draw
    per person from ``numpy.random.default_rng(seed)``; ``hint_channel`` as :func:`record_pairs`."""
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    parts = [[] for _ in range(6)]
    for i, rec in enumerate(tqdm(records, desc="synthetic pairs", unit="scene", disable=not progress)):
        out = record_pairs(noise, rec, net_w, net_h, root, rng, hint_channel)
        for lst, arr in zip(parts, out):
            lst.append(arr)
        parts[5].append(np.full(len(out[0]), i, np.int64))
    feats, target, gt_net, vis, root_cm, image = (np.concatenate(p) for p in parts)
    pairs = Pairs(feats, target, image, np.zeros(len(feats), np.float32), gt_net, vis, root_cm,
                  num_images=len(records), num_gt=len(feats), num_pred=len(feats))
    pairs.stats = pair_stats(pairs, root)
    return pairs
