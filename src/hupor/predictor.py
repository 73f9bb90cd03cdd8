"""``Predictor``: images in, people in 3D out (mm, camera frame) with a state per joint.

Pipeline per batch (method §1, §8, §9)::

    letterbox → nets.preprocess → Detector.infer → det_to_maps57 → DSED.infer (if the bundle has one)
    → flip-test fusion (optional) → Codec.decode (heatmaps/PAFs/z from DSED, root depth from the
    detector) → RefineNet (if present: fills missing joints, refines root-relative 3D) → joint states

Joint states (see docs/predict.md):

* ``visible``: the decoder found the joint **and** the detector's own heatmap for that joint, normalised
  to [0, 1] (÷ ``heatmap_peak``), reaches ``visible_threshold`` somewhere in the
  ``(2·visible_radius+1)²`` output-map window around the output pixel holding the decoded position
  (``hupor.codec.grid``: pixel ``c`` is centred at ``x_net = stride·c + (stride − 1)/2``). With flip test the detector heatmaps are flip-fused the same way.
* ``occluded_inferred``: the decoder found the joint only thanks to the reasoning module (detector
  evidence below the threshold), or RefineNet filled it in for a person whose pelvis was found.
* ``missing``: neither. Missing joints are NaN in the arrays and ``null`` in the JSON.

Intrinsics precedence per call: ``K`` (3x3) > ``fx`` (fy = fx) > ``fov_degrees`` (horizontal field of
view) > default ``fx = fy = image width``; the principal point is the image centre unless ``K`` gives it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from .camera import Intrinsics, Letterbox
from .codec.params import CodecParams, DecodeParams
from .errors import HuporError
from .schema import MISSING, OCCLUDED_INFERRED, VISIBLE, Prediction

log = logging.getLogger(__name__)

ASSETS = Path(__file__).parent / "assets"


def default_checkpoint() -> Path:
    """The model bundled with the package (``hupor/assets/default.pt``)."""
    return ASSETS / "default.pt"


def resolve_intrinsics(width: int, height: int, K=None, fx: float | None = None,
                       fov_degrees: float | None = None) -> tuple[Intrinsics, str]:
    """Intrinsics for a ``width x height`` image and their source: ``"K"``, ``"fx"``, ``"fov"`` or
    ``"default"`` (precedence in that order). Bad values raise HuporError."""
    from .media import check_K

    if K is not None:
        if isinstance(K, Intrinsics):
            return K, "K"
        return Intrinsics.from_matrix(check_K(K)), "K"
    if fx is not None:
        fxf = float(fx)
        if not np.isfinite(fxf) or fxf <= 0:
            raise HuporError(f"fx: focal length must be a positive number of pixels, got {fx}")
        return Intrinsics.default_for(width, height, fx=fxf), "fx"
    if fov_degrees is not None:
        return Intrinsics.default_for(width, height, fov_degrees=float(fov_degrees)), "fov"
    return Intrinsics.default_for(width, height), "default"


def joint_states(det_heat: np.ndarray, joints_net: np.ndarray, detected: np.ndarray,
                 filled: np.ndarray, stride: int, threshold: float, radius: int = 1) -> np.ndarray:
    """Per-joint state codes (N, J) int8 (indices into ``schema.JOINT_STATES``).

    ``det_heat`` (J, h, w) detector heatmaps normalised to [0, 1]; ``joints_net`` (N, J, 2) decoded
    positions in network-input px (NaN where not decoded); ``detected`` (N, J) decoder found the joint;
    ``filled`` (N, J) RefineNet supplied the joint. Evidence = max of ``det_heat[j]`` over the
    ``(2·radius+1)²`` window centred on the output pixel that holds the joint (``hupor.codec.grid``:
    pixel ``c`` is centred at ``x_net = stride·c + (stride − 1)/2``).
    """
    from scipy.ndimage import maximum_filter

    from .codec.grid import nearest_pixel, net_to_out

    heat = np.asarray(det_heat, dtype=np.float32)
    xy = np.asarray(joints_net, dtype=np.float64)
    det = np.asarray(detected, dtype=bool)
    n, j = det.shape
    if heat.ndim != 3 or heat.shape[0] != j:
        raise HuporError(f"joint_states: det_heat must be ({j}, h, w), got {heat.shape}")
    h, w = heat.shape[1:]
    pooled = maximum_filter(heat, size=(1, 2 * radius + 1, 2 * radius + 1), mode="constant", cval=0.0)
    px = nearest_pixel(net_to_out(np.where(np.isfinite(xy), xy, 0.0), stride))
    col = np.clip(px[..., 0], 0, w - 1)
    row = np.clip(px[..., 1], 0, h - 1)
    evidence = pooled[np.broadcast_to(np.arange(j), (n, j)), row, col] >= threshold
    state = np.full((n, j), MISSING, dtype=np.int8)
    state[np.asarray(filled, dtype=bool)] = OCCLUDED_INFERRED
    state[det] = OCCLUDED_INFERRED
    state[det & evidence] = VISIBLE
    return state


def _to_bgr(image, color: str, index: int) -> tuple[np.ndarray, str | None]:
    """Any supported image → (uint8 (H, W, 3) BGR, path or None)."""
    from .media import check_size, read_image, to_bgr8

    if isinstance(image, (str, Path)):
        return read_image(image), str(image)
    name = f"image[{index}]"
    if isinstance(image, np.ndarray):
        if color not in ("bgr", "rgb"):
            raise HuporError(f"color: must be 'bgr' or 'rgb', got {color!r}")
        arr = image
        if color == "rgb" and arr.ndim == 3 and arr.shape[2] in (3, 4):
            arr = arr[..., [2, 1, 0] + ([3] if arr.shape[2] == 4 else [])]
        img = to_bgr8(arr, name)
        check_size(img.shape[1], img.shape[0], name)
        return img, None
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - PIL is optional
        Image = None
    if Image is not None and isinstance(image, Image.Image):
        rgb = np.asarray(image.convert("RGB"))
        check_size(rgb.shape[1], rgb.shape[0], name)
        return np.ascontiguousarray(rgb[..., ::-1]), getattr(image, "filename", None) or None
    raise HuporError(f"{name}: expected a path, a numpy array or a PIL image, got {type(image).__name__}")


class Predictor:
    """Multi-person 3D pose estimation on images.

    ``checkpoint``: a bundle path (``None`` → the bundled default model); ``device``: ``"cpu"`` or
    ``"cuda"``; ``input_size``: ``(net_w, net_h)`` network input in px (multiples of 32; default from the
    checkpoint); ``flip_test``: also run on the mirrored image and fuse (method §8.1);
    ``decode``: :class:`DecodeParams`; ``visible_threshold`` / ``visible_radius``: the joint-state rule
    (module docstring).
    """

    def __init__(self, checkpoint=None, device: str = "cpu", input_size: tuple[int, int] | None = None,
                 flip_test: bool = False, decode: DecodeParams = DecodeParams(),
                 visible_threshold: float = 0.2, visible_radius: int = 1):
        import torch

        from .codec import Codec
        from .nets.bundle import load_bundle

        if device.startswith("cuda") and not torch.cuda.is_available():
            raise HuporError(f"device {device!r}: CUDA is not available here; use --device cpu")
        path = Path(checkpoint) if checkpoint is not None else default_checkpoint()
        if not path.is_file():
            raise HuporError(f"{path}: no such checkpoint" + (
                "; the bundled default model is not installed, pass --checkpoint" if checkpoint is None else ""))
        self.device = torch.device(device)
        self.bundle = load_bundle(path, device=str(self.device))
        self.skeleton = self.bundle.skeleton
        for net in (self.bundle.detector, self.bundle.reasoner, self.bundle.refiner):
            if net is not None:
                net.eval()
        if input_size is None:
            input_size = _bundle_input_size(self.bundle)
        net_w, net_h = (int(v) for v in input_size)
        if net_w <= 0 or net_h <= 0 or net_w % 32 or net_h % 32:
            raise HuporError(f"input_size: width and height must be positive multiples of 32, got {input_size}")
        self.codec_params = CodecParams(net_w=net_w, net_h=net_h)
        self.codec = Codec(self.skeleton, self.codec_params)
        self.flip_test = bool(flip_test)
        self.decode_params = decode
        if not 0 <= visible_threshold <= 1 or visible_radius < 0:
            raise HuporError("visible_threshold must be in [0, 1] and visible_radius >= 0")
        self.visible_threshold = float(visible_threshold)
        self.visible_radius = int(visible_radius)
        self.model_info = {
            "name": "default" if checkpoint is None else path.name,
            "checkpoint": str(path),
            "input_size": [net_w, net_h],
            "flip_test": self.flip_test,
            "reasoner": self.bundle.reasoner is not None,
            "refiner": self.bundle.refiner is not None,
        }

    # -- public ----------------------------------------------------------------------------
    def __call__(self, images, color: str = "bgr", K=None, fx: float | None = None,
                 fov_degrees: float | None = None):
        """Predict on one image (path, numpy array in ``color`` order, PIL image) or a list of them.

        Returns a :class:`~hupor.schema.Prediction` per image (a list for a list input). ``K``,
        ``fx``, ``fov_degrees`` apply to every image of the call (precedence in that order).
        """
        single = not isinstance(images, (list, tuple))
        items = [images] if single else list(images)
        if not items:
            return []
        loaded = [_to_bgr(im, color, i) for i, im in enumerate(items)]
        preds = self.predict_arrays([im for im, _ in loaded], paths=[p for _, p in loaded],
                                    K=K, fx=fx, fov_degrees=fov_degrees)
        return preds[0] if single else preds

    def predict_arrays(self, images: list[np.ndarray], paths=None, frames=None, K=None,
                       fx: float | None = None, fov_degrees: float | None = None) -> list[Prediction]:
        """Batch prediction on uint8 (H, W, 3) BGR arrays (already normalised, e.g. by media.read_image)."""
        import torch

        from .codec.layout import det_to_maps57
        from .nets import preprocess

        n = len(images)
        for i, im in enumerate(images):
            if not (isinstance(im, np.ndarray) and im.dtype == np.uint8 and im.ndim == 3 and im.shape[2] == 3):
                raise HuporError(f"image[{i}]: predict_arrays needs uint8 (H, W, 3) BGR arrays, got "
                                 f"{getattr(im, 'dtype', type(im).__name__)} {getattr(im, 'shape', '')}")
        paths = list(paths) if paths is not None else [None] * n
        frames = list(frames) if frames is not None else [None] * n
        p = self.codec_params
        boxes = [Letterbox.fit(im.shape[1], im.shape[0], p.net_w, p.net_h) for im in images]
        intr = [resolve_intrinsics(im.shape[1], im.shape[0], K, fx, fov_degrees) for im in images]
        t0 = time.perf_counter()
        net_in = np.stack([lb.apply(im) for lb, im in zip(boxes, images)])
        with torch.inference_mode():
            x = preprocess(net_in).to(self.device)
            if self.flip_test:
                x = torch.cat([x, x.flip(-1)])
            maps2d, z, root = self.bundle.detector.infer(x)
            det57 = det_to_maps57(maps2d, z)
            all57 = self.bundle.reasoner.infer(det57) if self.bundle.reasoner is not None else det57
            det57, all57, root = det57.float().cpu(), all57.float().cpu(), root.float().cpu()
        if self.flip_test:
            det57, all57, root = self._fuse_flip(det57, all57, root, n)
        det_heat = det57[:, :self.skeleton.num_joints].numpy() / p.heatmap_peak
        t1 = time.perf_counter()
        net_ms = 1000.0 * (t1 - t0) / n
        out = []
        for i in range(n):
            t2 = time.perf_counter()
            pred = self.postprocess(all57[i], root[i], det_heat[i], boxes[i], *intr[i])
            pred.path, pred.frame = paths[i], frames[i]
            pred.timings_ms = {"network": net_ms, "decode": 1000.0 * (time.perf_counter() - t2)}
            out.append(pred)
        return out

    # -- stages ----------------------------------------------------------------------------
    def _fuse_flip(self, det57, all57, root, n):
        """First ``n`` rows: original images; last ``n``: their mirrors (un-flipped by ``fuse_flip``)."""
        from .codec.flip import fuse_flip

        return (fuse_flip(det57[:n], det57[n:], self.skeleton), fuse_flip(all57[:n], all57[n:], self.skeleton),
                root[:n])

    def postprocess(self, maps57, root_depth, det_heat: np.ndarray, letterbox: Letterbox,
                    intrinsics: Intrinsics, source: str) -> Prediction:
        """Decode one image's maps into a :class:`Prediction` (no path/frame/timings set).

        ``maps57`` (J+3P, h, w) raw scale (reasoner output, or detector output without a reasoner);
        ``root_depth`` (7, h, w) in ``Z_cm/(fx·s)``; ``det_heat`` (J, h, w) detector heatmaps in [0, 1].
        """
        poses = self.codec.decode(maps57, root_depth, letterbox, intrinsics, self.decode_params)
        j = self.skeleton.num_joints
        n = len(poses)
        joints_2d = np.asarray(poses.joints_2d, dtype=np.float64).reshape(n, j, 2).copy()
        joints_3d = np.asarray(poses.joints_3d, dtype=np.float64).reshape(n, j, 3).copy()
        detected = np.asarray(poses.detected, dtype=bool).reshape(n, j)
        root_mm = np.asarray(poses.root_depth_mm, dtype=np.float64).reshape(n)
        keep = np.isfinite(root_mm) & (root_mm > 0)  # a person behind the camera is not physical
        if not keep.all():
            log.debug("dropping %d people with non-positive root depth", int((~keep).sum()))
        filled = np.zeros((n, j), dtype=bool)
        if self.bundle.refiner is not None and n:
            refined, ok = _refine(self.bundle.refiner, poses.joints_net, joints_3d, detected)
            z = refined[..., 2]
            good = ok[:, None] & np.isfinite(refined).all(-1) & (z > 1.0)
            # detected joints keep their 2D position: X, Y re-projected at the refined depth (method §8.11)
            upd = good & detected
            joints_3d[upd] = intrinsics.backproject(joints_2d[upd], z[upd])
            filled = good & ~detected
            joints_3d[filled] = refined[filled]
            joints_2d[filled] = intrinsics.project(refined[filled])
        state = joint_states(det_heat, poses.joints_net, detected, filled, self.codec_params.stride,
                             self.visible_threshold, self.visible_radius)
        scores = np.clip(np.nan_to_num(np.asarray(poses.scores, dtype=np.float64).reshape(n, j)), 0, 1)
        missing = state == MISSING
        joints_2d[missing] = np.nan
        joints_3d[missing] = np.nan
        scores[missing] = 0.0
        person_scores = np.clip(np.nan_to_num(np.asarray(poses.person_scores, dtype=np.float64)), 0, 1)
        return Prediction(
            path=None, width=letterbox.image_w, height=letterbox.image_h, intrinsics=intrinsics,
            intrinsics_source=source, joints_2d=joints_2d[keep], joints_3d=joints_3d[keep],
            joint_scores=scores[keep], joint_state=state[keep], root_depth_mm=root_mm[keep],
            person_scores=person_scores.reshape(n)[keep])


def _refine(refiner, joints_net, joints_3d, detected):
    from .nets.refinenet import apply_refiner

    xyz = np.where(np.isfinite(joints_3d), joints_3d, 0.0)
    uv = np.where(np.isfinite(joints_net), joints_net, 0.0)
    refined, ok = apply_refiner(refiner, uv, xyz, detected)
    return np.asarray(refined, dtype=np.float64), np.asarray(ok, dtype=bool)


def _bundle_input_size(bundle) -> tuple[int, int]:
    if isinstance(bundle.config, dict) and bundle.config.get("input") is not None:
        inp = bundle.input_config
        return int(inp.net_w), int(inp.net_h)
    return CodecParams().net_w, CodecParams().net_h
