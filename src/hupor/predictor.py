"""``Predictor``: images in, people in 3D out (mm, camera frame) with a state per joint.

The Predictor handles inputs (paths, arrays, PIL images), intrinsics, the letterbox, batching, timings
and the output schema; the rest is the method (``hupor.methods``: the HUPOR chain of the bundle, or
any other method) and its post-stages (RefineNet re-projection, joint states; docs/predict.md)::

    letterbox → method.infer (batch) → per image: method.decode → post-stages → Prediction

Joint states (``hupor.methods.stages.joint_states``): ``visible`` where the detector's own heatmap
supports the decoded joint, ``occluded_inferred`` where only the reasoning module (or RefineNet)
produced it, ``missing`` where neither did (NaN in the arrays, ``null`` in the JSON).

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
from .methods.stages import joint_states  # noqa: F401  (public name kept here)
from .schema import MISSING, OCCLUDED_INFERRED, Prediction

log = logging.getLogger(__name__)

ASSETS = Path(__file__).parent / "assets"


def default_checkpoint() -> Path:
    """The model bundled with the package (``hupor/assets/default.pt``)."""
    return ASSETS / "default.pt"


def resolve_intrinsics(width: int, height: int, K=None, fx: float | None = None,
                       fov_degrees: float | None = None) -> tuple[Intrinsics, str]:
    """Intrinsics for a ``width x height`` image and their source: ``"K"``, ``"fx"``, ``"fov"`` or
    ``"default"`` (precedence in that order). Bad or implausible values (:func:`check_intrinsics`)
    raise HuporError."""
    from .camera import check_intrinsics
    from .media import check_K

    if K is not None:
        intr = K if isinstance(K, Intrinsics) else Intrinsics.from_matrix(check_K(K))
        source, name = "K", "K"
    elif fx is not None:
        try:
            fxf = float(fx)
        except (TypeError, ValueError):
            fxf = float("nan")
        if not fxf > 0:  # also NaN
            raise HuporError(f"fx: focal length must be a positive number of pixels, got {fx!r}")
        check_intrinsics(fxf, fxf, width / 2.0, height / 2.0, "fx")
        intr, source, name = Intrinsics.default_for(width, height, fx=fxf), "fx", "fx"
    elif fov_degrees is not None:
        intr = Intrinsics.default_for(width, height, fov_degrees=float(fov_degrees))
        source, name = "fov", f"fov {fov_degrees}"
    else:
        intr, source, name = Intrinsics.default_for(width, height), "default", "default intrinsics"
    check_intrinsics(intr.fx, intr.fy, intr.cx, intr.cy, name, (width, height))
    return intr, source


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

    ``checkpoint``: a bundle path (``None`` → the bundled default model), run by the method the bundle
    names; or ``method``: a ready method object (e.g. :class:`hupor.methods.OracleMethod`) instead.
    ``device``: ``"cpu"`` or ``"cuda"``; ``input_size``: ``(net_w, net_h)`` network input in px
    (multiples of 32; default from the checkpoint); ``flip_test``: also run on the mirrored image and
    fuse (method §8.1); ``decode``: :class:`DecodeParams` (default: the bundle's ``decode:`` section;
    the output stride and label geometry come from its ``codec:`` section); ``visible_threshold`` /
    ``visible_radius``: the joint-state rule (default threshold: the decoder's ``peak_threshold``); ``runtime``: what runs the networks, ``"auto"``
    (default: ONNX Runtime when installed, else folded torch, chosen once here), ``"torch"``, ``"folded"``
    (conv–BN folded) or ``"onnx"``; ``precision``: ``"auto"`` (default, docs/predict.md), ``"fp32"``,
    ``"bf16"`` or ``"int8"`` (:mod:`hupor.methods.precision`); both as used land in ``model_info``;
    ``stages``: extra post-stages run after the method's own, in order (e.g. ``methods.track.Tracker``,
    ``methods.smooth.Smoother``; kept in ``extra_stages``, which may be replaced between videos).
    ``min_score``: people whose score (mean joint score over all joints, in [0, 1]) is below this are
    left out of the predictions; ``None`` (default): the model's calibrated threshold (the bundle's
    ``decode.person_threshold``, 0 for methods without one); 0: every decoded person (AP-style scoring).
    """

    def __init__(self, checkpoint=None, device: str = "cpu", input_size: tuple[int, int] | None = None,
                 flip_test: bool = False, decode: DecodeParams | None = None,
                 visible_threshold: float | None = None, visible_radius: int = 1, method=None, runtime: str = "auto",
                 stages=None, min_score: float | None = None, precision: str = "auto"):
        if min_score is not None:
            check_min_score(min_score)
        if method is None:
            method = _load_method(checkpoint, device, input_size, flip_test, decode, runtime, precision)
        self.method = method
        if min_score is None:   # the model's own calibrated threshold
            min_score = getattr(getattr(method, "decode_params", None), "person_threshold", 0.0)
        self.min_score = float(min_score)
        self.skeleton = method.skeleton
        self.codec_params = method.codec_params
        if visible_threshold is None:  # the decoder's own peak threshold (0.2 unless the bundle says)
            visible_threshold = getattr(getattr(method, "decode_params", None), "peak_threshold", 0.2)
        self.stages = method.stages(visible_threshold, visible_radius)
        self.extra_stages = list(stages or [])
        p = self.codec_params
        self.model_info = {**method.info, "input_size": [p.net_w, p.net_h]}
        self.model_info.setdefault("name", method.name)
        self.model_info["min_score"] = self.min_score   # the person-score threshold the output was written at
        self._warm = False

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
                       fx: float | None = None, fov_degrees: float | None = None,
                       records=None, fps: float | None = None) -> list[Prediction]:
        """Batch prediction on uint8 (H, W, 3) BGR arrays (already normalised, e.g. by media.read_image).
        ``records``: ground truth per image, for methods that read it (the oracle); ``frames`` /
        ``fps``: video frame indices and rate, passed to the stages (``StageContext``)."""
        n = len(images)
        for i, im in enumerate(images):
            if not (isinstance(im, np.ndarray) and im.dtype == np.uint8 and im.ndim == 3 and im.shape[2] == 3):
                raise HuporError(f"image[{i}]: predict_arrays needs uint8 (H, W, 3) BGR arrays, got "
                                 f"{getattr(im, 'dtype', type(im).__name__)} {getattr(im, 'shape', '')}")
        paths = list(paths) if paths is not None else [None] * n
        frames = list(frames) if frames is not None else [None] * n
        p = self.codec_params
        intr = [resolve_intrinsics(im.shape[1], im.shape[0], K, fx, fov_degrees) for im in images]
        t0 = time.perf_counter()
        if getattr(self.method, "full_frame", False):  # e.g. a 2D detector + lifter: the original images
            boxes = [Letterbox.fit(im.shape[1], im.shape[0], im.shape[1], im.shape[0]) for im in images]
            raws = self.method.infer(list(images), records)
        else:
            boxes = [Letterbox.fit(im.shape[1], im.shape[0], p.net_w, p.net_h) for im in images]
            raws = self.method.infer(np.stack([lb.apply(im) for lb, im in zip(boxes, images)]), records)
        net_ms = 1000.0 * (time.perf_counter() - t0) / n
        out = []
        for i in range(n):
            if not self._warm:  # the first decode pays one-off costs (imports, caches): not decode time
                self._postprocess_raw(raws[i], boxes[i], *intr[i], extra=False)  # stateful stages: once
                self._warm = True
            t2 = time.perf_counter()
            pred = self._postprocess_raw(raws[i], boxes[i], *intr[i], frame=frames[i], fps=fps)
            pred.path, pred.frame = paths[i], frames[i]
            pred.timings_ms = {"network": net_ms, "decode": 1000.0 * (time.perf_counter() - t2)}
            out.append(pred)
        return out

    def postprocess(self, maps57, root_depth, det_heat: np.ndarray, letterbox: Letterbox,
                    intrinsics: Intrinsics, source: str) -> Prediction:
        """Decode one image's maps into a :class:`Prediction` (no path/frame/timings set).

        ``maps57`` (J+3P, h, w) raw scale (reasoner output, or detector output without a reasoner);
        ``root_depth`` (7, h, w) in ``Z_cm/(fx·s)``; ``det_heat`` (J, h, w) detector heatmaps in [0, 1].
        """
        raw = {"maps57": maps57, "root_depth": root_depth, "det_heat": det_heat}
        return self._postprocess_raw(raw, letterbox, intrinsics, source)

    def _postprocess_raw(self, raw: dict, letterbox: Letterbox, intrinsics: Intrinsics, source: str,
                         frame: int | None = None, fps: float | None = None, extra: bool = True) -> Prediction:
        from .methods import StageContext, run_stages

        poses = self.method.decode(raw, letterbox, intrinsics)
        stages = self.stages + self.extra_stages if extra else self.stages
        poses = run_stages(poses, stages, StageContext(raw, letterbox, intrinsics, frame, fps))
        return to_prediction(poses, letterbox, intrinsics, source, self.min_score)


