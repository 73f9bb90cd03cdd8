"""Read hupor prediction files (``hupor-poses`` / ``hupor-poses-video`` JSON) and match them to GT images.

Files tagged ``hupor-poses`` / ``hupor-poses-video`` are checked with the schema validator first
(:func:`hupor.schema.validate_poses`: version, finite and plausible numbers, joint states, nulls
exactly where a joint is missing), so a malformed file is refused, naming the file and field. Files
without a format tag (hand-written, older tools) are read by key: per person ``joints_2d_px`` (J x
[x, y] or null), ``joints_3d_mm`` (J x [X, Y, Z] or null), ``joint_scores``, ``score``; nulls become
NaN, non-finite or implausibly large numbers are refused.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from ..errors import HuporError
from ..fileio import read_json
from ..schema import MAX_COORD, validate_poses

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}


@dataclass
class PredImage:
    """Predictions for one image. P persons, J joints (MPI15 order for hupor files).

    joints_2d (P, J, 2) px, NaN = missing; joints_3d (P, J, 3) mm, NaN = missing;
    joint_scores (P, J); scores (P,).
    """

    path: str
    joints_2d: np.ndarray
    joints_3d: np.ndarray
    joint_scores: np.ndarray
    scores: np.ndarray
    width: int = 0
    height: int = 0
    source: str = ""               # the file (and frame) it was read from, for messages
    joint_set: str = "mpi15"       # the file's skeleton name (e.g. "crowdpose14" for a 2D plug-in)

    @property
    def key(self) -> str:
        return self.path


def _num(x) -> float:
    if x is None:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        raise HuporError(f"not a number: {x!r}") from None


def _points(value, dims: int, num_joints: int, where: str) -> np.ndarray:
    out = np.full((num_joints, dims), np.nan)
    if value is None:
        return out
    if not isinstance(value, list) or len(value) != num_joints:
        n = len(value) if isinstance(value, list) else type(value).__name__
        raise HuporError(f"{where}: expected {num_joints} joints, got {n}")
    for j, p in enumerate(value):
        if p is None:
            continue
        if not isinstance(p, (list, tuple)) or len(p) < dims:
            raise HuporError(f"{where}[{j}]: expected {dims} numbers or null")
        try:
            out[j] = [_num(c) for c in p[:dims]]
        except HuporError as exc:
            raise HuporError(f"{where}[{j}]: {exc}") from None
        if not (np.isnan(out[j]).all() or (np.isfinite(out[j]).all() and np.abs(out[j]).max() <= MAX_COORD)):
            raise HuporError(f"{where}[{j}]: coordinates must be finite and at most {MAX_COORD:g} in size, "
                             f"got {p[:dims]}")
    return out


def _image_key(img: dict, where: str) -> str:
    path = img.get("path")
    if not isinstance(path, str) or not path:
        raise HuporError(f"{where}: field 'image.path' is missing or null (needed to match the ground truth)")
    frame = img.get("frame")
    p = PurePosixPath(path.replace("\\", "/"))
    if p.suffix.lower() in VIDEO_SUFFIXES and isinstance(frame, int):
        return f"{p.stem}/img_{frame:06d}.jpg"      # a video's frames are keyed like MuPoTS images
    return path


def parse_image(d, where: str, num_joints: int = 15) -> PredImage:
    """One ``hupor-poses`` object → :class:`PredImage`."""
    if not isinstance(d, dict):
        raise HuporError(f"{where}: expected a JSON object")
    img = d.get("image")
    if not isinstance(img, dict):
        raise HuporError(f"{where}: missing field 'image'")
    skel = d.get("skeleton")
    joint_set = "mpi15"
    if isinstance(skel, dict) and isinstance(skel.get("joints"), list) and skel["joints"]:
        num_joints = len(skel["joints"])
        joint_set = str(skel.get("name") or "mpi15")
    persons = d.get("persons")
    if not isinstance(persons, list):
        raise HuporError(f"{where}: missing field 'persons' (a list)")
    n = len(persons)
    j2 = np.full((n, num_joints, 2), np.nan)
    j3 = np.full((n, num_joints, 3), np.nan)
    js = np.zeros((n, num_joints))
    sc = np.zeros(n)
    for i, p in enumerate(persons):
        pw = f"{where}: persons[{i}]"
        if not isinstance(p, dict):
            raise HuporError(f"{pw}: expected an object")
        if "joints_2d_px" not in p and "joints_3d_mm" not in p:
            raise HuporError(f"{pw}: missing fields 'joints_2d_px' and 'joints_3d_mm'")
        j2[i] = _points(p.get("joints_2d_px"), 2, num_joints, f"{pw}.joints_2d_px")
        j3[i] = _points(p.get("joints_3d_mm"), 3, num_joints, f"{pw}.joints_3d_mm")
        s = p.get("joint_scores")
        if s is not None:
            if not isinstance(s, list) or len(s) != num_joints:
                raise HuporError(f"{pw}.joint_scores: expected {num_joints} numbers")
            js[i] = [0.0 if v is None else _num(v) for v in s]
        else:
            js[i] = np.isfinite(j2[i]).all(-1).astype(float)
        sc[i] = _num(p.get("score", 1.0))
    js = np.where(np.isfinite(js), js, 0.0)
    sc = np.where(np.isfinite(sc), sc, 0.0)
    w, h = img.get("width") or 0, img.get("height") or 0
    return PredImage(_image_key(img, where), j2, j3, js, sc, int(w) if isinstance(w, (int, float)) else 0,
                     int(h) if isinstance(h, (int, float)) else 0, source=where, joint_set=joint_set)


def parse_document(d, where: str) -> list[PredImage]:
    """A ``hupor-poses`` or ``hupor-poses-video`` document → one :class:`PredImage` per image."""
    if not isinstance(d, dict):
        raise HuporError(f"{where}: expected a JSON object")
    fmt = d.get("format")
    if fmt in ("hupor-poses", "hupor-poses-video"):
        validate_poses(d, where)
    if fmt == "hupor-poses-video":
        frames = d.get("frames")
        if not isinstance(frames, list):
            raise HuporError(f"{where}: missing field 'frames' (a list)")
        video = d.get("video") if isinstance(d.get("video"), dict) else {}
        out = []
        for i, fr in enumerate(frames):
            if isinstance(fr, dict) and isinstance(video.get("path"), str):
                img = dict(fr.get("image") or {})
                if not img.get("path"):
                    img["path"] = video["path"]
                if img.get("frame") is None:
                    img["frame"] = i
                fr = dict(fr, image=img)
            out.append(parse_image(fr, f"{where}: frames[{i}]"))
        return out
    if fmt == "hupor-poses" or (fmt is None and "persons" in d and "image" in d):
        return [parse_image(d, where)]
    raise HuporError(f"{where}: not a hupor prediction file (field 'format' is {fmt!r})")


def read_predictions(path, progress: bool = False) -> list[PredImage]:
    """``path``: one hupor JSON file or a directory searched recursively for ``*.json``
    (``progress``: a bar over the files)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.rglob("*.json"))
        if not files:
            raise HuporError(f"{path}: no prediction .json files in this directory")
    elif path.is_file():
        files = [path]
    else:
        raise HuporError(f"{path}: no such file or directory")
    from ..progress import bar

    out: list[PredImage] = []
    for f in bar(files, desc="predictions", unit="file", show=progress and len(files) > 1):
        out.extend(parse_document(read_json(f), str(f)))
    return out


