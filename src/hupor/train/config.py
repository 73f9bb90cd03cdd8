"""Experiment configuration: model + input (networks) + training + data, one typed object.

A bundled experiment YAML (``paper``, ``cpu-tiny``) or any YAML file holds four sections::

    model: {...}   # hupor.nets.config.ModelConfig   (networks)
    input: {...}   # hupor.nets.config.InputConfig   (network input size, ...)
    codec: {...}   # hupor.codec.params.CodecConfig   (output stride, label sigmas, scalings)
    decode: {...}  # hupor.codec.params.DecodeParams  (decoder settings; stored in the bundle)
    train: {...}   # TrainConfig below: optimiser, schedule, hardware, checkpoints, per stage
    data:  {...}   # DataConfig below: canonical datasets, on-the-fly synthetic scenes, mixing

:func:`load_experiment` reads one and applies ``key=value`` overrides (``train.detector.steps=100``);
unknown keys and wrong types raise :class:`~hupor.errors.HuporError` naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..codec.params import CodecConfig, CodecParams, DecodeParams
from ..config import from_dict, load_config, to_dict
from ..data.transforms import AugmentConfig
from ..errors import HuporError
from ..nets.bundle import NETWORKS
from ..nets.config import InputConfig, ModelConfig

STAGES = NETWORKS  # one training stage per network

# Values lightning.Trainer 2.x accepts (docs: Trainer API, precision / strategy / accelerator); checked
# here so a typo fails with one line before a run folder is made.
PRECISIONS = ("auto", "32-true", "16-mixed", "bf16-mixed", "16-true", "bf16-true", "64-true",
              "transformer-engine", "transformer-engine-float16", "32", "16", "bf16", "64")
STRATEGIES = ("auto", "single_device", "ddp", "ddp_spawn", "ddp_fork", "ddp_notebook",
              "ddp_find_unused_parameters_true", "ddp_find_unused_parameters_false",
              "ddp_spawn_find_unused_parameters_true", "ddp_spawn_find_unused_parameters_false",
              "fsdp", "fsdp_cpu_offload", "deepspeed", "deepspeed_stage_1", "deepspeed_stage_2",
              "deepspeed_stage_2_offload", "deepspeed_stage_3", "deepspeed_stage_3_offload",
              "xla", "single_xla")
ACCELERATORS = ("cpu", "gpu", "cuda", "mps", "tpu", "auto")


@dataclass
class StageConfig:
    """Optimisation settings of one training stage (method §13).

    Length: ``steps`` optimiser steps, or ``epochs`` passes over the data when ``steps`` is 0.
    LR: Adam(``lr``, ``betas``, ``weight_decay``); linear warm-up from ``warmup_factor``·lr to lr over
    ``warmup_steps``, then linear decay to 0 at the last step (``decay="linear"``), or a step decay by
    ``gamma`` every ``step_every`` steps (``decay="step"``, the code's RefineNet schedule), or constant.
    ``batch_size`` is per device; ``grad_clip`` (0 = off) clips the gradient norm.
    """

    NAME = "train.stage"

    steps: int = 1000
    epochs: int = 0
    batch_size: int = 2
    lr: float = 2e-4
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 8e-6
    warmup_steps: int = 2400
    warmup_factor: float = 0.1
    decay: Literal["linear", "step", "none"] = "linear"
    step_every: int = 0
    gamma: float = 0.5
    grad_clip: float = 0.0

    def __post_init__(self):
        w = self.NAME
        if self.steps < 0 or self.epochs < 0 or (self.steps == 0 and self.epochs == 0):
            raise HuporError(f"{w}: need steps > 0 or epochs > 0, got steps={self.steps}, "
                             f"epochs={self.epochs}")
        if self.batch_size < 1:
            raise HuporError(f"{w}.batch_size: must be >= 1, got {self.batch_size}")
        if not self.lr > 0:
            raise HuporError(f"{w}.lr: must be positive, got {self.lr}")
        if self.weight_decay < 0:
            raise HuporError(f"{w}.weight_decay: must be >= 0, got {self.weight_decay}")
        if self.warmup_steps < 0:
            raise HuporError(f"{w}.warmup_steps: must be >= 0, got {self.warmup_steps}")
        if not 0 < self.warmup_factor <= 1:
            raise HuporError(f"{w}.warmup_factor: must be in (0, 1], got {self.warmup_factor}")
        if self.decay == "step" and self.step_every < 1:
            raise HuporError(f"{w}.step_every: decay 'step' needs step_every >= 1")
        if self.grad_clip < 0:
            raise HuporError(f"{w}.grad_clip: must be >= 0, got {self.grad_clip}")


@dataclass
class DetectorStageConfig(StageConfig):
    """Detector: the code's schedule (192k iterations at 2 images/GPU, lr 2e-4 per GPU)."""

    NAME = "train.detector"
    steps: int = 192000


@dataclass
class ReasonerStageConfig(StageConfig):
    """DSED: trained alone on GT-rendered inputs (96k iterations). ω's ramp is
    ``model.reasoner.omega_ramp_fraction`` of ``steps``."""

    NAME = "train.reasoner"
    steps: int = 96000


@dataclass
class RefinerStageConfig(StageConfig):
    """RefineNet: batch 1024, Adam lr 1e-2 (paper), 200 epochs, step decay (code)."""

    NAME = "train.refiner"
    steps: int = 0
    epochs: int = 200
    batch_size: int = 1024
    lr: float = 1e-2
    weight_decay: float = 0.0
    warmup_steps: int = 0
    decay: Literal["linear", "step", "none"] = "step"
    step_every: int = 3000


@dataclass
class TrainConfig:
    """Hardware, logging and checkpointing (shared by all stages) plus one section per stage.

    ``accelerator``/``devices``/``strategy``/``precision`` go to ``lightning.Trainer`` unchanged, so the
    same command runs on CPU (``cpu``, 1) or multi-GPU (``gpu``, 8, ``ddp``, ``16-mixed``).
    Checkpoints are written every ``checkpoint_every`` steps under the run folder (``log_dir/<stage>``
    unless ``--out`` is given). ``channels_last``: convolutional networks and their inputs in the
    channels-last memory layout (measured 1.2–1.4× faster detector training steps on this CPU,
    docs/training.md; results equal up to float rounding).
    """

    accelerator: str = "cpu"
    devices: int | str = 1
    strategy: str = "auto"
    precision: str = "32-true"
    num_workers: int = 0
    seed: int = 0
    threads: int = 0
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    log_every: int = 10
    log_dir: str = "runs"
    progress_bar: bool = True
    channels_last: bool = False
    detector: DetectorStageConfig = field(default_factory=DetectorStageConfig)
    reasoner: ReasonerStageConfig = field(default_factory=ReasonerStageConfig)
    refiner: RefinerStageConfig = field(default_factory=RefinerStageConfig)

    def __post_init__(self):
        for key, allowed in (("precision", PRECISIONS), ("strategy", STRATEGIES),
                             ("accelerator", ACCELERATORS)):
            if getattr(self, key) not in allowed:
                raise HuporError(f"train.{key}: unknown value {getattr(self, key)!r}; "
                                 f"use one of {', '.join(allowed)}")
        _check_devices(self.devices)
        if self.checkpoint_every < 1:
            raise HuporError(f"train.checkpoint_every must be >= 1, got {self.checkpoint_every}")
        if self.num_workers < 0 or self.threads < 0 or self.log_every < 1:
            raise HuporError("train.num_workers, train.threads: must be >= 0; train.log_every: must be >= 1")

    def stage(self, name: str) -> StageConfig:
        if name not in STAGES:
            raise HuporError(f"unknown training stage {name!r}; stages: {', '.join(STAGES)}")
        return getattr(self, name)


def _check_devices(devices: int | str) -> None:
    """Lightning's ``devices``: a count >= 1, -1 or "auto" (all), or GPU indices such as "0,1"."""
    text = str(devices).strip()
    if text in ("auto", "-1"):
        return
    if text.isdigit() and int(text) >= 1:
        return
    parts = text.rstrip(",").split(",")
    if isinstance(devices, str) and "," in text and all(p.strip().isdigit() for p in parts):
        return
    raise HuporError(f"train.devices: must be a count >= 1, -1 or 'auto' (all), or device indices "
                     f"like '0,1'; got {devices!r}")


@dataclass
class SynthConfig:
    """On-the-fly skeleton-only scenes (``hupor.data.synth.SkeletonScenes``) for the reasoner.

    ``length`` samples make one epoch; ``seed`` fixes the scene stream; ``options`` are passed to the
    scene sampler unchanged (see ``hupor synth --help`` for their names).
    """

    length: int = 10000
    seed: int = 0
    val_length: int = 200
    val_seed: int = 12345
    options: dict = field(default_factory=dict)


@dataclass
class DataConfig:
    """Datasets (canonical ``hupor-records`` JSON paths) and sampling.

    * ``train``: main detector datasets (3D, e.g. MuCo or ``hupor synth`` output); ``mix``: the second
      group (e.g. COCO). When both are set, every batch holds ``mix_ratio`` of ``mix`` samples
      (method §13, 50/50 sampler).
    * ``val``: held-out records for validation losses.
    * ``reasoner_source``: ``synth`` (on-the-fly skeleton scenes), ``records`` (``train`` + ``mix``
      annotations, no image needed) or ``detector`` (``train`` images through the frozen detector of
      the ``--bundle`` given to ``hupor train reasoner``: the reasoner learns from real detector maps).
    * ``pairs``: RefineNet training pairs (``.npz`` from ``hupor train pairs``); ``val_pairs`` held out;
      ``mix_pairs``: a second group (e.g. synthetic pairs from ``hupor train synth-pairs``), every batch
      holding ``mix_ratio`` of them.
    """

    train: list[str] = field(default_factory=list)
    mix: list[str] = field(default_factory=list)
    mix_ratio: float = 0.5
    val: list[str] = field(default_factory=list)
    reasoner_source: Literal["synth", "records", "detector"] = "synth"
    synth: SynthConfig = field(default_factory=SynthConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    pairs: list[str] = field(default_factory=list)
    val_pairs: list[str] = field(default_factory=list)
    mix_pairs: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not 0.0 < self.mix_ratio < 1.0:
            raise HuporError(f"data.mix_ratio: must be in (0, 1), got {self.mix_ratio}")


@dataclass
class ExperimentConfig:
    """Everything one experiment needs: networks, input geometry, training and data."""

    model: ModelConfig = field(default_factory=ModelConfig)
    input: InputConfig = field(default_factory=InputConfig)
    codec: CodecConfig = field(default_factory=CodecConfig)
    decode: DecodeParams = field(default_factory=DecodeParams)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: DataConfig = field(default_factory=DataConfig)

    def __post_init__(self):
        self.codec_params  # the input size must be a multiple of 32 and of the stride

    @property
    def codec_params(self) -> CodecParams:
        """The one source of input size, output stride and map size for this experiment."""
        return self.codec.params(self.input.net_w, self.input.net_h)

    def to_dict(self) -> dict:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict, where: str = "experiment") -> "ExperimentConfig":
        return from_dict(cls, data, where)


def load_experiment(name_or_path: str | None = None, overrides: list[str] | None = None) -> ExperimentConfig:
    """Load a bundled experiment (``paper``, ``cpu-tiny``) or a YAML file, then apply ``key=value``
    overrides. Unknown keys / wrong types raise :class:`HuporError` naming the key."""
    return load_config(ExperimentConfig, name_or_path, overrides)
