"""MuPoTS-3D file readers: ground truth (release ``TS*/annot.mat`` + ``occlusion.mat``, SMAP's
``M3E_gt.json``, canonical records) and predictions (hupor JSON, SMAP's ``3d_pairs`` result json,
the official script's ``preds_2d_kpt_mupots.mat`` / ``preds_3d_kpt_mupots.mat``).

annot.mat layout (MATLAB): cell ``annotations{frame, person}`` of structs with ``annot2`` (2x17 px),
``annot3`` (3x17 mm), ``univ_annot3`` (3x17 mm), ``isValidFrame``; occlusion.mat: cell
``occlusion_labels{frame, person}`` of 1x17 logicals, 1 = occluded (data-and-eval.md §2.1).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from ..errors import HuporError
from ..fileio import read_json
from ..records import RecordSet, from_smap
from .mupots import GTFrame, Variant, get_variant
from .mupots_frames import frames_from_records
from .predictions import read_predictions

log = logging.getLogger(__name__)


def sequence_size(seq: int) -> tuple[int, int]:
    """Image (width, height) of MuPoTS sequence TS``seq``: TS1–5 2048x2048, TS6–20 1920x1080."""
    return (2048, 2048) if seq <= 5 else (1920, 1080)


def _loadmat(path: Path) -> dict:
    import scipy.io

    if not path.is_file():
        raise HuporError(f"{path}: no such file")
    try:
        return scipy.io.loadmat(str(path), squeeze_me=False, struct_as_record=True)
    except Exception as exc:  # scipy raises several types for corrupt files
        raise HuporError(f"{path}: not a readable MATLAB .mat file ({type(exc).__name__}: {exc})") from None


def _field(cell, name: str, where: str):
    s = cell
    while isinstance(s, np.ndarray) and s.dtype == object and s.size == 1:
        s = s.flat[0]
    if not (isinstance(s, np.ndarray) and s.dtype.names):
        raise HuporError(f"{where}: expected a struct, got {type(s).__name__}")
    if name not in s.dtype.names:
        raise HuporError(f"{where}: missing field {name!r}")
    v = s[name]
    while isinstance(v, np.ndarray) and v.dtype == object and v.size == 1:
        v = v.flat[0]
    return np.asarray(v)


def _cell(mat: dict, name: str, path: Path) -> np.ndarray:
    if name not in mat:
        raise HuporError(f"{path}: missing variable {name!r}")
    c = mat[name]
    if not (isinstance(c, np.ndarray) and c.dtype == object and c.ndim == 2):
        raise HuporError(f"{path}: {name!r} must be a frames x persons cell array")
    return c


def read_annot_mat(path) -> dict:
    """One sequence's ``annot.mat`` → arrays over (F frames, P person slots), 17 joints.

    Returns ``annot2`` (F,P,17,2) px, ``annot3`` and ``univ_annot3`` (F,P,17,3) mm, ``valid`` (F,P)
    bool. Invalid slots are zero-filled and not validated.
    """
    path = Path(path)
    cells = _cell(_loadmat(path), "annotations", path)
    F, P = cells.shape
    out = {"annot2": np.zeros((F, P, 17, 2)), "annot3": np.zeros((F, P, 17, 3)),
           "univ_annot3": np.zeros((F, P, 17, 3)), "valid": np.zeros((F, P), bool)}
    for f in range(F):
        for p in range(P):
            where = f"{path}: annotations{{{f + 1},{p + 1}}}"
            flag = _field(cells[f, p], "isValidFrame", where)
            if flag.size != 1:
                raise HuporError(f"{where}.isValidFrame: expected a scalar")
            if not bool(flag.reshape(-1)[0]):
                continue
            out["valid"][f, p] = True
            for name, rows in (("annot2", 2), ("annot3", 3), ("univ_annot3", 3)):
                a = np.asarray(_field(cells[f, p], name, where), dtype=np.float64)
                if a.shape != (rows, 17):
                    raise HuporError(f"{where}.{name}: expected {rows}x17, got {'x'.join(map(str, a.shape))}")
                if not np.isfinite(a).all():
                    raise HuporError(f"{where}.{name}: non-finite value")
                out[name][f, p] = a.T
    return out


def read_occlusion_mat(path, shape: tuple[int, int]) -> np.ndarray:
    """``occlusion.mat`` → (F, P, 17) bool (True = occluded); ``shape`` = annot.mat's (F, P)."""
    path = Path(path)
    cells = _cell(_loadmat(path), "occlusion_labels", path)
    if cells.shape[0] != shape[0]:
        raise HuporError(f"{path}: {cells.shape[0]} frames, annot.mat has {shape[0]}")
    out = np.zeros(shape + (17,), bool)
    for f in range(shape[0]):
        for p in range(min(shape[1], cells.shape[1])):
            a = np.asarray(cells[f, p])
            if a.size == 0:
                continue
            if a.size != 17:
                raise HuporError(f"{path}: occlusion_labels{{{f + 1},{p + 1}}}: expected 17 flags, got {a.size}")
            out[f, p] = a.reshape(-1).astype(bool)
    return out


