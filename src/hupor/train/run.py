"""Run one training stage: Trainer construction, resume, final weights and the model bundle.

Layout of a run folder ``OUT`` (default ``train.log_dir/<stage>``)::

    OUT/config.yaml              the resolved experiment config
    OUT/checkpoints/last.ckpt    latest checkpoint (every train.checkpoint_every steps, atomic)
    OUT/checkpoints/step=N.ckpt  the newest train.keep_checkpoints step checkpoints
    OUT/logs/version_N/metrics.csv  CSV log, one version per (re)start (TensorBoard under OUT/tb
                                    when tensorboard is installed)
    OUT/<stage>.pt               final weights of the stage (tensors + plain data)
    OUT/bundle.pt                model bundle (detector stage, or when a base bundle was given)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from ..config import to_dict
from ..errors import HuporError
from ..device import check_accelerator, check_strategy
from ..fileio import check_output_dir, write_atomic
from .checkpoint import AtomicCheckpointIO, checkpoint_metadata
from .config import ExperimentConfig
from .data import build_data
from .modules import MODULES, make_module
from .precision import resolve_precision
from .rundir import check_new_run, is_launch_rank_zero, prepare_new_run, resume_checkpoint, write_config

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    out_dir: Path
    weights: Path | None
    bundle: Path | None
    metrics: dict
    global_step: int


def _loggers(out_dir: Path):
    from lightning.pytorch.loggers import CSVLogger

    loggers = [CSVLogger(str(out_dir), name="logs")]  # logs/version_N/metrics.csv, N grows on resume
    try:
        import tensorboard  # noqa: F401
        from lightning.pytorch.loggers import TensorBoardLogger

        loggers.append(TensorBoardLogger(str(out_dir), name="tb"))
    except ImportError:
        pass
    return loggers


def build_trainer(cfg: ExperimentConfig, stage: str, out_dir: Path, callbacks=(), max_steps: int | None = None,
                  validate: bool = True):
    """A ``lightning.Trainer`` for ``stage``: hardware from ``cfg.train``, checkpoints every
    ``checkpoint_every`` steps (atomic, ``weights_only`` loading), CSV logging, progress bar."""
    import lightning as L
    from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint

    t = cfg.train
    sc = t.stage(stage)
    ckpt = ModelCheckpoint(dirpath=str(out_dir / "checkpoints"), filename="step={step}",
                           auto_insert_metric_name=False, every_n_train_steps=t.checkpoint_every,
                           save_top_k=t.keep_checkpoints, monitor="step", mode="max", save_last=True)
    steps = sc.steps if max_steps is None else max_steps
    return L.Trainer(
        accelerator=t.accelerator, devices=t.devices, strategy=t.strategy,
        precision=resolve_precision(t.precision, t.accelerator),
        max_steps=steps if steps > 0 else -1, max_epochs=-1 if steps > 0 else sc.epochs,
        callbacks=[ckpt, LearningRateMonitor(logging_interval="step"), *callbacks],
        logger=_loggers(out_dir), plugins=[AtomicCheckpointIO()], use_distributed_sampler=False,
        log_every_n_steps=t.log_every, enable_progress_bar=t.progress_bar, enable_model_summary=False,
        gradient_clip_val=sc.grad_clip or None, default_root_dir=str(out_dir), num_sanity_val_steps=0,
        val_check_interval=t.checkpoint_every if steps > 0 else None,
        check_val_every_n_epoch=None if steps > 0 else 1, limit_val_batches=None if validate else 0)


def save_stage_weights(path, cfg: ExperimentConfig, stage: str, net: torch.nn.Module) -> Path:
    """Final weights of one stage: ``{"hupor": metadata, "state_dict": tensors}`` (weights_only)."""
    payload = {"hupor": checkpoint_metadata(to_dict(cfg), net.skeleton.to_dict(), stage),
               "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()}}
    return write_atomic(path, lambda p: torch.save(payload, p))


def run_stage(stage: str, cfg: ExperimentConfig, out_dir: str | Path | None = None, resume: bool = False,
              base_bundle: str | Path | None = None, callbacks=(), max_steps: int | None = None,
              init: str | Path | None = None, overwrite: bool = False) -> RunResult:
    """Train ``stage`` ("detector", "reasoner", "refiner") with ``cfg``.

    ``resume``: continue from the newest checkpoint in ``OUT/checkpoints`` (step, optimiser, LR
    schedule, loops); the config must match the run's (:mod:`hupor.train.rundir`). Without it ``OUT``
    must be empty, or ``overwrite`` empties it first. All checks run before anything is written.
    ``base_bundle``: a bundle whose other networks are combined with this stage's into ``OUT/bundle.pt``
    (the detector stage writes a detector-only bundle without one). ``max_steps`` overrides the
    stage's length (tests). ``init``: start this stage's network from the weights in a part file
    (``STAGE.pt``, ``.ckpt`` or bundle; the architecture must match) — a new run (fresh optimiser and
    schedule), unlike ``resume``. Returns the paths written and the last logged metrics.
    """
    import lightning as L

    if stage not in MODULES:
        raise HuporError(f"unknown training stage {stage!r}; stages: {', '.join(MODULES)}")
    if resume and overwrite:
        raise HuporError("--resume and --overwrite: give one (continue the run, or replace it)")
    out = Path(out_dir) if out_dir is not None else Path(cfg.train.log_dir) / stage
    check_output_dir(out, "--out")
    check_accelerator(cfg.train.accelerator)
    check_strategy(cfg.train.strategy)
    ckpt_path = None
    if resume:
        ckpt_path = resume_checkpoint(out, cfg)
        log.info("resuming from %s", ckpt_path)
    elif is_launch_rank_zero():  # ddp re-runs the command per rank: only the first checks the folder
        check_new_run(out, overwrite)  # refuses, naming the folder, before any data is read
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    L.seed_everything(cfg.train.seed, workers=True, verbose=False)
    data = build_data(stage, cfg)
    module = make_module(stage, cfg)
    if stage == "reasoner" and (cfg.data.reasoner_source == "detector" or cfg.model.method != "hupor"):
        if base_bundle is None:
            raise HuporError(f"{cfg.model.method} reasoner: give the trained base network with --bundle B"
                             if cfg.model.method != "hupor" else
                             "data.reasoner_source=detector: give the detector with --bundle B")
        from ..nets import load_bundle

        module.attach_detector(load_bundle(base_bundle).detector)
    if init is not None:
        from .export import load_part

        _, net = load_part(init, stage)
        if not same_architecture(net.cfg, module.net.cfg):
            raise HuporError(f"--init {init}: its {stage} config differs from model.{stage}")
        module.net.load_state_dict(net.state_dict())
        log.info("%s initialised from %s", stage, init)
    if not resume and is_launch_rank_zero():
        prepare_new_run(out, overwrite)  # every check passed: only now is anything removed or written
    out.mkdir(parents=True, exist_ok=True)
    trainer = build_trainer(cfg, stage, out, callbacks, max_steps, validate=data.val is not None)
    if trainer.is_global_zero:
        write_config(out, cfg)
    from ..interrupt import sigint_as_interrupted

    with sigint_as_interrupted():  # Ctrl-C: Lightning tears down, hupor prints one line (exit 130)
        trainer.fit(module, datamodule=data, ckpt_path=str(ckpt_path) if ckpt_path else None, weights_only=True)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
    weights = bundle = None
    if trainer.is_global_zero:
        weights = save_stage_weights(out / f"{stage}.pt", cfg, stage, module.net)
        if stage == "detector" or base_bundle is not None:
            from .export import export_bundle

            parts = {stage: weights}
            bundle = export_bundle(out / "bundle.pt", parts, base_bundle)
    return RunResult(out, weights, bundle, metrics, int(trainer.global_step))


def same_architecture(a, b) -> bool:
    """Whether configs ``a`` and ``b`` build the same network: equal apart from the keys of
    ``TRAINING_FIELDS`` (loss and target settings, e.g. :class:`hupor.nets.ReasonerConfig`'s)."""
    import dataclasses

    fields = getattr(type(b), "TRAINING_FIELDS", ())
    return type(a) is type(b) and dataclasses.replace(a, **{f: getattr(b, f) for f in fields}) == b
