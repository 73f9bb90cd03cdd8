"""Camera geometry: intrinsics, projection, back-projection and the letterbox transform.

Frames and units (used everywhere in hupor):

* 3D: millimetres, camera frame, x right, y down, z forward.
* 2D: pixels of the original image (``_px``), or of the network input (``_net``).
* The network input is the original image scaled by ``s`` and centre-padded (method.md §1, §8.9).
* Focal-normalised depth (the root-depth head's unit): ``Z_cm / (fx * s)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import HuporError


MIN_FOCAL, MAX_FOCAL = 1.0, 1e6  # px: plausible focal lengths (a 1 px focal is a 90°+ fisheye at 2 px)
MAX_PP_OFFSET = 2.0  # the principal point may lie at most this many image sizes outside the image


def check_intrinsics(fx, fy, cx, cy, name: str = "intrinsics", size: tuple[int, int] | None = None) -> None:
    """The one range check of pinhole intrinsics (px): finite, ``MIN_FOCAL <= f <= MAX_FOCAL``, the
    principal point of plausible magnitude and, when the image ``size`` (w, h) is known, within
    ``MAX_PP_OFFSET`` image sizes of the image. Raises HuporError naming ``name`` and the value."""
    vals = {"fx": fx, "fy": fy, "cx": cx, "cy": cy}
    for k, v in vals.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not np.isfinite(v):
            raise HuporError(f"{name}: {k} must be a finite number, got {v!r}")
    for k in ("fx", "fy"):
        if vals[k] <= 0:
            raise HuporError(f"{name}: focal lengths must be positive, got {k}={vals[k]:g}")
        if not MIN_FOCAL <= vals[k] <= MAX_FOCAL:
            raise HuporError(f"{name}: focal length {k}={vals[k]:g} px is implausible (must be in "
                             f"[{MIN_FOCAL:g}, {MAX_FOCAL:g}] px)")
    for k, extent in (("cx", size[0] if size else None), ("cy", size[1] if size else None)):
        lo, hi = (-MAX_FOCAL, MAX_FOCAL) if extent is None else \
            (-MAX_PP_OFFSET * extent, (1 + MAX_PP_OFFSET) * extent)
        if not lo <= vals[k] <= hi:
            where = f" for a {size[0]}x{size[1]} image" if size else ""
            raise HuporError(f"{name}: principal point {k}={vals[k]:g} px is implausible{where} "
                             f"(must be in [{lo:g}, {hi:g}])")


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in pixels of the original image."""

    fx: float
    fy: float
    cx: float
    cy: float

    def __post_init__(self):
        vals = (self.fx, self.fy, self.cx, self.cy)
        if not all(np.isfinite(v) for v in vals):
            raise HuporError(f"intrinsics: non-finite value in {vals}")
        if self.fx <= 0 or self.fy <= 0:
            raise HuporError(f"intrinsics: focal lengths must be positive, got fx={self.fx}, fy={self.fy}")

    @classmethod
    def from_matrix(cls, K) -> "Intrinsics":
        """From a 3x3 matrix ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` (list or array)."""
        try:
            K = np.asarray(K, dtype=np.float64)
        except (TypeError, ValueError):
            raise HuporError("intrinsics: K is not a numeric 3x3 matrix") from None
        if K.shape != (3, 3):
            raise HuporError(f"intrinsics: K must be 3x3, got shape {K.shape}")
        return cls(float(K[0, 0]), float(K[1, 1]), float(K[0, 2]), float(K[1, 2]))

    @classmethod
    def default_for(cls, width: int, height: int, fx: float | None = None,
                    fov_degrees: float | None = None) -> "Intrinsics":
        """Intrinsics for an image without calibration.

        Principal point at the image centre. Focal: ``fx`` if given, else from the horizontal field of
        view ``fov_degrees``, else ``fx = fy = width`` (the SMAP/HUPOR convention, about 53° fov).
        """
        if fx is None and fov_degrees is not None:
            if not 0 < fov_degrees < 180:
                raise HuporError(f"fov_degrees must be in (0, 180), got {fov_degrees}")
            fx = 0.5 * width / np.tan(np.radians(fov_degrees) / 2)
        if fx is None:
            fx = float(width)
        return cls(float(fx), float(fx), width / 2.0, height / 2.0)

    @property
    def K(self) -> np.ndarray:
        """3x3 intrinsic matrix (float64)."""
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1.0]])

    def to_dict(self) -> dict:
        return {"fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy}

    def project(self, xyz_mm: np.ndarray) -> np.ndarray:
        """Project (..., 3) camera points (mm) to (..., 2) pixels. Points need z > 0."""
        xyz = np.asarray(xyz_mm, dtype=np.float64)
        z = xyz[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = self.fx * xyz[..., 0] / z + self.cx
            v = self.fy * xyz[..., 1] / z + self.cy
        return np.stack([u, v], axis=-1)

    def backproject(self, uv_px: np.ndarray, z_mm: np.ndarray) -> np.ndarray:
        """Lift (..., 2) pixels with depths (...) in mm to (..., 3) camera points in mm."""
        uv = np.asarray(uv_px, dtype=np.float64)
        z = np.asarray(z_mm, dtype=np.float64)
        x = (uv[..., 0] - self.cx) * z / self.fx
        y = (uv[..., 1] - self.cy) * z / self.fy
        return np.stack([x, y, np.broadcast_to(z, x.shape)], axis=-1)


@dataclass(frozen=True)
class Letterbox:
    """Scale an image by ``scale`` and centre-pad it into ``net_w x net_h`` (method.md §1).

    ``x_net = x_px * scale + pad_x`` and ``y_net = y_px * scale + pad_y``, with
    ``pad_x = (net_w - W * scale) / 2`` (may be fractional; the image warp uses the same affine).
    """

    scale: float
    pad_x: float
    pad_y: float
    net_w: int
    net_h: int
    image_w: int
    image_h: int

    @classmethod
    def fit(cls, image_w: int, image_h: int, net_w: int, net_h: int) -> "Letterbox":
        """The test-time letterbox: ``s = min(net_w / W, net_h / H)``, centred."""
        if image_w <= 0 or image_h <= 0:
            raise HuporError(f"image size must be positive, got {image_w}x{image_h}")
        s = min(net_w / image_w, net_h / image_h)
        return cls(s, (net_w - image_w * s) / 2.0, (net_h - image_h * s) / 2.0, net_w, net_h,
                   image_w, image_h)

    @property
    def affine(self) -> np.ndarray:
        """2x3 affine from original pixels to network pixels (for ``cv2.warpAffine``)."""
        return np.array([[self.scale, 0, self.pad_x], [0, self.scale, self.pad_y]])

    def to_net(self, xy_px: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy_px, dtype=np.float64)
        return xy * self.scale + np.array([self.pad_x, self.pad_y])

    def to_image(self, xy_net: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy_net, dtype=np.float64)
        return (xy - np.array([self.pad_x, self.pad_y])) / self.scale

    def apply(self, image: np.ndarray, fill: int = 128) -> np.ndarray:
        """Warp an HxWxC uint8 image into the network input (net_h x net_w x C)."""
        import cv2

        return cv2.warpAffine(image, self.affine, (self.net_w, self.net_h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(fill, fill, fill))


def depth_to_normalized(z_mm, fx: float, scale: float):
    """Absolute depth (mm) → the root-depth head's unit ``Z_cm / (fx * s)``."""
    return np.asarray(z_mm) / 10.0 / (fx * scale)


def normalized_to_depth(z_norm, fx: float, scale: float):
    """The root-depth head's unit ``Z_cm / (fx * s)`` → absolute depth in mm."""
    return np.asarray(z_norm) * (fx * scale) * 10.0
