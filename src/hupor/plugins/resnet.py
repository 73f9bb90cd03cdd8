"""ResNet (He et al. 2016), one implementation for the 2D plug-ins and SSF: ResNet-18/34 (BasicBlocks)
and ResNet-50 (Bottlenecks), as a feature extractor (no pooling head, no classifier).

Stem: 7×7 stride-2 conv (``stem_width``), BN, ReLU, then a 3×3 stride-2 max-pool unless
``maxpool=False`` (PifPaf removes it: output stride 16 instead of 32). Four stages of ``layers[i]``
blocks with ``width·2^i`` planes; stages 2–4 start with stride 2. ``forward`` returns the last
stage's features (B, C, H/s, W/s) with ``s`` = 16 or 32 and ``C`` = :attr:`ResNet.out_channels`.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import HuporError
from .config import ResNetConfig
from .hrnet import BasicBlock, Bottleneck, res_layer

BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class ResNet(nn.Module):
    def __init__(self, cfg: ResNetConfig = ResNetConfig()):
        super().__init__()
        self.cfg = cfg
        block = BLOCKS[cfg.block]
        s = cfg.stem_width
        stem = [nn.Conv2d(3, s, 7, 2, 3, bias=False), nn.BatchNorm2d(s), nn.ReLU(inplace=True)]
        if cfg.maxpool:
            stem.append(nn.MaxPool2d(3, 2, 1))
        self.stem = nn.Sequential(*stem)
        stages, cin = [], s
        for i, n in enumerate(cfg.layers):
            planes = cfg.width * 2 ** i
            stages.append(res_layer(block, cin, planes, n, stride=1 if i == 0 else 2))
            cin = planes * block.expansion
        self.stages = nn.Sequential(*stages)
        self.out_channels = cin
        self.stride = 32 if cfg.maxpool else 16

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3 or x.shape[-1] % self.stride or x.shape[-2] % self.stride:
            raise HuporError(f"ResNet input: expected (B, 3, H, W) with H, W multiples of {self.stride}, "
                             f"got {tuple(x.shape)}")
        return self.stages(self.stem(x))
