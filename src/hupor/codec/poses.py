"""Decoded people: :class:`Poses` (the decoder's output)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Poses:
    """N people sorted near → far (by ``root_depth_mm``).

    Joints that were not detected are NaN in ``joints_net`` / ``joints_2d`` / ``joints_3d``, with
    ``scores`` 0 and ``detected`` False. Every detected joint has finite 2D and 3D coordinates.
    """

    joints_net: np.ndarray  # (N, J, 2) network-input px
    joints_2d: np.ndarray  # (N, J, 2) original image px
    joints_3d: np.ndarray  # (N, J, 3) mm, camera frame
    scores: np.ndarray  # (N, J) heatmap confidence in [0, 1]; 0 where not detected
    detected: np.ndarray  # (N, J) bool
    root_depth_mm: np.ndarray  # (N,) absolute root (pelvis) depth, mm
    person_scores: np.ndarray  # (N,) mean joint score over all J joints (missing joints count 0)
    # set by the post-stages (hupor.methods.stages), None before them:
    filled: np.ndarray | None = field(default=None)  # (N, J) bool: supplied by RefineNet, not decoded
    state: np.ndarray | None = field(default=None)  # (N, J) int8 indices into schema.JOINT_STATES
    track_id: np.ndarray | None = field(default=None)  # (N,) int64 persistent id (methods.track); -1: none
    dims: int = 3  # 2: a 2D-only method (joints_3d and root_depth_mm NaN; sorted by score instead)

    def __len__(self) -> int:
        return int(self.joints_net.shape[0])

    @classmethod
    def empty(cls, num_joints: int) -> "Poses":
        """No people: arrays with N = 0 and the right trailing shapes."""
        j = num_joints
        return cls(np.zeros((0, j, 2)), np.zeros((0, j, 2)), np.zeros((0, j, 3)),
                   np.zeros((0, j), np.float32), np.zeros((0, j), bool), np.zeros(0), np.zeros(0))
