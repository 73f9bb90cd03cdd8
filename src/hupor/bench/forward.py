"""Network forward timing (``hupor bench forward``, ``hupor info --time``): median ms per frame of the
detector and of the reasoner, through :meth:`HuporMethod.forward` (the one place the chain runs).

Two methods are built from one bundle: the detector alone (``reasoner=None``) and the whole chain;
their runs alternate, one random batch-1 input, the first call of each is warm-up and not counted.
``detector_ms`` = median of the detector-alone forward, ``total_ms`` = median of the whole forward,
``reasoner_ms`` = ``total_ms - detector_ms`` (≥ 0). Times include the copies into and out of the
networks (what ``Predictor`` pays), not preprocessing or decoding.
"""

from __future__ import annotations

import dataclasses
import time


def random_bundle(model, stride: int = 4, input_size: tuple[int, int] | None = None, device: str = "cpu"):
    """A :class:`~hupor.nets.ModelBundle` of randomly initialised networks (eval mode) for ``model``
    (:class:`~hupor.nets.ModelConfig`); ``input_size`` (net_w, net_h) becomes its ``input:`` section."""
    from ..nets import ModelBundle, build_models
    from ..skeleton import get_skeleton

    skeleton = get_skeleton(model.skeleton)
    nets = [m.to(device).eval() for m in build_models(model, skeleton, stride)]
    config = {"codec": {"stride": stride}}
    if input_size is not None:
        config["input"] = {"net_w": int(input_size[0]), "net_h": int(input_size[1])}
    return ModelBundle(config, skeleton, *nets)


def time_forward(bundle, input_size: tuple[int, int] | None = None, runtime: str = "torch",
                 repeats: int = 5, threads: int = 1, precision: str = "fp32") -> dict:
    """Time ``bundle``'s networks at ``input_size`` (net_w, net_h; default the bundle's) with ``runtime``
    (``torch``, ``folded``, ``onnx``, ``auto``) at ``precision`` (``fp32``, ``bf16``, ``int8``) on
    ``threads`` torch/ORT threads, ``repeats`` timed runs each.

    Returns ``{"detector_ms", "reasoner_ms", "total_ms", "runtime", "precision", "threads", "size": "WxH",
    "repeats", "weights_mb"}`` (runtime / precision as used; weights: float32 MB of the three networks)."""
    import torch

    from ..errors import HuporError
    from ..methods import HuporMethod
    from ..nets.blocks import count_parameters

    if repeats < 1 or threads < 1:
        raise HuporError(f"repeats and threads must be >= 1, got {repeats} and {threads}")
    torch.set_num_threads(threads)
    cp = bundle.codec_params(input_size)
    full = HuporMethod(bundle, cp, runtime=runtime, precision=precision)
    det = HuporMethod(dataclasses.replace(bundle, reasoner=None), cp, runtime=full.runtime, precision=full.precision)
    x = torch.randn(1, 3, cp.net_h, cp.net_w, device=full.device)
    cuda = full.device.type == "cuda" and full.runtime != "onnx"
    times = {"det": [], "full": []}
    for i in range(repeats + 1):  # alternate, so load changes hit both alike
        for name, method in (("det", det), ("full", full)):
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            method.forward(x)
            if cuda:
                torch.cuda.synchronize()
            if i:  # the first round warms up
                times[name].append(1000.0 * (time.perf_counter() - t0))
    det_ms, total_ms = median(times["det"]), median(times["full"])
    nets = (bundle.detector, bundle.reasoner, bundle.refiner)
    return {"detector_ms": det_ms, "reasoner_ms": max(total_ms - det_ms, 0.0), "total_ms": total_ms,
            "runtime": full.runtime, "precision": full.precision, "threads": threads, "size": f"{cp.net_w}x{cp.net_h}", "repeats": repeats,
            "weights_mb": 4 * sum(count_parameters(m) for m in nets) / 1e6}


def median(values) -> float:
    v = sorted(values)
    n = len(v)
    return float(v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2)
