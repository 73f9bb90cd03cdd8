"""The prediction output format: ``hupor-poses`` (one image) and ``hupor-poses-video`` (one video).

Full description with an example: ``docs/output-format.md``. In short, one image::

    {"format": "hupor-poses", "version": 1,
     "image": {"path": str|null, "width": int, "height": int, "frame": int|null},
     "intrinsics": {"fx", "fy", "cx", "cy": px, "source": "K"|"fx"|"fov"|"file"|"default"},
     "skeleton": {"name": "mpi15", "joints": [15 names], "limbs": [[a, b], ...]},
     "units": {...}, "model": {"name": ..., ...},
     "persons": [{"id": int, "score": float, "root_depth_mm": float, ("track_id": int|null,)
                  "joints_2d_px": [[x, y] | null] * J, "joint_scores": [float] * J,
                  "joints_3d_mm": [[X, Y, Z] | null] * J,
                  "joint_state": ["visible" | "occluded_inferred" | "missing"] * J}]}

**2D-only form** (the 2D plug-in methods, ``hupor.plugins``): ``"dims": 2`` at the top level, and
every person lacks ``root_depth_mm`` and ``joints_3d_mm`` (``"dims"`` absent means 3). A joint is
then ``null`` in ``joints_2d_px`` exactly when its state is ``"missing"``.

A video holds ``{"format": "hupor-poses-video", "version": 1, "video": {"path", "width", "height",
"fps", "num_frames"}, "intrinsics": ..., "frames": [one-image objects, image.frame set]}``.

A joint is ``null`` in both ``joints_2d_px`` and ``joints_3d_mm`` exactly when its state is
``"missing"``. ``track_id`` (optional, videos predicted with ``--track``): the person's identity,
persistent across frames (``null``: not tracked in this frame). :func:`validate_poses` checks all of this and raises :class:`HuporError` naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .camera import Intrinsics
from .errors import HuporError
from .fileio import read_json, write_json_atomic
from .skeleton import Skeleton

MAX_FPS = 1000.0  # video.fps above this is refused (media.plausible_fps writes 0 for such a container)

FORMAT = "hupor-poses"
VIDEO_FORMAT = "hupor-poses-video"
VERSION = 1

#: Largest plausible coordinate (px or mm); larger values are a broken file.
MAX_COORD = 1e9

#: Per-joint states; ``Prediction.joint_state`` holds indices into this tuple.
JOINT_STATES = ("visible", "occluded_inferred", "missing")
VISIBLE, OCCLUDED_INFERRED, MISSING = 0, 1, 2

#: How the intrinsics of an output were obtained (precedence K > fx > fov > default).
INTRINSICS_SOURCES = ("K", "fx", "fov", "file", "default")

UNITS = {
    "joints_2d_px": "pixels of the original image, x right, y down; (0, 0) is the centre of the top-left pixel",
    "joints_3d_mm": "millimetres, camera frame: x right, y down, z forward along the optical axis",
    "root_depth_mm": "millimetres, z of the root joint (pelvis) in the camera frame",
    "intrinsics": "pixels of the original image",
    "scores": "confidence in [0, 1]",
}


@dataclass
class Prediction:
    """Predicted people of one image, sorted near → far. N people, J joints.

    joints_2d:     (N, J, 2) float64, original image px; NaN where the joint is missing.
    joints_3d:     (N, J, 3) float64, mm, camera frame; NaN where the joint is missing.
    joint_scores:  (N, J) float64 in [0, 1] (0 where missing).
    joint_state:   (N, J) int8 indices into :data:`JOINT_STATES`.
    root_depth_mm: (N,) pelvis depth in mm.  person_scores: (N,) in [0, 1].
    dims:          3, or 2 for a 2D-only method (joints_3d and root_depth_mm NaN, not written).
    track_ids:     (N,) int64 persistent ids from a tracker (-1: untracked) or None (no tracking).
    timings_ms:    wall time per stage (``network``, ``decode``, ...), not written to JSON.
    """

    path: str | None
    width: int
    height: int
    intrinsics: Intrinsics
    intrinsics_source: str
    joints_2d: np.ndarray
    joints_3d: np.ndarray
    joint_scores: np.ndarray
    joint_state: np.ndarray
    root_depth_mm: np.ndarray
    person_scores: np.ndarray
    frame: int | None = None
    timings_ms: dict = field(default_factory=dict)
    track_ids: np.ndarray | None = None
    dims: int = 3

    @property
    def num_persons(self) -> int:
        return int(self.joints_2d.shape[0])

    def state_counts(self) -> dict:
        """Number of joints per state over all people, e.g. ``{"visible": 40, ...}``."""
        return {name: int((self.joint_state == i).sum()) for i, name in enumerate(JOINT_STATES)}

    def to_json(self, skeleton: Skeleton, model: dict) -> dict:
        """The ``hupor-poses`` object (validated by :func:`validate_poses`)."""
        persons = []
        for p in range(self.num_persons):
            state = self.joint_state[p]
            persons.append({
                "id": p,
                "score": _num(self.person_scores[p]),
                "root_depth_mm": _num(self.root_depth_mm[p]),
                "joints_2d_px": _points(self.joints_2d[p], state),
                "joint_scores": [_num(s) for s in np.where(state == MISSING, 0.0, self.joint_scores[p])],
                "joints_3d_mm": _points(self.joints_3d[p], state),
                "joint_state": [JOINT_STATES[s] for s in state],
            })
            if self.track_ids is not None:
                tid = int(self.track_ids[p])
                persons[-1]["track_id"] = tid if tid >= 0 else None
            if self.dims == 2:
                del persons[-1]["root_depth_mm"], persons[-1]["joints_3d_mm"]
        head = {"format": FORMAT, "version": VERSION, **({"dims": 2} if self.dims == 2 else {})}
        return {
            **head,
            "image": {"path": self.path, "width": int(self.width), "height": int(self.height),
                      "frame": None if self.frame is None else int(self.frame)},
            "intrinsics": intrinsics_json(self.intrinsics, self.intrinsics_source),
            "skeleton": skeleton_json(skeleton),
            "units": {k: v for k, v in UNITS.items() if self.dims == 3 or k not in ("joints_3d_mm", "root_depth_mm")},
            "model": dict(model),
            "persons": persons,
        }


def _num(x, digits: int = 4) -> float:
    return round(float(x), digits)


def _points(points: np.ndarray, state: np.ndarray) -> list:
    return [None if s == MISSING else [_num(v, 3) for v in pt] for pt, s in zip(points, state)]


def intrinsics_json(intrinsics: Intrinsics, source: str) -> dict:
    if source not in INTRINSICS_SOURCES:
        raise HuporError(f"intrinsics source {source!r}: must be one of {', '.join(INTRINSICS_SOURCES)}")
    return {**{k: float(v) for k, v in intrinsics.to_dict().items()}, "source": source}


def skeleton_json(skeleton: Skeleton) -> dict:
    return {"name": skeleton.name, "joints": list(skeleton.joints),
            "limbs": [list(ab) for ab in skeleton.limbs]}


def video_json(path: str | None, width: int, height: int, fps: float, frames: list[dict],
               intrinsics: dict) -> dict:
    """The ``hupor-poses-video`` object from per-frame ``hupor-poses`` objects."""
    return {"format": VIDEO_FORMAT, "version": VERSION,
            "video": {"path": path, "width": int(width), "height": int(height),
                      "fps": float(fps), "num_frames": len(frames)},
            "intrinsics": dict(intrinsics), "frames": frames}


# -- validation ------------------------------------------------------------------------------

def validate_poses(obj, where: str = "poses") -> dict:
    """Check a ``hupor-poses`` or ``hupor-poses-video`` object; returns it, or raises HuporError."""
    if not isinstance(obj, dict):
        raise HuporError(f"{where}: expected a JSON object")
    fmt = obj.get("format")
    if fmt == FORMAT:
        _validate_image(obj, where)
    elif fmt == VIDEO_FORMAT:
        _validate_video(obj, where)
    else:
        raise HuporError(f"{where}.format: expected {FORMAT!r} or {VIDEO_FORMAT!r}, got {fmt!r}")
    return obj


def _get(d: dict, key: str, where: str, types):
    if key not in d:
        raise HuporError(f"{where}.{key}: missing")
    v = d[key]
    if not isinstance(v, types) or (isinstance(v, bool) and bool not in _tuple(types)):
        raise HuporError(f"{where}.{key}: wrong type {type(v).__name__}")
    return v


def _tuple(types):
    return types if isinstance(types, tuple) else (types,)


def _finite(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise HuporError(f"{where}: expected a finite number, got {v!r}")
    return float(v)


def _version(obj, where):
    v = _get(obj, "version", where, int)
    if v != VERSION:
        raise HuporError(f"{where}.version: this hupor reads version {VERSION}, got {v}")


def _validate_intrinsics(d, where):
    if not isinstance(d, dict):
        raise HuporError(f"{where}: expected an object")
    for k in ("fx", "fy", "cx", "cy"):
        if k not in d:
            raise HuporError(f"{where}.{k}: missing")
        _finite(d[k], f"{where}.{k}")
    if d["fx"] <= 0 or d["fy"] <= 0:
        raise HuporError(f"{where}: focal lengths must be positive, got fx={d['fx']}, fy={d['fy']}")
    if d.get("source") not in INTRINSICS_SOURCES:
        raise HuporError(f"{where}.source: must be one of {', '.join(INTRINSICS_SOURCES)}, "
                         f"got {d.get('source')!r}")


def _validate_image(obj, where):
    _version(obj, where)
    img = _get(obj, "image", where, dict)
    if "path" not in img or not isinstance(img["path"], (str, type(None))):
        raise HuporError(f"{where}.image.path: expected a string or null")
    for k in ("width", "height"):
        if _get(img, k, f"{where}.image", int) <= 0:
            raise HuporError(f"{where}.image.{k}: must be positive")
    if "frame" not in img or not (img["frame"] is None or (isinstance(img["frame"], int)
                                                          and not isinstance(img["frame"], bool))):
        raise HuporError(f"{where}.image.frame: expected an integer or null")
    _validate_intrinsics(_get(obj, "intrinsics", where, dict), f"{where}.intrinsics")
    sk = _get(obj, "skeleton", where, dict)
    _get(sk, "name", f"{where}.skeleton", str)
    joints = _get(sk, "joints", f"{where}.skeleton", list)
    limbs = _get(sk, "limbs", f"{where}.skeleton", list)
    nj = len(joints)
    for i, ab in enumerate(limbs):
        if not (isinstance(ab, list) and len(ab) == 2 and all(isinstance(a, int) and 0 <= a < nj for a in ab)):
            raise HuporError(f"{where}.skeleton.limbs[{i}]: expected a pair of joint indices < {nj}")
    _get(obj, "units", where, dict)
    model = _get(obj, "model", where, dict)
    _get(model, "name", f"{where}.model", str)
    dims = obj.get("dims", 3)
    if dims not in (2, 3) or isinstance(dims, bool):
        raise HuporError(f"{where}.dims: must be 2 or 3 (absent: 3), got {dims!r}")
    persons = _get(obj, "persons", where, list)
    for p, person in enumerate(persons):
        _validate_person(person, nj, f"{where}.persons[{p}]", dims)


def _validate_person(person, nj, where, dims: int = 3):
    if not isinstance(person, dict):
        raise HuporError(f"{where}: expected an object")
    _get(person, "id", where, int)
    tid = person.get("track_id")
    if tid is not None and (isinstance(tid, bool) or not isinstance(tid, int) or tid < 0):
        raise HuporError(f"{where}.track_id: expected a non-negative integer or null, got {tid!r}")
    score = _finite(_get(person, "score", where, (int, float)), f"{where}.score")
    if not 0 <= score <= 1:
        raise HuporError(f"{where}.score: must be in [0, 1], got {score}")
    if dims == 2:
        for key in ("root_depth_mm", "joints_3d_mm"):
            if key in person:
                raise HuporError(f"{where}.{key}: a 2D-only file (dims 2) has no 3D fields")
    elif _finite(_get(person, "root_depth_mm", where, (int, float)), f"{where}.root_depth_mm") <= 0:
        raise HuporError(f"{where}.root_depth_mm: must be positive")
    points = (("joints_2d_px", 2), ("joints_3d_mm", 3)) if dims == 3 else (("joints_2d_px", 2),)
    lists = {}
    for key in [k for k, _ in points] + ["joint_scores", "joint_state"]:
        lists[key] = _get(person, key, where, list)
        if len(lists[key]) != nj:
            raise HuporError(f"{where}.{key}: expected {nj} entries, got {len(lists[key])}")
    for j in range(nj):
        state = lists["joint_state"][j]
        if state not in JOINT_STATES:
            raise HuporError(f"{where}.joint_state[{j}]: must be one of {', '.join(JOINT_STATES)}, "
                             f"got {state!r}")
        s = _finite(lists["joint_scores"][j], f"{where}.joint_scores[{j}]")
        if not 0 <= s <= 1:
            raise HuporError(f"{where}.joint_scores[{j}]: must be in [0, 1], got {s}")
        for key, dim in points:
            pt = lists[key][j]
            w = f"{where}.{key}[{j}]"
            if pt is None:
                if state != "missing":
                    raise HuporError(f"{w}: null but joint_state is {state!r}")
                continue
            if state == "missing":
                raise HuporError(f"{w}: must be null when joint_state is 'missing'")
            if not isinstance(pt, list) or len(pt) != dim:
                raise HuporError(f"{w}: expected {dim} numbers or null")
            for c, v in enumerate(pt):
                if abs(_finite(v, f"{w}[{c}]")) > MAX_COORD:
                    raise HuporError(f"{w}[{c}]: {v!r} is not a plausible coordinate (at most {MAX_COORD:g})")


def _validate_video(obj, where):
    _version(obj, where)
    video = _get(obj, "video", where, dict)
    if "path" not in video or not isinstance(video["path"], (str, type(None))):
        raise HuporError(f"{where}.video.path: expected a string or null")
    for k in ("width", "height"):
        if _get(video, k, f"{where}.video", int) <= 0:
            raise HuporError(f"{where}.video.{k}: must be positive")
    fps = _finite(_get(video, "fps", f"{where}.video", (int, float)), f"{where}.video.fps")
    if not 0 <= fps <= MAX_FPS:
        raise HuporError(f"{where}.video.fps: {fps:g} is not a frame rate (0, unknown, or up to {MAX_FPS:g})")
    n = _get(video, "num_frames", f"{where}.video", int)
    _validate_intrinsics(_get(obj, "intrinsics", where, dict), f"{where}.intrinsics")
    frames = _get(obj, "frames", where, list)
    if len(frames) != n:
        raise HuporError(f"{where}.video.num_frames: says {n}, but frames holds {len(frames)}")
    for i, fr in enumerate(frames):
        w = f"{where}.frames[{i}]"
        if not isinstance(fr, dict) or fr.get("format") != FORMAT:
            raise HuporError(f"{w}.format: expected {FORMAT!r}")
        _validate_image(fr, w)
        if fr["image"]["frame"] is None:
            raise HuporError(f"{w}.image.frame: a video frame needs its frame index")


# -- files -----------------------------------------------------------------------------------

def write_poses(path, obj: dict) -> Path:
    """Validate ``obj`` and write it atomically as JSON."""
    validate_poses(obj, where=str(path))
    return write_json_atomic(path, obj, indent=None)


def read_poses(path) -> dict:
    """Read and validate a ``hupor-poses`` / ``hupor-poses-video`` file."""
    return validate_poses(read_json(path), where=str(path))
