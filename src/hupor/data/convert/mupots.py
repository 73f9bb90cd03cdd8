"""MuPoTS-3D release (``TS*/annot.mat`` + ``occlusion.mat``) → canonical records.

Per frame one image ``TS{n}/img_{f:06d}.jpg`` (TS1–5 2048x2048, TS6–20 1920x1080) with its valid
people in slot order: 2D = ``annot2``, 3D = ``annot3`` (camera frame, consistent with the 2D),
``meta["univ_3d_mm"]`` = ``univ_annot3`` (what the official evaluation scores), visibility 1 where
occlusion.mat says occluded, else 2. Intrinsics are fitted per sequence from annot2/annot3 (the
release ships none). 17 → 15 joints with the SMAP MuPoTS→MPI15 table (spine and head dropped).
Moon's ``MuPoTS-3D.json`` is handled by :func:`hupor.data.convert.muco.convert_moon`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...camera import Intrinsics
from ...errors import HuporError
from ...records import ImageRecord, RecordSet
from ...skeleton import MUPOTS17
from .base import ConvertReport

MPI15_FROM_MUPOTS = list(MUPOTS17.to_mpi15)


def convert_mupots(src) -> tuple[RecordSet, ConvertReport]:
    from ...eval.mupots_io import (_sequence_dirs, fit_intrinsics, read_annot_mat, read_occlusion_mat,
                                   sequence_size)

    src = Path(src)
    if src.is_file() and src.suffix == ".json":
        from .muco import convert_moon

        return convert_moon(src, kind="mupots")
    dirs = _sequence_dirs(src) if src.is_dir() else []
    if not dirs:
        raise HuporError(f"{src}: no TS<n>/annot.mat found (expected the MuPoTS-3D release layout)")
    rep = ConvertReport("mupots", str(src))
    recs = []
    for n, d in dirs:
        a = read_annot_mat(d / "annot.mat")
        occ_path = d / "occlusion.mat"
        if occ_path.is_file():
            occ = read_occlusion_mat(occ_path, a["valid"].shape)
        else:
            occ = np.zeros(a["valid"].shape + (17,), bool)
            rep.notes.append(f"TS{n}: no occlusion.mat, every joint marked visible")
        valid = a["valid"]
        rep.drop("invalid person slots (isValidFrame = 0)", int((~valid).sum()))
        if not valid.any():
            rep.notes.append(f"TS{n}: no valid person, intrinsics unknown; sequence skipped")
            rep.images_read += valid.shape[0]
            rep.drop("frames of a sequence without any valid person", valid.shape[0])
            continue
        K = Intrinsics(*fit_intrinsics(a["annot2"][valid], a["annot3"][valid]))
        w, h = sequence_size(n)
        for f in range(valid.shape[0]):
            rep.images_read += 1
            sel = valid[f]
            rep.persons_read += int(sel.sum())
            v = np.where(occ[f, sel][:, MPI15_FROM_MUPOTS], 1, 2)
            meta = {"sequence": f"TS{n}", "frame": f,
                    "univ_3d_mm": np.round(a["univ_annot3"][f, sel][:, MPI15_FROM_MUPOTS], 4).tolist()}
            recs.append(ImageRecord(f"TS{n}/img_{f:06d}.jpg", w, h, K, a["annot2"][f, sel][:, MPI15_FROM_MUPOTS],
                                    a["annot3"][f, sel][:, MPI15_FROM_MUPOTS], v, None, True, meta))
    rep.images_kept = len(recs)
    rep.persons_kept = sum(r.num_persons for r in recs)
    return RecordSet(recs, dataset="mupots"), rep
