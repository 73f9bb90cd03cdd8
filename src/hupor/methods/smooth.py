"""Temporal smoothing as a post-stage: a One-Euro filter per track (Casiez et al., CHI 2012).

:class:`Smoother` runs after :class:`~hupor.methods.track.Tracker` and filters, per ``track_id``,
the 2D joints (px), the 3D joints (mm) and the root depth (mm). For one signal ``x`` (a joint's 2D or
3D point, or the root depth) sampled ``dt`` seconds apart::

    a(fc)  = 1 / (1 + 1 / (2π · fc · dt))                 # smoothing factor of cut-off fc (Hz)
    dx     = a(d_cutoff) · (x − x̂_prev) / dt + (1 − a(d_cutoff)) · dx_prev     # speed, unit / s
    fc     = min_cutoff + beta · |dx|                      # |dx|: norm of the point's speed
    x̂      = a(fc) · x + (1 − a(fc)) · x̂_prev

``min_cutoff`` (Hz): the cut-off at rest (lower: less jitter, more lag); ``beta`` (1 / unit: per px
for 2D, per mm for 3D and depth): how fast the cut-off rises with speed (higher: less lag when
moving); ``d_cutoff`` (Hz): cut-off of the speed estimate. ``dt = (frame − last frame) / fps`` with
the video's frame rate (``StageContext.fps``; ``default_fps`` when unknown, e.g. a webcam), so the
same parameters behave the same at any frame rate.

Missing joints are never filled: a joint missing in a frame stays missing (NaN) and its filter state
is **reset**, so when it comes back it starts again from its raw value (no lag from stale history).
The same holds for a whole track unseen for more than ``max_gap`` frames. People without a track id
(−1) pass unchanged. ``joints_net`` is not filtered (nothing after the post-stages reads it).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..codec import Poses
from ..errors import HuporError
from .base import StageContext


@dataclass(frozen=True)
class OneEuro:
    """One-Euro parameters: ``min_cutoff`` Hz, ``beta`` per unit of the signal (px or mm), ``d_cutoff`` Hz."""

    min_cutoff: float = 1.0
    beta: float = 0.0
    d_cutoff: float = 1.0

    def __post_init__(self):
        if not (self.min_cutoff > 0 and self.d_cutoff > 0 and self.beta >= 0):
            raise HuporError(f"One-Euro filter: need min_cutoff > 0, d_cutoff > 0, beta >= 0, got {self}")


def _alpha(cutoff, dt: float):
    return 1.0 / (1.0 + 1.0 / (2.0 * math.pi * np.asarray(cutoff) * dt))


class OneEuroFilter:
    """One-Euro filter of K points of dimension D at once; NaN inputs reset those points."""

    def __init__(self, params: OneEuro):
        self.p = params
        self.x: np.ndarray | None = None  # (K, D) filtered; NaN where no state
        self.dx: np.ndarray | None = None  # (K, D) speed, unit / s

    def __call__(self, x: np.ndarray, dt: float) -> np.ndarray:
        """Filter ``x`` (K, D) sampled ``dt`` s after the previous call; returns (K, D)."""
        x = np.asarray(x, dtype=np.float64)
        ok = np.isfinite(x).all(-1)
        if self.x is None or self.x.shape != x.shape:
            self.x, self.dx = np.full(x.shape, np.nan), np.zeros(x.shape)
        fresh = ok & ~np.isfinite(self.x).all(-1)
        out = np.where(ok[:, None], x, np.nan)
        go = ok & ~fresh
        if go.any():
            ad = _alpha(self.p.d_cutoff, dt)
            dx = ad * (x[go] - self.x[go]) / dt + (1 - ad) * self.dx[go]
            a = _alpha(self.p.min_cutoff + self.p.beta * np.linalg.norm(dx, axis=-1), dt)[:, None]
            out[go] = a * x[go] + (1 - a) * self.x[go]
            self.dx[go] = dx
        self.dx[~go] = 0.0  # missing (reset) or fresh: no speed yet
        self.x = out.copy()
        return out


class Smoother:
    """One-Euro smoothing per track of 2D joints (``joints_2d``), 3D joints (``joints_3d``) and root depth.

    Defaults (chosen for walking people, about 1 m/s, docs/video.md): 2D ``OneEuro(1.0, 0.04)``
    (beta per px), 3D and depth ``OneEuro(1.0, 0.005)`` (beta per mm)."""

    def __init__(self, params_2d: OneEuro = OneEuro(1.0, 0.04), params_3d: OneEuro = OneEuro(1.0, 0.005),
                 params_root: OneEuro = OneEuro(1.0, 0.005), default_fps: float = 30.0, max_gap: int = 30):
        if not default_fps > 0 or max_gap < 0:
            raise HuporError("Smoother: need default_fps > 0 and max_gap >= 0")
        self.params = (params_2d, params_3d, params_root)
        self.default_fps, self.max_gap = float(default_fps), int(max_gap)
        self.reset()

    def reset(self) -> None:
        """Forget every track's filter state."""
        self.state: dict[int, tuple[int, list[OneEuroFilter]]] = {}
        self.frame: int | None = None

    def __call__(self, poses: Poses, context: StageContext) -> Poses:
        if poses.track_id is None:
            raise HuporError("Smoother needs track ids: run a Tracker stage before it")
        frame = (0 if self.frame is None else self.frame + 1) if context.frame is None else int(context.frame)
        if self.frame is not None and frame <= self.frame:
            self.reset()
        self.frame = frame
        fps = float(context.fps) if context.fps and context.fps > 0 else self.default_fps
        n, j = poses.detected.shape
        j2 = np.array(poses.joints_2d, dtype=np.float64).reshape(n, j, 2)
        j3 = np.array(poses.joints_3d, dtype=np.float64).reshape(n, j, 3)
        root = np.array(poses.root_depth_mm, dtype=np.float64).reshape(n)
        valid = np.isfinite(j2).all(-1) & np.isfinite(j3).all(-1)
        if poses.state is not None:
            from ..schema import MISSING

            valid &= np.asarray(poses.state) != MISSING
        for p, tid in enumerate(np.asarray(poses.track_id).reshape(n)):
            if tid < 0:
                continue
            last, filters = self.state.get(int(tid), (None, None))
            if filters is None or frame - last > self.max_gap:
                filters = [OneEuroFilter(prm) for prm in self.params]
                last = frame - 1
            dt = (frame - last) / fps
            m = valid[p][:, None]
            j2[p] = np.where(m, filters[0](np.where(m, j2[p], np.nan), dt), j2[p])
            j3[p] = np.where(m, filters[1](np.where(m, j3[p], np.nan), dt), j3[p])
            if np.isfinite(root[p]):
                root[p] = filters[2](root[p].reshape(1, 1), dt)[0, 0]
            self.state[int(tid)] = (frame, filters)
        self.state = {k: v for k, v in self.state.items() if frame - v[0] <= self.max_gap}
        return dataclasses.replace(poses, joints_2d=j2, joints_3d=j3, root_depth_mm=root)
