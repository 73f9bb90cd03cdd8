"""COCO / CrowdPose keypoint json → canonical 2D-only records (SMAP ``create_annot.py`` rules).

COCO: crowd annotations and people with ``num_keypoints < min_keypoints`` (3) are dropped, then images
left without people; COCO-17 → MPI15 with the neck and pelvis synthesised (``skeleton.to_mpi15``:
pelvis = mid-hip, neck = mid-shoulder + 0.185 (mid-shoulder − mid-hip)); head_top unlabelled (v = 0).
CrowdPose: the same with its 14 joints (head → head_top, neck → neck, pelvis = mid-hip); its file's
``num_keypoints`` counts the 12 body joints only and is used as is (data-and-eval.md §3.4).
Intrinsics: fx = fy = W, principal point at the centre (SMAP convention). ``meta`` keeps ``image_id``
(and ``crowdIndex`` for CrowdPose) so evaluation can go back to the official json.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ...camera import Intrinsics
from ...errors import HuporError
from ...fileio import read_json
from ...records import ImageRecord, RecordSet
from ...skeleton import COCO17, CROWDPOSE14, JointSet, to_mpi15
from .base import ConvertReport, coco_index, numeric, require


def _prefix_from_name(src: Path) -> str:
    m = re.search(r"((?:train|val|test)\d{4})", src.name)
    return f"{m.group(1)}/" if m else ""


def convert_keypoints_json(src, joint_set: JointSet, kind: str, min_keypoints: int = 3,
                           image_prefix: str | None = None) -> tuple[RecordSet, ConvertReport]:
    """``image_prefix`` is prepended to ``file_name`` (default: ``val2017/`` etc. from the json name)."""
    src = Path(src)
    data = read_json(src)
    images, by_image = coco_index(data, str(src))
    anns = data["annotations"]
    prefix = _prefix_from_name(src) if image_prefix is None else image_prefix
    J = joint_set.num_joints
    rep = ConvertReport(kind, str(src))
    recs = []
    for i, img in enumerate(images):
        where = f"{src}: images[{i}]"
        rep.images_read += 1
        iid = require(img, "id", where)
        W, H = require(img, "width", where), require(img, "height", where)
        if not (isinstance(W, int) and isinstance(H, int) and W > 0 and H > 0):
            raise HuporError(f"{where}: width/height must be positive integers, got {W!r}x{H!r}")
        pts, vis, crowd, segs = [], [], [], []
        for k in by_image.get(iid, []):
            a, aw = anns[k], f"{src}: annotations[{k}]"
            if a.get("category_id", 1) != 1:
                continue
            rep.persons_read += 1
            if a.get("iscrowd", 0):  # kept as a region to ignore in training (meta.crowd_boxes), not a person
                if a.get("bbox") is not None:
                    crowd.append([round(float(b), 2) for b in numeric(a["bbox"], (4,), f"{aw}.bbox")])
                rep.drop("crowd annotations (iscrowd = 1; kept in meta.crowd_boxes)")
                continue
            kp = numeric(require(a, "keypoints", aw), (-1, 3), f"{aw}.keypoints")
            if len(kp) != J:
                raise HuporError(f"{aw}.keypoints: expected {J} joints ({3 * J} numbers), got {len(kp)}")
            v = kp[:, 2]
            if not np.isin(v, (0, 1, 2)).all():
                raise HuporError(f"{aw}.keypoints: visibility must be 0, 1 or 2")
            nk = a.get("num_keypoints", int((v > 0).sum()))
            if nk < min_keypoints:
                rep.drop(f"people with num_keypoints < {min_keypoints}")
                continue
            p, pv = to_mpi15(kp[:, :2], v.astype(int), joint_set)
            pts.append(p)
            vis.append(pv)
            segs.append(_polygons(a.get("segmentation"), aw))
        if not pts:
            rep.drop("images without people")
            continue
        meta = {"image_id": iid}
        if crowd:
            meta["crowd_boxes"] = crowd
        if "crowdIndex" in img:
            meta["crowdIndex"] = img["crowdIndex"]
        if any(segs):   # per-person polygons (x, y px): the instance masks of hupor ssf (meta.segmentation)
            meta["segmentation"] = segs
        path = prefix + str(require(img, "file_name", where))
        recs.append(ImageRecord(path, W, H, Intrinsics.default_for(W, H), np.array(pts),
                                np.zeros((len(pts), 15, 3)), np.array(vis), None, False, meta))
    rep.images_kept = len(recs)
    rep.persons_kept = sum(r.num_persons for r in recs)
    return RecordSet(recs, dataset=kind), rep


def _polygons(seg, where: str) -> list:
    """A person's COCO polygon segmentation as lists of [x, y, x, y, ...] (px); RLE and absent → []."""
    if not isinstance(seg, list):
        return []
    out = []
    for k, poly in enumerate(seg):
        xy = numeric(poly, (-1,), f"{where}.segmentation[{k}]")
        if len(xy) >= 6 and len(xy) % 2 == 0:
            out.append([round(float(v), 2) for v in xy])
    return out


def convert_coco(src, min_keypoints: int = 3, image_prefix: str | None = None):
    return convert_keypoints_json(src, COCO17, "coco", min_keypoints, image_prefix)


def convert_crowdpose(src, min_keypoints: int = 3, image_prefix: str | None = None):
    return convert_keypoints_json(src, CROWDPOSE14, "crowdpose", min_keypoints,
                                  "images/" if image_prefix is None else image_prefix)
