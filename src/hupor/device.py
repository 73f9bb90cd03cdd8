"""Up-front checks of compute devices: ``--device`` for inference, ``train.accelerator`` for training.

Both raise :class:`~hupor.errors.HuporError` with one line before any model is loaded or any run
folder is made, instead of a torch or Lightning traceback later.
"""

from __future__ import annotations

from .errors import HuporError

DEVICE_TYPES = ("cpu", "cuda", "mps")


def _available(kind: str) -> bool:
    import torch

    if kind == "cuda":
        return bool(torch.cuda.is_available())
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps is not None and mps.is_available())
    return True


def check_device(device: str, flag: str = "--device") -> str:
    """``device`` (``cpu``, ``cuda``, ``cuda:N``, ``mps``) if torch can use it here, else HuporError."""
    import torch

    text = str(device).strip()
    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError, TypeError):
        dev = None
    if dev is None or dev.type not in DEVICE_TYPES:
        raise HuporError(f"{flag} {device!r}: unknown device; use one of cpu, cuda, cuda:N, mps")
    if not _available(dev.type):
        raise HuporError(f"{flag} {device!r}: {dev.type.upper()} is not available here; use {flag} cpu")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise HuporError(f"{flag} {device!r}: only {torch.cuda.device_count()} CUDA device(s) here")
    return text


def check_accelerator(accelerator: str, where: str = "train.accelerator") -> None:
    """Refuse a Lightning accelerator that this machine does not have (``gpu``/``cuda`` without CUDA,
    ``mps`` without MPS). ``cpu`` and ``auto`` always work."""
    kind = {"gpu": "cuda"}.get(accelerator, accelerator)
    if kind in ("cuda", "mps") and not _available(kind):
        raise HuporError(f"{where}={accelerator}: {kind.upper()} is not available on this machine; "
                         f"use train.accelerator=cpu (or auto)")
    if kind == "tpu" and not _has_module("torch_xla"):
        raise HuporError(f"{where}={accelerator}: TPUs need torch_xla, which is not installed here; "
                         f"use train.accelerator=cpu (or auto)")


# strategies that need a package besides lightning (checked before a run folder is made)
STRATEGY_PACKAGES = {"xla": "torch_xla", "single_xla": "torch_xla", "deepspeed": "deepspeed"}


def check_strategy(strategy: str, where: str = "train.strategy") -> None:
    """Refuse a Lightning strategy whose package is not installed (``xla``: torch_xla, ``deepspeed*``)."""
    pkg = STRATEGY_PACKAGES.get(strategy.split("_stage")[0], None)
    if pkg is not None and not _has_module(pkg):
        raise HuporError(f"{where}={strategy}: needs the {pkg} package, which is not installed here")


def _has_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
