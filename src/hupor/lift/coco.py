"""COCO-format 2D keypoints (any detector's ``results.json``) → MPI15 joints for the lifter.

Reading: :func:`read_results` (a list of ``{"image_id", "keypoints": 51 numbers, "score"}``, as
mmpose, openpifpaf, MediaPipe wrappers or the COCO evaluation kit write them) and
:func:`read_image_sizes` (a COCO ground-truth / images JSON, or a folder of images whose file stems
are the image ids). Every bad entry raises a :class:`HuporError` naming it.

Mapping (:func:`coco_to_mpi15`), documented in docs/lift.md with its error on our mocap poses:
shoulders, elbows, wrists, hips, knees and ankles are copied; ``pelvis`` = midpoint of the hips (on
the motion-capture skeletons the pelvis *is* the hip midpoint); ``neck`` = midpoint of the shoulders
(35 mm from the mocap neck on average); ``head_top`` is never given by COCO and is always inferred by
the lifter, like an occluded joint. With one hip only, the pelvis is that hip moved by 0.23 × the
shoulder vector towards the other side (hip width ≈ 0.47 × shoulder width on the mocap poses).
A person needs a pelvis to be lifted: when the hips score below ``threshold`` (occluded), the same
rules on the keypoints scoring at least ``root_threshold`` give an *anchor* pelvis (a detector's
low-score keypoints still mark roughly where an occluded joint is); it is then an inferred joint.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import HuporError
from ..fileio import read_json
from ..skeleton import COCO17 as COCO17_SET
from ..skeleton import MPI15

COCO17 = COCO17_SET.joints
#: (MPI15 index, COCO index) of the joints copied as they are (``hupor.skeleton.COCO17.to_mpi15``)
_COPIED = tuple((m, c) for m, c in enumerate(COCO17_SET.to_mpi15) if c >= 0)
HALF_HIP_OVER_SHOULDER = 0.23  # (hip width / shoulder width) / 2 on the mocap poses


def coco_to_mpi15(keypoints: np.ndarray, threshold: float = 0.3, root_threshold: float = 0.05
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``keypoints`` (N, 17, 3) x, y (px), score → MPI15 ``joints_2d`` (N, 15, 2) px (NaN where
    absent), ``scores`` (N, 15), ``detected`` (N, 15) bool (score ≥ ``threshold``) and ``anchor``
    (N,) bool: the pelvis comes from low-score keypoints (≥ ``root_threshold``), not detected."""
    k = _keypoints(keypoints)
    xy, sc, det = _convert(k, threshold)
    pel = MPI15.root
    anchor = ~det[:, pel]
    if anchor.any() and root_threshold < threshold:
        wxy, wsc, wdet = _convert(k[anchor], root_threshold)
        xy[anchor, pel], sc[anchor, pel] = wxy[:, pel], 0.0
        anchor[anchor] = wdet[:, pel]
    else:
        anchor[:] = False
    return xy, sc, det, anchor


def coco_hints(keypoints: np.ndarray, threshold: float = 0.3, hint_threshold: float = 0.05
               ) -> tuple[np.ndarray, np.ndarray]:
    """The low-score keypoints as MPI15 hints: ``(joints_2d (N, 15, 2), hint (N, 15) bool)``, ``hint``
    where a joint scores at least ``hint_threshold`` but is not detected at ``threshold`` (a 2D
    detector's guess at a joint it cannot see); ``joints_2d`` NaN elsewhere. Same mapping as
    :func:`coco_to_mpi15` (neck and pelvis as midpoints of the hinted pairs)."""
    k = _keypoints(keypoints)
    _, _, det = _convert(k, threshold)
    xy, _, low = _convert(k, min(hint_threshold, threshold))
    hint = low & ~det
    return np.where(hint[..., None], xy, np.nan), hint


def _keypoints(keypoints) -> np.ndarray:
    k = np.asarray(keypoints, np.float64)
    if k.ndim != 3 or k.shape[1:] != (17, 3):
        raise HuporError(f"COCO keypoints: expected (N, 17, 3), got {k.shape}")
    return k


