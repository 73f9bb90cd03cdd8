"""Letterbox + training augmentation: one affine from original-image pixels to network-input pixels.

Method §3.3: base scale ``s = min(net_w / W, net_h / H)`` (times U(scale_min, scale_max) only for
records without 3D, because the root-depth target depends on ``s``), rotation about the image centre
by U(±rotation_deg), crop centre = image centre · s + U(±jitter_px) (network px), gray-128 padding,
horizontal flip with probability ``flip_prob`` (``x ← net_w − 1 − x`` and left/right joints swapped
with the skeleton's flip table), joints that leave the crop get ``v = 0``.

``crop_w × crop_h`` (training only, :func:`crop_transform`): a window of the augmented network input
at the network's own scale, centred near a random person with probability ``crop_person_prob``
(else anywhere): the detector trains on people as large as the full test input shows them, at the
cost of a crop-sized step (the learning issue's "resolution at the same cost per step").

Without augmentation the transform is exactly :meth:`hupor.camera.Letterbox.fit` (test preprocessing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..camera import Letterbox
from ..errors import HuporError
from ..records import ImageRecord
from ..skeleton import Skeleton


@dataclass
class AugmentConfig:
    """Augmentation ranges (method §3.3). ``jitter_px`` is in network-input pixels."""

    enabled: bool = True
    rotation_deg: float = 10.0
    jitter_px: float = 40.0
    flip_prob: float = 0.5
    scale_min: float = 0.8
    scale_max: float = 1.1
    crop_w: int = 0                 # training window in network-input px; 0: the whole input
    crop_h: int = 0
    crop_person_prob: float = 0.75  # share of windows centred near a person

    def __post_init__(self):
        if self.crop_w < 0 or self.crop_h < 0 or (self.crop_w == 0) != (self.crop_h == 0):
            raise HuporError(f"augment.crop_w/crop_h: both 0 (no crop) or both positive, got "
                             f"{self.crop_w}, {self.crop_h}")
        if not 0.0 <= self.crop_person_prob <= 1.0:
            raise HuporError(f"augment.crop_person_prob: must be in [0, 1], got {self.crop_person_prob}")
        if self.rotation_deg < 0 or self.jitter_px < 0:
            raise HuporError("augment.rotation_deg and augment.jitter_px: must be >= 0")
        if not 0.0 <= self.flip_prob <= 1.0:
            raise HuporError(f"augment.flip_prob: must be in [0, 1], got {self.flip_prob}")
        if not 0 < self.scale_min <= self.scale_max:
            raise HuporError(f"augment.scale_min/scale_max: need 0 < min <= max, got "
                             f"{self.scale_min}, {self.scale_max}")


@dataclass(frozen=True)
class NetTransform:
    """Affine map original px → network-input px (``affine`` 2x3), the zoom ``scale`` (= s, so the
    network-input focal length is ``fx · scale``) and whether the result is mirrored."""

    affine: np.ndarray
    scale: float
    flipped: bool
    net_w: int
    net_h: int

    def points(self, xy_px: np.ndarray) -> np.ndarray:
        """(..., 2) original px → (..., 2) network-input px."""
        xy = np.asarray(xy_px, dtype=np.float64)
        return xy @ self.affine[:, :2].T + self.affine[:, 2]

    def inverse_points(self, xy_net: np.ndarray) -> np.ndarray:
        """(..., 2) network-input px → (..., 2) original px."""
        A = self.affine[:, :2]
        xy = np.asarray(xy_net, dtype=np.float64) - self.affine[:, 2]
        return xy @ np.linalg.inv(A).T

    def image(self, image: np.ndarray, fill: int = 128) -> np.ndarray:
        """Warp an (H, W, C) uint8 image into the (net_h, net_w, C) network input, gray padding."""
        import cv2

        return cv2.warpAffine(image, self.affine, (self.net_w, self.net_h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(fill, fill, fill))

    def letterbox(self) -> Letterbox:
        """The equivalent :class:`Letterbox` (only for transforms without rotation or flip)."""
        a = self.affine
        if abs(a[0, 1]) > 1e-9 or abs(a[1, 0]) > 1e-9 or a[0, 0] <= 0:
            raise HuporError("transform: rotated or flipped transforms have no Letterbox equivalent")
        w = int(round((self.net_w - 2 * a[0, 2]) / self.scale))
        h = int(round((self.net_h - 2 * a[1, 2]) / self.scale))
        return Letterbox(self.scale, float(a[0, 2]), float(a[1, 2]), self.net_w, self.net_h, w, h)


def sample_transform(width: int, height: int, net_w: int, net_h: int, augment: AugmentConfig | None = None,
                     rng: np.random.Generator | None = None, has_3d: bool = True) -> NetTransform:
    """Draw one training transform (or the test letterbox when ``augment`` is None/disabled)."""
    if width <= 0 or height <= 0:
        raise HuporError(f"image size must be positive, got {width}x{height}")
    s = min(net_w / width, net_h / height)
    angle, jitter, flip = 0.0, np.zeros(2), False
    if augment is not None and augment.enabled:
        if rng is None:
            raise HuporError("sample_transform: augmentation needs a random generator")
        if not has_3d:
            s *= rng.uniform(augment.scale_min, augment.scale_max)
        angle = np.radians(rng.uniform(-augment.rotation_deg, augment.rotation_deg))
        jitter = rng.uniform(-augment.jitter_px, augment.jitter_px, size=2)
        flip = bool(rng.random() < augment.flip_prob)
    c, si = np.cos(angle), np.sin(angle)
    A = s * np.array([[c, -si], [si, c]])
    centre = np.array([width / 2.0, height / 2.0])
    # the image centre lands on the crop centre minus the jitter (crop centre = centre·s + jitter)
    t = np.array([net_w / 2.0, net_h / 2.0]) - jitter - A @ centre
    affine = np.concatenate([A, t[:, None]], axis=1)
    if flip:
        affine = np.array([[-1.0, 0.0, net_w - 1.0], [0.0, 1.0, 0.0]]) @ np.vstack([affine, [0, 0, 1]])
    return NetTransform(affine, float(s), flip, int(net_w), int(net_h))


def crop_transform(t: NetTransform, crop_w: int, crop_h: int, rng: np.random.Generator,
                   centres_px: np.ndarray | None = None, person_prob: float = 0.75) -> NetTransform:
    """A ``crop_w × crop_h`` window of ``t``'s network input (same scale, so the same focal length).

    ``centres_px`` (N, 2) original-image px (e.g. the pelvis of each person): with probability
    ``person_prob`` the window is centred on a random one of them, ± a quarter window, else it is
    uniform over the input; it never leaves the input (when the input is larger than the window)."""
    if crop_w > t.net_w or crop_h > t.net_h:
        raise HuporError(f"augment.crop_w/crop_h: window {crop_w}x{crop_h} is larger than the network "
                         f"input {t.net_w}x{t.net_h}")
    span = np.array([t.net_w - crop_w, t.net_h - crop_h], dtype=np.float64)
    size = np.array([crop_w, crop_h], dtype=np.float64)
    centres = None if centres_px is None else np.asarray(centres_px, dtype=np.float64).reshape(-1, 2)
    if centres is not None:
        centres = centres[np.isfinite(centres).all(axis=1)]
    if centres is not None and len(centres) and rng.random() < person_prob:
        c = t.points(centres[rng.integers(len(centres))])
        origin = c - size / 2 + rng.uniform(-0.25, 0.25, size=2) * size
    else:
        origin = rng.uniform(0.0, 1.0, size=2) * span
    origin = np.round(np.clip(origin, 0.0, span))
    affine = t.affine.copy()
    affine[:, 2] -= origin
    return NetTransform(affine, t.scale, t.flipped, int(crop_w), int(crop_h))


def transform_joints(record: ImageRecord, t: NetTransform, skeleton: Skeleton
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply ``t`` to a record's people.

    Returns ``joints_net`` (N, J, 2) network-input px, ``joints_3d`` (N, J, 3) mm and ``visibility``
    (N, J) int8. Under a flip the joints are permuted with ``skeleton.flip`` and X is mirrored
    (X → −X: depths and limb Z differences are unchanged). Joints outside the crop get v = 0.
    """
    if record.num_joints != skeleton.num_joints:
        raise HuporError(f"{record.path}: {record.num_joints} joints, skeleton {skeleton.name} has "
                         f"{skeleton.num_joints}")
    j2 = t.points(record.joints_2d)
    j3 = record.joints_3d.copy()
    vis = record.visibility.copy()
    if t.flipped:
        perm = np.asarray(skeleton.flip)
        j2, j3, vis = j2[:, perm], j3[:, perm], vis[:, perm]
        j3[..., 0] = -j3[..., 0]
    outside = (j2[..., 0] < 0) | (j2[..., 0] > t.net_w - 1) | (j2[..., 1] < 0) | (j2[..., 1] > t.net_h - 1)
    vis = np.where(outside, 0, vis).astype(np.int8)
    return j2, j3, vis
