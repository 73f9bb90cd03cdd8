"""Robust reading of user media: images, folders, videos, webcams and intrinsics files.

Images are decoded with OpenCV from the file's bytes (``cv2.imdecode``), so non-ASCII paths work, and
normalised to 8-bit 3-channel BGR: grayscale is replicated to 3 channels, an alpha channel is dropped,
16-bit images are scaled by 1/257 (65535 → 255) and float images are scaled from [0, 1] (or clipped to
[0, 255] when their maximum exceeds 1).

Huge images are refused with an error rather than downscaled (so every output stays in the pixels of the
file the user gave): more than :data:`MAX_SIDE` pixels on a side or more than :data:`MAX_PIXELS` pixels.
Downscale such images yourself first. Every bad input raises :class:`HuporError` naming the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .camera import check_intrinsics
from .errors import HuporError
from .fileio import read_json, require_regular_file

MAX_SIDE = 8000
MAX_PIXELS = 50_000_000

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm",
              ".jp2", ".exr", ".hdr", ".pic", ".ras", ".sr", ".pxm", ".pnm", ".dib"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv",
              ".3gp", ".ts"}


def to_bgr8(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Normalise a decoded array (H,W), (H,W,1|3|4) of uint8/uint16/float to uint8 (H,W,3) BGR."""
    import cv2

    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (3, 4)):
        raise HuporError(f"{name}: unsupported image shape {img.shape} (need HxW, HxWx3 or HxWx4)")
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise HuporError(f"{name}: image has zero size {img.shape}")
    if img.dtype == np.uint16:
        img = (img.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    elif img.dtype.kind == "f":
        if not np.isfinite(img).all():
            raise HuporError(f"{name}: image holds NaN or inf values")
        peak = float(img.max()) if img.size else 0.0
        img = np.clip(img * 255.0 if peak <= 1.0 else img, 0, 255).round().astype(np.uint8)
    elif img.dtype != np.uint8:
        if img.dtype.kind not in "iub":
            raise HuporError(f"{name}: unsupported pixel type {img.dtype}")
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(img)


def check_size(width: int, height: int, name: str) -> None:
    """Refuse images above :data:`MAX_SIDE` per side or :data:`MAX_PIXELS` in total."""
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise HuporError(f"{name}: image is {width}x{height}, larger than the limit of {MAX_SIDE} px per "
                         f"side and {MAX_PIXELS // 1_000_000} MP; downscale it first")


def image_header_size(path) -> tuple[int, int] | None:
    """``(width, height)`` from the file header, without decoding: PNG and JPEG by struct parsing,
    other formats by Pillow's lazy open; None when the header cannot tell (decoding will)."""
    with open(path, "rb") as f:
        head = f.read(26)
        if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head[:2] == b"\xff\xd8":
            return _jpeg_size(f)
    try:
        import warnings

        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as im:
                return im.size
        except Image.DecompressionBombError:
            return MAX_SIDE + 1, MAX_SIDE + 1  # beyond Pillow's own limit, far beyond ours
        except Exception:  # unknown to Pillow or corrupt: leave it to the decoder
            return None


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(f) -> tuple[int, int] | None:
    """Walk JPEG segments (file positioned after SOI) to the first start-of-frame marker."""
    f.seek(2)
    for _ in range(1000):
        b = f.read(1)
        while b == b"\xff":
            b = f.read(1)
        if not b:
            return None
        marker = b[0]
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            continue
        seg = f.read(2)
        if len(seg) < 2:
            return None
        length = struct.unpack(">H", seg)[0]
        if marker in _SOF:
            data = f.read(5)
            if len(data) < 5:
                return None
            h, w = struct.unpack(">HH", data[1:5])
            return w, h
        if marker == 0xDA or length < 2:  # start of scan before any frame header: give up
            return None
        f.seek(length - 2, 1)
    return None


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOSSY_HEADS = {b"\xff\xd8": "JPEG", b"RIFF": "WebP"}  # mask formats that change instance ids


def check_png_chunks(data, name: str) -> None:
    """Walk the chunks of PNG bytes ``data`` before any decoder sees them: a chunk whose length
    exceeds the PNG limit (2³¹ − 1) or runs past the end of the file is refused (such a length makes
    libpng allocate it). Not a PNG: nothing to check."""
    buf = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
    if bytes(buf[:8]) != PNG_SIGNATURE:
        return
    pos, size = 8, len(buf)
    while pos + 8 <= size:
        length, kind = struct.unpack(">I4s", bytes(buf[pos:pos + 8]))
        if length > 0x7FFFFFFF or pos + 12 + length > size:
            raise HuporError(f"{name}: corrupt PNG (chunk {kind.decode('latin-1')!r} at byte {pos} claims "
                             f"{length} bytes, the file has {size})")
        if kind == b"IEND":
            return
        pos += 12 + length
    raise HuporError(f"{name}: truncated PNG (no IEND chunk)")


def read_image_bytes(path, what: str = "image") -> np.ndarray:
    """The bytes of an image file (uint8 array) after every check that needs no decoding: a regular
    file, not empty, the size in its header (:func:`image_header_size`, :func:`check_size`) and, for
    a PNG, its chunk lengths (:func:`check_png_chunks`). Every image or mask decode goes through it."""
    path = require_regular_file(path, what)
    try:
        size = image_header_size(path)
        if size is not None:
            check_size(size[0], size[1], str(path))
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise HuporError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if data.size == 0:
        raise HuporError(f"{path}: empty file (0 bytes)")
    check_png_chunks(data, str(path))
    return data


def _decode(data: np.ndarray, flags: int, path, what: str = "image") -> np.ndarray:
    import cv2

    try:
        img = cv2.imdecode(data, flags)
    except cv2.error as exc:
        raise HuporError(f"{path}: cannot decode {what} ({str(exc).strip().splitlines()[-1]})") from None
    if img is None:
        raise HuporError(f"{path}: not a readable {what} (corrupt file or unsupported format)")
    check_size(img.shape[1], img.shape[0], str(path))
    return img


def read_image(path) -> np.ndarray:
    """Read an image file as uint8 (H, W, 3) BGR. Unreadable, empty, huge (by the header, before
    decoding), corrupt PNG chunks or non-regular files (FIFOs, devices) raise HuporError."""
    import cv2

    data = read_image_bytes(path)
    # ANYDEPTH keeps 16-bit, ANYCOLOR keeps gray; EXIF orientation is applied
    return to_bgr8(_decode(data, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR, path), str(path))


def read_mask(path, what: str = "instance mask") -> np.ndarray:
    """A single-channel instance-id image (PNG or another lossless format, uint8 or uint16) as an
    int64 (H, W) array, through the same header and chunk checks as images. JPEG / WebP masks are
    refused: lossy compression changes the ids along every edge. Errors name the file."""
    import cv2

    data = read_image_bytes(path, what)
    head = data[:4].tobytes()
    for magic, fmt in LOSSY_HEADS.items():
        if head.startswith(magic):
            raise HuporError(f"{what} {path}: a {fmt} file; masks must be lossless (PNG), lossy compression "
                             f"changes the instance ids")
    m = _decode(data, cv2.IMREAD_UNCHANGED, path, what)
    if m.ndim != 2:
        raise HuporError(f"{what} {path}: not a single-channel image (shape {m.shape})")
    if m.dtype.kind not in "ui":
        raise HuporError(f"{what} {path}: pixel type {m.dtype}, expected integer instance ids")
    return m.astype(np.int64)


# -- inputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """One input: ``kind`` is ``"image"``, ``"video"`` or ``"webcam"``; ``path`` is a file path or,
    for a webcam, the device index as a string."""

    kind: str
    path: str

    @property
    def name(self) -> str:
        return f"webcam{self.path}" if self.kind == "webcam" else Path(self.path).name


def _kind_of(path: Path) -> str:
    return "video" if path.suffix.lower() in VIDEO_EXTS else "image"


def expand_inputs(inputs: list) -> list[Source]:
    """Turn CLI inputs into sources: files (by extension: videos, otherwise images), folders (their
    image and video files, sorted by name, not recursive) and webcam indices (an integer that is not an
    existing path). A missing path or a folder without media raises HuporError."""
    out: list[Source] = []
    for item in inputs:
        text = str(item)
        p = Path(text)
        if p.is_dir():
            files = sorted((f for f in p.iterdir() if f.is_file()
                            and f.suffix.lower() in IMAGE_EXTS | VIDEO_EXTS), key=lambda f: f.name)
            if not files:
                raise HuporError(f"{p}: folder holds no images or videos")
            out.extend(Source(_kind_of(f), str(f)) for f in files)
        elif p.exists():
            out.append(Source(_kind_of(p), str(p)))
        elif text.strip().isdigit():
            out.append(Source("webcam", str(int(text))))
        else:
            raise HuporError(f"{p}: no such file or folder")
    return out


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    num_frames: int  # as reported by the container; may be 0 or approximate


def _open_capture(target, name: str):
    import cv2

    cap = cv2.VideoCapture(target)
    if not cap.isOpened():
        cap.release()
        raise HuporError(f"{name}: cannot open as a video")
    return cap


def video_info(path) -> VideoInfo:
    """Size, frame rate and frame count from the container (opening it fails with HuporError)."""
    import cv2

    cap = _open_capture(str(require_regular_file(path, "video")), str(path))
    try:
        fps = plausible_fps(cap.get(cv2.CAP_PROP_FPS), str(path))
        return VideoInfo(int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                         fps, max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT))))
    finally:
        cap.release()


MAX_FPS = 1000.0  # above this a container's frame rate is taken as a broken header


def plausible_fps(value, name: str) -> float:
    """A container's frame rate, or 0.0 (unknown) when it is not finite, not positive or above
    :data:`MAX_FPS` (a warning names the file); outputs never carry an absurd rate."""
    import logging
    import math

    try:
        fps = float(value or 0.0)
    except (TypeError, ValueError):
        fps = float("nan")
    if fps == 0.0 or (math.isfinite(fps) and 0.01 <= fps <= MAX_FPS):
        return fps
    logging.getLogger(__name__).warning("%s: frame rate %r from the container is not plausible; "
                                        "written as 0 (unknown)", name, value)
    return 0.0


def iter_video(path, max_frames: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame_index, bgr_uint8)`` for each frame; a video with no frames raises HuporError."""
    yield from _iter_capture(str(require_regular_file(path, "video")), str(path), max_frames)


def iter_webcam(index: int, max_frames: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield frames from webcam ``index`` until it stops, ``max_frames`` or Ctrl-C in the caller."""
    yield from _iter_capture(int(index), f"webcam {index}", max_frames)


def _iter_capture(target, name: str, max_frames: int | None):
    import cv2

    cap = _open_capture(target, name)
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    if w > 0 and h > 0:  # the container's frame size: refuse before decoding a frame
        try:
            check_size(w, h, name)
        except HuporError:
            cap.release()
            raise
    n = 0
    try:
        while max_frames is None or n < max_frames:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            if n == 0:
                check_size(frame.shape[1], frame.shape[0], name)
            yield n, to_bgr8(frame, f"{name} frame {n}")
            n += 1
    finally:
        cap.release()
    if n == 0:
        raise HuporError(f"{name}: video has no readable frames")


# -- intrinsics ------------------------------------------------------------------------------

def check_K(K, name: str = "K") -> np.ndarray:
    """Validate a 3x3 intrinsic matrix: finite, plausible focal lengths and principal point
    (:func:`hupor.camera.check_intrinsics`), last row (0, 0, 1), no skew."""
    try:
        arr = np.asarray(K, dtype=np.float64)
    except (TypeError, ValueError):
        raise HuporError(f"{name}: not a numeric 3x3 matrix") from None
    if arr.shape != (3, 3):
        raise HuporError(f"{name}: must be 3x3, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise HuporError(f"{name}: holds NaN or inf values")
    check_intrinsics(float(arr[0, 0]), float(arr[1, 1]), float(arr[0, 2]), float(arr[1, 2]), name)
    if not np.allclose(arr[2], (0, 0, 1)) or abs(arr[1, 0]) > 1e-9:
        raise HuporError(f"{name}: last row must be [0, 0, 1] and K[1][0] must be 0")
    if abs(arr[0, 1]) > 1e-6 * arr[0, 0]:
        raise HuporError(f"{name}: skew K[0][1] = {arr[0, 1]:g} is not supported (must be 0)")
    return arr


def load_intrinsics(path) -> np.ndarray:
    """Read a JSON intrinsics file: ``{"K": [[fx,0,cx],[0,fy,cy],[0,0,1]]}`` or
    ``{"fx": .., "fy": .., "cx": .., "cy": ..}`` (px of the original image). Returns a 3x3 K."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise HuporError(f"{path}: expected a JSON object with K or fx, fy, cx, cy")
    if "K" in data:
        return check_K(data["K"], f"{path}: K")
    missing = [k for k in ("fx", "fy", "cx", "cy") if k not in data]
    if missing:
        raise HuporError(f"{path}: needs K or all of fx, fy, cx, cy (missing {', '.join(missing)})")
    vals = {}
    for k in ("fx", "fy", "cx", "cy"):
        v = data[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise HuporError(f"{path}: {k} must be a number, got {v!r}")
        vals[k] = float(v)
    K = [[vals["fx"], 0, vals["cx"]], [0, vals["fy"], vals["cy"]], [0, 0, 1]]
    return check_K(K, str(path))