def fit_intrinsics(annot2: np.ndarray, annot3: np.ndarray) -> tuple[float, float, float, float]:
    """Least-squares pinhole (fx, fy, cx, cy) from (..., 2) px and (..., 3) mm correspondences
    (``u = fx X/Z + cx``); MuPoTS' annot.mat ships no intrinsics."""
    uv = np.asarray(annot2, dtype=np.float64).reshape(-1, 2)
    xyz = np.asarray(annot3, dtype=np.float64).reshape(-1, 3)
    ok = np.isfinite(uv).all(1) & np.isfinite(xyz).all(1) & (xyz[:, 2] > 1e-6)
    if ok.sum() < 3:
        raise HuporError("cannot fit intrinsics: fewer than 3 valid 2D/3D correspondences")
    uv, xyz = uv[ok], xyz[ok]
    res = []
    for c in range(2):
        A = np.stack([xyz[:, c] / xyz[:, 2], np.ones(len(uv))], 1)
        res.append(np.linalg.lstsq(A, uv[:, c], rcond=None)[0])
    return float(res[0][0]), float(res[1][0]), float(res[0][1]), float(res[1][1])


def _sequence_dirs(root: Path) -> list[tuple[int, Path]]:
    dirs = []
    for d in root.iterdir():
        m = re.fullmatch(r"TS(\d+)", d.name)
        if m and d.is_dir() and (d / "annot.mat").is_file():
            dirs.append((int(m.group(1)), d))
    return sorted(dirs)


def read_release_gt(root, variant: str | Variant = "mupots17") -> list[GTFrame]:
    """Ground truth from the release layout ``root/TS{n}/annot.mat`` + ``occlusion.mat``.

    One :class:`GTFrame` per frame (key ``TS{n}/img_{i:06d}.jpg``), valid people in slot order,
    3D = ``univ_annot3`` (what the official script scores against).
    """
    v = get_variant(variant)
    root = Path(root)
    dirs = _sequence_dirs(root) if root.is_dir() else []
    if not dirs:
        raise HuporError(f"{root}: no TS<n>/annot.mat found (expected the MuPoTS-3D release layout)")
    frames = []
    for n, d in dirs:
        a = read_annot_mat(d / "annot.mat")
        if not (d / "occlusion.mat").is_file():
            raise HuporError(f"{d / 'occlusion.mat'}: no such file (needed for PCK_occ / PCK_vis)")
        occ = read_occlusion_mat(d / "occlusion.mat", a["valid"].shape)
        w, h = sequence_size(n)
        K = fit_intrinsics(a["annot2"][a["valid"]], a["annot3"][a["valid"]]) if a["valid"].sum() >= 1 else None
        J = v.num_joints
        for f in range(a["valid"].shape[0]):
            sel = a["valid"][f]
            frames.append(GTFrame(f"TS{n}/img_{f:06d}.jpg", f"TS{n}", a["annot2"][f, sel][:, :J],
                                  a["univ_annot3"][f, sel][:, :J], occ[f, sel][:, :J], None, w, h, K))
    return frames


def read_gt(path, variant: str | Variant = "smap15") -> tuple[list[GTFrame], list[str]]:
    """Any supported GT: a release directory, SMAP's M3E_gt.json, or a canonical records json.
    Returns (frames, notes)."""
    v = get_variant(variant)
    path = Path(path)
    if path.is_dir():
        return read_release_gt(path, v), ["ground truth: release annot.mat (univ_annot3)"]
    data = read_json(path)
    if isinstance(data, dict) and "root" in data:
        rs = from_smap(data, str(path))
        for r in rs.records:
            r.meta.setdefault("sequence", Path(r.path.replace("\\", "/")).parent.name or "all")
        return frames_from_records(rs, v), [
            "ground truth: SMAP json; its 3D (camera-frame annot3 in cm) is scored instead of univ_annot3 — "
            "for official numbers pass the release directory"]
    rs = RecordSet.from_json(data, str(path))
    return frames_from_records(rs, v), ["ground truth: canonical records"]


# -- predictions -----------------------------------------------------------------------------------

