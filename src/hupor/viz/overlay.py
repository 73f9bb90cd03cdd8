"""2D overlay of predicted skeletons on the original image (OpenCV drawing).

Drawing convention (legend in docs/predict.md): per person one colour; ``visible`` joints are filled
discs, ``occluded_inferred`` joints hollow rings; a limb is a solid line when both ends are visible,
dashed when either end was inferred, and not drawn when either end is ``missing``. Each person gets a
label ``#id Z.Zm`` (root depth in metres) above the head; with track ids (``--track``) the label is
``T<track id>`` and the colour follows the track, so a person keeps the same colour across frames.
"""

from __future__ import annotations

import numpy as np

from ..schema import MISSING, VISIBLE, Prediction
from ..skeleton import MPI15, Skeleton

#: BGR colours, cycled over people.
PALETTE = ((60, 180, 255), (255, 120, 40), (80, 220, 80), (200, 80, 220), (40, 220, 220),
           (240, 200, 60), (120, 120, 255), (180, 255, 140), (255, 160, 200), (160, 160, 40))


def _dashed_line(img, p0, p1, color, thickness, dash):
    import cv2

    p0 = np.asarray(p0, dtype=np.float64)
    p1 = np.asarray(p1, dtype=np.float64)
    length = float(np.hypot(*(p1 - p0)))
    n = max(1, int(length // (2 * dash)))
    for i in range(n + 1):
        t0 = min(1.0, 2 * i * dash / max(length, 1e-9))
        t1 = min(1.0, (2 * i + 1) * dash / max(length, 1e-9))
        if t0 >= 1.0:
            break
        a = p0 + (p1 - p0) * t0
        b = p0 + (p1 - p0) * t1
        cv2.line(img, (int(round(a[0])), int(round(a[1]))), (int(round(b[0])), int(round(b[1]))),
                 color, thickness, cv2.LINE_AA)


def draw_overlay(image_bgr: np.ndarray, pred: Prediction, skeleton: Skeleton = MPI15,
                 labels: bool = True) -> np.ndarray:
    """Return a copy of ``image_bgr`` (H, W, 3 uint8) with the people of ``pred`` drawn on it."""
    import cv2

    img = np.ascontiguousarray(image_bgr, dtype=np.uint8).copy()
    h, w = img.shape[:2]
    t = max(2, int(round(min(h, w) / 320)))
    r = max(2, 2 * t)
    tracks = pred.track_ids
    for p in range(pred.num_persons):
        tid = -1 if tracks is None else int(tracks[p])
        color = PALETTE[(tid if tid >= 0 else p) % len(PALETTE)]
        state = pred.joint_state[p]
        pts = pred.joints_2d[p]
        for a, b in skeleton.limbs:
            if state[a] == MISSING or state[b] == MISSING:
                continue
            pa, pb = pts[a], pts[b]
            if state[a] == VISIBLE and state[b] == VISIBLE:
                cv2.line(img, (int(round(pa[0])), int(round(pa[1]))), (int(round(pb[0])), int(round(pb[1]))),
                         color, t, cv2.LINE_AA)
            else:
                _dashed_line(img, pa, pb, color, t, dash=3 * r)
        for j in range(skeleton.num_joints):
            if state[j] == MISSING:
                continue
            c = (int(round(pts[j, 0])), int(round(pts[j, 1])))
            if state[j] == VISIBLE:
                cv2.circle(img, c, r, color, -1, cv2.LINE_AA)
            else:
                cv2.circle(img, c, r, color, max(1, t // 2 + 1), cv2.LINE_AA)
        if labels:
            shown = state != MISSING
            if shown.any():
                x = float(np.min(pts[shown, 0]))
                y = float(np.min(pts[shown, 1])) - 2 * r
                name = f"#{p}" if tracks is None else (f"T{tid}" if tid >= 0 else "T?")
                text = f"{name} {pred.root_depth_mm[p] / 1000:.1f}m"
                scale = 0.35 * t + 0.1
                org = (int(np.clip(x, 0, w - 1)), int(np.clip(y, 10 * scale + 2, h - 1)))
                cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), t + 2, cv2.LINE_AA)
                cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, t, cv2.LINE_AA)
    return img


def save_overlay(path, image_bgr: np.ndarray, pred: Prediction, skeleton: Skeleton = MPI15):
    """Draw and write the overlay atomically (format from the suffix, e.g. ``.jpg``/``.png``)."""
    import cv2

    from ..errors import HuporError
    from ..fileio import write_atomic

    out = draw_overlay(image_bgr, pred, skeleton)

    def writer(tmp):
        ok, buf = cv2.imencode(tmp.suffix or ".jpg", out)
        if not ok:
            raise HuporError(f"{path}: cannot encode overlay image")
        buf.tofile(str(tmp))

    return write_atomic(path, writer)
