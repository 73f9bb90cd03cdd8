"""The canonical annotation record: one versioned JSON format for every dataset hupor reads.

File layout (``format = "hupor-records"``, ``version = 1``)::

    {"format": "hupor-records", "version": 1, "skeleton": "mpi15", "dataset": "synth",
     "images": [
       {"path": "images/000000.jpg",          # relative to the JSON file's folder, or absolute
        "width": 832, "height": 512,
        "intrinsics": {"fx": 1000.0, "fy": 1000.0, "cx": 416.0, "cy": 256.0},   # px
        "has_3d": true,                         # false for 2D-only data (COCO, CrowdPose)
        "meta": {...},                          # free-form: split, sequence, frame, image_id, ...
        "persons": [
          {"joints_2d_px": [[x, y], ...],       # J x 2, original image pixels
           "joints_3d_mm": [[X, Y, Z], ...],    # J x 3, mm, camera frame (x right, y down, z forward)
           "visibility": [2, 1, 0, ...],        # J ints: 0 unlabelled/outside, 1 occluded, 2 visible
           "occlusion_cause": ["none", "person", ...]}   # optional, see OCCLUSION_CAUSES
        ]}]}

In memory an image's persons are stacked arrays (see :class:`ImageRecord`), so the codec and the
evaluators work vectorised. SMAP's ``{"root": [...]}`` format (bodys N×J×11, cm) converts losslessly
with :func:`from_smap` / :func:`to_smap`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .camera import Intrinsics
from .errors import HuporError
from .fileio import read_json, write_json_atomic
from .skeleton import MPI15, Skeleton, get_skeleton

FORMAT = "hupor-records"
VERSION = 1

#: Occlusion causes; the int code of a cause is its index here.
OCCLUSION_CAUSES = ("none", "person", "object", "self", "truncated")
CAUSE_CODE = {c: i for i, c in enumerate(OCCLUSION_CAUSES)}


@dataclass
class ImageRecord:
    """One image and its people. N persons, J joints.

    joints_2d:  (N, J, 2) float64, original image pixels.
    joints_3d:  (N, J, 3) float64, mm, camera frame; zeros where ``has_3d`` is False.
    visibility: (N, J) int8 in {0, 1, 2}.
    cause:      (N, J) int8 codes into :data:`OCCLUSION_CAUSES` (0 = none/unknown).
    mask:       optional path (relative like ``path``) of an instance-id PNG, uint16, the image's
                size: 0 background, 1 occluder, 2 + i person i (i = ``meta.person_index[p]`` for
                person p when present, else p); ``hupor synth --maps`` writes it, SSF reads it.
    """

    path: str
    width: int
    height: int
    intrinsics: Intrinsics
    joints_2d: np.ndarray
    joints_3d: np.ndarray
    visibility: np.ndarray
    cause: np.ndarray | None = None
    has_3d: bool = True
    meta: dict = field(default_factory=dict)
    mask: str | None = None

    def __post_init__(self):
        self.joints_2d = np.asarray(self.joints_2d, dtype=np.float64)
        if self.joints_2d.ndim != 3 or self.joints_2d.shape[2] != 2:
            raise HuporError(f"{self.path}: joints_2d must be N x J x 2, got {self.joints_2d.shape}")
        n, j = self.joints_2d.shape[:2]
        self.joints_3d = np.asarray(self.joints_3d, dtype=np.float64).reshape(n, j, 3)
        self.visibility = np.asarray(self.visibility, dtype=np.int8).reshape(n, j)
        if self.cause is None:
            self.cause = np.zeros((n, j), dtype=np.int8)
        self.cause = np.asarray(self.cause, dtype=np.int8).reshape(n, j)

    @property
    def num_persons(self) -> int:
        return int(self.joints_2d.shape[0])

    @property
    def num_joints(self) -> int:
        return int(self.joints_2d.shape[1])

    def copy(self) -> "ImageRecord":
        return ImageRecord(self.path, self.width, self.height, self.intrinsics, self.joints_2d.copy(),
                           self.joints_3d.copy(), self.visibility.copy(), self.cause.copy(),
                           self.has_3d, dict(self.meta), self.mask)

    # -- JSON --------------------------------------------------------------------------------
    def to_json(self) -> dict:
        persons = []
        for p in range(self.num_persons):
            persons.append({
                "joints_2d_px": np.round(self.joints_2d[p], 4).tolist(),
                "joints_3d_mm": np.round(self.joints_3d[p], 4).tolist() if self.has_3d else None,
                "visibility": self.visibility[p].tolist(),
                "occlusion_cause": [OCCLUSION_CAUSES[c] for c in self.cause[p]],
            })
        out = {"path": self.path, "width": int(self.width), "height": int(self.height),
               "intrinsics": self.intrinsics.to_dict(), "has_3d": bool(self.has_3d),
               "meta": self.meta, "persons": persons}
        if self.mask is not None:
            out["mask"] = self.mask
        return out

    @classmethod
    def from_json(cls, d: dict, where: str, num_joints: int) -> "ImageRecord":
        """Parse and validate one image entry; errors name ``where`` plus the person and joint."""
        if not isinstance(d, dict):
            raise HuporError(f"{where}: expected an object")
        for key in ("path", "width", "height", "intrinsics", "persons"):
            if key not in d:
                raise HuporError(f"{where}: missing field {key!r}")
        w, h = d["width"], d["height"]
        if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0):
            raise HuporError(f"{where}: width/height must be positive integers, got {w!r}x{h!r}")
        intr = d["intrinsics"]
        try:
            K = Intrinsics(*(float(intr[k]) for k in ("fx", "fy", "cx", "cy")))
        except HuporError as exc:
            raise HuporError(f"{where}.intrinsics: {exc}") from None
        except (KeyError, TypeError, ValueError):
            raise HuporError(f"{where}.intrinsics: need numeric fx, fy, cx, cy") from None
        has_3d = bool(d.get("has_3d", True))
        if not isinstance(d["persons"], list):
            raise HuporError(f"{where}.persons: expected a list")
        n = len(d["persons"])
        j2 = np.zeros((n, num_joints, 2))
        j3 = np.zeros((n, num_joints, 3))
        vis = np.zeros((n, num_joints), dtype=np.int8)
        cause = np.zeros((n, num_joints), dtype=np.int8)
        for p, person in enumerate(d["persons"]):
            pw = f"{where}.persons[{p}]"
            if not isinstance(person, dict):
                raise HuporError(f"{pw}: expected an object")
            j2[p] = _array(person.get("joints_2d_px"), (num_joints, 2), f"{pw}.joints_2d_px")
            if has_3d:
                j3[p] = _array(person.get("joints_3d_mm"), (num_joints, 3), f"{pw}.joints_3d_mm")
            v = _array(person.get("visibility"), (num_joints,), f"{pw}.visibility")
            bad = np.flatnonzero(~np.isin(v, (0, 1, 2)))
            if bad.size:
                raise HuporError(f"{pw}.visibility[{bad[0]}]: must be 0, 1 or 2, got {v[bad[0]]:g}")
            vis[p] = v
            causes = person.get("occlusion_cause")
            if causes is not None:
                if not isinstance(causes, list) or len(causes) != num_joints:
                    raise HuporError(f"{pw}.occlusion_cause: expected a list of {num_joints} names")
                for jj, c in enumerate(causes):
                    if c not in CAUSE_CODE:
                        raise HuporError(f"{pw}.occlusion_cause[{jj}]: unknown cause {c!r}; "
                                         f"known: {', '.join(OCCLUSION_CAUSES)}")
                    cause[p, jj] = CAUSE_CODE[c]
        mask = d.get("mask")
        if mask is not None and not isinstance(mask, str):
            raise HuporError(f"{where}.mask: expected the path of an instance-id PNG, got {type(mask).__name__}")
        return cls(str(d["path"]), w, h, K, j2, j3, vis, cause, has_3d, dict(d.get("meta") or {}), mask)


def float_array(value, where: str) -> np.ndarray:
    """``value`` as a float64 array; a missing or non-numeric value raises HuporError naming ``where``."""
    if value is None:
        raise HuporError(f"{where}: missing")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise HuporError(f"{where}: not a numeric array") from None


def _array(value, shape: tuple, where: str) -> np.ndarray:
    arr = float_array(value, where)
    if arr.shape != shape:
        raise HuporError(f"{where}: expected shape {shape}, got {arr.shape}")
    if not np.isfinite(arr).all():
        idx = np.argwhere(~np.isfinite(arr))[0]
        raise HuporError(f"{where}[{', '.join(map(str, idx))}]: non-finite value")
    return arr


@dataclass
class RecordSet:
    """A dataset: records plus the skeleton and a name. ``root`` is the folder image paths are
    relative to (the JSON file's folder when loaded)."""

    records: list[ImageRecord]
    skeleton: Skeleton = MPI15
    dataset: str = ""
    root: Path | None = None

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> ImageRecord:
        return self.records[i]

    def image_path(self, rec: ImageRecord) -> Path:
        p = Path(rec.path)
        return p if p.is_absolute() or self.root is None else self.root / p

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "skeleton": self.skeleton.name,
                "dataset": self.dataset, "images": [r.to_json() for r in self.records]}

    def save(self, path) -> Path:
        """Write atomically as canonical JSON."""
        return write_json_atomic(path, self.to_json(), indent=None)

    @classmethod
    def load(cls, path) -> "RecordSet":
        """Load and validate a canonical file; the first bad field is reported with its location."""
        path = Path(path)
        data = read_json(path)
        rs = cls.from_json(data, str(path))
        rs.root = path.parent
        return rs

    @classmethod
    def from_json(cls, data, where: str = "<records>") -> "RecordSet":
        if not isinstance(data, dict):
            raise HuporError(f"{where}: expected a JSON object at the top level")
        if data.get("format") != FORMAT:
            hint = " (this looks like SMAP json: use hupor convert smap)" if "root" in data else ""
            raise HuporError(f"{where}: field 'format' must be {FORMAT!r}{hint}")
        if data.get("version") != VERSION:
            raise HuporError(f"{where}: unsupported version {data.get('version')!r} (this hupor reads {VERSION})")
        skel = get_skeleton(str(data.get("skeleton", "mpi15")))
        images = data.get("images")
        if not isinstance(images, list):
            raise HuporError(f"{where}: field 'images' must be a list")
        recs = [ImageRecord.from_json(d, f"{where}: images[{i}]", skel.num_joints)
                for i, d in enumerate(images)]
        return cls(recs, skel, str(data.get("dataset", "")))