def check_min_score(value: float, what: str = "min_score") -> None:
    """Refuse a person-score threshold outside [0, 1) (``what`` names it in the error)."""
    if not 0.0 <= float(value) < 1.0:
        raise HuporError(f"{what}: must be a number in [0, 1), got {value}")


def to_prediction(poses, letterbox: Letterbox, intrinsics: Intrinsics, source: str,
                  min_score: float = 0.0) -> Prediction:
    """:class:`~hupor.codec.Poses` after the post-stages → :class:`Prediction`: missing joints NaN with
    score 0; people with a non-positive or non-finite root depth (behind the camera) or a person score
    below ``min_score`` are dropped."""
    n, j = poses.detected.shape
    state = poses.state if poses.state is not None else np.where(poses.detected, OCCLUDED_INFERRED, MISSING)
    joints_2d = np.array(poses.joints_2d, dtype=np.float64).reshape(n, j, 2)
    joints_3d = np.array(poses.joints_3d, dtype=np.float64).reshape(n, j, 3)
    root_mm = np.asarray(poses.root_depth_mm, dtype=np.float64).reshape(n)
    two_d = getattr(poses, "dims", 3) == 2   # a 2D-only method has no depth to check
    keep = np.ones(n, bool) if two_d else np.isfinite(root_mm) & (root_mm > 0)  # behind the camera: not physical
    if not keep.all():
        log.debug("dropping %d people with non-positive root depth", int((~keep).sum()))
    person_scores = np.clip(np.nan_to_num(np.asarray(poses.person_scores, dtype=np.float64)), 0, 1).reshape(n)
    keep &= person_scores >= min_score
    track = None if poses.track_id is None else np.asarray(poses.track_id, np.int64).reshape(n)[keep]
    scores = np.clip(np.nan_to_num(np.asarray(poses.scores, dtype=np.float64).reshape(n, j)), 0, 1)
    missing = state == MISSING
    joints_2d[missing] = np.nan
    joints_3d[missing] = np.nan
    scores[missing] = 0.0
    return Prediction(
        path=None, width=letterbox.image_w, height=letterbox.image_h, intrinsics=intrinsics,
        intrinsics_source=source, joints_2d=joints_2d[keep], joints_3d=joints_3d[keep],
        joint_scores=scores[keep], joint_state=np.asarray(state, np.int8)[keep], root_depth_mm=root_mm[keep],
        person_scores=person_scores[keep], track_ids=track, dims=2 if two_d else 3)


