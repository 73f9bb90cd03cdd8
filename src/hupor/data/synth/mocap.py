"""DeepMimic motion clips and numpy forward kinematics to MPI15 (+ a few surface points).

Clip format (ecosystem.md §4): JSON ``{"Loop": ..., "Frames": [[44 floats], ...]}``; per frame a
duration, the root position (m, y-up), then w-first local quaternions of the spherical joints and
angles of the knees and elbows. The humanoid's link offsets come from ``humanoid/humanoid.urdf``
(scaled by 0.25 as DeepMimic does). In the mocap frame the character faces +x, +y is up and +z is
its right.

FK rule: ``pos_child = pos_parent + R_parent @ offset``; ``R_child = R_parent @ R_local``.

Output points (``POINT_NAMES``): the 15 MPI15 joints, then extra points the body model needs:
head centre, heels, toes and hand centres. The pelvis is the midpoint of the hips (the MPI15
definition; for this humanoid it coincides with the root), the head top is ``neck + 0.28 m`` along
the neck frame's up axis.
"""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ...errors import HuporError
from ...fileio import parse_json
from ...skeleton import MPI15

INSTALL_HINT = 'the motion clips come with pybullet: pip install "hupor[data]"'

#: Humanoid links in the order of ecosystem.md §4 (pybullet itself numbers them differently).
LINKS = ("root", "chest", "neck", "right_hip", "right_knee", "right_ankle", "right_shoulder",
         "right_elbow", "right_wrist", "left_hip", "left_knee", "left_ankle", "left_shoulder",
         "left_elbow", "left_wrist")
PARENT = (-1, 0, 1, 0, 3, 4, 1, 6, 7, 0, 9, 10, 1, 12, 13)
#: FK levels: (links, their parents) by tree depth from the root.
_LEVELS = tuple((np.array(ls), np.array([PARENT[k] for k in ls]))
                for ls in ((1, 3, 9), (2, 4, 6, 10, 12), (5, 7, 11, 13), (8, 14)))
#: Frame column of each link's local rotation: quaternion start (spherical links) or angle
#: (revolute links); other links are fixed.
_SPHERICAL = {0: 4, 1: 8, 2: 12, 3: 16, 5: 21, 6: 25, 9: 30, 11: 35, 12: 39}
_REVOLUTE = {4: 20, 7: 29, 10: 34, 13: 43}
FRAME_WIDTH = 44

#: (MPI15 joint, humanoid link) pairs for joints that are link origins.
MPI15_FROM_LINK = np.array([(0, 2), (3, 12), (4, 13), (5, 14), (6, 9), (7, 10), (8, 11), (9, 6), (10, 7),
                            (11, 8), (12, 3), (13, 4), (14, 5)])

#: Extra points after the 15 MPI15 joints.
EXTRA_NAMES = ("head_centre", "l_heel", "l_toe", "r_heel", "r_toe", "l_hand", "r_hand")
POINT_NAMES = MPI15.joints + EXTRA_NAMES
NUM_POINTS = len(POINT_NAMES)
#: Mirror permutation of all points (MPI15.flip extended to the extras).
POINT_FLIP = tuple(MPI15.flip) + (15, 18, 19, 16, 17, 21, 20)

#: Local offsets (m, unscaled humanoid) of surface points in their link's frame.
HEAD_TOP = (0.0, 0.28, 0.0)
HEAD_CENTRE = (0.0, 0.175, 0.0)
HEEL = (-0.0435, -0.0225, 0.0)
TOE = (0.1335, -0.0225, 0.0)
HAND = (0.0, -0.08, 0.0)
SOLE_BELOW_ANKLE = 0.05  # m, bottom of the foot box below the ankle frame

#: Points defined by a local offset in a link frame: (point index, link, local offset in m).
_SURFACE = ((1, 2, HEAD_TOP), (15, 2, HEAD_CENTRE), (16, 11, HEEL), (17, 11, TOE), (18, 5, HEEL),
            (19, 5, TOE), (20, 14, HAND), (21, 8, HAND))
