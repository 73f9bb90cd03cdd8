"""Occlusion labels from 3D people: every person's capsule body in one scene, the generator's rule.

``label_people`` builds the capsule bodies (:func:`.capsule.capsule_points`) of all people of an
image, puts them in one :class:`hupor.data.synth.scene.Scene` and labels each joint with
:func:`hupor.data.synth.occlusion.label_joints`: v = 2 visible, 1 occluded (cause ``person`` or
``self``), 0 outside the image or behind the camera (``truncated``). Objects are not in the scene:
with an instance-id mask (``ids``: 0 background, 1 occluder, 2+ people; the record's ``mask``) a
joint whose neighbourhood (the label rule's 5 ray pixels) shows the occluder at a majority of its
pixels is occluded with cause ``object`` (the mask holds the front-most surface).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..camera import Intrinsics
from ..data.synth.body import Primitives, person_capsules
from ..data.synth.occlusion import label_joints, ray_offsets
from ..data.synth.scene import Scene, SceneConfig
from ..errors import HuporError
from ..records import CAUSE_CODE
from .capsule import capsule_points

OCCLUDER_ID = 1  # instance-id masks: 0 background, 1 occluder, 2 + person


def label_people(joints_3d: np.ndarray, intrinsics: Intrinsics, width: int, height: int,
                 rule: SceneConfig = SceneConfig(), ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``joints_3d`` (N, 15, 3) mm camera frame → ``visibility`` (N, 15) int8 and cause codes (N, 15)
    int8 (``hupor.records.CAUSE_CODE``). ``rule``: the label settings (``label_radius_px``,
    ``visible_margin_mm``, ``self_margin_mm``) of :class:`SceneConfig`; ``ids``: optional (H, W)
    instance-id mask (see the module docstring)."""
    j = np.asarray(joints_3d, np.float64).reshape(-1, 15, 3)
    n = len(j)
    if n == 0:
        return np.zeros((0, 15), np.int8), np.zeros((0, 15), np.int8)
    pts, scale = capsule_points(j)
    a, b, r = person_capsules(pts, scale)
    parts = a.shape[1]
    prims = Primitives(a=a.reshape(-1, 3), b=b.reshape(-1, 3), radius=r.reshape(-1),
                       owner=np.repeat(np.arange(n), parts).astype(np.int64),
                       part=np.tile(np.arange(parts), n).astype(np.int64), colour=np.zeros((n * parts, 3)),
                       box_centre=np.zeros((0, 3)), box_axes=np.zeros((0, 3, 3)), box_half=np.zeros((0, 3)),
                       box_colour=np.zeros((0, 3)))
    scene = Scene(int(width), int(height), intrinsics, np.eye(3), 0.0, pts, scale, prims, {})
    vis, cause, uv = label_joints(scene, dataclasses.replace(rule, width=int(width), height=int(height)))
    if ids is not None:
        mask_objects(vis, cause, uv, ids, width, height, rule)
    return vis, cause


def mask_objects(vis, cause, uv, ids, width: int, height: int, rule: SceneConfig = SceneConfig()) -> None:
    """In place: joints labelled inside the image (``vis > 0``) whose ray pixels around ``uv`` (N, 15, 2)
    show the occluder (id 1) of the instance mask ``ids`` at a majority → occluded, cause ``object``."""
    ids = np.asarray(ids)
    if ids.shape != (int(height), int(width)):
        raise HuporError(f"instance mask: shape {ids.shape} differs from the image's {height}x{width}")
    p, jj = np.nonzero(vis > 0)
    pix = np.rint(uv[p, jj][:, None, :] + ray_offsets(rule.label_radius_px)[None]).astype(int)
    x = np.clip(pix[..., 0], 0, int(width) - 1)
    y = np.clip(pix[..., 1], 0, int(height) - 1)
    hidden = (ids[y, x] == OCCLUDER_ID).sum(1) * 2 > pix.shape[1]
    vis[p[hidden], jj[hidden]] = 1
    cause[p[hidden], jj[hidden]] = CAUSE_CODE["object"]


def polygons_to_ids(polygons, width: int, height: int) -> np.ndarray:
    """Per-person COCO polygons (``meta.segmentation``: per person a list of [x, y, ...] px) → an
    instance-id mask (H, W): 0 background, 2 + p person p (COCO outlines the visible part of each
    person, so the polygons rarely overlap; where they do, the later person wins; no occluder id)."""
    import cv2

    ids = np.zeros((int(height), int(width)), np.int32)
    for p, polys in enumerate(polygons):
        for poly in polys or []:
            pts = np.round(np.asarray(poly, np.float64).reshape(-1, 2)).astype(np.int32)
            cv2.fillPoly(ids, [pts], int(p + 2))
    return ids.astype(np.int64)


def read_mask(path) -> np.ndarray:
    """An instance-id PNG (uint16 or uint8) as an int array (:func:`hupor.media.read_mask`: the image
    header and chunk checks, lossless formats only); errors name the file."""
    from ..media import read_mask as _read

    return _read(path)
