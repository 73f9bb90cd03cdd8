"""Person crops for SSF's networks: the image and instance-mask patch around one person's 2D joints,
and a training set of such crops cut from rendered synthetic scenes.

A crop is the square box around the person's labelled 2D joints (:func:`person_box`: side = the
joints' larger extent × ``margin``, centred on the extent's middle), resampled to ``size`` × ``size``
pixels (bilinear for the image, nearest for the mask; outside the image: black, background). The
same rule is used in training and in label generation, so the networks see the same framing.
Everything about the box stays in image pixels: the crop camera (:func:`crop_camera`) is the image's
intrinsics shifted and scaled into the crop, so a body in the camera frame (mm) projects into the crop
exactly as into the image.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..camera import Intrinsics
from ..errors import HuporError

MIN_JOINTS = 4          # a person needs this many labelled joints (and its pelvis) to be cropped
MIN_BOX_PX = 12.0


class CropCamera(NamedTuple):
    """Pinhole intrinsics of crops (arrays broadcastable against the joints: (B, 1) for a batch)."""

    fx: object
    fy: object
    cx: object
    cy: object


def person_box(xy: np.ndarray, valid: np.ndarray, margin: float = 1.25) -> tuple[float, float, float, float]:
    """Square box (x0, y0, x1, y1), image px, around the ``valid`` joints of ``xy`` (J, 2)."""
    p = np.asarray(xy, np.float64)[np.asarray(valid, bool)]
    if len(p) == 0:
        raise HuporError("person_box: the person has no labelled 2D joint")
    lo, hi = p.min(0), p.max(0)
    c = 0.5 * (lo + hi)
    half = 0.5 * max(float((hi - lo).max()) * margin, MIN_BOX_PX)
    return float(c[0] - half), float(c[1] - half), float(c[0] + half), float(c[1] + half)


def crop_person(image: np.ndarray, ids: np.ndarray | None, person_id: int, box, size: int = 64
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """``image`` (H, W, 3) uint8 BGR (OpenCV order, as ``read_image`` and ``render_scene`` give), ``ids`` (H, W) instance ids (or None) → crop (3, size, size)
    uint8 and the person's mask (size, size) uint8 0/1 (None without ``ids``)."""
    import cv2

    x0, y0, x1, y1 = box
    s = size / (x1 - x0)
    # pixel centres: crop px c ↔ image px x0 + (c + 0.5) / s − 0.5
    m = np.array([[s, 0.0, -s * x0 + 0.5 * s - 0.5], [0.0, s, -s * y0 + 0.5 * s - 0.5]])
    crop = cv2.warpAffine(np.ascontiguousarray(image), m, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    mask = None
    if ids is not None:
        own = (np.asarray(ids) == person_id).astype(np.uint8)
        mask = cv2.warpAffine(own, m, (size, size), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=0)
    return np.ascontiguousarray(crop.transpose(2, 0, 1)), mask


def crop_camera(k: Intrinsics, box, size: int) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) of the crop ``box`` resampled to ``size`` px, from the image's ``k``."""
    x0, y0, x1, _ = box
    s = size / (x1 - x0)
    return k.fx * s, k.fy * s, (k.cx + 0.5 - x0) * s - 0.5, (k.cy + 0.5 - y0) * s - 0.5


def joint_input(xy: np.ndarray, labelled: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """ShapeInit's 2D-joint input: ``xy`` (N, J, 2) image px, ``labelled`` (N, J), ``boxes`` (N, 4) →
    (N, J, 3) float32: crop px mapped to [-1, 1] (the crop's edges at ±1) and the labelled flag;
    unlabelled joints are (0, 0, 0)."""
    xy, lab, b = np.asarray(xy, np.float64), np.asarray(labelled, bool), np.asarray(boxes, np.float64)
    s = size / (b[:, 2] - b[:, 0])
    c = (xy - b[:, None, :2] + 0.5) * s[:, None, None] - 0.5          # crop px, as crop_person samples
    out = np.concatenate([(c + 0.5) / size * 2.0 - 1.0, np.ones(xy.shape[:2] + (1,))], -1)
    out[~lab | ~np.isfinite(xy).all(-1)] = 0.0
    return out.astype(np.float32)


def croppable(xy: np.ndarray, valid: np.ndarray, root: int) -> bool:
    """Enough labelled joints (the pelvis among them) for a crop."""
    v = np.asarray(valid, bool)
    return bool(v[root]) and int(v.sum()) >= MIN_JOINTS


def build_crop_set(seed: int, scenes: int, scene_cfg=None, size: int = 64) -> dict[str, np.ndarray]:
    """Crops of every croppable person of ``scenes`` rendered scenes of ``seed`` (the generator's
    default mix unless ``scene_cfg``): ``crops`` (N, 3, S, S) uint8, ``masks`` (N, S, S) uint8,
    ``joints`` (N, 15, 3) mm camera frame (all joints, the truth), ``cams`` (N, 4) crop intrinsics,
    ``boxes`` (N, 4) image px, ``joints_2d`` (N, 15, 2) image px and ``labelled`` (N, 15) (the joints
    with a 2D label: inside the image). The boxes come from the labelled joints, as in labelling."""
    from ..data.synth import SceneConfig, load_motion_library, render_scene
    from ..skeleton import MPI15

    cfg = SceneConfig() if scene_cfg is None else scene_cfg
    lib = load_motion_library()
    out = {k: [] for k in ("crops", "masks", "joints", "cams", "boxes", "joints_2d", "labelled")}
    for i in range(scenes):
        img, rec, maps = render_scene(cfg, seed, i, lib, maps=True)
        raw = maps.ids.astype(np.int64)
        sampled = np.asarray(rec.meta.get("person_index", range(rec.num_persons)))
        for p in range(rec.num_persons):
            valid = rec.visibility[p] > 0
            if not croppable(rec.joints_2d[p], valid, MPI15.root):
                continue
            box = person_box(rec.joints_2d[p], valid)
            if box[2] - box[0] < 2 * MIN_BOX_PX:
                continue
            crop, mask = crop_person(img, raw, int(sampled[p]), box, size)
            out["crops"].append(crop)
            out["masks"].append(mask)
            out["joints"].append(rec.joints_3d[p])
            out["cams"].append(crop_camera(rec.intrinsics, box, size))
            out["boxes"].append(box)
            out["joints_2d"].append(rec.joints_2d[p])
            out["labelled"].append(valid)
    if not out["crops"]:
        raise HuporError(f"build_crop_set: no croppable person in {scenes} scenes of seed {seed}")
    return {"crops": np.stack(out["crops"]), "masks": np.stack(out["masks"]),
            "joints": np.asarray(out["joints"], np.float32), "cams": np.asarray(out["cams"], np.float32),
            "boxes": np.asarray(out["boxes"], np.float32), "joints_2d": np.asarray(out["joints_2d"], np.float32),
            "labelled": np.asarray(out["labelled"], bool)}
