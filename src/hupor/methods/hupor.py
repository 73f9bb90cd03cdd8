"""The HUPOR chain (method §1, §8, §9), the one place it is written::

    net input → nets.preprocess → Detector.infer → det_to_maps57 → DSED.infer (if the bundle has one)
    → flip-test fusion (optional) → Codec.decode (heatmaps/PAFs/z from DSED, root depth from the
    detector) → post-stages: RefineNet (if present), joint states from the detector's heatmaps

``runtime`` picks what runs the networks (:class:`hupor.nets.fold.InferenceChain`): ``"torch"`` (the
bundle's modules as they are), ``"folded"`` (conv–BN-folded copies), ``"onnx"`` (ONNX Runtime on the
chain exported in memory, :mod:`hupor.methods.onnx_runtime`) or ``"auto"`` (onnx when installed, else
folded; an export failure falls back to folded with a warning); ``precision`` ``fp32`` / ``bf16`` /
``int8`` / ``auto`` (:mod:`hupor.methods.precision`). ``info`` records the runtime and precision used.

``Predictor``, ``hupor train pairs``, the benchmarks and ``hupor info`` all go through this class.
"""

from __future__ import annotations

import logging

import numpy as np

from ..camera import Intrinsics, Letterbox
from ..codec import Codec, CodecParams, DecodeParams, Poses
from ..errors import HuporError
from .precision import RUNTIMES, choose  # noqa: F401  (RUNTIMES: public name kept here)
from .stages import JointStateStage, RefineStage

log = logging.getLogger(__name__)


class HuporMethod:
    """Detector + reasoner (+ RefineNet) of a loaded :class:`~hupor.nets.ModelBundle`.

    ``codec_params``: default the bundle's (its ``codec:`` section at its input size); ``decode``:
    default the bundle's ``decode:`` section; ``flip_test``: also run on the mirrored input and fuse
    (method §8.1; root depth from the original only); ``runtime``: one of :data:`RUNTIMES` or ``auto``,
    ``precision``: ``fp32``, ``bf16``, ``int8`` or ``auto`` (module doc).
    """

    name = "hupor"

    def __init__(self, bundle, codec_params: CodecParams | None = None, decode: DecodeParams | None = None,
                 flip_test: bool = False, info: dict | None = None, runtime: str = "torch",
                 precision: str = "fp32"):
        self.bundle = bundle
        self.skeleton = bundle.skeleton
        self.codec_params = codec_params if codec_params is not None else bundle.codec_params()
        self.codec = Codec(self.skeleton, self.codec_params)
        self.decode_params = decode if decode is not None else bundle.decode_params
        self.flip_test = bool(flip_test)
        self.device = next(bundle.detector.parameters()).device
        auto = runtime == "auto" and precision != "int8"  # may fall back (int8 exists only on onnx)
        # ONNX Runtime runs on the CPU: on a GPU "auto" means folded torch
        runtime, precision = choose(runtime, precision, None if self.device.type == "cpu" else False)
        self.nets = None
        if runtime == "onnx":
            from .onnx_runtime import OnnxForward

            try:
                self.nets = OnnxForward(bundle, (self.codec_params.net_w, self.codec_params.net_h),
                                        precision=precision)
            except Exception as exc:  # noqa: BLE001 - auto: any export / session failure falls back
                if not auto:
                    raise
                log.warning("ONNX export failed for this bundle (%s: %s); running folded torch instead",
                            type(exc).__name__, exc)
                runtime, precision = "folded", "fp32"
        if self.nets is None:
            from ..nets.fold import InferenceChain

            self.nets = InferenceChain(bundle.detector, bundle.reasoner, fold=runtime == "folded")
            if precision == "bf16":
                from .precision import Autocast

                self.nets = Autocast(self.nets, self.device.type)
        self.runtime, self.precision = runtime, precision
        self.info = {"method": self.name, "flip_test": self.flip_test, "reasoner": bundle.reasoner is not None,
                     "refiner": bundle.refiner is not None, "stride": self.codec_params.stride,
                     "runtime": runtime, "precision": precision, **(info or {})}

    def forward(self, x):
        """Networks on a normalised batch ``x`` (B, 3, H, W) torch: ``(det57, all57, root_depth)`` as
        torch tensors on the CPU (flip-fused when ``flip_test``), raw codec scale."""
        import torch

        from ..codec.flip import fuse_flip

        n = x.shape[0]
        with torch.inference_mode():
            x = x.to(self.device)
            if self.flip_test:
                x = torch.cat([x, x.flip(-1)])
            det57, all57, root = self.nets(x)
            det57, all57, root = det57.float().cpu(), all57.float().cpu(), root.float().cpu()
        if self.flip_test:
            det57 = fuse_flip(det57[:n], det57[n:], self.skeleton)
            all57 = fuse_flip(all57[:n], all57[n:], self.skeleton)
            root = root[:n]
        return det57, all57, root

    def infer(self, net_in: np.ndarray, records=None) -> list[dict]:
        """``net_in`` (B, H, W, 3) uint8 BGR letterboxed images → per image ``{"maps57" (J+3P, h, w),
        "root_depth" (T, h, w), "det_heat" (J, h, w) detector heatmaps in [0, 1]}`` (numpy)."""
        from ..nets import preprocess

        det57, all57, root = self.forward(preprocess(net_in))
        heat = det57[:, :self.skeleton.num_joints].numpy() / self.codec_params.heatmap_peak
        all57, root = all57.numpy(), root.numpy()
        return [{"maps57": all57[i], "root_depth": root[i], "det_heat": heat[i]} for i in range(len(all57))]

    def decode(self, raw: dict, letterbox: Letterbox, intrinsics: Intrinsics) -> Poses:
        return self.codec.decode(raw["maps57"], raw["root_depth"], letterbox, intrinsics, self.decode_params,
                                 raw.get("det_heat"))

    def stages(self, visible_threshold: float = 0.2, visible_radius: int = 1) -> list:
        out = [RefineStage(self.bundle.refiner)] if self.bundle.refiner is not None else []
        return out + [JointStateStage(self.codec_params.stride, visible_threshold, visible_radius)]
