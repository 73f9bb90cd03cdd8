"""BlazePose (MediaPipe's Apache-2.0 pose models, shipped in ``hupor/assets/blazepose/``) run by
``ai-edge-litert`` as a multi-person COCO-17 keypoint detector, without mediapipe
(``pip install "hupor[real]"``; ``hupor predict --2d blazepose``).

People are found in three ways, all merged at the end:

1. BlazePose's own person detector (224×224 input) on the whole frame and on overlapping square
   tiles (:func:`hupor.detect2d.tiles.tile_boxes`), so people far below 224 px are seen too; each
   detection becomes a rotated region of interest (ROI, :mod:`hupor.detect2d.blaze_ops`);
2. OpenCV's HOG people detector (``cv2.HOGDescriptor_getDefaultPeopleDetector``, built into OpenCV,
   no weights), upright person boxes → square ROIs, for people the face-based detector misses;
3. ROIs overlapping an earlier one by more than ``roi_iou`` are dropped (detections first).

Each ROI goes through the 256×256 landmark model. A person is kept when the model's pose-presence
score reaches ``min_presence`` and the mean visibility of the 12 limb landmarks reaches
``min_visibility`` (no skeletons on bollards and cloth); duplicates from different ROIs are merged by
keypoint distance (:func:`hupor.detect2d.tiles.merge_people`); each remaining person goes through a
second pass on the ROI its own landmarks give (as MediaPipe's tracking does), which also drops the
people that do not hold still there (:meth:`BlazePose.second_pass`), and the result is merged
again. Keypoints are in integer-centred px of the image; the score is the landmark's visibility, 0
for landmarks outside the image.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import HuporError
from . import blaze_ops as ops
from .tiles import TileConfig, merge_people, merged_index, tile_boxes

#: BlazePose's 33 landmarks → COCO-17 (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles)
BLAZEPOSE_TO_COCO = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
LIMB_LANDMARKS = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
ASSET_DIR = Path(__file__).resolve().parents[1] / "assets" / "blazepose"
INSTALL = 'pip install "hupor[real]"'


def available() -> bool:
    """True when the real-photo detector can run here (``ai-edge-litert`` importable, weights present)."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return (ASSET_DIR / "pose_detection.tflite").is_file() and (ASSET_DIR / "pose_landmark_full.tflite").is_file()


class LiteModels:
    """The two tflite models under ai-edge-litert, one thread each.

    ``detect(x (1, 224, 224, 3)) -> (raw boxes (2254, 12), raw scores (2254,))``;
    ``landmarks(x (1, 256, 256, 3)) -> (raw (195,), presence, heatmaps (64, 64, 39))``."""

    def __init__(self, asset_dir: Path = ASSET_DIR, threads: int = 1):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise HuporError(f"--2d blazepose: ai-edge-litert is not installed ({exc}); install it with: "
                             f"{INSTALL}") from None
        self._det = self._load(Interpreter, Path(asset_dir) / "pose_detection.tflite", threads)
        self._lmk = self._load(Interpreter, Path(asset_dir) / "pose_landmark_full.tflite", threads)
        det_out = {tuple(d["shape"][1:]): d["index"] for d in self._det.get_output_details()}
        self._det_boxes, self._det_scores = det_out[(2254, 12)], det_out[(2254, 1)]
        lmk_out = {tuple(d["shape"][1:]): d["index"] for d in self._lmk.get_output_details()}
        self._lm_raw, self._lm_flag, self._lm_heat = lmk_out[(195,)], lmk_out[(1,)], lmk_out[(64, 64, 39)]

    @staticmethod
    def _load(Interpreter, path: Path, threads: int):
        if not path.is_file():
            raise HuporError(f"{path}: BlazePose weights missing (reinstall hupor, or run tools/fetch_blazepose.py)")
        try:
            it = Interpreter(model_path=str(path), num_threads=threads)
            it.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise HuporError(f"{path}: cannot load the tflite model ({exc})") from None
        return it

    def _run(self, it, x):
        it.set_tensor(it.get_input_details()[0]["index"], np.ascontiguousarray(x, np.float32))
        it.invoke()

    def detect(self, x):
        self._run(self._det, x)
        return self._det.get_tensor(self._det_boxes)[0], self._det.get_tensor(self._det_scores)[0, :, 0]

    def landmarks(self, x):
        self._run(self._lmk, x)
        return (self._lmk.get_tensor(self._lm_raw)[0], float(self._lmk.get_tensor(self._lm_flag).reshape(-1)[0]),
                self._lmk.get_tensor(self._lm_heat)[0])


