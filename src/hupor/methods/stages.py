"""Post-stages on :class:`~hupor.codec.Poses` (``__call__(poses, context) -> poses``, see ``base.py``).

* :class:`RefineStage`: RefineNet (method §9). Detected joints keep their 2D position and are
  re-projected at the refined depth (method §8.11); joints the decoder missed are filled in from the
  refined 3D (``poses.filled``) for people whose root was found.
* :class:`JointStateStage`: per-joint state (``visible`` / ``occluded_inferred`` / ``missing``) from
  the detector's own heatmaps (``context.raw["det_heat"]``), see :func:`joint_states`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..codec import Poses
from ..errors import HuporError
from ..schema import MISSING, OCCLUDED_INFERRED, VISIBLE
from .base import StageContext


def joint_states(det_heat: np.ndarray, joints_net: np.ndarray, detected: np.ndarray,
                 filled: np.ndarray, stride: int, threshold: float, radius: int = 1) -> np.ndarray:
    """Per-joint state codes (N, J) int8 (indices into ``schema.JOINT_STATES``).

    ``det_heat`` (J, h, w) detector heatmaps normalised to [0, 1]; ``joints_net`` (N, J, 2) decoded
    positions in network-input px (NaN where not decoded); ``detected`` (N, J) decoder found the joint;
    ``filled`` (N, J) RefineNet supplied the joint. Evidence = max of ``det_heat[j]`` over the
    ``(2·radius+1)²`` window centred on the output pixel that holds the joint (``hupor.codec.grid``:
    pixel ``c`` is centred at ``x_net = stride·c + (stride − 1)/2``).
    """
    from ..codec.grid import nearest_pixel, net_to_out, window_max

    heat = np.asarray(det_heat, dtype=np.float32)
    xy = np.asarray(joints_net, dtype=np.float64)
    det = np.asarray(detected, dtype=bool)
    n, j = det.shape
    if heat.ndim != 3 or heat.shape[0] != j:
        raise HuporError(f"joint_states: det_heat must be ({j}, h, w), got {heat.shape}")
    h, w = heat.shape[1:]
    px = nearest_pixel(net_to_out(np.where(np.isfinite(xy), xy, 0.0), stride))
    col = np.clip(px[..., 0], 0, w - 1)
    row = np.clip(px[..., 1], 0, h - 1)
    evidence = window_max(heat, np.broadcast_to(np.arange(j), (n, j)), row, col, radius) >= threshold
    state = np.full((n, j), MISSING, dtype=np.int8)
    state[np.asarray(filled, dtype=bool)] = OCCLUDED_INFERRED
    state[det] = OCCLUDED_INFERRED
    state[det & evidence] = VISIBLE
    return state


class RefineStage:
    """RefineNet on every person with a detected root; see the module docstring."""

    def __init__(self, refiner):
        self.refiner = refiner

    def __call__(self, poses: Poses, context: StageContext) -> Poses:
        from ..nets.refinenet import apply_refiner

        n, j = poses.detected.shape
        joints_2d = np.array(poses.joints_2d, dtype=np.float64).reshape(n, j, 2)
        joints_3d = np.array(poses.joints_3d, dtype=np.float64).reshape(n, j, 3)
        detected = np.asarray(poses.detected, dtype=bool)
        filled = np.zeros((n, j), dtype=bool)
        if n:
            xyz = np.where(np.isfinite(joints_3d), joints_3d, 0.0)
            uv = np.where(np.isfinite(poses.joints_net), poses.joints_net, 0.0)
            refined, ok = apply_refiner(self.refiner, uv, xyz, detected)
            refined = np.asarray(refined, dtype=np.float64)
            z = refined[..., 2]
            good = np.asarray(ok, bool)[:, None] & np.isfinite(refined).all(-1) & (z > 1.0)
            upd = good & detected
            joints_3d[upd] = context.intrinsics.backproject(joints_2d[upd], z[upd])
            filled = good & ~detected
            joints_3d[filled] = refined[filled]
            joints_2d[filled] = context.intrinsics.project(refined[filled])
        return dataclasses.replace(poses, joints_2d=joints_2d, joints_3d=joints_3d, filled=filled)


class JointStateStage:
    """Joint states from ``context.raw["det_heat"]`` (J, h, w) in [0, 1] at output ``stride``."""

    def __init__(self, stride: int, threshold: float = 0.2, radius: int = 1):
        if not 0 <= threshold <= 1 or radius < 0:
            raise HuporError("visible_threshold must be in [0, 1] and visible_radius >= 0")
        self.stride, self.threshold, self.radius = int(stride), float(threshold), int(radius)

    def __call__(self, poses: Poses, context: StageContext) -> Poses:
        n, j = poses.detected.shape
        filled = poses.filled if poses.filled is not None else np.zeros((n, j), bool)
        state = joint_states(context.raw["det_heat"], poses.joints_net, poses.detected, filled, self.stride,
                             self.threshold, self.radius)
        return dataclasses.replace(poses, state=state)
