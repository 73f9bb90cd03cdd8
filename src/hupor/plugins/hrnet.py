"""HRNet (Sun et al. 2019), the backbone of HigherHRNet (Cheng et al. 2020), written from the papers.

Stem: two 3×3 stride-2 convolutions (64 channels, 1/4 of the input). Stage 1: ``stage1_blocks``
Bottleneck blocks (64 → 256). Then stages 2, 3, 4 with 2, 3, 4 parallel branches of widths
``W·(1, 2, 4, 8)``; each stage is ``modules[s]`` high-resolution modules of ``blocks[s]`` BasicBlocks
per branch followed by a fusion (every branch receives every other, upsampled by 1×1 conv + nearest
interpolation or downsampled by strided 3×3 convs). A transition adds each new, half-resolution
branch with a strided 3×3 conv from the previous lowest branch. The last module fuses into the
highest-resolution branch only (the pose networks read that one): the output is (B, W, H/4, W/4).
Convolutions have no bias (BatchNorm follows each).
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from ..errors import HuporError
from .config import HRNetConfig


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1, relu: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


class BasicBlock(nn.Module):
    """3×3 – 3×3 residual block (``cin == cout`` unless ``downsample`` adapts the identity)."""

    expansion = 1

    def __init__(self, cin: int, cout: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, cout, 3, stride), conv_bn(cout, cout, 3, 1, relu=False))
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        return F.relu(self.body(x) + idt)


class Bottleneck(nn.Module):
    """1×1 – 3×3 – 1×1 residual block with 4× expansion: ``cin → planes → 4·planes``."""

    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, planes, 1), conv_bn(planes, planes, 3, stride),
                                  conv_bn(planes, planes * 4, 1, relu=False))
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        return F.relu(self.body(x) + idt)


def res_layer(block, cin: int, planes: int, n: int, stride: int = 1) -> nn.Sequential:
    """``n`` blocks; the first adapts channels / stride with a 1×1 conv + BN on the identity."""
    cout = planes * block.expansion
    down = None
    if stride != 1 or cin != cout:
        down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    return nn.Sequential(block(cin, planes, stride, down), *[block(cout, planes) for _ in range(n - 1)])


class FuseLayer(nn.Module):
    """Sum of every input branch brought to output branch ``i``'s resolution and width."""

    def __init__(self, widths: list[int], i: int):
        super().__init__()
        self.i = i
        paths = []
        for j, cj in enumerate(widths):
            if j == i:
                paths.append(nn.Identity())
            elif j > i:  # lower resolution: 1×1 to the width, upsampled in forward
                paths.append(nn.Sequential(nn.Conv2d(cj, widths[i], 1, bias=False), nn.BatchNorm2d(widths[i])))
            else:        # higher resolution: (i - j) strided 3×3 convs, the last to the width, no ReLU
                steps = [conv_bn(cj, cj, 3, 2) for _ in range(i - j - 1)]
                paths.append(nn.Sequential(*steps, conv_bn(cj, widths[i], 3, 2, relu=False)))
        self.paths = nn.ModuleList(paths)

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        size = xs[self.i].shape[-2:]
        out = xs[self.i]
        for j, (x, path) in enumerate(zip(xs, self.paths)):
            if j == self.i:
                continue
            y = path(x)
            if j > self.i:
                y = F.interpolate(y, size=size, mode="nearest")
            out = out + y
        return F.relu(out)


class HRModule(nn.Module):
    """Parallel branches of BasicBlocks, then fusion into ``n_out`` branches."""

    def __init__(self, widths: list[int], blocks: int, n_out: int):
        super().__init__()
        self.branches = nn.ModuleList(res_layer(BasicBlock, w, w, blocks) for w in widths)
        self.fuse = nn.ModuleList(FuseLayer(widths, i) for i in range(n_out)) if len(widths) > 1 else None

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        xs = [b(x) for b, x in zip(self.branches, xs)]
        return xs if self.fuse is None else [f(xs) for f in self.fuse]


class HRNet(nn.Module):
    """``forward(x (B, 3, H, W)) -> (B, width, H/4, W/4)`` (H, W multiples of 32)."""

    def __init__(self, cfg: HRNetConfig = HRNetConfig()):
        super().__init__()
        self.cfg = cfg
        s = cfg.stem_width
        self.stem = nn.Sequential(conv_bn(3, s, 3, 2), conv_bn(s, s, 3, 2))
        self.layer1 = res_layer(Bottleneck, s, 64, cfg.stage1_blocks)
        w = [cfg.width * 2 ** k for k in range(4)]
        self.transitions = nn.ModuleList()
        self.stages = nn.ModuleList()
        prev = [64 * Bottleneck.expansion]
        for st in range(3):
            cur = w[:st + 2]
            trans = []
            for b, c in enumerate(cur):
                if b < len(prev):
                    trans.append(nn.Identity() if prev[b] == c else conv_bn(prev[b], c, 3, 1))
                else:
                    trans.append(conv_bn(prev[-1], c, 3, 2))
            self.transitions.append(nn.ModuleList(trans))
            last = st == 2
            mods = [HRModule(cur, cfg.blocks[st], 1 if (last and m == cfg.modules[st] - 1) else len(cur))
                    for m in range(cfg.modules[st])]
            self.stages.append(nn.ModuleList(mods))
            prev = cur
        self.out_channels = cfg.width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3 or x.shape[-1] % 32 or x.shape[-2] % 32:
            raise HuporError(f"HRNet input: expected (B, 3, H, W) with H, W multiples of 32, got {tuple(x.shape)}")
        xs = [self.layer1(self.stem(x))]
        for trans, mods in zip(self.transitions, self.stages):
            xs = [t(xs[min(b, len(xs) - 1)]) for b, t in enumerate(trans)]
            for m in mods:
                xs = m(xs)
        return xs[0]
