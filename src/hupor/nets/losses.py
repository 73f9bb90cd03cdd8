"""Losses of the detector (method §5.2) and of the reasoning module (method §6.3 [PROP]).

Target tensors come from :class:`hupor.codec.Targets`, batched:

* ``maps``: (B, L, J+3P, h, w) raw scale, maps57 layout, L = 5 label levels (Gaussian σ/PAF width);
* ``valid``: (B, J+3P) channel mask in maps57 order (0 for COCO's head-top, neck-head PAF, PAF-z);
* ``root_depth``: (B, len(torso), max_people, 3) rows ``[row, col, value]`` in output px and
  Z_cm/(fx·s); ``value == 0`` marks an unused row.

Per unit (stage i, unit j, units coarse → fine) the label level is ``j`` (``j + 1`` in the last stage
when coarse-to-fine is on). Map losses are per-channel MSEs over h×w, times the valid mask; coarse
units average over B×C (masked channels counted in the denominator) and are divided by 4, the finest
unit uses OHKM (per sample, the mean of the top-k channels of each group). All functions return a
dict of named, already weighted terms plus ``"total"`` (their sum).
"""

from __future__ import annotations

from typing import Sequence

import torch

from ..errors import HuporError
from ..skeleton import MPI15, Skeleton
from .config import DetectorConfig, ReasonerConfig
from .detector import DetectorOutput
from .dsed import ReasonerOutput
from .layout import maps57_to_det, split_channels57


def unit_levels(num_stages: int, coarse_to_fine: bool, num_units: int = 4) -> list[list[int]]:
    """Label level per (stage, unit): ``j``, or ``j + 1`` in the last stage with coarse-to-fine."""
    return [[j + (1 if coarse_to_fine and s == num_stages - 1 else 0) for j in range(num_units)]
            for s in range(num_stages)]


def omega_extract(step: int, total_steps: int, omega_max: float = 1.0, ramp_fraction: float = 0.25) -> float:
    """Distillation weight: linear ramp 0 → ``omega_max`` over the first ``ramp_fraction`` of training."""
    if total_steps <= 0:
        raise HuporError(f"omega_extract: total_steps must be positive, got {total_steps}")
    ramp = ramp_fraction * total_steps
    if ramp <= 0:
        return float(omega_max)
    return float(omega_max * min(max(step, 0) / ramp, 1.0))