_SURFACE_POINTS = np.array([p for p, _, _ in _SURFACE])
_SURFACE_LINKS = np.array([k for _, k, _ in _SURFACE])
_SURFACE_LOCAL = np.array([o for _, _, o in _SURFACE], dtype=np.float64)

#: Bone groups for per-person bone-length scaling: link index -> group.
BONE_GROUPS = ("spine", "neck", "shoulder", "upper_arm", "forearm", "hip", "thigh", "shin")
_LINK_GROUP = {1: 0, 2: 1, 6: 2, 12: 2, 7: 3, 13: 3, 8: 4, 14: 4, 3: 5, 9: 5, 4: 6, 10: 6, 5: 7, 11: 7}


def default_motion_dir() -> Path:
    """``pybullet_data``'s folder (holding ``data/motions`` and ``humanoid/humanoid.urdf``).

    Raises :class:`HuporError` with the install hint when pybullet (``hupor[data]``) is missing.
    """
    spec = importlib.util.find_spec("pybullet_data")
    if spec is None or not spec.submodule_search_locations:
        raise HuporError(f"pybullet is not installed; {INSTALL_HINT}")
    return Path(list(spec.submodule_search_locations)[0])


def _quat_to_mat(q: np.ndarray) -> np.ndarray:
    """(..., 4) w-first quaternions (normalised here) -> (..., 3, 3) rotation matrices."""
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    out = np.empty(q.shape[:-1] + (3, 3))
    out[..., 0, 0] = 1 - 2 * (y * y + z * z)
    out[..., 0, 1] = 2 * (x * y - w * z)
    out[..., 0, 2] = 2 * (x * z + w * y)
    out[..., 1, 0] = 2 * (x * y + w * z)
    out[..., 1, 1] = 1 - 2 * (x * x + z * z)
    out[..., 1, 2] = 2 * (y * z - w * x)
    out[..., 2, 0] = 2 * (x * z - w * y)
    out[..., 2, 1] = 2 * (y * z + w * x)
    out[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return out


def _rot_z(theta: np.ndarray) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    out = np.zeros(theta.shape + (3, 3))
    out[..., 0, 0] = c
    out[..., 0, 1] = -s
    out[..., 1, 0] = s
    out[..., 1, 1] = c
    out[..., 2, 2] = 1.0
    return out


def parse_urdf(path: Path) -> np.ndarray:
    """Link offsets (15, 3) in metres (×0.25, DeepMimic's scaling) in the parent's frame."""
    try:
        text = Path(path).read_bytes().rstrip(b"\x00").decode("utf-8")
        root = ET.fromstring(text)
    except (OSError, UnicodeDecodeError, ET.ParseError) as exc:
        raise HuporError(f"{path}: cannot read the humanoid URDF ({exc})") from None
    offsets = {}
    for joint in root.iter("joint"):
        origin = joint.find("origin")
        xyz = origin.get("xyz", "0 0 0") if origin is not None else "0 0 0"
        try:
            vals = [0.25 * float(v) for v in xyz.split()]
        except ValueError:
            vals = []
        if len(vals) != 3:
            raise HuporError(f"{path}: joint {joint.get('name')!r} has a bad origin {xyz!r}")
        offsets[joint.get("name")] = vals
    missing = [n for n in LINKS if n not in offsets]
    if missing:
        raise HuporError(f"{path}: URDF lacks joints {', '.join(missing)}")
    return np.array([offsets[n] for n in LINKS], dtype=np.float64)


def load_clip(path: Path) -> tuple[np.ndarray, str] | None:
    """(frames (F, 44), loop mode) of one clip, or None when it is not a 44-column humanoid clip."""
    try:
        data = parse_json(Path(path).read_bytes(), str(path))  # the one JSON reader (nesting guard)
        frames = np.asarray(data["Frames"], dtype=np.float64)
    except (OSError, HuporError, KeyError, TypeError, ValueError):
        raise HuporError(f"{path}: not a DeepMimic motion clip (JSON with 'Frames')") from None
    if frames.ndim != 2 or frames.shape[1] != FRAME_WIDTH or len(frames) == 0:
        return None  # e.g. laikago_walk.txt (a quadruped)
    if not np.isfinite(frames).all():
        raise HuporError(f"{path}: non-finite values in 'Frames'")
    return frames, str(data.get("Loop", "none"))


def rest_frame(root_height_m: float = 0.9) -> np.ndarray:
    """A (44,) frame of the rest pose: standing straight, arms down, facing +x."""
    f = np.zeros(FRAME_WIDTH)
    f[0] = 1.0 / 30
    f[2] = root_height_m
    f[[4, 8, 12, 16, 21, 25, 30, 35, 39]] = 1.0
    return f


def forward_kinematics(frames: np.ndarray, offsets: np.ndarray, link_scale: np.ndarray | None = None,
                       rotations: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Humanoid FK, vectorised over frames.

    frames: (F, 44) clip frames. offsets: (15, 3) URDF offsets in m. link_scale: optional (F, 15)
    factor per link offset. rotations: optional precomputed local rotations (F, 15, 3, 3) (else
    built from ``frames``). Returns link positions (F, 15, 3) in m and global rotations
    (F, 15, 3, 3), in the mocap frame (y up).
    """
    frames = np.asarray(frames, dtype=np.float64)
    f = frames.shape[0]
    local = local_rotations(frames) if rotations is None else rotations
    off = np.broadcast_to(offsets, (f, 15, 3))
    if link_scale is not None:
        off = off * link_scale[..., None]
    pos = np.zeros((f, 15, 3))
    rot = np.zeros((f, 15, 3, 3))
    pos[:, 0] = frames[:, 1:4]
    rot[:, 0] = local[:, 0]
    for links, parents in _LEVELS:  # links of equal tree depth at once
        rp = rot[:, parents]
        pos[:, links] = pos[:, parents] + (rp @ off[:, links, :, None])[..., 0]
        rot[:, links] = rp @ local[:, links]
    return pos, rot


def local_rotations(frames: np.ndarray) -> np.ndarray:
    """Local rotation matrices (F, 15, 3, 3) of every link from (F, 44) frames."""
    frames = np.asarray(frames, dtype=np.float64)
    out = np.broadcast_to(np.eye(3), (frames.shape[0], 15, 3, 3)).copy()
    sph = sorted(_SPHERICAL)
    cols = np.array([_SPHERICAL[k] for k in sph])
    q = frames[:, cols[:, None] + np.arange(4)]  # (F, S, 4)
    out[:, sph] = _quat_to_mat(q)
    rev = sorted(_REVOLUTE)
    out[:, rev] = _rot_z(frames[:, [_REVOLUTE[k] for k in rev]])
    return out


def mpi15_points(pos: np.ndarray, rot: np.ndarray, point_scale: np.ndarray | None = None) -> np.ndarray:
    """MPI15 joints + extras (F, NUM_POINTS, 3) in m, mocap frame, from FK links.

    point_scale: optional (F,) scale of the local surface-point offsets (head, feet, hands).
    """
    f = pos.shape[0]
    s = np.ones(f) if point_scale is None else np.asarray(point_scale, dtype=np.float64)

    out = np.empty((f, NUM_POINTS, 3))
    out[:, MPI15_FROM_LINK[:, 0]] = pos[:, MPI15_FROM_LINK[:, 1]]
    out[:, 2] = 0.5 * (pos[:, 3] + pos[:, 9])   # pelvis = mid-hip
    links = _SURFACE_LINKS
    local = (rot[:, links] @ _SURFACE_LOCAL[None, :, :, None])[..., 0] * s[:, None, None]
    out[:, _SURFACE_POINTS] = pos[:, links] + local
    return out


@dataclass(frozen=True)
class MotionLibrary:
    """All humanoid clips of a folder, concatenated.

    frames: (F, 44) key frames; next_index: (F,) index of the following frame of the same clip
    (itself at a clip's last frame, or wrapping for looping clips); clip_of: (F,) clip index;
    clip_names: names relative to the folder; offsets: (15, 3) URDF offsets (m);
    rest_height_m: standing height of the unscaled humanoid (sole to head top); frame_in_clip: (F,)
    frame number within its clip.
    """

    frames: np.ndarray
    next_index: np.ndarray
    clip_of: np.ndarray
    clip_names: tuple[str, ...]
    offsets: np.ndarray
    rest_height_m: float
    frame_in_clip: np.ndarray

    @property
    def num_clips(self) -> int:
        return len(self.clip_names)

    def clip_starts_lengths(self) -> tuple[np.ndarray, np.ndarray]:
        """First frame index (C,) and frame count (C,) of every clip."""
        lengths = np.bincount(self.clip_of, minlength=self.num_clips)
        return np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])


def _find_files(directory: Path) -> tuple[list[Path], Path]:
    directory = Path(directory)
    motions = directory / "data" / "motions" if (directory / "data" / "motions").is_dir() else directory
    urdf = directory / "humanoid" / "humanoid.urdf"
    if not urdf.is_file():
        urdf = motions / "humanoid.urdf"
    clips = sorted(motions.rglob("*.txt")) if motions.is_dir() else []
    return clips, urdf


def load_motion_library(directory: str | Path | None = None, urdf: str | Path | None = None) -> MotionLibrary:
    """Load every 44-column clip under ``directory`` (default: pybullet_data; ``data/motions`` inside
    it is searched recursively) plus the humanoid URDF (``humanoid/humanoid.urdf`` beside the clips,
    or ``humanoid.urdf`` in the clip folder, or ``urdf``). Cached while the files are unchanged."""
    if directory is None:
        directory = default_motion_dir()
    directory = Path(directory).resolve()
    clips, urdf_path = _find_files(directory)
    if urdf is not None:
        urdf_path = Path(urdf).resolve()
    if not clips or not urdf_path.is_file():
        what = "no motion clips (*.txt)" if not clips else f"no humanoid URDF ({urdf_path})"
        raise HuporError(f"motion folder {directory}: {what}; {INSTALL_HINT}")
    files = tuple(clips) + (urdf_path,)
    signature = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return _load_cached(str(directory), str(urdf_path), signature)


@lru_cache(maxsize=4)
def _load_cached(directory: str, urdf: str, signature: tuple) -> MotionLibrary:
    clips = [Path(f) for f, _, _ in signature[:-1]]
    urdf_path = Path(urdf)
    offsets = parse_urdf(urdf_path)
    all_frames, nxt, clip_of, names = [], [], [], []
    start = 0
    for path in clips:
        clip = load_clip(path)
        if clip is None:
            continue
        fr, loop = clip
        n = len(fr)
        idx = np.arange(n) + 1
        idx[-1] = 0 if loop == "wrap" and n > 1 else n - 1
        all_frames.append(fr)
        nxt.append(idx + start)
        clip_of.append(np.full(n, len(names)))
        names.append(str(path.relative_to(Path(directory)) if path.is_relative_to(directory) else path.name))
        start += n
    if not all_frames:
        raise HuporError(f"motion folder {directory}: no 44-column humanoid clips; {INSTALL_HINT}")
    pts = mpi15_points(*forward_kinematics(rest_frame()[None], offsets))[0]
    height = float(pts[1, 1] - (pts[8, 1] - SOLE_BELOW_ANKLE))
    frames = np.concatenate(all_frames)
    in_clip = np.concatenate([np.arange(len(fr)) for fr in all_frames])
    out = MotionLibrary(frames, np.concatenate(nxt), np.concatenate(clip_of), tuple(names), offsets,
                        height, in_clip)
    for a in (out.frames, out.next_index, out.clip_of, out.offsets, out.frame_in_clip):
        a.setflags(write=False)
    return out


def link_group_scale(group_scale: np.ndarray) -> np.ndarray:
    """Per-link offset scale (N, 15) from per-group factors (N, len(BONE_GROUPS)); root link = 1."""
    n = group_scale.shape[0]
    out = np.ones((n, 15))
    for link, g in _LINK_GROUP.items():
        out[:, link] = group_scale[:, g]
    return out
