"""Runtime and precision choice for :class:`~hupor.methods.HuporMethod`, bf16 autocast, int8 quantization.

Runtimes (``RUNTIMES``) and precisions (``PRECISIONS``) combine as follows (:func:`choose`):

* ``runtime="auto"``: ONNX Runtime (``onnx``) when ``onnxruntime`` and ``onnx`` import, else folded
  torch (``folded``); with ``precision="bf16"`` always ``folded``.
* ``fp32``: every runtime. ``bf16``: the torch runtimes only (``torch.autocast`` on the networks,
  :class:`Autocast`; maps back in float32). ``int8``: ONNX Runtime only (static QDQ quantization,
  :func:`quantize_int8`, calibrated on synthetic scenes, :func:`calibration_batches`).
* ``precision="auto"``: ``DEFAULT_PRECISION[runtime]``, the fastest precision whose end-to-end accuracy
  stays within the bounds of docs/predict.md ("Reduced precision").

Quantization happens in memory when the method is built: the ONNX Runtime quantizer reads and writes
files, so it works in a temporary folder that is deleted at once; nothing is cached on disk.
"""

from __future__ import annotations

import importlib
import logging
import tempfile
from pathlib import Path

import numpy as np

from ..errors import HuporError

log = logging.getLogger(__name__)

RUNTIMES = ("torch", "folded", "onnx")
PRECISIONS = ("fp32", "bf16", "int8")
#: the default precision per runtime ("auto"): measured in docs/predict.md, "Reduced precision"
DEFAULT_PRECISION = {"torch": "fp32", "folded": "fp32", "onnx": "fp32"}
#: calibration scenes: never a benchmark seed (9100 test, 9200 validation, 9300 the precision check)
CALIB_SEED, CALIB_SCENES = 7301, 8


def onnx_available() -> bool:
    """Whether ONNX Runtime and the exporter's ``onnx`` package import (the ``auto`` check)."""
    try:
        importlib.import_module("onnxruntime")
        importlib.import_module("onnx")
    except ImportError:
        return False
    return True


def check_choice(runtime: str, precision: str, prefix: str = "") -> None:
    """Refuse an unknown runtime or precision (``auto`` allowed for both) with a one-line HuporError;
    ``prefix`` goes before the names in the message (``"--"`` for the command line)."""
    if runtime not in RUNTIMES + ("auto",):
        raise HuporError(f"{prefix}runtime: must be one of auto, {', '.join(RUNTIMES)}, got {runtime!r}")
    if precision not in PRECISIONS + ("auto",):
        raise HuporError(f"{prefix}precision: must be one of auto, {', '.join(PRECISIONS)}, got {precision!r}")


def choose(runtime: str = "auto", precision: str = "auto", onnx_ok: bool | None = None) -> tuple[str, str]:
    """The concrete ``(runtime, precision)`` for a request (module docstring); ``onnx_ok`` default
    :func:`onnx_available`. Impossible pairs (``int8`` on torch, ``bf16`` on onnx) raise HuporError."""
    check_choice(runtime, precision)
    if runtime == "auto":
        if precision == "bf16":
            runtime = "folded"
        elif precision == "int8":
            runtime = "onnx"  # no fallback: int8 exists only there (require() says how to install)
        else:
            runtime = "onnx" if (onnx_available() if onnx_ok is None else onnx_ok) else "folded"
    if precision == "auto":
        precision = DEFAULT_PRECISION[runtime]
    if precision == "int8" and runtime != "onnx":
        raise HuporError(f"precision int8: needs the onnx runtime (ONNX Runtime quantization), not {runtime!r}")
    if precision == "bf16" and runtime == "onnx":
        raise HuporError("precision bf16: runs on the torch or folded runtime (torch autocast), not onnx")
    return runtime, precision


class Autocast:
    """Runs ``nets`` (a callable on a torch batch returning a tuple of tensors) under
    ``torch.autocast(device_type, bfloat16)``; the outputs come back as float32."""

    def __init__(self, nets, device_type: str = "cpu"):
        self.nets, self.device_type = nets, device_type

    def __call__(self, x):
        import torch

        with torch.autocast(self.device_type, dtype=torch.bfloat16):
            out = self.nets(x)
        return tuple(o.float() for o in out)