def channel_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B, C, h, w) → (B, C) mean squared error per channel."""
    return (pred - target).pow(2).flatten(2).mean(-1)


def reduce_channels(loss: torch.Tensor, groups: Sequence[tuple[int, int, float, int]], finest: bool
                    ) -> torch.Tensor:
    """Weighted reduction of masked per-channel losses (B, C).

    ``groups``: (start, stop, weight, top_k) channel slices. Coarse units: Σ_g weight_g · Σ_{c∈g} loss
    / (B·C) (the code's mean over all channels when the weights agree). Finest unit (OHKM): per sample
    Σ_g weight_g · mean of the top_k largest losses in g, averaged over the batch.
    """
    b, c = loss.shape
    total = loss.new_zeros(())
    for start, stop, weight, k in groups:
        part = loss[:, start:stop]
        if finest:
            k = min(k, stop - start)
            total = total + weight * part.topk(k, dim=1).values.mean(1).mean()
        else:
            total = total + weight * part.sum() / (b * c)
    return total


def root_depth_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 at the ground-truth pixels over all people with ``value > 0``, averaged over them.

    pred (B, T, h, w); target (B, T, M, 3) rows [row, col, value] (row/col in output px, clipped)."""
    b, t, h, w = pred.shape
    if target.dim() != 4 or target.shape[:2] != (b, t) or target.shape[-1] != 3:
        raise HuporError(f"root-depth target: expected (B={b}, {t}, M, 3), got {tuple(target.shape)}")
    value = target[..., 2]
    used = value > 0
    rows = target[..., 0].long().clamp(0, h - 1)
    cols = target[..., 1].long().clamp(0, w - 1)
    flat = pred.flatten(2)                                    # (B, T, h*w)
    picked = flat.gather(2, rows * w + cols)                  # (B, T, M)
    n = used.sum()
    err = (picked - value).abs() * used
    return err.sum() / n.clamp(min=1)


def _check_skeleton(skeleton: Skeleton, j: int, p: int) -> None:
    if (skeleton.num_joints, skeleton.num_limbs) != (j, p):
        raise HuporError(f"loss: outputs have {j} joints / {p} limbs, skeleton {skeleton.name} has "
                         f"{skeleton.num_joints} / {skeleton.num_limbs}")


def _check_maps(name: str, maps: torch.Tensor, b: int, c: int, hw) -> None:
    if maps.dim() != 5 or maps.shape[0] != b or maps.shape[2] != c or maps.shape[-2:] != hw:
        raise HuporError(f"{name}: expected (B={b}, L, {c}, {hw[0]}, {hw[1]}), got {tuple(maps.shape)}")


def detector_loss(outputs: DetectorOutput, maps: torch.Tensor, valid: torch.Tensor,
                  root_depth: torch.Tensor, cfg: DetectorConfig = DetectorConfig(),
                  skeleton: Skeleton = MPI15) -> dict[str, torch.Tensor]:
    """Detector loss summed over stages and units (method §5.2).

    ``maps``: visible-only targets (the codec's "vis" subset), (B, L, J+3P, h, w); ``valid`` (B, J+3P);
    ``root_depth`` (B, 7, M, 3). Unit loss = λ2d·L2d + λ2d·z_scale·L3d + λdepth·Ldepth, ÷4 for the
    coarse units. Returns ``{"det_2d", "det_z", "det_depth", "total"}``.
    """
    first = outputs[0][0]
    b, c2d, h, w = first.maps2d.shape
    p = first.z.shape[1]
    j = c2d - 2 * p
    _check_skeleton(skeleton, j, p)
    _check_maps("detector targets", maps, b, j + 3 * p, (h, w))
    if valid.shape != (b, j + 3 * p):
        raise HuporError(f"valid mask: expected ({b}, {j + 3 * p}), got {tuple(valid.shape)}")
    valid2d, validz = split_channels57((valid > 0).to(first.maps2d.dtype), j)
    k_kpt, k_paf, k_z = cfg.ohkm_topk
    g2d = [(0, j, cfg.lambda_2d, k_kpt), (j, c2d, cfg.lambda_2d, k_paf)]
    gz = [(0, p, cfg.lambda_2d * cfg.z_scale, k_z)]
    levels = unit_levels(len(outputs), cfg.coarse_to_fine, len(outputs[0]))
    terms = {"det_2d": first.maps2d.new_zeros(()), "det_z": first.maps2d.new_zeros(()),
             "det_depth": first.maps2d.new_zeros(())}
    for s, units in enumerate(outputs):
        for u, out in enumerate(units):
            finest = u == len(units) - 1
            scale = 1.0 if finest else 0.25
            t2d, tz = maps57_to_det(maps[:, levels[s][u]], skeleton)
            terms["det_2d"] = terms["det_2d"] + scale * reduce_channels(
                channel_mse(out.maps2d, t2d) * valid2d, g2d, finest)
            terms["det_z"] = terms["det_z"] + scale * reduce_channels(
                channel_mse(out.z, tz) * validz, gz, finest)
            terms["det_depth"] = terms["det_depth"] + scale * cfg.lambda_depth * root_depth_loss(
                out.root_depth, root_depth)
    terms["total"] = terms["det_2d"] + terms["det_z"] + terms["det_depth"]
    return terms


def distill_loss(out: ReasonerOutput, supervised_blocks: Sequence[int] = (1, 2, 3, 4)) -> torch.Tensor:
    """Σ_stages Σ_{blocks ∈ supervised_blocks} MSE(teacher.detach(), student) (blocks numbered 1..4)."""
    total = out.units[0][0].maps2d.new_zeros(())
    for pairs in out.distill:
        for blk in supervised_blocks:
            t, s = pairs[blk - 1]
            total = total + (s - t.detach()).pow(2).mean()
    return total


def dsed_loss(out: ReasonerOutput, maps_all: torch.Tensor, maps_occ: torch.Tensor | None,
              valid: torch.Tensor | None, omega: float, cfg: ReasonerConfig = ReasonerConfig(),
              skeleton: Skeleton = MPI15) -> dict[str, torch.Tensor]:
    """Reasoning loss (method §6.3 [PROP]), summed over stages and units.

    ``"all"``: residual-added outputs vs all-joint maps (λ_k^all, λ_p^all; PAF-z × z_scale).
    ``"occ"``: decoder outputs *before* the residual vs occluded-only maps (λ^occ; skipped when
    ``maps_occ`` is None or both λ^occ are 0). ``"distill"``: ω · :func:`distill_loss` over
    ``cfg.supervised_blocks`` (0 when no teacher ran). Maps (B, L, J+3P, h, w); ``valid`` (B, J+3P) or
    None (all channels valid). Returns ``{"all", "occ", "distill", "total"}``.
    """
    first = out.units[0][0]
    b, c2d, h, w = first.maps2d.shape
    p = first.z.shape[1]
    j = c2d - 2 * p
    _check_skeleton(skeleton, j, p)
    _check_maps("reasoner targets (all)", maps_all, b, j + 3 * p, (h, w))
    use_occ = maps_occ is not None and (cfg.lambda_k_occ > 0 or cfg.lambda_p_occ > 0)
    if use_occ:
        _check_maps("reasoner targets (occ)", maps_occ, b, j + 3 * p, (h, w))
    if valid is None:
        valid = first.maps2d.new_ones((b, j + 3 * p))
    if valid.shape != (b, j + 3 * p):
        raise HuporError(f"valid mask: expected ({b}, {j + 3 * p}), got {tuple(valid.shape)}")
    valid2d, validz = split_channels57((valid > 0).to(first.maps2d.dtype), j)
    k_kpt, k_paf, k_z = cfg.ohkm_topk

    def groups(lk: float, lp: float):
        return ([(0, j, lk, k_kpt), (j, c2d, lp, k_paf)], [(0, p, lp * cfg.z_scale, k_z)])

    g_all, g_occ = groups(cfg.lambda_k_all, cfg.lambda_p_all), groups(cfg.lambda_k_occ, cfg.lambda_p_occ)
    levels = unit_levels(len(out.units), cfg.coarse_to_fine, len(out.units[0]))
    zero = first.maps2d.new_zeros(())
    terms = {"all": zero, "occ": zero}
    for s, units in enumerate(out.units):
        for u, unit in enumerate(units):
            finest = u == len(units) - 1
            scale = 1.0 if finest else 0.25
            t2d, tz = maps57_to_det(maps_all[:, levels[s][u]], skeleton)
            terms["all"] = terms["all"] + scale * (
                reduce_channels(channel_mse(unit.maps2d, t2d) * valid2d, g_all[0], finest)
                + reduce_channels(channel_mse(unit.z, tz) * validz, g_all[1], finest))
            if use_occ:
                o2d, oz = maps57_to_det(maps_occ[:, levels[s][u]], skeleton)
                terms["occ"] = terms["occ"] + scale * (
                    reduce_channels(channel_mse(unit.maps2d_dec, o2d) * valid2d, g_occ[0], finest)
                    + reduce_channels(channel_mse(unit.z_dec, oz) * validz, g_occ[1], finest))
    terms["distill"] = omega * distill_loss(out, cfg.supervised_blocks) if any(out.distill) else zero
    terms["total"] = terms["all"] + terms["occ"] + terms["distill"]
    return terms
