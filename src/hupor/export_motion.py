"""Motion exports of a ``hupor-poses-video`` file: BVH (one track) and CSV (every frame, track and joint).

**BVH** (:func:`write_bvh`): the MPI15 skeleton rooted at the pelvis, in **centimetres**, y up (the
camera frame turned 180° about x: ``(X, −Y, −Z)``), at the video's frame rate. Offsets are the track's
median bone lengths along a T-pose (spine, neck→head up; arms out along ±x; hips ±x; legs down).
Every bone gets its own rotation: a joint with several children (pelvis, neck) reaches each child
through a zero-offset ``<parent>_to_<child>`` joint, so any pose with the median bone lengths is
reproduced exactly; each rotation is the smallest one that turns the rest bone onto the observed
direction in its parent's frame. The root (pelvis) carries the position and the body frame (x: right
hip → left hip, y: pelvis → neck). Channels: root ``Xposition Yposition Zposition Zrotation
Xrotation Yrotation``, other joints ``Zrotation Xrotation Yrotation`` (degrees, R = Rz·Rx·Ry). Frames
run over the frame indices (``image.frame``, whatever the order of the list) from the track's first to
its last appearance; a frame index without the track (a frame left out of the file, too), or a bone
with a missing end, keeps the previous frame's values (the first ones: the rest pose). The frame time
is 1 / ``video.fps``; a rate that is 0 (unknown), not finite, below 0.01 or above 1000 fps is refused.

**CSV** (:func:`write_csv`): header ``frame,time_s,track_id,person,joint,state,x_px,y_px,X_mm,Y_mm,
Z_mm,score``; one row per frame (in frame-index order), person and joint; ``time_s`` = frame / fps
(empty when the rate is 0, unknown); empty fields for missing joints and for ``track_id`` when the
file has no tracks.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from .errors import HuporError
from .fileio import write_atomic
from .schema import VIDEO_FORMAT
from .skeleton import MPI15

# (child, parent, rest direction) of the MPI15 tree rooted at the pelvis, y up, +x the person's left
BONES = (("neck", "pelvis", (0, 1, 0)), ("head_top", "neck", (0, 1, 0)),
         ("l_shoulder", "neck", (1, 0, 0)), ("l_elbow", "l_shoulder", (1, 0, 0)), ("l_wrist", "l_elbow", (1, 0, 0)),
         ("r_shoulder", "neck", (-1, 0, 0)), ("r_elbow", "r_shoulder", (-1, 0, 0)), ("r_wrist", "r_elbow", (-1, 0, 0)),
         ("l_hip", "pelvis", (1, 0, 0)), ("l_knee", "l_hip", (0, -1, 0)), ("l_ankle", "l_knee", (0, -1, 0)),
         ("r_hip", "pelvis", (-1, 0, 0)), ("r_knee", "r_hip", (0, -1, 0)), ("r_ankle", "r_knee", (0, -1, 0)))
TO_BVH = np.diag([0.1, -0.1, -0.1])  # camera mm → BVH cm, y up


def _nodes():
    """BVH joints in file order: (name, parent index, MPI15 joint it sits on, bone (child) it orients)."""
    children = {}
    for c, p, _ in BONES:
        children.setdefault(p, []).append(c)
    nodes = []

    def add(joint, parent):
        kids = children.get(joint, [])
        me = len(nodes)
        nodes.append([joint, parent, joint, kids[0] if len(kids) == 1 else None])
        if len(kids) > 1 or (joint == "pelvis" and kids):
            for c in kids:
                b = len(nodes)
                nodes.append([f"{joint}_to_{c}", me, joint, c])
                add(c, b)
        elif kids:
            add(kids[0], me)
    add("pelvis", -1)
    nodes[0][3] = None  # the root's rotation is the body frame
    return [tuple(n) for n in nodes]


NODES = _nodes()
_REST = {c: np.array(d, float) for c, _, d in BONES}
_PARENT = {c: p for c, p, _ in BONES}


MAX_FPS = 1000.0  # a frame rate above this (or not positive, not finite) cannot be a video's
MIN_FPS = 0.01    # one frame per 100 s (a slow time-lapse); below it the file's rate is broken


def check_fps(fps, where: str, allow_zero: bool = False) -> float:
    """``fps`` as a float if it can be a frame rate: finite, in [:data:`MIN_FPS`, :data:`MAX_FPS`] (0 too with
    ``allow_zero``: unknown); otherwise HuporError naming ``where``."""
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise HuporError(f"{where}: frame rate {fps!r} is not a number") from None
    if value == 0.0 and allow_zero:
        return 0.0
    if not np.isfinite(value) or not MIN_FPS <= value <= MAX_FPS:
        why = "unknown (0)" if value == 0.0 else f"{value:g} is not a frame rate"
        raise HuporError(f"{where}: frame rate {why}; it must lie in [{MIN_FPS:g}, {MAX_FPS:g}] fps"
                         + (" (give --fps)" if value == 0.0 and where != "--fps" else ""))
    return value


def frame_order(video: dict, name: str = "") -> list[tuple[int, dict]]:
    """``(frame index, frame)`` sorted by the frames' ``image.frame`` (the file's list order does not
    matter); a frame without an integer index, or an index given twice, raises HuporError."""
    out, seen = [], {}
    for k, fr in enumerate(video["frames"]):
        f = fr["image"].get("frame")
        if isinstance(f, bool) or not isinstance(f, int) or f < 0:
            raise HuporError(f"{name}frames[{k}].image.frame: {f!r} is not a frame index (an integer >= 0)")
        if f in seen:
            raise HuporError(f"{name}frames[{k}].image.frame: frame {f} is also frames[{seen[f]}]")
        seen[f] = k
        out.append((f, fr))
    return sorted(out, key=lambda t: t[0])


def track_positions(video: dict, track: int, name: str = "") -> tuple[np.ndarray, list[int]]:
    """(F, J, 3) mm camera frame of ``track`` for every frame index from its first to its last
    appearance (NaN where a joint is missing, or where the frame or the track is absent: a gap in
    the indices is a gap in time), and those frame indices."""
    hits = {}
    for f, fr in frame_order(video, name):
        hit = [p for p in fr["persons"] if p.get("track_id") == track]
        if hit:
            hits[f] = hit[0]["joints_3d_mm"]
    if not hits:
        have = sorted({p["track_id"] for fr in video["frames"] for p in fr["persons"] if p.get("track_id") is not None})
        raise HuporError(f"track {track}: not in this file (tracks: {have or 'none; predict with --track'})")
    frames = list(range(min(hits), max(hits) + 1))
    pos = np.full((len(frames), MPI15.num_joints, 3), np.nan)
    for i, f in enumerate(frames):
        for j, pt in enumerate(hits.get(f) or []):
            if pt is not None:
                pos[i, j] = pt
    return pos, frames


def bone_lengths(pos: np.ndarray) -> dict:
    """Median length (mm) of every bone over the frames with both ends; MPI15's prior where never seen."""
    idx = MPI15.joints.index
    prior = {tuple(sorted(ab)): 10.0 * cm for ab, cm in zip(MPI15.limbs, MPI15.bone_length_cm)}
    out = {}
    for c, p, _ in BONES:
        d = np.linalg.norm(pos[:, idx(c)] - pos[:, idx(p)], axis=-1)
        d = d[np.isfinite(d)]
        out[c] = float(np.median(d)) if d.size else prior.get(tuple(sorted((idx(c), idx(p)))), 100.0)
    return out


