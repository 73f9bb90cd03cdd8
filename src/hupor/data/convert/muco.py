"""Moon's COCO-style MuCo-3DHP / MuPoTS-3D json → canonical records (data-and-eval.md §1.4).

Layout (mks0601/3DMPPE_POSENET_RELEASE ``data/MuCo/MuCo.py``, ``data/MuPoTS/MuPoTS.py``):
``images[i]`` = ``{id, file_name, width, height, f: [fx, fy], c: [cx, cy]}`` (MuPoTS:
``intrinsic: [fx, fy, cx, cy]``); ``annotations[k]`` = ``{image_id, keypoints_img (21|17 x 2 px),
keypoints_cam (21|17 x 3 mm), keypoints_vis (bools), is_valid?, bbox}``. Joints → MPI15 with
``[1, 0, 14, 5, 6, 7, 11, 12, 13, 2, 3, 4, 8, 9, 10]`` (SMAP issue #3). Visibility: ``keypoints_vis``
true → 2 (visible), false → 1 (occluded) — the exact SMAP rule is unpublished (UNVERIFIED).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...camera import Intrinsics
from ...errors import HuporError
from ...fileio import read_json
from ...records import ImageRecord, RecordSet
from ...skeleton import MUPOTS17
from .base import ConvertReport, coco_index, numeric, require

MPI15_FROM_MUCO = list(MUPOTS17.to_mpi15)


def _intrinsics(img: dict, where: str) -> Intrinsics:
    if "intrinsic" in img:
        fx, fy, cx, cy = numeric(img["intrinsic"], (4,), f"{where}.intrinsic")
    else:
        fx, fy = numeric(require(img, "f", where), (2,), f"{where}.f")
        cx, cy = numeric(require(img, "c", where), (2,), f"{where}.c")
    try:
        return Intrinsics(float(fx), float(fy), float(cx), float(cy))
    except HuporError as exc:
        raise HuporError(f"{where}: {exc}") from None


def convert_moon(src, kind: str = "muco", keep_empty: bool | None = None) -> tuple[RecordSet, ConvertReport]:
    """``kind`` "muco" (training; images without people dropped) or "mupots" (test; kept, people
    with ``is_valid`` = 0 dropped, sequence = the ``TS<n>`` folder)."""
    src = Path(src)
    data = read_json(src)
    images, by_image = coco_index(data, str(src))
    anns = data["annotations"]
    keep_empty = (kind == "mupots") if keep_empty is None else keep_empty
    rep = ConvertReport(kind, str(src))
    recs = []
    for i, img in enumerate(images):
        where = f"{src}: images[{i}]"
        rep.images_read += 1
        iid = require(img, "id", where)
        W, H = int(require(img, "width", where)), int(require(img, "height", where))
        path = str(require(img, "file_name", where))
        K = _intrinsics(img, where)
        j2s, j3s, vs = [], [], []
        for k in by_image.get(iid, []):
            a, aw = anns[k], f"{src}: annotations[{k}]"
            rep.persons_read += 1
            if "is_valid" in a and not a["is_valid"]:
                rep.drop("annotations with is_valid = 0")
                continue
            j2 = numeric(require(a, "keypoints_img", aw), (-1, 2), f"{aw}.keypoints_img")
            j3 = numeric(require(a, "keypoints_cam", aw), (-1, 3), f"{aw}.keypoints_cam")
            nj = len(j2)
            if nj not in (17, 21) or len(j3) != nj:
                raise HuporError(f"{aw}: expected 17 or 21 joints in keypoints_img/keypoints_cam, got {nj}/{len(j3)}")
            vis = a.get("keypoints_vis")
            vis = np.ones(nj, bool) if vis is None else numeric(vis, (nj,), f"{aw}.keypoints_vis").astype(bool)
            j2s.append(j2[MPI15_FROM_MUCO])
            j3s.append(j3[MPI15_FROM_MUCO])
            vs.append(np.where(vis[MPI15_FROM_MUCO], 2, 1))
        if not j2s and not keep_empty:
            rep.drop("images without people")
            continue
        meta = {"image_id": iid}
        parent = Path(path).parent.name
        if kind == "mupots" and parent:
            meta["sequence"] = parent
        recs.append(ImageRecord(path, W, H, K, np.array(j2s).reshape(-1, 15, 2), np.array(j3s).reshape(-1, 15, 3),
                                np.array(vs).reshape(-1, 15), None, True, meta))
    rep.images_kept = len(recs)
    rep.persons_kept = sum(r.num_persons for r in recs)
    if kind == "muco":
        rep.notes.append("visibility from keypoints_vis (true -> 2, false -> 1); HUPOR's occlusion_labels.json "
                         "is not public")
    return RecordSet(recs, dataset=kind), rep


def convert_muco(src) -> tuple[RecordSet, ConvertReport]:
    return convert_moon(src, kind="muco")
