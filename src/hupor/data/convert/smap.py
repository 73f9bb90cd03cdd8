"""SMAP's unified json (``{"root": [...]}``, bodys N x 15 x 11 in cm: MuCo.json, M3E_gt.json, the
COCO json of ``create_annot.py``) → canonical records (data-and-eval.md §1.1–1.2)."""

from __future__ import annotations

from pathlib import Path

from ...fileio import read_json
from ...records import RecordSet, from_smap
from .base import ConvertReport


def convert_smap(src, dataset: str | None = None) -> tuple[RecordSet, ConvertReport]:
    """Lossless import via :func:`hupor.records.from_smap`; the dataset name defaults to the images'
    ``dataset`` field (lower-cased). The sequence of an image is its folder (``TS1`` for MuPoTS)."""
    src = Path(src)
    rs = from_smap(read_json(src), str(src))
    rep = ConvertReport("smap", str(src))
    rep.images_read = rep.images_kept = len(rs)
    rep.persons_read = rep.persons_kept = sum(r.num_persons for r in rs.records)
    names = {str(r.meta.get("dataset", "")).lower() for r in rs.records} - {""}
    rs.dataset = dataset or (names.pop() if len(names) == 1 else "smap")
    for r in rs.records:
        parent = Path(r.path.replace("\\", "/")).parent.name
        if parent and "sequence" not in r.meta:
            r.meta["sequence"] = parent
    n2d = sum(1 for r in rs.records if not r.has_3d)
    if n2d:
        rep.notes.append(f"{n2d} images have no 3D (all Z = 0): imported as 2D-only")
    return rs, rep
