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


def relabel_records(records, root=None, lifter=None, body=None, fitter=None) -> tuple[list, dict]:
    """Records → copies whose ``visibility`` and ``cause`` come from :func:`label_people` (records
    with 3D: ``meta.labels`` = ``"ssf-capsule"``, or ``"ssf-capsule+mask"`` when the record's
    ``mask`` (relative to ``root``) was read) or, for records without 3D but with a mask, from
    :func:`hupor.ssf.labels2d.label_people_2d` (``"ssf-2d+mask"``: the input's visibility is read
    only for which joints have a 2D label, v > 0), and counts of what changed. A record with neither
    3D nor a mask is refused. COCO records (``hupor convert coco``) carry per-person polygons in
    ``meta.segmentation``; they stand in for a mask (:func:`polygons_to_ids`). ``body``: an :class:`hupor.ssf.smpl.SMPLBody` to label records with 3D
    by fitted SMPL meshes instead of capsules (``"ssf-smpl"``, ``"ssf-smpl+mask"``). ``fitter``: a
    :class:`hupor.ssf.fit.ShapeFitter` (ShapeInit + ShapeOpt on the record's image) for the bodies of
    records without 3D instead of the lifter (``"ssf-shape+mask"``)."""
    from pathlib import Path

    from .labels2d import default_lifter, label_people_2d

    out, stats = [], {"images": 0, "joints": 0, "changed": 0, "masks": 0, "lifted": 0}
    for k, rec in enumerate(records):
        polygons = (rec.meta or {}).get("segmentation")
        if not rec.has_3d and not rec.mask and not polygons:
            raise HuporError(f"record {k} ({rec.path}): no 3D joints and no instance mask; SSF labels need "
                             "each person's 3D, or 2D joints with the image's instance mask (or COCO polygons)")
        ids = None
        if rec.mask:
            mp = Path(rec.mask)
            ids = read_mask(mp if mp.is_absolute() or root is None else Path(root) / mp)
            stats["masks"] += 1
        elif polygons:
            from ..media import check_size

            check_size(rec.width, rec.height, f"record {k} ({rec.path})")  # the canvas the polygons fill
            ids = polygons_to_ids(polygons, rec.width, rec.height)
            stats["masks"] += 1
        if rec.has_3d and body is not None:
            from .smpl import label_meshes

            vis, cause = label_meshes(list(body.fit(rec.joints_3d)), body.faces, rec.joints_3d, rec.intrinsics,
                                      rec.width, rec.height, face_part=body.face_part, near=body.near)
            if ids is not None:
                uv = rec.intrinsics.project(rec.joints_3d.reshape(-1, 3)).reshape(-1, 15, 2)
                mask_objects(vis, cause, uv, ids, rec.width, rec.height)
            tag = "ssf-smpl+mask" if ids is not None else "ssf-smpl"
        elif rec.has_3d:
            vis, cause = label_people(rec.joints_3d, rec.intrinsics, rec.width, rec.height, ids=ids)
            tag = "ssf-capsule+mask" if ids is not None else "ssf-capsule"
        else:
            pid = np.asarray((rec.meta or {}).get("person_index", range(rec.num_persons))) + 2
            image = None
            if fitter is not None:
                from ..media import read_image

                ip = Path(rec.path)
                image = read_image(ip if ip.is_absolute() or root is None else Path(root) / ip)
            else:
                lifter = default_lifter() if lifter is None else lifter     # loaded once for all records
            vis, cause = label_people_2d(rec.joints_2d, rec.visibility > 0, rec.intrinsics, rec.width, rec.height,
                                         ids, pid, lifter, fitter=fitter, image=image)
            tag = "ssf-shape+mask" if fitter is not None else "ssf-2d+mask"
            stats["lifted"] += 1
        stats["images"] += 1
        stats["joints"] += int(vis.size)
        stats["changed"] += int((vis != rec.visibility).sum())
        out.append(dataclasses.replace(rec, visibility=vis, cause=cause, meta={**(rec.meta or {}), "labels": tag}))
    return out, stats