def _convert(k: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(k)
    c = {name: i for i, name in enumerate(COCO17)}
    m = {name: i for i, name in enumerate(MPI15.joints)}
    xy = np.full((n, 15, 2), np.nan)
    sc = np.zeros((n, 15))
    ok = k[..., 2] >= threshold
    for mj, cj in _COPIED:
        xy[:, mj] = np.where(ok[:, cj, None], k[:, cj, :2], np.nan)
        sc[:, mj] = np.where(ok[:, cj], k[:, cj, 2], 0.0)

    def mid(a, b):
        both = ok[:, c[a]] & ok[:, c[b]]
        p = np.where(both[:, None], (k[:, c[a], :2] + k[:, c[b], :2]) / 2, np.nan)
        return p, np.where(both, np.minimum(k[:, c[a], 2], k[:, c[b], 2]), 0.0)

    xy[:, m["neck"]], sc[:, m["neck"]] = mid("l_shoulder", "r_shoulder")
    xy[:, m["pelvis"]], sc[:, m["pelvis"]] = mid("l_hip", "r_hip")
    shoulders = k[:, c["r_shoulder"], :2] - k[:, c["l_shoulder"], :2]       # l → r
    both_sh = ok[:, c["l_shoulder"]] & ok[:, c["r_shoulder"]]
    for hip, sign in (("l_hip", 1.0), ("r_hip", -1.0)):
        one = ~np.isfinite(xy[:, m["pelvis"], 0]) & ok[:, c[hip]] & both_sh
        xy[one, m["pelvis"]] = k[one, c[hip], :2] + sign * HALF_HIP_OVER_SHOULDER * shoulders[one]
        sc[one, m["pelvis"]] = k[one, c[hip], 2]
    det = np.isfinite(xy[..., 0])
    return xy, np.where(det, sc, 0.0), det


MAX_COORD_PX = 1e6    # a keypoint coordinate beyond this cannot lie on any image
MAX_SIDE_PX = 100_000  # an image side in --coco-images beyond this is a broken file


def read_results(path) -> dict[int, list[tuple[np.ndarray, float]]]:
    """COCO keypoint results → ``{image_id: [(keypoints (17, 3), score), ...]}`` (category ignored)."""
    data = read_json(path)
    if isinstance(data, dict) and "annotations" in data:
        data = data["annotations"]
    if not isinstance(data, list):
        raise HuporError(f"{path}: expected a list of COCO keypoint results")
    out: dict[int, list] = {}
    for i, r in enumerate(data):
        where = f"{path}[{i}]"
        if not isinstance(r, dict) or "image_id" not in r or "keypoints" not in r:
            raise HuporError(f"{where}: needs 'image_id' and 'keypoints'")
        try:
            kp = np.asarray(r["keypoints"], np.float64).reshape(17, 3)
        except (TypeError, ValueError):
            raise HuporError(f"{where}.keypoints: must be 51 numbers (17 x, y, score)") from None
        if not np.isfinite(kp).all():
            raise HuporError(f"{where}.keypoints: non-finite values")
        if np.abs(kp[:, :2]).max() > MAX_COORD_PX:
            raise HuporError(f"{where}.keypoints: a coordinate beyond {MAX_COORD_PX:g} px")
        if (kp[:, 2] < 0).any():
            raise HuporError(f"{where}.keypoints: keypoint {int(np.argmax(kp[:, 2] < 0))} has a negative score")
        score, image_id = r.get("score", 1.0), r["image_id"]
        if isinstance(image_id, bool) or not isinstance(image_id, int):
            raise HuporError(f"{where}: image_id must be an integer, got {image_id!r}")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not np.isfinite(score) or score < 0:
            raise HuporError(f"{where}.score: {score!r} is not a finite number >= 0")
        out.setdefault(image_id, []).append((kp, float(score)))
    return out


def read_image_sizes(coco_json=None, images_dir=None) -> dict[int, tuple[int, int, str | None]]:
    """``{image_id: (width, height, file_name)}`` from a COCO JSON's ``images`` list, or from the
    images of a folder whose file stems are integers (COCO's ``000000397133.jpg``), headers only."""
    if (coco_json is None) == (images_dir is None):
        raise HuporError("image sizes: give exactly one of --coco-images and --images")
    out = {}
    if coco_json is not None:
        data = read_json(coco_json)
        images = data.get("images") if isinstance(data, dict) else None
        if not isinstance(images, list):
            raise HuporError(f"{coco_json}: no 'images' list (a COCO ground-truth or image-info JSON)")
        for i, im in enumerate(images):
            vals = [im.get(k) if isinstance(im, dict) else None for k in ("id", "width", "height")]
            for key, v in zip(("id", "width", "height"), vals):
                if isinstance(v, bool) or not isinstance(v, int) or (key != "id" and not 0 < v <= MAX_SIDE_PX):
                    what = "an integer" if key == "id" else f"an integer in [1, {MAX_SIDE_PX}] px"
                    raise HuporError(f"{coco_json}.images[{i}].{key}: {v!r} is not {what}")
            out[vals[0]] = (vals[1], vals[2], im.get("file_name"))
        return out
    from ..media import IMAGE_EXTS, image_header_size

    folder = Path(images_dir)
    if not folder.is_dir():
        raise HuporError(f"--images {folder}: not a folder")
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in IMAGE_EXTS and p.stem.isdigit():
            size = image_header_size(p)
            if size is None:
                raise HuporError(f"{p}: cannot read the image size from its header")
            out[int(p.stem)] = (int(size[0]), int(size[1]), p.name)
    if not out:
        raise HuporError(f"--images {folder}: no images named by their COCO id (e.g. 000000397133.jpg)")
    return out
