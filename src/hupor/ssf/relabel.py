"""Relabel a record set with SSF occlusion labels: records with 3D through :mod:`.labels` (the
generator's rule on every person's body), records with 2D joints and an instance mask (or COCO
polygons) through :mod:`.labels2d` (``hupor ssf``, docs/ssf.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..errors import HuporError
from .labels import label_people, mask_objects, polygons_to_ids, read_mask
from .labels2d import default_lifter, label_people_2d


def relabel_records(records, root=None, lifter=None, body=None, fitter=None) -> tuple[list, dict]:
    """Records → copies whose ``visibility`` and ``cause`` come from :func:`hupor.ssf.labels.label_people`
    (records with 3D: ``meta.labels`` = ``"ssf-capsule"``, or ``"ssf-capsule+mask"`` when the record's
    ``mask`` (relative to ``root``) was read) or, for records without 3D but with a mask, from
    :func:`hupor.ssf.labels2d.label_people_2d` (``"ssf-2d+mask"``: the input's visibility is read
    only for which joints have a 2D label, v > 0), and counts of what changed. A record with neither
    3D nor a mask is refused. COCO records (``hupor convert coco``) carry per-person polygons in
    ``meta.segmentation``; they stand in for a mask (:func:`hupor.ssf.labels.polygons_to_ids`). ``body``: an
    :class:`hupor.ssf.smpl.SMPLBody` to label records with 3D by fitted SMPL meshes instead of capsules (``"ssf-smpl"``, ``"ssf-smpl+mask"``). ``fitter``: a
    :class:`hupor.ssf.fit.ShapeFitter` (ShapeInit + ShapeOpt on the record's image) for the bodies of
    records without 3D instead of the lifter (``"ssf-shape+mask"``)."""
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