def _load_method(checkpoint, device: str, input_size, flip_test: bool, decode, runtime: str = "auto",
                 precision: str = "auto"):
    """The method of a bundle file (default: the bundled model), on ``device``, run by ``runtime`` at ``precision``."""
    from .methods.precision import check_choice

    check_choice(runtime, precision)  # before the bundle is read
    import torch

    from .methods import method_from_bundle
    from .nets.bundle import load_bundle

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise HuporError(f"device {device!r}: CUDA is not available here; use --device cpu")
    path = Path(checkpoint) if checkpoint is not None else default_checkpoint()
    if not path.is_file():
        raise HuporError(f"{path}: no such checkpoint" + (
            "; the bundled default model is not installed, pass --checkpoint" if checkpoint is None else ""))
    bundle = load_bundle(path, device=str(torch.device(device)))
    if input_size is None:
        input_size = _bundle_input_size(bundle)
    net_w, net_h = (int(v) for v in input_size)
    if net_w <= 0 or net_h <= 0 or net_w % 32 or net_h % 32:
        raise HuporError(f"input_size: width and height must be positive multiples of 32, got {input_size}")
    info = {"name": "default" if checkpoint is None else path.name, "checkpoint": str(path)}
    return method_from_bundle(bundle, bundle.codec_params((net_w, net_h)), decode, flip_test, info, runtime,
                              precision)


def _bundle_input_size(bundle) -> tuple[int, int]:
    if isinstance(bundle.config, dict) and bundle.config.get("input") is not None:
        inp = bundle.input_config
        return int(inp.net_w), int(inp.net_h)
    return CodecParams().net_w, CodecParams().net_h
