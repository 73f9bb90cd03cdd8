"""Target codec and 3D decoder (method §4, §7, §8); the network-internal scalings live here alone.

Public API: :class:`Codec` (``encode`` → :class:`Targets`, ``decode`` → :class:`Poses`),
:class:`CodecParams`, :class:`DecodeParams`, ``layout`` (:func:`det_to_maps57`, :func:`maps57_to_det`)
and ``flip`` (:func:`flip_maps57`, :func:`flip_root_depth`, :func:`fuse_flip`). See docs/codec.md.
"""

from __future__ import annotations

from ..skeleton import MPI15, Skeleton
from .encode import SUBSETS, Targets, encode_targets, valid_mask
from .layout import det_to_maps57, maps57_to_det
from .params import CodecParams, DecodeParams
from .poses import Poses


class Codec:
    """Encode ground truth into training targets and decode network maps into 3D people."""

    def __init__(self, skeleton: Skeleton = MPI15, params: CodecParams = CodecParams()):
        self.skeleton = skeleton
        self.params = params

    def encode(self, joints_net, joints_3d_mm, visibility, focal_net, has_3d=True,
               levels=(0, 1, 2, 3, 4), subsets=SUBSETS) -> Targets:
        """Targets of one image (method §4).

        ``joints_net`` (N, J, 2) network-input px (exact, not int-cast); ``joints_3d_mm`` (N, J, 3) mm,
        camera frame (may be None when ``has_3d=False``); ``visibility`` (N, J) in {0, 1, 2};
        ``focal_net`` = fx·s in network-input px. Joints with v = 0 are ignored (may be NaN).
        """
        return encode_targets(self.skeleton, self.params, joints_net, joints_3d_mm, visibility,
                              focal_net, has_3d=has_3d, levels=levels, subsets=subsets)

    def decode(self, maps57, root_depth, letterbox, intrinsics, params: DecodeParams = DecodeParams(),
               det_heat=None) -> Poses:
        """People from maps57 (J+3P, h, w) raw scale and root depth (T, h, w) in ``Z_cm/(fx·s)``
        (numpy or CPU torch), sorted near → far; 2D in original-image px, 3D in mm (method §8).
        ``det_heat`` (J, h, w) in [0, 1]: the detector's own heatmaps; with
        ``params.root_confidence == "detector"`` they, not maps57, gate the root-depth rules."""
        from .decode import decode_maps

        return decode_maps(self.skeleton, self.params, maps57, root_depth, letterbox, intrinsics, params,
                           det_heat)


__all__ = ["Codec", "CodecParams", "DecodeParams", "Poses", "Targets", "SUBSETS", "det_to_maps57",
           "maps57_to_det", "valid_mask"]