def _swing(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Smallest rotation (3, 3) turning unit ``u`` onto unit ``v``."""
    from scipy.spatial.transform import Rotation

    axis = np.cross(u, v)
    s, c = np.linalg.norm(axis), float(u @ v)
    if s < 1e-9:
        if c > 0:
            return np.eye(3)
        perp = np.cross(u, [1.0, 0, 0] if abs(u[0]) < 0.9 else [0, 1.0, 0])
        return Rotation.from_rotvec(np.pi * perp / np.linalg.norm(perp)).as_matrix()
    return Rotation.from_rotvec(axis / s * np.arctan2(s, c)).as_matrix()


def solve_motion(pos_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """Root positions (F, 3) cm and local rotations (F, len(NODES), 3, 3) in the BVH frame, and the
    bone lengths (mm), from joint positions (F, J, 3) mm in the camera frame."""
    idx = MPI15.joints.index
    lengths = bone_lengths(pos_mm)
    pos = pos_mm @ TO_BVH.T
    f = pos.shape[0]
    root = np.zeros((f, 3))
    local = np.broadcast_to(np.eye(3), (f, len(NODES), 3, 3)).copy()
    last_root, last_local = pos[np.isfinite(pos[:, idx("pelvis")]).all(-1), idx("pelvis")][0], local[0].copy()
    for t in range(f):
        p = pos[t]
        glob = [None] * len(NODES)
        pel = p[idx("pelvis")]
        root[t] = pel if np.isfinite(pel).all() else last_root
        x, y = p[idx("l_hip")] - p[idx("r_hip")], p[idx("neck")] - pel
        if np.isfinite(x).all() and np.isfinite(y).all() and np.linalg.norm(np.cross(x, y)) > 1e-9:
            x = x / np.linalg.norm(x)
            y = y - (y @ x) * x
            y /= np.linalg.norm(y)
            local[t, 0] = np.stack([x, y, np.cross(x, y)], axis=1)
        else:
            local[t, 0] = last_local[0]
        glob[0] = local[t, 0]
        for n, (_, parent, joint, child) in enumerate(NODES[1:], start=1):
            g_par = glob[parent]
            if child is not None:
                d = p[idx(child)] - p[idx(_PARENT[child])]
                if np.isfinite(d).all() and np.linalg.norm(d) > 1e-9:
                    local[t, n] = _swing(_REST[child], g_par.T @ (d / np.linalg.norm(d)))
                else:
                    local[t, n] = last_local[n]
            glob[n] = g_par @ local[t, n]
        last_root, last_local = root[t], local[t].copy()
    return root, local, lengths


def _offset(node, lengths) -> np.ndarray:
    name, parent, joint, _ = node
    if parent < 0 or "_to_" in name:  # the root, and the zero-length branch joints
        return np.zeros(3)
    return _REST[joint] * lengths[joint] / 10.0


def write_bvh(path, video: dict, track: int, fps: float | None = None, name: str = "") -> Path:
    """Write ``track`` of a ``hupor-poses-video`` object as BVH (module docstring) at the file's frame
    rate (``fps`` overrides it; a rate that is 0, not finite or absurd is refused). One BVH frame per
    frame index from the track's first to its last appearance. ``name`` (the file read, e.g.
    ``"pred.json: "``) starts the messages about the file's content. Returns ``path``."""
    from scipy.spatial.transform import Rotation

    if video.get("format") != VIDEO_FORMAT:
        raise HuporError("export bvh: needs a video prediction (hupor-poses-video), not a single image")
    fps = check_fps(fps, "--fps") if fps is not None else check_fps(video["video"].get("fps"), f"{name}video.fps")
    pos, frames = track_positions(video, track, name)
    if not np.isfinite(pos[:, MPI15.joints.index("pelvis")]).all(-1).any():
        raise HuporError(f"track {track}: the pelvis is never seen, no root to export")
    root, local, lengths = solve_motion(pos)
    kids = {i: [k for k, n in enumerate(NODES) if n[1] == i] for i in range(len(NODES))}
    lines = ["HIERARCHY"]

    def emit(i, depth):
        pad = "  " * depth
        off = " ".join(f"{v:.4f}" for v in _offset(NODES[i], lengths))
        if i == 0:
            lines.extend([f"ROOT {NODES[0][0]}", "{", f"  OFFSET {off}",
                          "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"])
        else:
            lines.extend([f"{pad}JOINT {NODES[i][0]}", f"{pad}{{", f"{pad}  OFFSET {off}",
                          f"{pad}  CHANNELS 3 Zrotation Xrotation Yrotation"])
        for k in kids[i]:
            emit(k, depth + 1)
        if not kids[i]:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0.0000 0.0000 0.0000", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    emit(0, 0)
    eul = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_euler("ZXY", degrees=True).reshape(len(pos), -1)
    lines += ["MOTION", f"Frames: {len(pos)}", f"Frame Time: {1.0 / fps:.8f}"]
    lines += [" ".join(f"{v:.6f}" for v in np.concatenate([r, e])) for r, e in zip(root, eul)]
    text = "\n".join(lines) + "\n"
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_csv(path, poses: dict, name: str = "") -> Path:
    """Write every frame, person and joint of a ``hupor-poses`` / ``-video`` object as CSV."""
    video = poses.get("format") == VIDEO_FORMAT
    frames = [fr for _, fr in frame_order(poses, name)] if video else [poses]
    fps = check_fps(poses["video"].get("fps") or 0.0, f"{name}video.fps", allow_zero=True) if video else 0.0
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["frame", "time_s", "track_id", "person", "joint", "state", "x_px", "y_px", "X_mm", "Y_mm", "Z_mm",
                "score"])
    for fr in frames:
        f = fr["image"]["frame"]
        t = "" if f is None or fps <= 0 else f"{f / fps:.6f}"
        for p in fr["persons"]:
            tid = p.get("track_id")
            for j, name in enumerate(fr["skeleton"]["joints"]):
                xy, xyz = p["joints_2d_px"][j] or ["", ""], p["joints_3d_mm"][j] or ["", "", ""]
                w.writerow(["" if f is None else f, t, "" if tid is None else tid, p["id"], name, p["joint_state"][j],
                            *xy, *xyz, p["joint_scores"][j]])
    text = buf.getvalue()
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
