"""Lightning modules of the three training stages (losses from :mod:`hupor.nets.losses`).

* :class:`DetectorModule`: images → visible maps; loss method §5.2. :class:`PluginModule`: the same
  stage for a 2D plug-in method (``model.method``), its base network and loss (:mod:`hupor.plugins`).
* :class:`ReasonerModule`: visible maps57 (+ teacher maps) → all-joint maps57; loss method §6.3 with
  ω annealed on the **global step** (``model.reasoner.omega_ramp_fraction`` of the run).
* :class:`RefinerModule`: RefineNet features (B, J, 5) → root-relative 3D (B, J, 3) cm, MSE on the
  non-root joints (method §9).

All share Adam + :class:`~hupor.train.checkpoint.LRSchedule` stepped per optimiser step, and store
config, skeleton metadata and package versions in every checkpoint (``checkpoint["hupor"]``).
"""

from __future__ import annotations

import contextlib

import lightning as L
import torch

from ..config import to_dict
from ..errors import HuporError
from ..nets.layout import det_to_maps57
from ..nets import DSED, Detector, RefineNet, detector_loss, dsed_loss, omega_extract
from ..nets.preprocess import MEAN_BGR, STD_BGR
from ..skeleton import Skeleton, get_skeleton
from .checkpoint import CHECKPOINT_KEY, LRSchedule, checkpoint_metadata

RNG_KEY = "hupor_torch_rng"  # torch's global generator state at the checkpoint
from .config import ExperimentConfig


