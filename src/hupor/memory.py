"""Memory estimates that decide, before any work starts, whether a requested size can run here.

A side limit alone (``--input-size`` at most 4096) still lets sizes through that exhaust memory
half-way with an allocator traceback. Each size flag therefore gets an estimate in bytes, compared
with the memory available **at run time**: ``MemAvailable`` of ``/proc/meminfo`` (psutil's
``virtual_memory().available`` where psutil is installed and /proc is not readable), or, on a CUDA
device, the free memory torch reports. :func:`check_memory` refuses an estimate above the limit with
one line naming the flag, the estimate and the limit. Tests pass ``available=`` (bytes) instead of
reading the machine.

Estimates (bytes):

* networks (``predict --input-size``, ``bench forward --size``): :func:`forward_bytes` runs the
  bundle's networks once at a small probe size and records the peak of the module outputs alive at
  once (weak references say when torch frees them); that peak grows with the input pixels, times
  the batch (×2 with the flip test), times :data:`OP_MARGIN` for the temporaries inside operators;
* images (``preview --cell-width``, ``synth --size``): pixels times bytes per pixel of the buffers
  the command keeps (:func:`image_bytes`);
* people (``demo --people``): :data:`DEMO_BYTES_PER_PERSON` per person.
"""

from __future__ import annotations

import weakref
from pathlib import Path

from .errors import HuporError

OP_MARGIN = 2.0                   # operator temporaries (im2col, upsampling) on top of the live outputs
PROBE_SIZE = (128, 128)           # (w, h) of the probe forward pass
DEMO_BYTES_PER_PERSON = 24_000    # measured: 100 000 people took 1.7 GB (issue 33), plus margin


def available_bytes(device: str = "cpu", meminfo: str | Path = "/proc/meminfo") -> int | None:
    """Bytes of memory available now on ``device`` (``cpu`` or ``cuda[:N]``); None when unknown."""
    if str(device).startswith("cuda"):
        import torch

        if torch.cuda.is_available():
            free, _total = torch.cuda.mem_get_info(torch.device(device))
            return int(free)
        return None
    try:
        for line in Path(meminfo).read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil  # optional: only where it is already installed
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def fmt_bytes(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} B"


def check_memory(estimate: float, flag: str, available: int | None = None, device: str = "cpu",
                 hint: str = "choose a smaller value") -> None:
    """Refuse ``estimate`` bytes when it exceeds ``available`` (default: :func:`available_bytes`)."""
    limit = available if available is not None else available_bytes(device)
    if limit is not None and estimate > limit:
        where = "free on " + device if str(device).startswith("cuda") else "available"
        raise HuporError(f"{flag}: needs about {fmt_bytes(estimate)} of memory, only {fmt_bytes(limit)} {where} "
                         f"now; {hint}")


def image_bytes(width: int, height: int, bytes_per_pixel: float, count: int = 1) -> float:
    """Memory of ``count`` buffers of ``width`` × ``height`` at ``bytes_per_pixel``."""
    return float(width) * float(height) * float(bytes_per_pixel) * count


def _probe(bundle, x):
    import torch

    if getattr(bundle, "method", "hupor") == "hupor" and hasattr(bundle.detector, "infer"):
        from .nets.fold import InferenceChain

        return InferenceChain(bundle.detector, bundle.reasoner, fold=False)(x)
    net = bundle.detector
    return net.infer(x) if hasattr(net, "infer") else net(x)


def forward_bytes(bundle, size: tuple[int, int], batch: int = 1, flip: bool = False) -> float:
    """Estimated peak activation memory (bytes) of ``bundle``'s networks on a (batch, 3, h, w) input,
    ``size`` = (w, h) px (module docstring)."""
    import torch

    live = {"now": 0, "peak": 0}

    def _free(n):
        live["now"] -= n

    def hook(_module, _inputs, output):
        for t in output if isinstance(output, (tuple, list)) else (output,):
            if isinstance(t, torch.Tensor):
                n = t.numel() * t.element_size()
                live["now"] += n
                live["peak"] = max(live["peak"], live["now"])
                weakref.finalize(t, _free, n)

    pw, ph = PROBE_SIZE
    handle = torch.nn.modules.module.register_module_forward_hook(hook)
    try:
        with torch.inference_mode():
            x = torch.zeros(1, 3, ph, pw, device=next(bundle.detector.parameters()).device)
            live["now"] = live["peak"] = x.numel() * x.element_size()
            out = _probe(bundle, x)
            del out, x
    finally:
        handle.remove()
    scale = (float(size[0]) * float(size[1])) / (pw * ph)
    return live["peak"] * scale * max(1, batch) * (2 if flip else 1) * OP_MARGIN


def check_forward(bundle, size: tuple[int, int], flag: str, batch: int = 1, flip: bool = False,
                  device: str = "cpu", available: int | None = None) -> float:
    """:func:`forward_bytes` against the memory available; returns the estimate."""
    est = forward_bytes(bundle, size, batch, flip)
    check_memory(est, f"{flag} {size[0]}x{size[1]}", available, device,
                 hint="choose a smaller input size (or batch)")
    return est
