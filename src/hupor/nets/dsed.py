"""Occluded-keypoint reasoning: Deeply Supervised Encoder Distillation (DSED, method §6.2) and the
"Reason (Hg)" baseline (method §6.5).

Per stage: a teacher encoder (reads ground-truth maps with the occluded joints) and a student encoder
(reads the visible maps, or the previous stage's ``cross_conv``), same architecture, separate weights
(Bottleneck layers, no stem, stride 1..8 relative to the stride-4 maps); a decoder shared by both
paths with two heads (2D ``J+2P`` and PAF-z ``P``). The decoder reads the teacher's features in
training and the student's at inference; cross-stage skips and ``cross_conv`` come from that same
decoder path and feed both encoders of the next stage. Every unit's output gets the **detached**
input added (2D part to the 2D head, z part to the z head), so the decoder only adds what is missing.
The "hg" kind has no teacher module: decoder fed by the student, no distillation pairs.

With ``stride=2`` (maps at stride 2) the encoders' first layer has stride 2, so the features keep the
stride-4 resolution (same cost as at stride 4), and each decoder's finest unit fuses the stage's input
maps at full resolution (``Decoder`` ``fine``); heads and ``cross_conv`` come out at stride 2.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from ..errors import HuporError
from ..skeleton import MPI15, Skeleton
from .blocks import Decoder, Encoder, init_weights
from .config import ReasonerConfig
from .detector import fused_units
from .layout import det_to_maps57, maps57_to_det


class ReasonUnit(NamedTuple):
    """One decoder unit at stride 4, raw codec scale. ``maps2d`` (B, J+2P, h, w) and ``z`` (B, P, h, w)
    include the residual input; ``maps2d_dec`` / ``z_dec`` are the decoder outputs before it."""

    maps2d: torch.Tensor
    z: torch.Tensor
    maps2d_dec: torch.Tensor
    z_dec: torch.Tensor


class ReasonerOutput(NamedTuple):
    """``units[stage][unit]`` (units coarse → fine). ``distill[stage][block]`` = (teacher, student)
    features of encoder blocks 1..4 (index 0..3), *not* detached (the loss detaches the teacher); empty
    lists when no teacher ran."""

    units: list[list[ReasonUnit]]
    distill: list[list[tuple[torch.Tensor, torch.Tensor]]]


class DSED(nn.Module):
    """Reasoning module over maps57 (B, J+3P, h, w) at the output stride ``stride`` (4 or 2; h, w
    multiples of 8, of 16 at stride 2)."""

    def __init__(self, cfg: ReasonerConfig = ReasonerConfig(), skeleton: Skeleton = MPI15, stride: int = 4):
        super().__init__()
        if stride not in (2, 4):
            raise HuporError(f"model.output_stride: must be 4 or 2, got {stride!r}")
        self.cfg = cfg
        self.skeleton = skeleton
        self.stride = stride
        first = 2 if stride == 2 else 1
        c57 = skeleton.num_map_channels
        heads = (skeleton.num_2d_channels, skeleton.num_limbs)
        self.image_stem = image_stem(cfg.image_width, stride) if cfg.image_input else None
        cin = c57 + (cfg.image_width if cfg.image_input else 0)
        self.students = nn.ModuleList()
        self.teachers = nn.ModuleList() if cfg.kind == "dsed" else None
        self.decoders = nn.ModuleList()
        for s in range(cfg.stages):
            enc = Encoder(cin, cfg.blocks, cfg.widths, first)
            self.students.append(enc)
            if self.teachers is not None:
                self.teachers.append(Encoder(cin, cfg.blocks, cfg.widths, first))
            self.decoders.append(Decoder(enc.out_channels, cfg.decoder_width, heads,
                                         skips=s < cfg.stages - 1, cross_channels=c57,
                                         output_bn=cfg.head_bn, fine_channels=c57 if stride == 2 else 0,
                                         cross_from_fine=True))
        init_weights(self)

    @property
    def has_teacher(self) -> bool:
        return self.teachers is not None

    def _check(self, name: str, x: torch.Tensor) -> None:
        c = self.skeleton.num_map_channels
        if x.dim() != 4 or x.shape[1] != c:
            raise HuporError(f"DSED {name}: expected (B, {c}, h, w), got {tuple(x.shape)}")
        m = 8 if self.stride == 4 else 16
        if x.shape[-2] % m or x.shape[-1] % m:
            raise HuporError(f"DSED {name}: map size must be a multiple of {m}, got {tuple(x.shape[-2:])}")

    def _with_image(self, image: torch.Tensor | None, like: torch.Tensor):
        """The encoders' input builder: maps ⊕ image features (``image_input``), else the maps."""
        if self.image_stem is None:
            return lambda m: m
        if image is None or image.dim() != 4 or image.shape[1] != 3:
            raise HuporError("DSED: model.reasoner.image_input needs the normalised image (B, 3, H, W), got "
                             f"{None if image is None else tuple(image.shape)}")
        f = self.image_stem(image)
        if f.shape[-2:] != like.shape[-2:] or f.shape[0] != like.shape[0]:
            raise HuporError(f"DSED: image features {tuple(f.shape)} do not match the maps {tuple(like.shape)} "
                             f"(the image must be the network input, {self.stride}x the maps)")
        return lambda m: torch.cat([m, f], 1)

    def forward(self, x57: torch.Tensor, teacher57: torch.Tensor | None = None,
                use_teacher: bool | None = None, image: torch.Tensor | None = None) -> ReasonerOutput:
        """Training/evaluation pass.

        ``x57``: visible maps (detector output or visible-joint renderings), raw scale.
        ``teacher57``: ground-truth maps for the teacher (same shape); when given (and the kind is
        "dsed") the teacher runs and the distillation pairs are returned. ``use_teacher``: which encoder
        feeds the decoder; default ``self.training`` for "dsed" (always False for "hg"). Feeding the
        teacher requires ``teacher57``. ``image``: the normalised network input (B, 3, H, W), read only
        with ``image_input``.
        """
        self._check("input", x57)
        if use_teacher is None:
            use_teacher = self.training and self.has_teacher
        if use_teacher and not self.has_teacher:
            raise HuporError("DSED: use_teacher=True but the 'hg' reasoner has no teacher")
        run_teacher = self.has_teacher and teacher57 is not None
        if use_teacher and not run_teacher:
            raise HuporError("DSED: the decoder is fed by the teacher (training mode) but teacher57 is None")
        if run_teacher:
            self._check("teacher input", teacher57)
            if teacher57.shape != x57.shape:
                raise HuporError(f"DSED: teacher input {tuple(teacher57.shape)} != input {tuple(x57.shape)}")
        res2d, resz = maps57_to_det(x57.detach(), self.skeleton)
        cat = self._with_image(image, x57)
        units: list[list[ReasonUnit]] = []
        distill: list[list[tuple[torch.Tensor, torch.Tensor]]] = []
        skips = None
        xs = x57
        for s, (student, dec) in enumerate(zip(self.students, self.decoders)):
            fs = student(cat(xs), skips)
            ft = self.teachers[s](cat(teacher57), skips) if run_teacher else None
            heads, skips, nxt = dec(ft if use_teacher else fs, xs if self.stride == 2 else None)
            xs = nxt
            units.append([ReasonUnit(m2 + res2d, mz + resz, m2, mz) for m2, mz in heads])
            distill.append(list(zip(ft, fs)) if ft is not None else [])
        return ReasonerOutput(units, distill)

    def fuse(self, out: ReasonerOutput) -> torch.Tensor:
        """maps57 from the last stage: 2D = mean of the three finest units (the finest alone at stride
        2, as :meth:`Detector.fuse`), z = finest unit."""
        last = out.units[-1]
        maps2d = torch.stack([u.maps2d for u in last[-fused_units(self.stride):]]).mean(0)
        return det_to_maps57(maps2d, last[-1].z)

    def infer(self, x57: torch.Tensor, image: torch.Tensor | None = None) -> torch.Tensor:
        """Student path only: visible maps57 (B, J+3P, h, w) → all-joint maps57, raw codec scale
        (``image``: the normalised network input, read only with ``image_input``). Runs in the module's
        current BN mode; wrap in ``torch.inference_mode()`` after ``eval()``."""
        return self.fuse(self.forward(x57, use_teacher=False, image=image))


def image_stem(width: int, stride: int) -> nn.Sequential:
    """Image → features at 1/``stride`` (``stride`` 2 or 4): 3×3 stride-2 conv, then a 3×3 conv of
    stride ``stride // 2``, BN and ReLU after each."""
    from .blocks import ConvBNReLU

    return nn.Sequential(ConvBNReLU(3, width, 3, 2), ConvBNReLU(width, width, 3, stride // 2))
