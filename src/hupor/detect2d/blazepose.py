"""MediaPipe BlazePose (Apache-2.0; its weights ship inside the ``mediapipe==0.10.14`` wheel) as a
multi-person COCO-17 keypoint detector: the single-person pose solution run on the whole frame and on
overlapping tiles, merged by :func:`hupor.detect2d.tiles.merge_people`.

Optional, not a dependency of hupor: mediapipe's declared dependencies would install jax and a second
``cv2`` (opencv-contrib-python 5) over hupor's; and it needs ``protobuf<5``, which ``hupor[export]``
(onnx) cannot share an environment with. Install line: :data:`BlazePose.install`.
"""

from __future__ import annotations

import numpy as np

from ..errors import HuporError
from .tiles import TileConfig, merge_people, tile_boxes

#: BlazePose's 33 landmarks → COCO-17 (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles)
BLAZEPOSE_TO_COCO = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)


class BlazePose:
    """``__call__(image BGR uint8 (H, W, 3)) -> (N, 17, 3)`` COCO keypoints (x, y px, score).

    The score is BlazePose's landmark visibility (0.95–0.99 even on partly hidden people: a weak
    occlusion signal), set to 0 for landmarks a tile's crop does not contain (the detector guessed
    them). ``model_complexity`` 1 ("full", the largest model in the wheel) or 0 ("lite")."""

    name = "mediapipe"
    model = "mediapipe-0.10.14 BlazePose (pose_landmark_full), tiled"
    install = ('pip install mediapipe==0.10.14 --no-deps && pip install absl-py attrs flatbuffers "protobuf<5" '
               "(in an environment without hupor[export]: onnx needs protobuf>=6; docs/lift.md)")

    def __init__(self, tiles: TileConfig = TileConfig(), model_complexity: int = 1,
                 min_detection_confidence: float = 0.5):
        try:
            from mediapipe.python.solutions import pose as mp_pose
        except ImportError as exc:
            raise HuporError(f"--2d mediapipe: mediapipe is not installed ({exc}); install it with: "
                             f"{self.install}") from None
        if model_complexity not in (0, 1):
            raise HuporError(f"BlazePose model_complexity: 0 or 1 (the wheel ships lite and full), got "
                             f"{model_complexity}")
        self.tiles = tiles
        self._pose = mp_pose.Pose(static_image_mode=True, model_complexity=model_complexity,
                                  min_detection_confidence=min_detection_confidence)

    def detect_crop(self, rgb: np.ndarray) -> np.ndarray | None:
        """One person in an RGB crop → (17, 3) keypoints in crop px, or None."""
        res = self._pose.process(rgb)
        if res.pose_landmarks is None:
            return None
        lm = res.pose_landmarks.landmark
        h, w = rgb.shape[:2]
        return np.array([(lm[i].x * w, lm[i].y * h, lm[i].visibility) for i in BLAZEPOSE_TO_COCO], np.float64)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3):
            raise HuporError("BlazePose: needs a uint8 (H, W, 3) BGR image")
        rgb = np.ascontiguousarray(image[..., ::-1])
        found = []
        for x0, y0, x1, y1 in tile_boxes(image.shape[1], image.shape[0], self.tiles):
            k = self.detect_crop(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
            if k is None:
                continue
            inside = (k[:, 0] >= 0) & (k[:, 0] < x1 - x0) & (k[:, 1] >= 0) & (k[:, 1] < y1 - y0)
            k[:, 0] += x0
            k[:, 1] += y0
            k[:, 2] = np.clip(k[:, 2], 0.0, 1.0) * inside
            found.append(k)
        if not found:
            return np.zeros((0, 17, 3))
        return merge_people(np.stack(found), self.tiles)
