"""The oracle: a perfect detector and reasoner, for the ceiling rows of the benchmarks.

It reads each image's ground truth (``records``) instead of the pixels and decodes the codec's own
ground-truth maps of **all** labelled joints (the "all" subset at label level ``level``) with the HUPOR
decoder, so its score is what the output map size, the codec and the decoder allow. Root depth:

* ``root="visible"``: a perfect *visible-only* root-depth head (:func:`hupor.bench.gt_root_depth`):
  each visible torso joint's depth painted around it, every other pixel the nearest painted value;
* ``root="perfect"``: the same painted from every labelled torso joint, occluded ones included (what
  the root-depth rule would give with a perfect depth at every torso joint).

Joint states: ``visible`` where the ground truth says visible (the "vis" heatmaps serve as the
detector's heatmaps). It needs no weights; it goes through ``Predictor`` and the benchmarks like any
method (``Predictor(method=OracleMethod(...))``, ``predict_arrays(..., records=...)``).
"""

from __future__ import annotations

import numpy as np

from ..camera import Intrinsics, Letterbox
from ..codec import Codec, CodecParams, DecodeParams, Poses
from ..errors import HuporError
from ..skeleton import MPI15, Skeleton
from .stages import JointStateStage

ROOTS = ("visible", "perfect")


class OracleMethod:
    """Decode ground-truth maps. ``codec_params``: input size and stride; ``level``: label level
    (σ of ``codec_params.sigmas[level]`` output px); ``root``: see the module docstring."""

    name = "oracle"

    def __init__(self, codec_params: CodecParams, skeleton: Skeleton = MPI15, level: int = 4,
                 root: str = "visible", decode: DecodeParams | None = None, root_radius: int = 2):
        if root not in ROOTS:
            raise HuporError(f"oracle root: must be one of {ROOTS}, got {root!r}")
        if not 0 <= level < codec_params.num_levels:
            raise HuporError(f"oracle level: must be in 0..{codec_params.num_levels - 1}, got {level}")
        self.skeleton = skeleton
        self.codec_params = codec_params
        self.codec = Codec(skeleton, codec_params)
        self.level, self.root, self.root_radius = int(level), root, int(root_radius)
        self.decode_params = decode if decode is not None else DecodeParams()
        self.info = {"method": self.name, "level": self.level, "root": root, "stride": codec_params.stride}

    def infer(self, net_in: np.ndarray, records=None) -> list[dict]:
        """Ground-truth maps per record (``net_in`` only fixes the batch size and is not read)."""
        from ..bench.definition import gt_root_depth
        from ..data.transforms import sample_transform, transform_joints

        if records is None or len(records) != len(net_in):
            raise HuporError("the oracle method needs one ground-truth record per image (records=...)")
        p = self.codec_params
        out = []
        for rec in records:
            t = sample_transform(rec.width, rec.height, p.net_w, p.net_h, None, None, rec.has_3d)
            j2, j3, vis = transform_joints(rec, t, self.skeleton)
            focal = rec.intrinsics.fx * t.scale
            tg = self.codec.encode(j2, j3, vis, focal, levels=(self.level,), subsets=("vis", "all"))
            rd_vis = vis if self.root == "visible" else np.where(vis >= 1, 2, 0).astype(vis.dtype)
            rd_t = tg.root_depth if self.root == "visible" else self.codec.encode(
                j2, j3, rd_vis, focal, levels=(self.level,), subsets=("vis",)).root_depth
            rd = gt_root_depth(rd_t, p.map_h, p.map_w, focal, self.root_radius)
            heat = tg.maps["vis"][0, :self.skeleton.num_joints] / p.heatmap_peak
            out.append({"maps57": tg.maps["all"][0], "root_depth": rd, "det_heat": heat})
        return out

    def decode(self, raw: dict, letterbox: Letterbox, intrinsics: Intrinsics) -> Poses:
        return self.codec.decode(raw["maps57"], raw["root_depth"], letterbox, intrinsics, self.decode_params,
                                 raw.get("det_heat"))

    def stages(self, visible_threshold: float = 0.2, visible_radius: int = 1) -> list:
        return [JointStateStage(self.codec_params.stride, visible_threshold, visible_radius)]
