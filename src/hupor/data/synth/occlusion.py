"""Occlusion labels from the scene geometry (the rule is documented in docs/synth.md).

For every joint a few rays are cast from the camera: through its projection and, when
``label_radius_px > 0``, through four points ``label_radius_px`` to its left, right, top and bottom.
Each ray finds the front-most surface of the scene's capsules and boxes (the renderer's geometry):

* *visible vote*: the surface belongs to the joint's person and lies at most ``visible_margin_mm``
  in front of the joint when it is a body part next to the joint (:data:`.body.JOINT_PARTS`), or
  at most ``self_margin_mm`` for any other own part (a part the joint touches, e.g. an elbow
  resting against the torso);
* *occluded vote* (the surface lies in front of the joint, ``Z_hit < Z_joint``): cause ``person``
  (another person), ``object`` (an occluder) or ``self`` (an own part beyond those margins);
* no vote (the ray passes beside the joint and hits something behind it, or nothing).

A joint is visible (v = 2) unless occluded votes outnumber or tie visible ones, then v = 1 with the
most frequent cause (ties: person, object, self). Joints whose projection lies outside
``[0, W-1] x [0, H-1]`` or closer than 50 mm get v = 0 with cause ``truncated``.
"""

from __future__ import annotations

import numpy as np

from ...records import CAUSE_CODE, ImageRecord
from .body import JOINT_PARTS, capsule_bounds, ray_box, ray_capsule
from .scene import Scene, SceneConfig

NEAR_MM = 50.0
_ORDER = ("person", "object", "self")


def ray_offsets(radius_px: float) -> np.ndarray:
    """(S, 2) pixel offsets of the rays cast per joint."""
    if radius_px <= 0:
        return np.zeros((1, 2))
    r = float(radius_px)
    return np.array([[0.0, 0.0], [r, 0.0], [-r, 0.0], [0.0, r], [0.0, -r]])


def front_hits(scene: Scene, uv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Front-most surface along the rays through pixels ``uv`` (R, 2).

    Returns depth (R,) mm (inf: nothing hit), owner (R,) person index, -2 for an occluder, -1 for
    nothing, and part (R,) body part index (-1 for occluders and misses).
    """
    K, pr = scene.intrinsics, scene.prims
    n_r = uv.shape[0]
    d = np.stack([(uv[:, 0] - K.cx) / K.fx, (uv[:, 1] - K.cy) / K.fy, np.ones(n_r)], axis=1)
    n_c, n_b = pr.num_capsules, pr.num_boxes
    T = np.full((n_r, n_c + n_b), np.inf)
    if n_c:
        bb = capsule_bounds(pr.a, pr.b, pr.radius, K.fx, K.fy, K.cx, K.cy, NEAR_MM)
        u, v = uv[:, 0:1], uv[:, 1:2]
        cand = (u >= bb[:, 0]) & (u <= bb[:, 2]) & (v >= bb[:, 1]) & (v <= bb[:, 3])
        ri, ci = np.nonzero(cand)
        T[ri, ci] = ray_capsule(d[ri], pr.a[ci], pr.b[ci], pr.radius[ci])
    if n_b:
        tb, _ = ray_box(d[:, None, :], pr.box_centre[None], pr.box_axes[None], pr.box_half[None])
        T[:, n_c:] = tb
    if T.shape[1] == 0:
        return np.full(n_r, np.inf), np.full(n_r, -1), np.full(n_r, -1)
    k = np.argmin(T, axis=1)
    depth = T[np.arange(n_r), k]
    miss = ~np.isfinite(depth)
    owner = np.where(miss, -1, np.concatenate([pr.owner, np.full(n_b, -2)])[k])
    part = np.where(miss, -1, np.concatenate([pr.part, np.full(n_b, -1)])[k])
    return depth, owner.astype(np.int64), part.astype(np.int64)


def label_joints(scene: Scene, cfg: SceneConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Visibility (N, 15) int8, cause codes (N, 15) int8 and 2D joints (N, 15, 2) px of a scene."""
    K = scene.intrinsics
    j3 = scene.joints_3d
    n = j3.shape[0]
    uv = K.project(j3) if n else np.zeros((0, 15, 2))
    W, H = scene.width, scene.height
    inside = ((j3[..., 2] > NEAR_MM) & (uv[..., 0] >= 0) & (uv[..., 0] <= W - 1)
              & (uv[..., 1] >= 0) & (uv[..., 1] <= H - 1))
    vis = np.zeros((n, 15), dtype=np.int8)
    cause = np.full((n, 15), CAUSE_CODE["truncated"], dtype=np.int8)
    pi, ji = np.nonzero(inside)
    if pi.size == 0:
        return vis, cause, uv
    offs = ray_offsets(cfg.label_radius_px)
    s = offs.shape[0]
    rays = (uv[pi, ji][:, None, :] + offs[None]).reshape(-1, 2)
    depth, owner, part = front_hits(scene, rays)
    depth, owner, part = depth.reshape(-1, s), owner.reshape(-1, s), part.reshape(-1, s)
    zj = j3[pi, ji, 2][:, None]
    own = owner == pi[:, None]
    near_part = JOINT_PARTS[ji[:, None], np.maximum(part, 0)] & (part >= 0)
    v_vis = own & (depth >= zj - np.where(near_part, cfg.visible_margin_mm, cfg.self_margin_mm))
    front = depth < zj
    votes = np.stack([front & (owner >= 0) & ~own, front & (owner == -2), front & own & ~v_vis], axis=-1)
    n_occ = votes.sum(axis=(1, 2))
    n_vis = v_vis.sum(axis=1)
    visible = (n_occ == 0) | (n_vis > n_occ)
    which = np.argmax(votes.sum(axis=1), axis=1)
    codes = np.array([CAUSE_CODE[c] for c in _ORDER], dtype=np.int8)
    vis[pi, ji] = np.where(visible, 2, 1)
    cause[pi, ji] = np.where(visible, CAUSE_CODE["none"], codes[which])
    return vis, cause, uv


def scene_record(scene: Scene, cfg: SceneConfig, path: str) -> ImageRecord:
    """The canonical record of a scene: people with at least one joint inside the image, their 2D
    joints (px), 3D joints (mm, camera frame), visibility and occlusion causes."""
    vis, cause, uv = label_joints(scene, cfg)
    keep = (vis > 0).any(axis=1)
    meta = dict(scene.meta)
    meta["person_index"] = np.flatnonzero(keep).tolist()
    if cfg.h36m_joints and keep.sum() == 1:
        from .h36m import h36m17

        meta["h36m17_3d_mm"] = np.round(h36m17(scene.points[keep], scene.scale[keep])[0], 4).tolist()
    return ImageRecord(path, scene.width, scene.height, scene.intrinsics, uv[keep],
                       scene.joints_3d[keep], vis[keep], cause[keep], True, meta)
