"""Validation of COCO / CrowdPose keypoint ground truth, field by field, before anything is scored.

Ground truth is checked as strictly as prediction files (:mod:`hupor.eval.predictions`): every error
is one :class:`~hupor.errors.HuporError` naming the file and the field (``images[3].id``,
``annotations[7].bbox``). Checked: ``images`` (a list of objects with a unique integer ``id``, a
``file_name`` string, positive ``width`` / ``height`` when given, and for CrowdPose a finite
``crowdIndex`` >= 0) and ``annotations`` (an integer ``image_id`` among the images, ``keypoints``
3K finite numbers with v in {0, 1, 2}, ``bbox`` four finite numbers with width and height >= 0,
``area`` / ``num_keypoints`` finite and >= 0, ``iscrowd`` 0 or 1, integer ``id`` / ``category_id``).

Missing optional fields are filled in a copy as pycocotools / faster-coco-eval users expect: ``area``
from the box (``w·h``, as ``COCO.loadRes`` does for boxes; CrowdPose files such as the one ``hupor
synth --crowdpose`` writes have none), ``num_keypoints`` (labelled keypoints), ``iscrowd`` 0,
``category_id`` 1, ``id`` numbered after the largest given, ``categories`` the person category.
"""

from __future__ import annotations

import copy
import math

from ..errors import HuporError


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _finite(value, where: str, minimum: float | None = None) -> float:
    if not _num(value) or not math.isfinite(value):
        raise HuporError(f"{where}: {value!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise HuporError(f"{where}: {value!r} is below {minimum:g}")
    return float(value)


def _check_images(images: list, where: str) -> set:
    ids: dict = {}
    for i, img in enumerate(images):
        at = f"{where}: images[{i}]"
        if not isinstance(img, dict):
            raise HuporError(f"{at}: not an object")
        if "id" not in img:
            raise HuporError(f"{at}: missing field 'id'")
        if not _int(img["id"]):
            raise HuporError(f"{at}.id: {img['id']!r} is not an integer")
        if img["id"] in ids:
            raise HuporError(f"{at}.id: {img['id']} is also images[{ids[img['id']]}]")
        ids[img["id"]] = i
        if not isinstance(img.get("file_name", ""), str):
            raise HuporError(f"{at}.file_name: {img['file_name']!r} is not a string")
        for key in ("width", "height"):
            if key in img and _finite(img[key], f"{at}.{key}") <= 0:
                raise HuporError(f"{at}.{key}: {img[key]!r} must be positive")
    return set(ids)


def _check_crowd_index(images: list, where: str) -> None:
    for i, img in enumerate(images):
        if "crowdIndex" not in img:
            raise HuporError(f"{where}: images[{i}]: missing field 'crowdIndex' (CrowdPose json)")
        _finite(img["crowdIndex"], f"{where}: images[{i}].crowdIndex", 0.0)


def _check_annotation(a, k: int, n: int, kind: str, ids: set, where: str) -> None:
    at = f"{where}: annotations[{k}]"
    if not isinstance(a, dict):
        raise HuporError(f"{at}: not an object")
    for key in ("image_id", "keypoints", "bbox"):
        if key not in a:
            raise HuporError(f"{at}: missing field {key!r}")
    if not _int(a["image_id"]):
        raise HuporError(f"{at}.image_id: {a['image_id']!r} is not an integer")
    if a["image_id"] not in ids:
        raise HuporError(f"{at}.image_id {a['image_id']!r} is not in 'images'")
    kp = a["keypoints"]
    if not isinstance(kp, list) or len(kp) != n:
        got = len(kp) if isinstance(kp, list) else type(kp).__name__
        raise HuporError(f"{at}.keypoints: expected {n} numbers for {kind}, got {got}")
    for j, v in enumerate(kp):
        if not _num(v) or not math.isfinite(v):
            raise HuporError(f"{at}.keypoints: non-finite or non-numeric value {v!r} at index {j}")
        if j % 3 == 2 and v not in (0, 1, 2):
            raise HuporError(f"{at}.keypoints[{j}]: visibility {v!r}, expected 0, 1 or 2")
    box = a["bbox"]
    if not isinstance(box, list) or len(box) != 4:
        raise HuporError(f"{at}.bbox: {box!r} is not [x, y, width, height]")
    for j, v in enumerate(box):
        _finite(v, f"{at}.bbox[{j}]", 0.0 if j >= 2 else None)
    for key in ("area", "num_keypoints"):
        if key in a:
            _finite(a[key], f"{at}.{key}", 0.0)
    if "iscrowd" in a and a["iscrowd"] not in (0, 1):
        raise HuporError(f"{at}.iscrowd: {a['iscrowd']!r}, expected 0 or 1")
    for key in ("id", "category_id"):
        if key in a and not _int(a[key]):
            raise HuporError(f"{at}.{key}: {a[key]!r} is not an integer")


def check_coco_gt(gt, kind: str, where: str, num_joints: int) -> dict:
    """Validate COCO (``kind`` "coco") or CrowdPose ground truth ``gt`` (module docstring) with
    ``num_joints`` keypoints per person; returns a completed copy (missing ``area`` etc. filled)."""
    if not isinstance(gt, dict) or not isinstance(gt.get("images"), list) or not isinstance(gt.get("annotations"), list):
        raise HuporError(f"{where}: not a COCO-style keypoint json (needs 'images' and 'annotations' lists)")
    if "categories" in gt and not isinstance(gt["categories"], list):
        raise HuporError(f"{where}: categories: not a list")
    ids = _check_images(gt["images"], where)
    ann_ids: dict = {}
    for k, a in enumerate(gt["annotations"]):
        _check_annotation(a, k, 3 * num_joints, kind, ids, where)
        if "id" in a:
            if a["id"] in ann_ids:
                raise HuporError(f"{where}: annotations[{k}].id: {a['id']} is also annotations[{ann_ids[a['id']]}]")
            ann_ids[a["id"]] = k
    if kind == "crowdpose":
        _check_crowd_index(gt["images"], where)
    gt = copy.deepcopy(gt)
    gt.setdefault("categories", [{"id": 1, "name": "person"}])
    next_id = max(ann_ids, default=0) + 1
    for a in gt["annotations"]:
        a.setdefault("category_id", 1)
        a.setdefault("iscrowd", 0)
        a.setdefault("num_keypoints", int(sum(1 for v in a["keypoints"][2::3] if v > 0)))
        a.setdefault("area", float(a["bbox"][2]) * float(a["bbox"][3]))
        if "id" not in a:
            a["id"], next_id = next_id, next_id + 1
    return gt
