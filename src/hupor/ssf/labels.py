"""Occlusion labels from 3D people: every person's capsule body in one scene, the generator's rule.

``label_people`` builds the capsule bodies (:func:`.capsule.capsule_points`) of all people of an
image, puts them in one :class:`hupor.data.synth.scene.Scene` (no occluders: object occlusion needs
masks, which SSF takes as an input and this step does not read yet) and labels each joint with
:func:`hupor.data.synth.occlusion.label_joints`: v = 2 visible, 1 occluded (cause ``person`` or
``self``), 0 outside the image or behind the camera (``truncated``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..camera import Intrinsics
from ..data.synth.body import Primitives, person_capsules
from ..data.synth.occlusion import label_joints
from ..data.synth.scene import Scene, SceneConfig
from ..errors import HuporError
from .capsule import capsule_points


def label_people(joints_3d: np.ndarray, intrinsics: Intrinsics, width: int, height: int,
                 rule: SceneConfig = SceneConfig()) -> tuple[np.ndarray, np.ndarray]:
    """``joints_3d`` (N, 15, 3) mm camera frame → ``visibility`` (N, 15) int8 and cause codes (N, 15)
    int8 (``hupor.records.CAUSE_CODE``). ``rule``: the label settings (``label_radius_px``,
    ``visible_margin_mm``, ``self_margin_mm``) of :class:`SceneConfig`."""
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
    vis, cause, _ = label_joints(scene, dataclasses.replace(rule, width=int(width), height=int(height)))
    return vis, cause


def relabel_records(records) -> tuple[list, dict]:
    """Records with 3D joints → copies whose ``visibility`` and ``cause`` come from
    :func:`label_people` (``meta.labels = "ssf-capsule"``), and counts of what changed. Records
    without 3D are refused (the label needs the people's 3D)."""
    out, stats = [], {"images": 0, "joints": 0, "changed": 0}
    for k, rec in enumerate(records):
        if not rec.has_3d:
            raise HuporError(f"record {k} ({rec.path}): no 3D joints; SSF labels need each person's 3D")
        vis, cause = label_people(rec.joints_3d, rec.intrinsics, rec.width, rec.height)
        stats["images"] += 1
        stats["joints"] += int(vis.size)
        stats["changed"] += int((vis != rec.visibility).sum())
        out.append(dataclasses.replace(rec, visibility=vis, cause=cause, meta={**(rec.meta or {}), "labels": "ssf-capsule"}))
    return out, stats
