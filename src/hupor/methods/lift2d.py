"""A real 2D keypoint detector + the image-free lifter (``hupor predict --2d NAME``).

The detector (``hupor.detect2d``, e.g. MediaPipe BlazePose) runs on the **full-resolution** frame
(``full_frame = True``: ``Predictor`` hands this method the original images, not network inputs) and
gives COCO-17 keypoints per person; they are mapped to MPI15 (:func:`hupor.lift.coco.coco_to_mpi15`)
and lifted to metric 3D in the camera frame by :class:`hupor.lift.lifter.Lifter` (body-size root
depth, RefineNet on flat features; docs/lift.md). Joint states come from the lifter: ``visible``
for keypoints scoring at least ``threshold``, ``occluded_inferred`` for the joints it inferred
(always ``head_top``). Tracking and smoothing stages run after it as after any method.
"""

from __future__ import annotations

import numpy as np

from ..camera import Intrinsics, Letterbox
from ..codec import CodecParams, Poses


class Lift2DMethod:
    """``detector``: ``image BGR → (N, 17, 3)`` COCO keypoints (``hupor.detect2d``); ``bundle``: a
    lift model bundle (``method: lift``); ``threshold`` / ``root_threshold`` as ``hupor lift``;
    ``floor``: a known :class:`hupor.lift.floor.Floor` (``--camera-height --pitch``)."""

    name = "lift"
    full_frame = True

    def __init__(self, detector, bundle, threshold: float = 0.3, root_threshold: float = 0.05,
                 model_name: str = "lift", floor=None):
        from ..lift.lifter import Lifter

        self.detector = detector
        self.lifter = Lifter(bundle)
        self.skeleton = bundle.skeleton
        self.codec_params: CodecParams = bundle.codec_params()
        self.threshold, self.root_threshold = float(threshold), float(min(root_threshold, threshold))
        self.floor = floor
        self.info = {"method": "lift", "name": model_name, "detector_2d": getattr(detector, "model", str(detector))}
        if floor is not None:
            self.info["floor"] = {"camera_height_mm": floor.camera_height_mm, "pitch_deg": floor.pitch_deg}

    def infer(self, images, records=None) -> list[dict]:
        """Full-resolution BGR images (a list) → ``{"keypoints": (N, 17, 3)}`` per image."""
        return [{"keypoints": self.detector(im)} for im in images]

    def decode(self, raw: dict, letterbox: Letterbox, intrinsics: Intrinsics) -> Poses:
        return self.lifter.lift_coco(np.asarray(raw["keypoints"]).reshape(-1, 17, 3), letterbox.image_w,
                                     letterbox.image_h, intrinsics, self.threshold, self.root_threshold,
                                     floor=self.floor)

    def stages(self, visible_threshold: float = 0.3, visible_radius: int = 1) -> list:
        return []