@dataclass(frozen=True)
class BlazeConfig:
    """``min_detection``: person-detector score; ``min_presence``: landmark model's pose presence;
    ``min_visibility``: mean visibility of the 12 limb landmarks; ``roi_iou``: ROIs overlapping an
    earlier one more than this are dropped; ``hog``: also use OpenCV's HOG people boxes
    (``hog_threshold``: their SVM score); ``refine``: which ROIs get a second landmark pass on the
    landmarks' own ROI (``"all"``, the default; ``"hog"``: the coarse upright boxes only; ``"none"``),
    which also drops people that move by more than ``max_shift`` × their height in that pass."""

    min_detection: float = 0.5
    min_presence: float = 0.5
    min_visibility: float = 0.5
    roi_iou: float = 0.4
    hog: bool = True
    hog_threshold: float = 0.5
    refine: str = "all"
    max_shift: float = 0.2

    def __post_init__(self):
        if self.refine not in ("hog", "all", "none"):
            raise HuporError(f"BlazeConfig.refine: 'hog', 'all' or 'none', got {self.refine!r}")
        for name in ("min_detection", "min_presence", "min_visibility", "roi_iou"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise HuporError(f"BlazeConfig.{name}: must be in [0, 1], got {getattr(self, name)}")


class BlazePose:
    """``__call__(image BGR uint8 (H, W, 3)) -> (N, 17, 3)`` COCO keypoints (x, y px, score).

    ``models``: what runs the networks (default :class:`LiteModels`; any object with the same
    ``detect`` / ``landmarks`` methods)."""

    name = "blazepose"
    model = "BlazePose full (mediapipe 0.10.21 tflite, ai-edge-litert), tiles + HOG boxes"
    install = INSTALL

    def __init__(self, tiles: TileConfig = TileConfig(), config: BlazeConfig = BlazeConfig(), models=None):
        self.tiles, self.config = tiles, config
        self.models = models if models is not None else LiteModels()
        self._anchors = ops.ssd_anchors()
        self._hog = None

    # -- regions of interest -----------------------------------------------------------------------
    def detect_rois(self, image: np.ndarray) -> list[tuple[float, ops.Roi]]:
        """(score, ROI) of the person detector on one crop, in that crop's continuous px."""
        x, fit = ops.letterbox(image)
        raw_boxes, raw_scores = self.models.detect(x)
        dets, scores = ops.decode_detections(raw_boxes, raw_scores, self._anchors, self.config.min_detection)
        dets, scores = ops.weighted_nms(dets, scores)
        return [(float(s), ops.detection_roi(fit.to_image(d[4:].reshape(4, 2)))) for d, s in zip(dets, scores)]

    def hog_rois(self, image: np.ndarray) -> list[tuple[float, ops.Roi]]:
        """(score, ROI) of OpenCV's HOG people detector on the whole image (its window sees people
        from ~100 px tall; frames under 512 px are upscaled to 512, frames over 800 px downscaled to
        800, which bounds its cost)."""
        import cv2

        if self._hog is None:
            self._hog = cv2.HOGDescriptor()
            self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        side = max(image.shape[:2])
        up = min(2.0, 512.0 / side) if side < 512 else min(1.0, 800.0 / side)
        img = image if up == 1 else cv2.resize(image, None, fx=up, fy=up,
                                                interpolation=cv2.INTER_LINEAR if up > 1 else cv2.INTER_AREA)
        rects, weights = self._hog.detectMultiScale(img, winStride=(8, 8), padding=(8, 8), scale=1.1)
        out = []
        for (x, y, w, h), wt in zip(np.asarray(rects).reshape(-1, 4), np.asarray(weights).reshape(-1)):
            if wt >= self.config.hog_threshold:
                out.append((float(wt), ops.box_roi(np.array([x, y, x + w, y + h]) / up, scale=1.0)))
        return out

    def crops(self, image: np.ndarray) -> np.ndarray:
        """The crops (K, 4) the person detector sees: the whole frame, then square tiles of the
        larger of ``tiles.tile`` and a third of the frame's longer side (at most 5 × 5 tiles)."""
        h, w = image.shape[:2]
        tiles = self.tiles
        if tiles.tile:
            tiles = replace(tiles, tile=max(tiles.tile, int(np.ceil(max(w, h) / 3))))
        return tile_boxes(w, h, tiles)

    def crop_rois(self, image: np.ndarray, box) -> list[tuple[float, ops.Roi]]:
        """(score, ROI) of the person detector on the crop ``box`` (x0, y0, x1, y1), ROIs in image px."""
        x0, y0, x1, y1 = (int(v) for v in box)
        sub = image if (x0, y0, x1, y1) == (0, 0, image.shape[1], image.shape[0]) else image[y0:y1, x0:x1]
        return [(s, ops.Roi(r.cx + x0, r.cy + y0, r.size, r.rotation))
                for s, r in self.detect_rois(np.ascontiguousarray(sub))]

    def rois(self, image: np.ndarray, with_scores: bool = False) -> list[tuple]:
        """All ROIs of the image (continuous px) as ``(from the person detector, ROI)``: the detector
        on :meth:`crops` first, best score first, then HOG boxes; an ROI overlapping a kept one by
        more than ``roi_iou`` (box IoU) is dropped. ``with_scores``: ``(from detector, score, ROI)``
        (the detector's score; a HOG box's SVM score ÷ 3, at most 1)."""
        found = [(1.0, s, r) for box in self.crops(image) for s, r in self.crop_rois(image, box)]
        if self.config.hog:
            found += [(0.0, min(1.0, s / 3.0), r) for s, r in self.hog_rois(image)]
        found.sort(key=lambda t: (-t[0], -t[1]))
        kept: list[tuple[bool, ops.Roi]] = []
        for from_detector, score, r in found:
            if r.size < self.tiles.min_height:
                continue
            if kept and ops.box_iou(r.box()[None], np.stack([k[-1].box() for k in kept]))[0].max() > self.config.roi_iou:
                continue
            kept.append((bool(from_detector), r) if not with_scores else (bool(from_detector), score, r))
        return kept

    # -- landmarks -------------------------------------------------------------------------------
    def person(self, image: np.ndarray, roi: ops.Roi) -> np.ndarray | None:
        """One ROI → (35, 4) landmarks (x, y continuous px, visibility, presence) or None when the
        model says no person is there."""
        raw, presence, heat = self.models.landmarks(ops.crop(image, roi))
        if presence < self.config.min_presence:
            return None
        return ops.decode_landmarks(raw, heat, roi)

    def second_pass(self, image: np.ndarray, lm: np.ndarray) -> np.ndarray | None:
        """The landmark model again on the ROI that landmarks ``lm`` (35, 4) give. None when it finds
        no one there or the limb landmarks move by more than ``config.max_shift`` × the skeleton's
        height (median): a real body is a fixed point of the crop, a hallucination in a badly
        framed ROI is not."""
        again = self.person(image, ops.detection_roi(lm[33:35, :2]))
        if again is None:
            return None
        limbs = list(LIMB_LANDMARKS)
        height = np.ptp(lm[limbs, 1]) + 1e-9
        if np.median(np.linalg.norm(again[limbs, :2] - lm[limbs, :2], axis=1)) > self.config.max_shift * height:
            return None
        return again

    def to_coco(self, lm: np.ndarray, width: int, height: int) -> np.ndarray:
        """(35, 4) landmarks → (17, 3) COCO keypoints in integer-centred px; landmarks outside the
        image score 0."""
        k = lm[list(BLAZEPOSE_TO_COCO)]
        inside = (k[:, 0] >= 0) & (k[:, 0] < width) & (k[:, 1] >= 0) & (k[:, 1] < height)
        return np.concatenate([ops.to_integer_centred(k[:, :2]), (np.clip(k[:, 2], 0, 1) * inside)[:, None]], 1)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
            raise HuporError("BlazePose: needs a uint8 (H, W, 3) BGR image")
        h, w = image.shape[:2]
        cand = []                                     # first pass on every ROI: (from detector, score, landmarks)
        for from_detector, score, roi in self.rois(image, with_scores=True):
            lm = self.person(image, roi)
            if lm is not None and lm[list(LIMB_LANDMARKS), 2].mean() >= self.config.min_visibility:
                cand.append((from_detector, score * lm[list(LIMB_LANDMARKS), 2].mean(), lm))
        if cand and self.config.refine != "none":     # second pass on the distinct people
            keep = merged_index(self._coco(cand, w, h), self.tiles, [c[1] for c in cand])
            cand = [(d, p, self.second_pass(image, lm) if self.config.refine == "all" or not d else lm)
                    for d, p, lm in (cand[i] for i in keep)]
            cand = [c for c in cand if c[2] is not None and c[2][list(LIMB_LANDMARKS), 2].mean() >= self.config.min_visibility]
        if not cand:
            return np.zeros((0, 17, 3))
        return merge_people(self._coco(cand, w, h), self.tiles, [c[1] for c in cand])

    def _coco(self, cand, width: int, height: int) -> np.ndarray:
        return np.stack([self.to_coco(c[2], width, height) for c in cand])
