"""Converters from real datasets into the canonical records format (:class:`hupor.records.RecordSet`).

``convert(kind, src, **options) -> (RecordSet, ConvertReport)``; kinds and their sources:

* ``smap``: SMAP's ``{"root": [...]}`` json (MuCo.json, M3E_gt.json, SMAP's COCO json)
* ``mupots``: the MuPoTS-3D release folder (``TS*/annot.mat``, ``occlusion.mat``) or Moon's MuPoTS-3D.json
* ``muco``: Moon's MuCo-3DHP.json
* ``coco``: COCO ``person_keypoints_*.json``
* ``crowdpose``: CrowdPose ``crowdpose_*.json``
* ``h36m``: the per-subject Human3.6M json release folder
"""

from __future__ import annotations

import importlib

from ...errors import HuporError
from .base import ConvertReport

KINDS = {
    "smap": ("smap", "convert_smap"),
    "mupots": ("mupots", "convert_mupots"),
    "muco": ("muco", "convert_muco"),
    "coco": ("coco", "convert_coco"),
    "crowdpose": ("coco", "convert_crowdpose"),
    "h36m": ("h36m", "convert_h36m"),
}


def convert(kind: str, src, **options):
    """Run the converter for ``kind``; returns (RecordSet, ConvertReport)."""
    if kind not in KINDS:
        raise HuporError(f"unknown dataset kind {kind!r}; known: {', '.join(KINDS)}")
    module, func = KINDS[kind]
    fn = getattr(importlib.import_module(f"{__name__}.{module}"), func)
    return fn(src, **options)


__all__ = ["KINDS", "ConvertReport", "convert"]
