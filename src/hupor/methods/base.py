"""The method seam: what every pose-estimation method provides, and the post-stages that run after it.

A **method** turns a batch of letterboxed network inputs into per-image raw outputs and decodes one
image's raw output into :class:`~hupor.codec.Poses` (the one per-image container of every method)::

    class Method(Protocol):
        name: str                       # the key in hupor.methods.METHODS, stored in the bundle
        skeleton: Skeleton
        codec_params: CodecParams       # input size, output stride, map size
        info: dict                      # written into every output's "model" object
        def infer(self, net_in, records=None) -> list[dict]     # (B, H, W, 3) uint8 BGR → raw per image
        def decode(self, raw, letterbox, intrinsics) -> Poses   # one image
        def stages(self, visible_threshold, visible_radius) -> list[Stage]

A **stage** is ``__call__(poses, context) -> poses`` (:class:`StageContext` carries the image's raw
output, letterbox and intrinsics, and for videos the frame index and frame rate): RefineNet
re-projection and joint states (``stages.py``), tracking (``track.py``) and smoothing (``smooth.py``);
stateful stages keep their state in the stage object and offer ``reset()``. ``records`` (ground truth) are read only by methods that need them
(the oracle); others ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..camera import Intrinsics, Letterbox
from ..codec import CodecParams, Poses
from ..skeleton import Skeleton


@dataclass
class StageContext:
    """What a post-stage may read about one image: the method's ``raw`` output, the ``letterbox``
    (original image → network input), the ``intrinsics`` (px of the original image) and, for a
    video, the ``frame`` index and the frame rate ``fps`` (Hz; None or 0 when unknown)."""

    raw: dict
    letterbox: Letterbox
    intrinsics: Intrinsics
    frame: int | None = None
    fps: float | None = None


@runtime_checkable
class Stage(Protocol):
    def __call__(self, poses: Poses, context: StageContext) -> Poses: ...


@runtime_checkable
class Method(Protocol):
    name: str
    skeleton: Skeleton
    codec_params: CodecParams
    info: dict

    def infer(self, net_in: np.ndarray, records=None) -> list[dict]: ...

    def decode(self, raw: dict, letterbox: Letterbox, intrinsics: Intrinsics) -> Poses: ...

    def stages(self, visible_threshold: float, visible_radius: int) -> list[Stage]: ...


def run_stages(poses: Poses, stages, context: StageContext) -> Poses:
    """Apply ``stages`` in order."""
    for stage in stages:
        poses = stage(poses, context)
    return poses