def calibration_batches(net_w: int, net_h: int, scenes: int | None = None, seed: int = CALIB_SEED) -> list:
    """Normalised network inputs ``[(1, 3, net_h, net_w) float32]`` for int8 calibration: synthetic
    scenes of the generator's default mix (``hupor.data.synth``, seed ``seed``) letterboxed to the
    network size; without the renderer (``hupor[data]`` missing) the bundled sample scene and its
    mirror image. ``scenes``: default :data:`CALIB_SCENES`."""
    from ..camera import Letterbox
    from ..nets import preprocess

    try:
        from ..data.synth.generate import render_scene
        from ..data.synth.mocap import load_motion_library
        from ..data.synth.scene import SceneConfig

        motion = load_motion_library()
        images = [render_scene(SceneConfig(), seed, i, motion)[0] for i in range(scenes or CALIB_SCENES)]
    except (HuporError, ImportError) as exc:
        from ..cli.demo import make_scene

        log.info("int8 calibration: renderer unavailable (%s), using the bundled sample scene", exc)
        img = make_scene(0, 0, sample=True)[0]
        images = [img, np.ascontiguousarray(img[:, ::-1])]
    out = []
    for img in images:
        lb = Letterbox.fit(img.shape[1], img.shape[0], net_w, net_h)
        out.append(np.ascontiguousarray(preprocess(lb.apply(img)[None]).numpy(), dtype=np.float32))
    return out


def head_convs(model) -> list[str]:
    """Names of the Conv nodes that produce the graph outputs (through non-Conv nodes: Concat, Mul,
    Add, ...): the heads, left in float32 so the raw-scale maps keep their resolution."""
    producer = {o: n for n in model.graph.node for o in n.output}
    todo, seen, heads = [o.name for o in model.graph.output], set(), []
    while todo:
        node = producer.get(todo.pop())
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        if node.op_type == "Conv":
            heads.append(node.name)
        else:
            todo.extend(node.input)
    return heads


def quantize_int8(model_bytes: bytes, batches: list, exclude_heads: bool = True, mode: str = "static") -> bytes:
    """Static int8 QDQ quantization (uint8 activations, int8 per-channel 7-bit weights: ``reduce_range``,
    which avoids the u8×s8 saturation of CPUs without VNNI; MinMax ranges over ``batches`` of the input
    ``image``) of a serialised ONNX model; returns the quantized model bytes. ``exclude_heads``: keep the
    output convolutions in float32 (:func:`head_convs`). Dynamic quantization (``quantize_dynamic``,
    ConvInteger, ``mode="dynamic"``, ``batches`` unused) was measured too: more accurate, slower than
    float32 here (docs/predict.md), so ``precision="int8"`` is the static one. Memory: the calibrator
    keeps every intermediate tensor of every calibration image (``CalibMaxIntermediateOutputs``, which
    would bound it, loses the data in onnxruntime 1.32): small for the bundled model, but the paper
    config at 832×512 passed 19 GB after a few images, so quantize big models with few images."""
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if mode not in ("static", "dynamic"):
        raise HuporError(f"int8 quantization: mode must be static or dynamic, got {mode!r}")
    if not batches and mode == "static":
        raise HuporError("int8 quantization: no calibration images")

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(batches)

        def get_next(self):
            b = next(self.it, None)
            return None if b is None else {"image": b}

    with tempfile.TemporaryDirectory(prefix="hupor-int8-") as tmp:  # deleted on return
        src, pre, dst = (Path(tmp) / n for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        src.write_bytes(model_bytes)
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        exclude = head_convs(onnx.load(str(pre))) if exclude_heads else []
        if mode == "dynamic":
            from onnxruntime.quantization import quantize_dynamic

            quantize_dynamic(str(pre), str(dst), weight_type=QuantType.QUInt8, nodes_to_exclude=exclude)
            return dst.read_bytes()
        quantize_static(str(pre), str(dst), Reader(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        reduce_range=True, nodes_to_exclude=exclude, calibrate_method=CalibrationMethod.MinMax)
        return dst.read_bytes()

