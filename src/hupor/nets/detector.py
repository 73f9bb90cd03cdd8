"""Visible-keypoint detector: SMAP/MSPN-style multi-stage encoder-decoder (method §5.1).

Stem (7×7 s2 + max-pool, stride 4) → per stage a ResNet Bottleneck encoder (strides 4..32) and a
4-unit decoder with three heads per unit (2D ``J+2P``, PAF-z ``P``, root depth ``len(torso)``), all
upsampled to stride 4. With ``stride=2`` (the higher-resolution head) every decoder's finest unit also
fuses the stem's stride-2 features and all heads are upsampled to stride 2. Non-last stages feed the next one through cross-stage skips (added after each
encoder layer) and ``cross_conv`` (replaces the stem output as the next stage's input).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from ..errors import HuporError
from ..skeleton import MPI15, Skeleton
from .blocks import ConvBNReLU, Decoder, Encoder, init_weights
from .config import DetectorConfig


class DetUnit(NamedTuple):
    """One decoder unit's outputs at the output stride (4 or 2), raw codec scale (heatmap peak 255, PAF xy ×127, PAF z
    cm, root depth Z_cm/(fx·s)). maps2d (B, J+2P, h, w); z (B, P, h, w); root_depth (B, 7, h, w)."""

    maps2d: torch.Tensor
    z: torch.Tensor
    root_depth: torch.Tensor


#: ``forward`` output: ``outputs[stage][unit]``, units coarse → fine (unit 3 is the finest).
DetectorOutput = list[list[DetUnit]]


def fused_units(stride: int) -> int:
    """How many of the last stage's finest units ``fuse`` averages for the 2D maps (3, or 1 at stride 2)."""
    return 3 if stride == 4 else 1


class Detector(nn.Module):
    """Multi-stage detector. Input: (B, 3, H, W) normalised image (:func:`hupor.nets.preprocess`),
    H and W multiples of 32. Outputs at (H/stride, W/stride), ``stride`` 4 (paper) or 2."""

    def __init__(self, cfg: DetectorConfig = DetectorConfig(), skeleton: Skeleton = MPI15, stride: int = 4):
        super().__init__()
        if stride not in (2, 4):
            raise HuporError(f"model.output_stride: must be 4 or 2, got {stride!r}")
        self.cfg = cfg
        self.skeleton = skeleton
        self.stride = stride
        fine = cfg.stem_width if stride == 2 else 0
        heads = (skeleton.num_2d_channels, skeleton.num_limbs, len(skeleton.torso))
        self.stem = nn.Sequential(ConvBNReLU(3, cfg.stem_width, 7, 2), nn.MaxPool2d(3, 2, 1))
        self.encoders = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for s in range(cfg.stages):
            enc = Encoder(cfg.stem_width, cfg.blocks, cfg.widths)
            last = s == cfg.stages - 1
            self.encoders.append(enc)
            self.decoders.append(Decoder(enc.out_channels, cfg.decoder_width, heads, skips=not last,
                                         cross_channels=cfg.stem_width, output_bn=cfg.head_bn,
                                         fine_channels=fine))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> DetectorOutput:
        """All stages' and units' outputs (for the loss): ``outputs[stage][unit]`` of :class:`DetUnit`."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise HuporError(f"detector input: expected (B, 3, H, W), got {tuple(x.shape)}")
        if x.shape[-2] % 32 or x.shape[-1] % 32:
            raise HuporError(f"detector input: H and W must be multiples of 32, got {tuple(x.shape[-2:])}")
        fine = self.stem[0](x) if self.stride == 2 else None  # stride-2 stem features
        h = self.stem(x) if fine is None else self.stem[1](fine)
        skips = None
        outputs: DetectorOutput = []
        for enc, dec in zip(self.encoders, self.decoders):
            feats = enc(h, skips)
            units, skips, cross = dec(feats, fine)
            outputs.append([DetUnit(*u) for u in units])
            h = cross
        return outputs

    def fuse(self, outputs: DetectorOutput) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Inference maps from ``forward`` outputs: maps2d = **mean** of the last stage's three finest
        units (method §8 [PROP]; at stride 2 the finest unit alone, the only one with stride-2
        features, as HigherHRNet predicts from its highest-resolution head); z and root depth from
        the finest unit."""
        last = outputs[-1]
        maps2d = torch.stack([u.maps2d for u in last[-fused_units(self.stride):]]).mean(0)
        return maps2d, last[-1].z, last[-1].root_depth

    def infer(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(maps2d (B, J+2P, h, w), z (B, P, h, w), root_depth (B, 7, h, w))``, raw codec scale.
        Runs in the module's current mode; wrap in ``torch.inference_mode()`` and call ``eval()``."""
        return self.fuse(self.forward(x))
