"""Real 2D keypoint detectors whose weights ship in a package, feeding the image-free lifter
(``hupor predict --2d NAME``, ``hupor.methods.lift2d.Lift2DMethod``; docs/lift.md).

A detector is ``__call__(image BGR uint8 (H, W, 3)) -> (N, 17, 3)``: COCO-17 keypoints per person,
x, y in px of that image and a score in [0, 1]. ``tiles.py`` holds the detector-independent parts
(crops of a frame, duplicate removal) so that a single-person detector sees people of every size.
Optional: BlazePose's runtime (``ai-edge-litert``) is the ``real`` extra (``DETECTORS[name].install``
says how to install it); its weights ship in ``hupor/assets/blazepose/``.
"""

from __future__ import annotations

from .blazepose import BlazeConfig, BlazePose, available
from .tiles import TileConfig, merge_people, skeleton_boxes, tile_boxes

#: ``--2d`` name → detector class (``__init__(TileConfig)``; class attribute ``install``);
#: ``mediapipe`` is the old name of the same BlazePose models (mediapipe itself is not used)
DETECTORS = {"blazepose": BlazePose, "mediapipe": BlazePose}

__all__ = ["DETECTORS", "BlazeConfig", "BlazePose", "TileConfig", "available", "merge_people", "skeleton_boxes",
           "tile_boxes"]
