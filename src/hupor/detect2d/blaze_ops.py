"""BlazePose's pre- and post-processing in numpy/OpenCV (no mediapipe): SSD anchors, the person
detector's box/keypoint decoding and weighted NMS, the rotated region of interest (ROI) of a detection,
the ROI crop for the landmark model, heatmap refinement and the projection of landmarks back.

Facts of the models (mediapipe 0.10.x graphs ``pose_detection_cpu``, ``pose_detection_to_roi``,
``tensors_to_pose_landmarks_and_segmentation``): the detector sees the frame letterboxed into 224×224
(black padding), values in [−1, 1]; it returns 2254 anchors × (box x, y, w, h + 4 keypoints) and a
logit. Keypoint 0 is the mid-hip, keypoint 1 a point whose distance from it is half the body's
circle, and whose direction sets the ROI's rotation. The ROI is that circle's square × 1.25; the
landmark model sees it as 256×256 in [0, 1] and returns 39 landmarks × (x, y, z, visibility logit,
presence logit) in crop px, a pose-presence score, and 64×64 heatmaps that refine x, y.

Coordinates here are **continuous** pixels (pixel ``i`` covers ``[i, i + 1)``) of the original image
unless a name says otherwise; :func:`to_integer_centred` converts to hupor's integer-centred pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DET_SIZE = 224
LMK_SIZE = 256
ROI_SCALE = 1.25


def ssd_anchors(size: int = DET_SIZE, strides=(8, 16, 32, 32, 32)) -> np.ndarray:
    """(2254, 2) anchor centres in [0, 1] (x, y) of the 224×224 detector input: per stride, the
    cells row by row, each repeated twice per layer of that stride (aspect ratio 1 plus the
    interpolated scale; fixed anchor size, so only the centres matter)."""
    out = []
    i = 0
    while i < len(strides):
        s = strides[i]
        n_layers = sum(1 for t in strides[i:] if t == s)
        fm = int(np.ceil(size / s))
        ys, xs = np.meshgrid((np.arange(fm) + 0.5) / fm, (np.arange(fm) + 0.5) / fm, indexing="ij")
        cells = np.stack([xs.ravel(), ys.ravel()], 1)
        out.append(np.repeat(cells, 2 * n_layers, axis=0))
        i += n_layers
    return np.concatenate(out).astype(np.float64)


@dataclass(frozen=True)
class Fit:
    """A frame letterboxed into a square network input: ``x_net = scale · x + pad_x`` (continuous px)."""

    scale: float
    pad_x: float
    pad_y: float

    def to_image(self, xy_net: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy_net, np.float64)
        return (xy - np.array([self.pad_x, self.pad_y])) / self.scale


def letterbox(image: np.ndarray, size: int = DET_SIZE) -> tuple[np.ndarray, Fit]:
    """uint8 BGR (H, W, 3) → the detector input (1, size, size, 3) float32 RGB in [−1, 1] (padding
    black, i.e. −1) and its :class:`Fit`."""
    h, w = image.shape[:2]
    s = size / max(w, h)
    nw, nh = max(1, int(round(w * s))), max(1, int(round(h * s)))
    small = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    px, py = (size - nw) // 2, (size - nh) // 2
    canvas = np.zeros((size, size, 3), np.uint8)
    canvas[py:py + nh, px:px + nw] = small
    x = canvas[..., ::-1].astype(np.float32) / 127.5 - 1.0
    return x[None], Fit(scale=nw / w, pad_x=float(px), pad_y=float(py))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, np.float64), -100.0, 100.0)))


def decode_detections(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray,
                      min_score: float = 0.5, size: int = DET_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Detector outputs (2254, 12), (2254,) or (2254, 1) → ``(boxes (N, 4) x0, y0, x1, y1, keypoints
    (N, 4, 2))`` in detector-input px (continuous) and ``scores (N,)``, for scores ≥ ``min_score``."""
    r = np.asarray(raw_boxes, np.float64).reshape(-1, 12)
    score = sigmoid(np.asarray(raw_scores).reshape(-1))
    keep = score >= min_score
    r, a, score = r[keep], anchors[keep] * size, score[keep]
    cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
    w, h = r[:, 2], r[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    kps = r[:, 4:12].reshape(-1, 4, 2) + a[:, None, :]
    return np.concatenate([boxes, kps.reshape(-1, 8)], 1), score


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes (N, 4) against (M, 4), x0, y0, x1, y1 → (N, M)."""
    a, b = np.asarray(a, np.float64)[:, None, :4], np.asarray(b, np.float64)[None, :, :4]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area = lambda z: np.clip(z[..., 2] - z[..., 0], 0, None) * np.clip(z[..., 3] - z[..., 1], 0, None)
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


def weighted_nms(dets: np.ndarray, scores: np.ndarray, iou: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe's weighted NMS: the best remaining detection absorbs every one overlapping it by
    more than ``iou`` (box IoU); the kept row is their score-weighted mean, with the best's score."""
    dets, scores = np.asarray(dets, np.float64), np.asarray(scores, np.float64)
    order = np.argsort(-scores, kind="stable")
    dets, scores = dets[order], scores[order]
    alive = np.ones(len(dets), bool)
    out, out_s = [], []
    for i in range(len(dets)):
        if not alive[i]:
            continue
        grp = alive & (box_iou(dets[i:i + 1], dets)[0] > iou)
        grp[i] = True
        wts = scores[grp]
        out.append((dets[grp] * wts[:, None]).sum(0) / wts.sum())
        out_s.append(scores[i])
        alive &= ~grp
    if not out:
        return np.zeros((0, dets.shape[1] if dets.ndim == 2 else 12)), np.zeros(0)
    return np.array(out), np.array(out_s)


@dataclass(frozen=True)
class Roi:
    """A rotated square region of interest: centre (continuous px), side (px) and rotation (rad; 0 =
    upright, positive turns the crop's up direction toward +x)."""

    cx: float
    cy: float
    size: float
    rotation: float = 0.0

    def box(self) -> np.ndarray:
        """Axis-aligned x0, y0, x1, y1 enclosing the rotated square."""
        half = 0.5 * self.size * (abs(np.cos(self.rotation)) + abs(np.sin(self.rotation)))
        return np.array([self.cx - half, self.cy - half, self.cx + half, self.cy + half])

    def _basis(self) -> np.ndarray:
        c, s = np.cos(self.rotation), np.sin(self.rotation)
        return self.size * np.array([[c, -s], [s, c]])

    def crop_matrix(self, out: int = LMK_SIZE) -> np.ndarray:
        """2×3 map from crop integer pixels to image integer pixels (``cv2.WARP_INVERSE_MAP``)."""
        A = self._basis() / out
        b = np.array([self.cx, self.cy]) - 0.5 + self._basis() @ np.array([0.5 / out - 0.5] * 2)
        return np.concatenate([A, b[:, None]], 1)

    def to_image(self, uv_norm: np.ndarray) -> np.ndarray:
        """Landmarks (…, 2) in crop-normalised [0, 1] → image continuous px."""
        uv = np.asarray(uv_norm, np.float64) - 0.5
        return uv @ self._basis().T + np.array([self.cx, self.cy])


def detection_roi(keypoints_px: np.ndarray) -> Roi:
    """A detection's keypoints (4, 2) in image px → its :class:`Roi` (mid-hip centre, twice the
    mid-hip → scale-point distance × 1.25, rotated so the scale point is up)."""
    k = np.asarray(keypoints_px, np.float64)
    d = k[1] - k[0]
    rot = np.pi / 2 - np.arctan2(-d[1], d[0])
    rot = (rot + np.pi) % (2 * np.pi) - np.pi
    return Roi(float(k[0, 0]), float(k[0, 1]), float(2.0 * np.hypot(*d) * ROI_SCALE), float(rot))


def box_roi(box, scale: float = 1.1) -> Roi:
    """An upright person box x0, y0, x1, y1 (e.g. a HOG window) → a square upright :class:`Roi` on its
    centre, side ``scale`` × the longer side."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return Roi(0.5 * (x0 + x1), 0.5 * (y0 + y1), scale * max(x1 - x0, y1 - y0), 0.0)


def crop(image: np.ndarray, roi: Roi, out: int = LMK_SIZE) -> np.ndarray:
    """The landmark model's input (1, out, out, 3) float32 RGB in [0, 1] (outside the image: black)."""
    patch = cv2.warpAffine(image, roi.crop_matrix(out), (out, out), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    return (patch[..., ::-1].astype(np.float32) / 255.0)[None]


def refine_from_heatmap(xy_norm: np.ndarray, heatmap: np.ndarray, kernel: int = 7,
                        min_confidence: float = 0.5) -> np.ndarray:
    """Landmarks (L, 2) in [0, 1] refined by the heatmaps (hm, hm, ≥ L) logits: the sigmoid-weighted
    mean cell (cell ``c`` at ``c / hm``) in a ``kernel`` window around each landmark, where the
    window's highest confidence reaches ``min_confidence``; otherwise unchanged."""
    xy = np.array(xy_norm, np.float64)
    hm = np.asarray(heatmap)
    hh, hw = hm.shape[:2]
    off = (kernel - 1) // 2
    for j in range(len(xy)):
        c = int(np.clip(xy[j, 0] * hw, 0, hw - 1))
        r = int(np.clip(xy[j, 1] * hh, 0, hh - 1))
        r0, r1, c0, c1 = max(0, r - off), min(hh, r + off + 1), max(0, c - off), min(hw, c + off + 1)
        conf = sigmoid(hm[r0:r1, c0:c1, j])
        if conf.max() < min_confidence or conf.sum() <= 0:
            continue
        rows, cols = np.mgrid[r0:r1, c0:c1]
        xy[j] = ((conf * cols).sum() / conf.sum() / hw, (conf * rows).sum() / conf.sum() / hh)
    return xy


def decode_landmarks(raw: np.ndarray, heatmap: np.ndarray | None, roi: Roi,
                     size: int = LMK_SIZE) -> np.ndarray:
    """Landmark model outputs (195,) and heatmaps (64, 64, 39) → (35, 4): x, y (image continuous
    px), visibility and presence in [0, 1]; rows 0–32 the body landmarks, 33–34 the auxiliary
    mid-hip and scale points (:func:`detection_roi` of them is the person's next ROI)."""
    lm = np.asarray(raw, np.float64).reshape(39, 5)
    xy = lm[:, :2] / size
    if heatmap is not None:
        xy = refine_from_heatmap(xy, heatmap)
    xy = roi.to_image(xy)
    return np.concatenate([xy, sigmoid(lm[:, 3:4]), sigmoid(lm[:, 4:5])], 1)[:35]


def to_integer_centred(xy: np.ndarray) -> np.ndarray:
    """Continuous px → hupor's integer-centred px (pixel ``i`` at ``i``)."""
    return np.asarray(xy, np.float64) - 0.5
