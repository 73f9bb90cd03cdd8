"""A known floor as a second root-depth cue for the image-free lifter (``hupor lift --camera-height
--pitch``).

A body-size depth carries the person's unknown height (the generator's heights spread 7.5 %); a
floor the user knows (a fixed camera's height above the ground and its pitch, roll 0) gives an
independent one: the lifted body with its root on the root's ray, its lowest joint ``foot_mm``
above the floor. The two are combined by their geometric mean (the equal-weight mean of the log
depths, chosen on validation seed 9301: docs/lift.md). The floor in the camera frame (x right, y
down, z forward): the camera is pitched down by ``pitch_deg`` from level, the floor is the level
frame's ``y = camera_height_mm``, so its normal in the camera frame is ``(0, cos p, sin p)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..camera import Intrinsics
from ..errors import HuporError

MIN_RAY = 1e-3
MIN_DEPTH_MM = 300.0


@dataclass(frozen=True)
class Floor:
    """``camera_height_mm`` above the floor, ``pitch_deg`` looking down > 0, ``foot_mm``: the lowest
    joint's height above the floor (an ankle's)."""

    camera_height_mm: float
    pitch_deg: float = 0.0
    foot_mm: float = 70.0

    def __post_init__(self):
        if not np.isfinite(self.camera_height_mm) or self.camera_height_mm <= self.foot_mm:
            raise HuporError(f"--camera-height: must exceed {self.foot_mm:.0f} mm, got {self.camera_height_mm}")
        if not -89.0 < self.pitch_deg < 89.0:
            raise HuporError(f"--pitch: degrees in (-89, 89), got {self.pitch_deg}")

    @property
    def down(self) -> np.ndarray:
        p = np.radians(self.pitch_deg)
        return np.array([0.0, np.cos(p), np.sin(p)])

    def depth(self, rel_mm: np.ndarray, root_uv: np.ndarray, k: Intrinsics, fallback: np.ndarray) -> np.ndarray:
        """(N,) root depths (mm) that put each root-relative body ``rel_mm`` (N, J, 3), its root on
        the ray through ``root_uv`` (N, 2) px, with its lowest joint ``foot_mm`` above the floor;
        ``fallback`` where that ray does not meet the floor in front of the camera."""
        rel = np.nan_to_num(np.asarray(rel_mm, np.float64))
        uv = np.asarray(root_uv, np.float64)
        ray = np.stack([(uv[:, 0] - k.cx) / k.fx, (uv[:, 1] - k.cy) / k.fy, np.ones(len(uv))], -1)
        low = (rel @ self.down).max(1)
        den = ray @ self.down
        z = (self.camera_height_mm - self.foot_mm - low) / np.where(den > MIN_RAY, den, 1.0)
        return np.where((den > MIN_RAY) & (z > MIN_DEPTH_MM), z, fallback)

    def combine(self, size_depth: np.ndarray, rel_mm: np.ndarray, root_uv: np.ndarray, k: Intrinsics) -> np.ndarray:
        """The geometric mean of the body-size depth and the floor depth (the size depth alone where
        the floor gives none)."""
        z = np.asarray(size_depth, np.float64)
        return np.sqrt(z * self.depth(rel_mm, root_uv, k, z))
