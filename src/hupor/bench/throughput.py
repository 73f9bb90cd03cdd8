"""Training throughput of a stage under given settings (the learning issue's table, docs/training.md).

:func:`training_throughput` runs ``hupor.train.run.run_stage`` for ``warmup + steps`` optimiser steps
with a callback that stamps the end of every step, and returns images (samples) per second over the
timed steps, summed over all ranks (``train.devices``), data loading included.
"""

from __future__ import annotations

import time
from pathlib import Path

from lightning.pytorch.callbacks import Callback

from ..train.config import ExperimentConfig
from ..train.run import run_stage


class StepTimer(Callback):
    """``perf_counter`` at the end of every training batch (this rank)."""

    def __init__(self):
        self.stamps: list[float] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.stamps.append(time.perf_counter())


def training_throughput(stage: str, cfg: ExperimentConfig, out_dir: str | Path, steps: int = 40,
                        warmup: int = 5) -> dict:
    """{"images_per_s", "s_per_step", "steps", "world_size"} of ``steps`` steps after ``warmup``."""
    timer = StepTimer()
    run_stage(stage, cfg, out_dir, callbacks=[timer], max_steps=warmup + steps)
    stamps = timer.stamps[warmup - 1:] if warmup > 0 else timer.stamps
    if len(stamps) < 2:
        return {"images_per_s": float("nan"), "s_per_step": float("nan"), "steps": 0, "world_size": 1}
    per_step = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
    world = int(cfg.train.devices) if isinstance(cfg.train.devices, int) else 1
    batch = cfg.train.stage(stage).batch_size
    return {"images_per_s": batch * world / per_step, "s_per_step": per_step, "steps": len(stamps) - 1,
            "world_size": world}
