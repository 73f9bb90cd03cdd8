"""PifPaf (Kreiss et al. 2019), written from the paper: a ResNet backbone without its max-pool
(stride 16), a Part Intensity Field head and a Part Association Field head.

Each head is a 1×1 conv to ``upsample²`` × its channels followed by a sub-pixel convolution
(PixelShuffle), so the fields come out at stride ``16 / upsample`` (8 by default). Per joint the PIF
holds a confidence logit, a 2D vector to the joint (output px), the vector's spread b (log) and the
joint's scale σ (log); per limb the PAF holds a confidence logit, two 2D vectors (to the limb's two
joints) and their two spreads (log). Confidences are logits (``sigmoid`` in :func:`fields`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..skeleton import JOINT_SETS
from .config import LIMBS, PifPafConfig
from .resnet import ResNet

PIF_CHANNELS = 5   # confidence, vector x, vector y, log b, log σ
PAF_CHANNELS = 7   # confidence, vector 1 (x, y), vector 2 (x, y), log b1, log b2


@dataclass
class PifPafOutput:
    """``pif`` (B, J, 5, h, w) and ``paf`` (B, L, 7, h, w), raw (logits, log spreads)."""

    pif: torch.Tensor
    paf: torch.Tensor


class _Head(nn.Module):
    def __init__(self, cin: int, n: int, channels: int, upsample: int):
        super().__init__()
        self.n, self.channels = n, channels
        self.conv = nn.Conv2d(cin, n * channels * upsample ** 2, 1)
        self.shuffle = nn.PixelShuffle(upsample) if upsample > 1 else nn.Identity()

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        y = self.shuffle(self.conv(f))
        return y.reshape(y.shape[0], self.n, self.channels, y.shape[-2], y.shape[-1])


class PifPaf(nn.Module):
    """``forward(image (B, 3, H, W), normalised) -> PifPafOutput`` (H, W multiples of 16)."""

    def __init__(self, cfg: PifPafConfig = PifPafConfig()):
        super().__init__()
        self.cfg = cfg
        self.joint_set = JOINT_SETS[cfg.joints]
        self.limbs = LIMBS[cfg.joints]
        self.backbone = ResNet(cfg.backbone)
        c = self.backbone.out_channels
        self.pif = _Head(c, self.joint_set.num_joints, PIF_CHANNELS, cfg.upsample)
        self.paf = _Head(c, len(self.limbs), PAF_CHANNELS, cfg.upsample)
        self.stride = self.backbone.stride // cfg.upsample

    def forward(self, x: torch.Tensor) -> PifPafOutput:
        f = self.backbone(x)
        return PifPafOutput(self.pif(f), self.paf(f))


def fields(out: PifPafOutput) -> dict[str, torch.Tensor]:
    """Readable fields: ``pif_c`` (B, J, h, w) in [0, 1], ``pif_vec`` (B, J, 2, h, w) output px,
    ``pif_b`` / ``pif_scale`` (B, J, h, w) > 0; ``paf_c`` (B, L, h, w), ``paf_vec`` (B, L, 2, 2, h, w),
    ``paf_b`` (B, L, 2, h, w)."""
    p, a = out.pif, out.paf
    b, n_l, _, h, w = a.shape
    return {"pif_c": torch.sigmoid(p[:, :, 0]), "pif_vec": p[:, :, 1:3], "pif_b": p[:, :, 3].exp(),
            "pif_scale": p[:, :, 4].exp(), "paf_c": torch.sigmoid(a[:, :, 0]),
            "paf_vec": a[:, :, 1:5].reshape(b, n_l, 2, 2, h, w), "paf_b": a[:, :, 5:7].exp()}
