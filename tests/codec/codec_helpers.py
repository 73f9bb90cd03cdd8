"""Shared helpers for the codec tests (imports the scene generator from benchmarks/_scenes.py)."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from _scenes import Scene, gt_root_depth_maps, random_person, random_scene  # noqa: E402

from hupor.camera import Intrinsics, Letterbox  # noqa: E402
from hupor.skeleton import MPI15  # noqa: E402

K = Intrinsics(1500.0, 1500.0, 960.0, 540.0)
LB = Letterbox.fit(1920, 1080, 832, 512)
F_NET = K.fx * LB.scale


def flip_scene(sc: Scene) -> Scene:
    """Mirror a scene like a flipped image array: x → net_w − 1 − x, X → −X, left/right swapped."""
    f = np.asarray(MPI15.flip)
    j2 = sc.joints_net[:, f].copy()
    j2[..., 0] = sc.net_w - 1 - j2[..., 0]
    j3 = sc.joints_3d[:, f].copy()
    j3[..., 0] *= -1
    return Scene(j2, j3, sc.visibility[:, f].copy(), sc.focal_net, sc.net_w, sc.net_h)


def single_person(z_mm=4000.0, u=416.0, yaw=0.3, seed=0) -> Scene:
    rng = np.random.default_rng(seed)
    p = random_person(rng)
    c, s = np.cos(yaw), np.sin(yaw)
    p = p @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]]).T
    p[:, 2] += z_mm
    p[:, 0] += (u - 416.0) * z_mm / F_NET
    uv = np.stack([F_NET * p[:, 0] / p[:, 2] + 416.0, F_NET * p[:, 1] / p[:, 2] + 256.0], -1)
    return Scene(uv[None], p[None], np.full((1, 15), 2), F_NET, 832, 512)


__all__ = ["K", "LB", "F_NET", "Scene", "flip_scene", "gt_root_depth_maps", "random_scene",
           "single_person"]