def _smap_pairs(data: dict, gts: list[GTFrame], where: str, reproject: bool) -> dict:
    """SMAP ``test.py -t generate_result`` output → {image path: (2D, 3D)} in MPI15 order, px / mm.

    Follows SMAP ``lib/eval/convert.py``: undo the 832x512 letterbox, re-project every joint whose 2D
    score is non-zero with its refined depth, ``X = Z K^-1 [u, v, 1]`` with K = (fy, fy, cx, cy) from the
    ground truth (SMAP's quirk, data-and-eval.md P15), cm → mm. Joints with 2D score 0 get 2D (0, 0).
    """
    from ..camera import Letterbox

    from .predictions import match_paths

    pairs = data.get("3d_pairs")
    if not isinstance(pairs, list):
        raise HuporError(f"{where}: field '3d_pairs' must be a list")
    paths = []
    for i, p in enumerate(pairs):
        if not isinstance(p, dict) or not isinstance(p.get("image_path"), str):
            raise HuporError(f"{where}: 3d_pairs[{i}]: missing field 'image_path'")
        paths.append(p["image_path"])
    matched, _ = match_paths([g.key for g in gts], paths)
    out = {}
    for k, g in matched.items():
        p, gt, w = pairs[k], gts[g], f"{where}: 3d_pairs[{k}]"
        try:
            p2 = np.asarray(p.get("pred_2d", []), dtype=np.float64)
            p3 = np.asarray(p.get("pred_3d", []), dtype=np.float64)
        except (TypeError, ValueError):
            raise HuporError(f"{w}: pred_2d / pred_3d are not numeric") from None
        if p2.size == 0:
            out[paths[k]] = None
            continue
        if p2.ndim != 3 or p2.shape[1:] != (15, 4) or p3.shape != p2.shape:
            raise HuporError(f"{w}: pred_2d and pred_3d must be N x 15 x 4, got {p2.shape} and {p3.shape}")
        if not gt.width or not gt.height:
            raise HuporError(f"{w}: the ground truth lacks the image size needed to undo the letterbox")
        lb = Letterbox.fit(gt.width, gt.height, 832, 512)
        uv = lb.to_image(p2[..., :2])
        det = p2[..., 3] != 0
        xyz = p3[..., :3] * 10.0
        if reproject:
            if gt.intrinsics is None:
                raise HuporError(f"{w}: re-projection needs intrinsics, the ground truth has none")
            _, fy, cx, cy = gt.intrinsics
            z = xyz[..., 2]
            rep = np.stack([(uv[..., 0] - cx) * z / fy, (uv[..., 1] - cy) * z / fy, z], -1)
            xyz = np.where(det[..., None], rep, xyz)
        out[paths[k]] = (np.where(det[..., None], uv, 0.0), xyz)
    return out


def _mat_predictions(path: Path) -> dict:
    """The official script's inputs: variables ``TS{n}_img_{i:06d}`` holding P x 17 x 2 (2D file) and
    P x 17 x 3 (3D file). ``path`` is either file or their directory."""
    if path.is_dir():
        p2, p3 = path / "preds_2d_kpt_mupots.mat", path / "preds_3d_kpt_mupots.mat"
    elif "2d" in path.name:
        p2, p3 = path, path.with_name(path.name.replace("2d", "3d"))
    else:
        p2, p3 = path.with_name(path.name.replace("3d", "2d")), path
    m2 = {k: v for k, v in _loadmat(p2).items() if not k.startswith("__")}
    m3 = {k: v for k, v in _loadmat(p3).items() if not k.startswith("__")}
    out = {}
    for k, a2 in m2.items():
        m = re.fullmatch(r"TS(\d+)_img_(\d+)", k)
        if not m:
            raise HuporError(f"{p2}: variable {k!r} is not named TS<n>_img_<frame>")
        if k not in m3:
            raise HuporError(f"{p3}: missing variable {k!r}")
        a2 = np.asarray(a2, dtype=np.float64)
        a3 = np.asarray(m3[k], dtype=np.float64)
        if a2.size == 0:
            out[f"TS{m.group(1)}/img_{m.group(2)}.jpg"] = None
            continue
        if a2.ndim == 2:
            a2, a3 = a2[None], a3[None]
        if a2.ndim != 3 or a2.shape[2] != 2 or a3.shape[:2] != a2.shape[:2] or a3.shape[2] < 3:
            raise HuporError(f"{p2}: {k}: expected P x J x 2 and P x J x 3, got {a2.shape} and {a3.shape}")
        out[f"TS{m.group(1)}/img_{m.group(2)}.jpg"] = (a2, a3[..., :3])
    return out


def read_mupots_predictions(path, gts: list[GTFrame], reproject: bool = True, progress: bool = False) -> dict:
    """Predictions keyed by image path, ready for :func:`~hupor.eval.mupots.evaluate_mupots`.

    ``path``: a hupor prediction file or directory, SMAP's result json (``3d_pairs``), or the
    official ``preds_{2d,3d}_kpt_mupots.mat`` pair (a file of the pair or their folder).
    """
    path = Path(path)
    if path.suffix == ".mat" or (path.is_dir() and (path / "preds_2d_kpt_mupots.mat").is_file()):
        return _mat_predictions(path)
    if path.is_file():
        data = read_json(path)
        if isinstance(data, dict) and "3d_pairs" in data:
            return _smap_pairs(data, gts, str(path), reproject)
    out, seen = {}, {}
    for p in read_predictions(path, progress):
        if p.path in out:
            raise HuporError(f"two predictions for image {p.path}: {seen[p.path]} and {p.source}; keep one")
        out[p.path], seen[p.path] = (p.joints_2d, p.joints_3d), p.source
    return out


__all__ = ["read_annot_mat", "read_occlusion_mat", "read_release_gt", "read_gt", "read_mupots_predictions",
           "fit_intrinsics", "sequence_size"]