# -- SMAP json (bodys N x J x 11: x, y, Z, v, X, Y, Z, fx, fy, cx, cy; cm) -------------------------

def from_smap(data, where: str = "<smap>") -> RecordSet:
    """Import SMAP's ``{"root": [...]}`` json (data-and-eval.md §1.1–1.2). Units cm → mm.

    Per-image keys other than img_paths/img_width/img_height/bodys are kept in ``meta`` so that
    :func:`to_smap` reproduces the file. Images without people take default intrinsics (f = W).
    """
    if not isinstance(data, dict) or "root" not in data:
        raise HuporError(f"{where}: SMAP json needs a top-level 'root' list")
    if not isinstance(data["root"], list):
        raise HuporError(f"{where}: 'root' must be a list")
    recs = []
    for i, img in enumerate(data["root"]):
        w = f"{where}: root[{i}]"
        if not isinstance(img, dict):
            raise HuporError(f"{w}: expected an object")
        for key in ("img_paths", "img_width", "img_height", "bodys"):
            if key not in img:
                raise HuporError(f"{w}: missing field {key!r}")
        bodys = img["bodys"]
        try:
            b = np.asarray(bodys, dtype=np.float64)
        except (TypeError, ValueError):
            raise HuporError(f"{w}.bodys: not a numeric N x J x 11 array") from None
        if b.size == 0:
            b = b.reshape(0, MPI15.num_joints, 11)
        if b.ndim != 3 or b.shape[2] < 4:
            raise HuporError(f"{w}.bodys: expected shape N x J x 11, got {b.shape}")
        if b.shape[1] != MPI15.num_joints:
            raise HuporError(f"{w}.bodys: expected {MPI15.num_joints} joints, got {b.shape[1]}")
        if not np.isfinite(b).all():
            p, j, c = np.argwhere(~np.isfinite(b))[0]
            raise HuporError(f"{w}.bodys[{p}][{j}][{c}]: non-finite value")
        W, H = int(img["img_width"]), int(img["img_height"])
        if b.shape[0] and b.shape[2] >= 11:
            fx, fy, cx, cy = b[0, 0, 7:11]
            K = Intrinsics(fx, fy, cx, cy) if fx > 0 and fy > 0 else Intrinsics.default_for(W, H)
        else:
            K = Intrinsics.default_for(W, H)
        v = b[..., 3]
        bad = np.argwhere(~np.isin(v, (0, 1, 2)))
        if bad.size:
            p, j = bad[0]
            raise HuporError(f"{w}.bodys[{p}][{j}][3]: visibility must be 0, 1 or 2, got {v[p, j]:g}")
        j3 = b[..., 4:7] * 10.0 if b.shape[2] >= 7 else np.zeros(b.shape[:2] + (3,))
        has_3d = bool(b.shape[0] == 0 or np.any(b[..., 6] != 0))
        meta = {k: val for k, val in img.items() if k not in ("img_paths", "img_width", "img_height", "bodys")}
        recs.append(ImageRecord(str(img["img_paths"]), W, H, K, b[..., 0:2], j3, v, None, has_3d, meta))
    return RecordSet(recs, MPI15, "smap")


def to_smap(records: RecordSet) -> dict:
    """Export to SMAP's json (cm, intrinsics repeated on every joint, Z in columns 2 and 6)."""
    root = []
    for r in records.records:
        n, j = r.num_persons, r.num_joints
        b = np.zeros((n, j, 11))
        b[..., 0:2] = r.joints_2d
        xyz_cm = r.joints_3d / 10.0 if r.has_3d else np.zeros((n, j, 3))
        b[..., 2] = xyz_cm[..., 2]
        b[..., 3] = r.visibility
        b[..., 4:7] = xyz_cm
        b[..., 7:11] = (r.intrinsics.fx, r.intrinsics.fy, r.intrinsics.cx, r.intrinsics.cy)
        entry = {"img_paths": r.path, "img_width": r.width, "img_height": r.height}
        entry.update(r.meta)
        entry["bodys"] = b.tolist()
        root.append(entry)
    return {"root": root}
