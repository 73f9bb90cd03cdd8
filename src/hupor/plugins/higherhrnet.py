"""HigherHRNet (Cheng et al. 2020) with the HUPOR PAF branch, written from the papers.

HRNet (:mod:`.hrnet`) gives W-channel features at 1/4 of the input. A 1×1 conv predicts, at 1/4,
the J heatmaps and the associative-embedding tags (J with ``tag_per_joint``, else 1); the features
concatenated with those predictions go through a 4×4 stride-2 transposed conv (W channels, BN,
ReLU) and ``deconv_blocks`` BasicBlocks, and a 1×1 conv predicts the J heatmaps at 1/2 (the
higher-resolution heatmaps; no tags there, as in the paper). The PAF branch (HUPOR supplement §1.3)
reads the same 1/4 features: a BasicBlock and a 1×1 conv to 2 channels per limb (``paf_head_width``
> 0: a 3×3 conv, BN and ReLU to that width first).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..skeleton import JOINT_SETS
from .config import LIMBS, HigherHRNetConfig
from .hrnet import HRNet, BasicBlock, res_layer


@dataclass
class HigherOutput:
    """``heatmaps`` (B, J, H/4, W/4), ``tags`` (B, J or 1, H/4, W/4), ``heatmaps_hi`` (B, J, H/2, W/2),
    ``pafs`` (B, 2·limbs, H/4, W/4) or None (no PAF branch)."""

    heatmaps: torch.Tensor
    tags: torch.Tensor
    heatmaps_hi: torch.Tensor
    pafs: torch.Tensor | None


class HigherHRNet(nn.Module):
    """``forward(image (B, 3, H, W), normalised) -> HigherOutput`` (H, W multiples of 32)."""

    def __init__(self, cfg: HigherHRNetConfig = HigherHRNetConfig()):
        super().__init__()
        self.cfg = cfg
        self.joint_set = JOINT_SETS[cfg.joints]
        self.limbs = LIMBS[cfg.joints]
        j = self.joint_set.num_joints
        self.num_tags = j if cfg.tag_per_joint else 1
        self.backbone = HRNet(cfg.hrnet)
        w = self.backbone.out_channels
        self.final_lo = nn.Conv2d(w, j + self.num_tags, 1)
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(w + j + self.num_tags, w, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(w), nn.ReLU(inplace=True),
            *([res_layer(BasicBlock, w, w, cfg.deconv_blocks)] if cfg.deconv_blocks else []))
        self.final_hi = nn.Conv2d(w, j, 1)
        self.paf_head = _paf_head(w, cfg.paf_head_width, 2 * len(self.limbs)) if cfg.paf_branch else None

    def forward(self, x: torch.Tensor) -> HigherOutput:
        f = self.backbone(x)
        lo = self.final_lo(f)
        j = self.joint_set.num_joints
        hi = self.final_hi(self.deconv(torch.cat([f, lo], 1)))
        pafs = self.paf_head(f) if self.paf_head is not None else None
        return HigherOutput(lo[:, :j], lo[:, j:], hi, pafs)


def _paf_head(w: int, width: int, out: int) -> nn.Sequential:
    """The PAF branch: [3×3 conv w → width, BN, ReLU when width > 0], BasicBlock, 1×1 conv → out."""
    if width <= 0:
        return nn.Sequential(BasicBlock(w, w), nn.Conv2d(w, out, 1))
    return nn.Sequential(nn.Conv2d(w, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                         BasicBlock(width, width), nn.Conv2d(width, out, 1))
