"""Human3.6M, the per-subject json annotation release → canonical records.

Files (source: mks0601/I2L-MeshNet_RELEASE ``data/Human36M/Human36M.py`` and
``common/utils/transforms.py``; also used by Pose2Mesh / 3DMPPE): in one folder, per subject ``n``:

* ``Human36M_subject{n}_data.json``: COCO-style ``images`` (``id, file_name, width, height, subject,
  action_idx, subaction_idx, cam_idx, frame_idx``, optionally ``action_name``) and ``annotations``
  (``image_id, bbox, ...``).
* ``Human36M_subject{n}_camera.json``: ``{cam_idx: {"R": 3x3, "t": [3] mm, "f": [fx, fy], "c": [cx, cy]}}``.
* ``Human36M_subject{n}_joint_3d.json``: ``{action_idx: {subaction_idx: {frame_idx: 17 x 3 world mm}}}``.

Camera frame: ``X_cam = R X_world + t``; pixels ``u = fx X/Z + cx``. 17-joint order: pelvis, r_hip,
r_knee, r_ankle, l_hip, l_knee, l_ankle, spine, thorax, nose, head, l_sho, l_elb, l_wri, r_sho,
r_elb, r_wri. MPI15: neck ← thorax, head_top ← head (data-and-eval.md §1.4, suggested mapping).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...camera import Intrinsics
from ...errors import HuporError
from ...fileio import read_json
from ...records import ImageRecord, RecordSet
from ...skeleton import H36M17
from .base import ConvertReport, coco_index, numeric, require

ACTIONS = ("Directions", "Discussion", "Eating", "Greeting", "Phoning", "Posing", "Purchases", "Sitting",
           "SittingDown", "Smoking", "Photo", "Waiting", "Walking", "WalkDog", "WalkTogether")  # action_idx 2..16
MPI15_FROM_H36M = list(H36M17.to_mpi15)


@dataclass
class H36MFrames:
    """Frames of the release. F frames: joints_cam (F, 17, 3) mm camera frame; joints_2d (F, 17, 2) px."""

    paths: list[str] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)
    intrinsics: list[Intrinsics] = field(default_factory=list)
    subjects: list[int] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    meta: list[dict] = field(default_factory=list)
    joints_cam: list[np.ndarray] = field(default_factory=list)


def _find(root: Path, name: str) -> Path:
    for p in (root / name, root / "annotations" / name):
        if p.is_file():
            return p
    raise HuporError(f"{root}: missing {name}")


def available_subjects(root) -> list[int]:
    root = Path(root)
    out = set()
    for d in (root, root / "annotations"):
        if d.is_dir():
            for p in d.glob("Human36M_subject*_data.json"):
                num = p.name[len("Human36M_subject"):-len("_data.json")]
                if num.isdigit():
                    out.add(int(num))
    return sorted(out)


def read_h36m_release(root, subjects=None, stride: int = 1, cameras=None,
                      report: ConvertReport | None = None) -> H36MFrames:
    """Read the frames with ``frame_idx % stride == 0`` of ``subjects`` (default: all present) and
    ``cameras`` (default: all)."""
    root = Path(root)
    subjects = available_subjects(root) if subjects is None else [int(s) for s in subjects]
    if not subjects:
        raise HuporError(f"{root}: no Human36M_subject<n>_data.json found")
    if stride < 1:
        raise HuporError(f"stride must be >= 1, got {stride}")
    rep = report or ConvertReport("h36m", str(root))
    out = H36MFrames()
    for s in subjects:
        data_p = _find(root, f"Human36M_subject{s}_data.json")
        data = read_json(data_p)
        cams = read_json(_find(root, f"Human36M_subject{s}_camera.json"))
        joints_p = _find(root, f"Human36M_subject{s}_joint_3d.json")
        joints = read_json(joints_p)
        images, by_image = coco_index(data, str(data_p))
        cam_cache = {}
        for i, img in enumerate(images):
            where = f"{data_p}: images[{i}]"
            rep.images_read += 1
            keys = [require(img, k, where) for k in ("action_idx", "subaction_idx", "frame_idx", "cam_idx")]
            a_idx, sa_idx, f_idx, c_idx = (int(k) for k in keys)
            if f_idx % stride:
                rep.drop(f"frames not on the stride ({stride})")
                continue
            if cameras is not None and c_idx not in cameras:
                rep.drop("frames of other cameras")
                continue
            if c_idx not in cam_cache:
                cw = f"{data_p.name[:-10]}_camera.json[{c_idx}]"
                cam = require(cams, str(c_idx), cw.rsplit("[", 1)[0])
                R = numeric(require(cam, "R", cw), (3, 3), f"{cw}.R")
                t = numeric(require(cam, "t", cw), (3,), f"{cw}.t")
                f = numeric(require(cam, "f", cw), (2,), f"{cw}.f")
                c = numeric(require(cam, "c", cw), (2,), f"{cw}.c")
                cam_cache[c_idx] = (R, t, Intrinsics(float(f[0]), float(f[1]), float(c[0]), float(c[1])))
            R, t, K = cam_cache[c_idx]
            try:
                world = joints[str(a_idx)][str(sa_idx)][str(f_idx)]
            except (KeyError, TypeError):
                rep.drop("frames without 3D joints in joint_3d.json")
                continue
            world = numeric(world, (17, 3), f"{joints_p}[{a_idx}][{sa_idx}][{f_idx}]")
            rep.persons_read += 1
            name = img.get("action_name") or (ACTIONS[a_idx - 2] if 2 <= a_idx < 2 + len(ACTIONS) else str(a_idx))
            out.paths.append(str(require(img, "file_name", where)))
            out.sizes.append((int(require(img, "width", where)), int(require(img, "height", where))))
            out.intrinsics.append(K)
            out.subjects.append(s)
            out.actions.append(str(name))
            out.meta.append({"image_id": img.get("id"), "subject": s, "action": str(name), "action_idx": a_idx,
                             "subaction_idx": sa_idx, "cam_idx": c_idx, "frame_idx": f_idx})
            out.joints_cam.append(world @ R.T + t)
    return out


def convert_h36m(src, subjects=None, stride: int = 1, cameras=None,
                 image_prefix: str = "images/") -> tuple[RecordSet, ConvertReport]:
    """One record per frame and camera; ``meta["h36m17_3d_mm"]`` keeps all 17 joints for evaluation."""
    rep = ConvertReport("h36m", str(src))
    fr = read_h36m_release(src, subjects, stride, cameras, rep)
    recs = []
    for i, path in enumerate(fr.paths):
        j3 = fr.joints_cam[i]
        if (j3[:, 2] <= 0).any():
            rep.drop("frames with a joint behind the camera")
            continue
        K = fr.intrinsics[i]
        j2 = K.project(j3)
        meta = dict(fr.meta[i], h36m17_3d_mm=np.round(j3, 4).tolist())
        w, h = fr.sizes[i]
        recs.append(ImageRecord(image_prefix + path, w, h, K, j2[None, MPI15_FROM_H36M], j3[None, MPI15_FROM_H36M],
                                np.full((1, 15), 2), None, True, meta))
    rep.images_kept = rep.persons_kept = len(recs)
    rep.notes.append("visibility: every joint marked visible (H36M has no occlusion labels)")
    return RecordSet(recs, dataset="h36m"), rep