def _parts(path: str) -> tuple[str, ...]:
    return PurePosixPath(str(path).replace("\\", "/")).parts


def match_paths(gt_paths: list[str], pred_paths: list[str], sources: list[str] | None = None
                ) -> tuple[dict[int, int], list[int]]:
    """Match prediction paths to GT paths by their tail: the last two components
    (``TS1/img_000000.jpg``). A GT path that is a bare file name (COCO ``file_name``) matches a
    prediction with that file name; a bare prediction file name matches a unique GT file name.

    Returns ({pred index: gt index}, unmatched prediction indices). Two predictions for one GT image
    are an error naming both (``sources[k]``, default the prediction paths): which one to score would
    change the result.
    """
    by2, bare, names, dup = {}, {}, {}, set()
    for i, p in enumerate(gt_paths):
        parts = _parts(p)
        if not parts:
            continue
        by2.setdefault("/".join(parts[-2:]), i)
        if len(parts) == 1:
            bare.setdefault(parts[0], i)
        if parts[-1] in names:
            dup.add(parts[-1])
        names.setdefault(parts[-1], i)
    out, unmatched, taken = {}, [], {}
    for k, p in enumerate(pred_paths):
        parts = _parts(p)
        g = by2.get("/".join(parts[-2:])) if parts else None
        if g is None and parts:
            g = bare.get(parts[-1])
            if g is None and len(parts) == 1 and parts[0] not in dup:
                g = names.get(parts[0])
        if g is None:
            unmatched.append(k)
            continue
        if g in taken:
            names = sources if sources is not None else pred_paths
            raise HuporError(f"two predictions for ground-truth image {gt_paths[g]}: {names[taken[g]]} and "
                             f"{names[k]}; keep one")
        out[k] = g
        taken[g] = k
    return out, unmatched
