"""ONNX export of the network chain and an ONNX Runtime forward for :class:`HuporMethod` (``runtime="onnx"``).

The exported graph is :class:`hupor.nets.fold.InferenceChain` (conv–BN folded detector + reasoner) at a
fixed input size with a dynamic batch::

    image (B, 3, H, W) float32 normalised → det57 (B, J+3P, h, w), all57 (B, J+3P, h, w),
                                             root_depth (B, 7, h, w)   raw codec scale, h = H / stride

onnx / onnxruntime / onnxscript are the optional ``export`` extra (``pip install "hupor[export]"``);
without them :func:`require` raises a :class:`HuporError` that says so. The model is exported with
torch's TorchScript-based exporter (``dynamo=False``: seconds for the paper config, where the dynamo
exporter takes much longer) and kept in memory, never written next to the bundle.
"""

from __future__ import annotations

import io
import warnings

from ..errors import HuporError

INSTALL = 'pip install "hupor[export]"'
INPUTS, OUTPUTS = ["image"], ["det57", "all57", "root_depth"]
OPSET = 17


def require(module: str = "onnxruntime"):
    """Import ``module`` (``onnx`` or ``onnxruntime``) or raise a HuporError saying how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise HuporError(f"the ONNX runtime needs the '{module}' package, which is not installed; "
                         f"install the export extra: {INSTALL}") from None


def export_onnx(detector, reasoner, input_size: tuple[int, int], out=None) -> bytes:
    """Export detector (+ reasoner, may be None) at ``input_size`` = (net_w, net_h) px, dynamic batch.
    Returns the serialised model; also writes it to ``out`` (path) when given."""
    import torch

    from ..nets.fold import InferenceChain

    require("onnx")
    net_w, net_h = (int(v) for v in input_size)
    chain = InferenceChain(detector, reasoner).cpu().eval()
    buf = io.BytesIO()
    batch = {0: "batch"}
    with warnings.catch_warnings(), torch.no_grad():  # tracer warnings on the shape checks, deprecation
        warnings.simplefilter("ignore")
        torch.onnx.export(chain, (torch.zeros(1, 3, net_h, net_w),), buf, input_names=INPUTS,
                          output_names=OUTPUTS, dynamic_axes={n: batch for n in INPUTS + OUTPUTS},
                          opset_version=OPSET, do_constant_folding=True, dynamo=False)
    data = buf.getvalue()
    if out is not None:
        from ..fileio import write_atomic

        write_atomic(out, lambda p: p.write_bytes(data))
    return data


class OnnxForward:
    """ONNX Runtime session over the exported chain of ``bundle`` at ``input_size`` (net_w, net_h).

    ``model``: serialised ONNX bytes or a path (default: export the bundle now, in memory);
    ``threads``: intra-op threads (default ``torch.get_num_threads()``, so ``--threads`` applies);
    ``precision``: ``fp32`` or ``int8`` (the model quantized in memory, :func:`hupor.methods.precision.quantize_int8`,
    calibrated on :func:`~hupor.methods.precision.calibration_batches`).
    ``self(x)`` takes a (B, 3, H, W) torch batch and returns ``(det57, all57, root_depth)`` torch (CPU).
    """

    def __init__(self, bundle, input_size: tuple[int, int], model=None, threads: int | None = None,
                 precision: str = "fp32"):
        import torch
        from pathlib import Path

        ort = require("onnxruntime")
        if precision not in ("fp32", "int8"):
            raise HuporError(f"ONNX runtime: precision must be fp32 or int8, got {precision!r}")
        self.input_size = (int(input_size[0]), int(input_size[1]))
        if model is None:
            model = export_onnx(bundle.detector, bundle.reasoner, self.input_size)
        if precision == "int8":
            from .precision import calibration_batches, quantize_int8

            raw = model if isinstance(model, bytes) else Path(model).read_bytes()
            model = quantize_int8(raw, calibration_batches(*self.input_size))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads or torch.get_num_threads())
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(model if isinstance(model, bytes) else str(model), opts,
                                            providers=["CPUExecutionProvider"])

    def __call__(self, x):
        import numpy as np
        import torch

        w, h = self.input_size
        if tuple(x.shape[-2:]) != (h, w):
            raise HuporError(f"ONNX runtime: the model was exported for {w}x{h} inputs, got "
                             f"{x.shape[-1]}x{x.shape[-2]}")
        feed = np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float32)
        return tuple(torch.from_numpy(o) for o in self.session.run(OUTPUTS, {INPUTS[0]: feed}))