def _fp32(x):
    """``x`` (a tensor, or lists / tuples / NamedTuples / dicts of them: the networks' outputs) with floating
    tensors as float32."""
    if isinstance(x, torch.Tensor):
        return x.float() if x.is_floating_point() else x
    if isinstance(x, tuple) and hasattr(x, "_fields"):    # a NamedTuple
        return type(x)(*(_fp32(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_fp32(v) for v in x)
    if isinstance(x, dict):
        return {k: _fp32(v) for k, v in x.items()}
    return x   # configs, skeletons, numbers pass as they are


def fp32_loss(loss_fn, *args, **kwargs):
    """``loss_fn(*args, **kwargs)`` in float32 with autocast off (``train.precision: bf16-mixed`` or
    ``16-mixed`` run the networks in reduced precision; the losses' sums and logs stay in fp32)."""
    devices = {a.device.type for a in args if isinstance(a, torch.Tensor)} or {"cpu"}
    with contextlib.ExitStack() as stack:
        for dev in devices | {"cpu"}:
            stack.enter_context(torch.autocast(device_type=dev, enabled=False))
        return loss_fn(*_fp32(args), **_fp32(kwargs))


class _StageModule(L.LightningModule):
    stage = ""

    def __init__(self, cfg: ExperimentConfig):
        super().__init__()
        self.cfg = cfg
        self.skeleton: Skeleton = get_skeleton(cfg.model.skeleton)
        self.stage_cfg = cfg.train.stage(self.stage)

    @property
    def net(self) -> torch.nn.Module:
        """The stage's network (attribute named after the stage)."""
        return getattr(self, self.stage)

    def total_steps(self) -> int:
        """Optimiser steps of the whole run (for the LR schedule and ω)."""
        if self.stage_cfg.steps > 0:
            return int(self.stage_cfg.steps)
        return max(1, int(self.trainer.estimated_stepping_batches))

    def configure_optimizers(self):
        sc = self.stage_cfg
        opt = torch.optim.Adam(self.net.parameters(), lr=sc.lr, betas=tuple(sc.betas),
                               weight_decay=sc.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, LRSchedule(
            self.total_steps(), sc.warmup_steps, sc.warmup_factor, sc.decay, sc.step_every, sc.gamma))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step", "frequency": 1}}

    def on_fit_start(self) -> None:
        if self.cfg.train.channels_last and self.stage != "refiner":
            self.to(memory_format=torch.channels_last)

    def layout(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` in the configured memory layout (``train.channels_last``)."""
        return x.contiguous(memory_format=torch.channels_last) if self.cfg.train.channels_last else x

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = checkpoint_metadata(to_dict(self.cfg), self.skeleton.to_dict(), self.stage)
        # the model's own randomness (dropout) draws from torch's global generator: saved so that a
        # resumed run draws what the uninterrupted run would (the data path uses per-sample seeds)
        checkpoint[RNG_KEY] = torch.get_rng_state()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if isinstance(checkpoint.get(RNG_KEY), torch.Tensor):
            torch.set_rng_state(checkpoint[RNG_KEY])

    def _log_terms(self, prefix: str, terms: dict, batch_size: int) -> None:
        on_step = prefix == "train"
        for name, value in terms.items():
            key = f"{prefix}/loss" if name == "total" else f"{prefix}/{name}"
            self.log(key, value.detach(), on_step=on_step, on_epoch=not on_step, prog_bar=name == "total",
                     batch_size=batch_size, sync_dist=not on_step)


class DetectorModule(_StageModule):
    """Batch: ``image`` uint8 (B, 3, H, W) BGR, ``maps`` (B, L, J+3P, h, w) "vis" targets,
    ``root_depth`` (B, 7, M, 3), ``valid`` (B, J+3P)."""

    stage = "detector"

    def __init__(self, cfg: ExperimentConfig):
        super().__init__(cfg)
        self.detector = self.build_detector(cfg)
        self.register_buffer("mean", torch.tensor(MEAN_BGR).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD_BGR).view(1, 3, 1, 1), persistent=False)

    def build_detector(self, cfg: ExperimentConfig) -> torch.nn.Module:
        return Detector(cfg.model.detector, self.skeleton, cfg.codec.stride)

    def normalize(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 BGR (B, 3, H, W) → normalised float (same as :func:`hupor.nets.preprocess`)."""
        return self.layout((image.float() / 255.0 - self.mean) / self.std)

    def _loss(self, batch: dict) -> dict:
        out = self.detector(self.normalize(batch["image"]))
        return fp32_loss(detector_loss, out, batch["maps"], batch["valid"], batch["root_depth"],
                         self.cfg.model.detector, self.skeleton)

    def training_step(self, batch, batch_idx):
        terms = self._loss(batch)
        self._log_terms("train", terms, len(batch["image"]))
        return terms["total"]

    def validation_step(self, batch, batch_idx):
        self._log_terms("val", self._loss(batch), len(batch["image"]))


class PluginModule(DetectorModule):
    """The detector stage of a 2D plug-in (``model.method`` higherhrnet / pifpaf): the base network
    with visible-only supervision; batch = :class:`hupor.plugins.data.PluginDataset` items."""

    def build_detector(self, cfg: ExperimentConfig) -> torch.nn.Module:
        from ..plugins.losses import build_plugin

        return build_plugin(cfg.model)

    def _loss(self, batch: dict) -> dict:
        from ..plugins.losses import plugin_config, plugin_loss

        out = self.detector(self.normalize(batch["image"]))
        pc = plugin_config(self.cfg.model)
        return plugin_loss(self.cfg.model.method, out, batch, getattr(pc, "paf_loss_weight", 0.0),
                           getattr(pc, "ae_weight", 1e-3), getattr(pc, "paf_limb_weight", 1.0))


class ReasonerModule(_StageModule):
    """Batch: ``input`` (B, J+3P, h, w) visible maps, ``all``/``occ`` (B, L, J+3P, h, w) labels,
    ``teacher`` (B, J+3P, h, w), ``valid`` (B, J+3P)."""

    stage = "reasoner"

    def __init__(self, cfg: ExperimentConfig):
        super().__init__(cfg)
        self.reasoner = self.build_reasoner(cfg)
        self.frozen_detector: Detector | None = None
        self.register_buffer("mean", torch.tensor(MEAN_BGR).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD_BGR).view(1, 3, 1, 1), persistent=False)

    def build_reasoner(self, cfg: ExperimentConfig) -> DSED:
        return DSED(cfg.model.reasoner, self.skeleton, cfg.codec.stride)

    def _image(self, batch) -> torch.Tensor | None:
        """The normalised image for an ``image_input`` reasoner (batches then carry ``image``)."""
        if not self.cfg.model.reasoner.image_input:
            return None
        if "image" not in batch:
            raise HuporError("model.reasoner.image_input: the reasoner's training data needs images "
                             "(data.reasoner_source=records with rendered records in data.train)")
        return self.layout((batch["image"].float() / 255.0 - self.mean) / self.std)

    def attach_detector(self, detector: Detector) -> None:
        """Train on this frozen detector's outputs (``data.reasoner_source: detector``): batches then
        carry ``image`` instead of ``input``, and the input maps are ``det_to_maps57`` of its
        ``infer`` (eval mode, no gradient). Only the reasoner is trained and saved as the stage's
        weights."""
        if detector.stride != self.reasoner.stride:
            raise HuporError(f"the frozen detector has output stride {detector.stride}, the reasoner "
                             f"{self.reasoner.stride}")
        self.frozen_detector = detector.eval().requires_grad_(False)

    def _input(self, batch) -> torch.Tensor:
        if "input" in batch:
            return self.layout(batch["input"])
        if self.frozen_detector is None:
            raise HuporError("reasoner batches hold images: attach a detector (hupor train reasoner --bundle B)")
        self.frozen_detector.eval()
        with torch.no_grad():
            x = self.layout((batch["image"].float() / 255.0 - self.mean) / self.std)
            maps2d, z, _ = self.frozen_detector.infer(x)
        return self.layout(det_to_maps57(maps2d, z))

    def omega(self) -> float:
        rc = self.cfg.model.reasoner
        return omega_extract(self.global_step, self.total_steps(), rc.omega_max, rc.omega_ramp_fraction)

    def training_step(self, batch, batch_idx):
        teacher = self.layout(batch["teacher"]) if self.reasoner.has_teacher else None
        x = self._input(batch)
        image = self._image(batch)
        out = self.reasoner(x, teacher, image=image)
        omega = self.omega()
        rc = self.cfg.model.reasoner
        terms = fp32_loss(dsed_loss, out, batch["all"], batch["occ"], batch["valid"], omega, rc, self.skeleton)
        if rc.student_decode > 0 and self.reasoner.has_teacher:
            # deviation: the inference path (student → decoder) is trained on the same targets too
            s_out = self.reasoner(x, None, use_teacher=False, image=image)
            s_terms = fp32_loss(dsed_loss, s_out, batch["all"], batch["occ"], batch["valid"], 0.0, rc, self.skeleton)
            terms["student"] = rc.student_decode * (s_terms["all"] + s_terms["occ"])
            terms["total"] = terms["total"] + terms["student"]
        self._log_terms("train", terms, len(x))
        self.log("train/omega", omega, on_step=True, on_epoch=False, batch_size=len(x))
        return terms["total"]

    def evaluate(self, batch) -> dict:
        """Student-path losses (ω = 0) plus the occluded-joint heatmap error of the model and of the
        "copy the input" baseline against the finest "all" level (see :func:`occluded_heatmap_error`)."""
        x = self._input(batch)
        image = self._image(batch)
        out = self.reasoner(x, None, use_teacher=False, image=image)
        terms = fp32_loss(dsed_loss, out, batch["all"], batch["occ"], batch["valid"], 0.0,
                          self.cfg.model.reasoner, self.skeleton)
        fused = self.reasoner.fuse(out)
        all_, occ = batch["all"][:, -1], batch["occ"][:, -1]
        j = self.skeleton.num_joints
        err, base = fp32_loss(occluded_heatmap_error, fused, x, all_, occ, j)
        terms.pop("distill")
        terms.update(occ_hm_err=err, occ_hm_err_copy=base)
        if self.reasoner.has_teacher and "teacher" in batch:
            # DSED diagnostics: the teacher-fed decode (the path the decoder trains on) and the
            # feature-matching error of every encoder block (mean over stages)
            t_out = self.reasoner(x, self.layout(batch["teacher"]), use_teacher=True, image=image)
            terms["occ_hm_err_teacher"] = fp32_loss(occluded_heatmap_error, self.reasoner.fuse(t_out), x, all_,
                                                    occ, j)[0]
            for blk in range(len(t_out.distill[0])):
                terms[f"feat_mse_b{blk + 1}"] = torch.stack(
                    [(pairs[blk][1].float() - pairs[blk][0].float()).pow(2).mean() for pairs in t_out.distill]).mean()
        return terms

    def validation_step(self, batch, batch_idx):
        self._log_terms("val", self.evaluate(batch), len(batch["valid"]))


def occluded_heatmap_error(pred57: torch.Tensor, input57: torch.Tensor, all57: torch.Tensor,
                           occ57: torch.Tensor, num_joints: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Heatmap error at occluded joints, for the model and for the "copy the input" baseline.

    Squared error of the J heatmap channels (normalised to peak 1) against the all-joint labels,
    weighted by the occluded-only label heatmaps (so only the neighbourhood of occluded joints counts):
    ``Σ w (pred − all)² / Σ w`` with ``w = occ / 255``. Maps (B, J+3P, h, w) raw scale.
    """
    w = occ57[:, :num_joints] / 255.0
    target = all57[:, :num_joints] / 255.0
    denom = w.sum().clamp(min=1e-6)
    err = (w * (pred57[:, :num_joints] / 255.0 - target).pow(2)).sum() / denom
    base = (w * (input57[:, :num_joints] / 255.0 - target).pow(2)).sum() / denom
    return err, base


class RefinerModule(_StageModule):
    """Batch: (features (B, J, 5), target (B, J, 3) root-relative cm)."""

    stage = "refiner"

    def __init__(self, cfg: ExperimentConfig):
        super().__init__(cfg)
        self.refiner = RefineNet(cfg.model.refiner, self.skeleton)
        mask = torch.ones(self.skeleton.num_joints)
        mask[self.skeleton.root] = 0.0
        self.register_buffer("joint_mask", mask, persistent=False)

    def _loss(self, batch) -> dict:
        feat, target = batch
        pred = self.refiner(feat)
        se = (pred - target).pow(2).sum(-1) * self.joint_mask  # (B, J)
        mse = se.sum() / (self.joint_mask.sum() * len(feat) * 3)
        mpjpe = (se.sqrt().sum() / (self.joint_mask.sum() * len(feat))).detach()
        return {"total": mse, "mpjpe_cm": mpjpe}

    def training_step(self, batch, batch_idx):
        terms = self._loss(batch)
        self._log_terms("train", terms, len(batch[0]))
        return terms["total"]

    def validation_step(self, batch, batch_idx):
        self._log_terms("val", self._loss(batch), len(batch[0]))


MODULES = {"detector": DetectorModule, "reasoner": ReasonerModule, "refiner": RefinerModule}


class PluginReasonerModule(ReasonerModule):
    """The reasoner stage of a 2D plug-in: a DSED / Hg over the frozen base network's heatmaps and
    limb fields (:mod:`hupor.plugins.reason`), in the plug-in joint set at stride 4. Batches:
    :class:`hupor.plugins.data.PluginDataset` items with ``reason=True``."""

    def build_reasoner(self, cfg: ExperimentConfig) -> DSED:
        from ..nets.bundle import build_net

        net = build_net("reasoner", cfg.model)      # the plug-in joint set at stride 4
        self.skeleton = net.skeleton
        return net

    def attach_detector(self, detector) -> None:
        """The frozen base network (its stride is its own, not the reasoner's)."""
        self.frozen_detector = detector.eval().requires_grad_(False)

    def _input(self, batch) -> torch.Tensor:
        from ..plugins.reason import base_maps, fields_to_maps57

        if self.frozen_detector is None:
            raise HuporError(f"{self.cfg.model.method} reasoner: give the trained base network with --bundle B")
        self.frozen_detector.eval()
        with torch.no_grad():
            x = (batch["image"].float() / 255.0 - self.mean) / self.std
            out = self.frozen_detector(x)
            heat, paf = base_maps(self.cfg.model.method, self.frozen_detector, out)
        return self.layout(fields_to_maps57(heat, paf))


def make_module(stage: str, cfg: ExperimentConfig) -> _StageModule:
    """The Lightning module of ``stage`` for ``cfg`` (a 2D plug-in method's detector stage trains its
    base network, its reasoner stage the reasoner on the frozen base network's outputs)."""
    if cfg.model.method != "hupor" and stage in ("detector", "reasoner"):
        return PluginModule(cfg) if stage == "detector" else PluginReasonerModule(cfg)
    return MODULES[stage](cfg)
