"""Checkpoints and the learning-rate schedule.

* :class:`AtomicCheckpointIO`: Lightning checkpoint I/O that writes through a temporary file and a
  rename (a killed run never leaves half a checkpoint) and always loads with
  ``torch.load(weights_only=True)`` (tensors and plain data only, no pickle).
* :class:`LRSchedule`: the factor of the base LR at an optimiser step (method §13).
* :func:`checkpoint_metadata`: config, skeleton metadata and package versions stored in every
  checkpoint under the ``"hupor"`` key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from ..errors import HuporError
from ..fileio import load_torch, write_atomic

CHECKPOINT_KEY = "hupor"


class AtomicCheckpointIO(TorchCheckpointIO):
    """Atomic save (temp file + ``os.replace``); loading is always ``weights_only=True``."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        write_atomic(path, lambda p: torch.save(checkpoint, p))

    def load_checkpoint(self, path, map_location=None, weights_only=None) -> dict[str, Any]:
        return load_checkpoint(path, map_location)


def load_checkpoint(path, map_location="cpu") -> dict[str, Any]:
    """Load a training checkpoint (tensors and plain data only); a bad file raises HuporError."""
    path = Path(path)
    if not path.exists():
        raise HuporError(f"checkpoint {path}: no such file")
    return load_torch(path, "checkpoint", map_location)


class LRSchedule:
    """Multiplier of the base LR at optimiser step ``step`` (0-based).

    ``linear``: warm-up from ``warmup_factor`` to 1 over ``warmup_steps``, then linear decay to 0 at
    ``total_steps``; ``step``: ×``gamma`` every ``step_every`` steps (after the warm-up); ``none``:
    warm-up then constant. A plain object (floats/strings only) so ``LambdaLR.state_dict`` stores it.
    """

    def __init__(self, total_steps: int, warmup_steps: int = 0, warmup_factor: float = 0.1,
                 decay: str = "linear", step_every: int = 0, gamma: float = 0.5):
        self.total_steps = max(1, int(total_steps))
        self.warmup_steps = int(warmup_steps)
        self.warmup_factor = float(warmup_factor)
        self.decay = str(decay)
        self.step_every = int(step_every)
        self.gamma = float(gamma)

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.warmup_factor + (1.0 - self.warmup_factor) * step / self.warmup_steps
        if self.decay == "linear":
            rest = max(1, self.total_steps - self.warmup_steps)
            return max(0.0, 1.0 - (step - self.warmup_steps) / rest)
        if self.decay == "step":
            return self.gamma ** ((step - self.warmup_steps) // max(1, self.step_every))
        return 1.0


def package_versions() -> dict[str, str]:
    """Versions of the packages a checkpoint depends on."""
    import lightning
    import numpy

    from ..version import __version__

    return {"hupor": str(__version__), "torch": str(torch.__version__),
            "lightning": str(lightning.__version__), "numpy": str(numpy.__version__)}


def checkpoint_metadata(config_dict: dict, skeleton_dict: dict, stage: str) -> dict:
    """The plain-data block stored in every checkpoint."""
    return {"format": "hupor-train-checkpoint", "version": 1, "stage": stage, "config": config_dict,
            "skeleton": skeleton_dict, "versions": package_versions()}


def find_resume_checkpoint(ckpt_dir) -> Path | None:
    """The newest checkpoint in ``ckpt_dir`` (the one written last: ``last.ckpt``, Lightning's
    ``last-v1.ckpt`` or ``step=N.ckpt``); ties go to the higher step and version in the name. None when
    the folder holds none."""
    ckpt_dir = Path(ckpt_dir)
    if not ckpt_dir.is_dir():
        return None

    def key(p: Path):
        step = re.search(r"step=(\d+)", p.name)
        version = re.search(r"-v(\d+)\.ckpt$", p.name)
        return (p.stat().st_mtime_ns, int(step.group(1)) if step else -1,
                int(version.group(1)) if version else 0, p.name.startswith("last"))

    found = [p for p in ckpt_dir.glob("*.ckpt") if p.is_file()]
    return max(found, key=key) if found else None
