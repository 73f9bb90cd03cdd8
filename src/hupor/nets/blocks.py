"""Building blocks shared by the detector and DSED: conv-BN-ReLU, ResNet Bottleneck encoders and the
MSPN-style up-sampling decoder with cross-stage skips (method §5.1, §6.2). Plain ``torch.nn``."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

EXPANSION = 4


class ConvBNReLU(nn.Sequential):
    """Conv2d (with bias) → BatchNorm → optional ReLU."""

    def __init__(self, cin: int, cout: int, k: int = 1, stride: int = 1, relu: bool = True):
        layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=True), nn.BatchNorm2d(cout)]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class Bottleneck(nn.Module):
    """ResNet Bottleneck (1×1 → 3×3 (stride) → 1×1 ×4), projection shortcut when the shape changes.
    Convs carry a bias before their BN like the official code's conv_bn_relu (redundant, kept so the
    parameter counts match the official ones)."""

    def __init__(self, cin: int, planes: int, stride: int = 1):
        super().__init__()
        cout = planes * EXPANSION
        self.conv1 = nn.Conv2d(cin, planes, 1)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + idt)


class Encoder(nn.Module):
    """Four Bottleneck layers (strides ``first_stride``, 2, 2, 2; default 1) without a stem.

    ``forward(x, skips)`` returns the four layer outputs ``[x1, x2, x3, x4]`` (channels
    ``4 * widths[i]``, strides 1, 2, 4, 8 relative to ``x``). ``skips`` (from the previous stage's
    decoder, in layer order) are added after each layer.
    """

    def __init__(self, cin: int, blocks: Sequence[int], widths: Sequence[int], first_stride: int = 1):
        super().__init__()
        self.out_channels = tuple(w * EXPANSION for w in widths)
        layers = []
        for i, (n, planes) in enumerate(zip(blocks, widths)):
            stride = first_stride if i == 0 else 2
            mods = [Bottleneck(cin, planes, stride)]
            cin = planes * EXPANSION
            mods += [Bottleneck(cin, planes) for _ in range(n - 1)]
            layers.append(nn.Sequential(*mods))
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor, skips: Sequence[torch.Tensor] | None = None) -> list[torch.Tensor]:
        feats = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if skips is not None:
                x = x + skips[i]
            feats.append(x)
        return feats


class Head(nn.Sequential):
    """CBR 1×1 (width → width) → conv 3×3 (width → C) + BN, no ReLU (official); with
    ``output_bn=False`` the last conv is a plain biased conv (its scale is free to grow, which makes
    short trainings converge much faster on the 255-scale targets)."""

    def __init__(self, width: int, cout: int, output_bn: bool = True):
        last = ConvBNReLU(width, cout, 3, relu=False) if output_bn else nn.Conv2d(width, cout, 3, 1, 1)
        super().__init__(ConvBNReLU(width, width, 1), last)


class Decoder(nn.Module):
    """Four up-sampling units, coarse to fine, over encoder features ``[x1, x2, x3, x4]``.

    Unit u: ``out = BN(conv1×1(x_in))`` (+ ``BN(conv1×1(up(out_{u-1})))`` for u > 0), ReLU; then one
    head per entry of ``head_channels``, each upsampled (bilinear, align_corners=True) to the size of
    ``x1``. With ``skips=True`` the decoder also returns cross-stage skips
    ``skip1(x_in) + skip2(out)`` (layer order) and ``cross_conv(out_finest)`` with ``cross_channels``.

    Higher-resolution output (``fine_channels > 0``, the output-stride-2 heads): ``forward`` then takes
    ``fine`` features (B, fine_channels, H2, W2) at twice the resolution of ``x1``; the finest unit
    fuses them, ``relu(BN(conv1×1(fine)) + BN(conv3×3(up(out))))``, and its heads run on that (and
    ``cross_conv`` too when ``cross_from_fine``, else on the unit's stride-1 features); every head
    output is upsampled to (H2, W2).
    """

    def __init__(self, in_channels: Sequence[int], width: int, head_channels: Sequence[int],
                 skips: bool, cross_channels: int = 0, output_bn: bool = True, fine_channels: int = 0,
                 cross_from_fine: bool = False):
        super().__init__()
        self.cross_from_fine = cross_from_fine
        self.fine_lateral = self.fine_up = None
        if fine_channels:
            self.fine_lateral = ConvBNReLU(fine_channels, width, 1, relu=False)
            self.fine_up = ConvBNReLU(width, width, 3, relu=False)
        coarse_first = list(in_channels)[::-1]
        self.lateral = nn.ModuleList(ConvBNReLU(c, width, 1, relu=False) for c in coarse_first)
        self.up = nn.ModuleList(ConvBNReLU(width, width, 1, relu=False) for _ in coarse_first[1:])
        self.heads = nn.ModuleList(
            nn.ModuleList(Head(width, c, output_bn) for c in head_channels) for _ in coarse_first)
        self.has_skips = skips
        if skips:
            self.skip1 = nn.ModuleList(ConvBNReLU(c, c, 1) for c in coarse_first)
            self.skip2 = nn.ModuleList(ConvBNReLU(width, c, 1) for c in coarse_first)
            self.cross_conv = ConvBNReLU(width, cross_channels, 1)

    def forward(self, feats: Sequence[torch.Tensor], fine: torch.Tensor | None = None):
        """Returns ``(units, skips, cross)``: ``units[u]`` is a list of head outputs (coarse to fine),
        ``skips`` the four skip tensors in encoder-layer order (or None), ``cross`` the cross_conv
        output (or None). ``fine``: the stride-2 features, required iff ``fine_channels > 0``."""
        if (fine is None) != (self.fine_lateral is None):
            raise ValueError("Decoder: pass fine features exactly when built with fine_channels")
        size = feats[0].shape[-2:] if fine is None else fine.shape[-2:]
        xs = list(feats)[::-1]
        units, skips = [], []
        out = cross_in = None
        for u, x in enumerate(xs):
            y = self.lateral[u](x)
            if u > 0:
                up = F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=True)
                y = y + self.up[u - 1](up)
            out = cross_in = head_in = F.relu(y)
            if self.has_skips:
                skips.append(self.skip1[u](x) + self.skip2[u](out))
            if fine is not None and u == len(xs) - 1:
                up = F.interpolate(out, size=size, mode="bilinear", align_corners=True)
                head_in = F.relu(self.fine_lateral(fine) + self.fine_up(up))
                if self.cross_from_fine:
                    cross_in = head_in
            heads = []
            for head in self.heads[u]:
                h = head(head_in)
                if h.shape[-2:] != size:
                    h = F.interpolate(h, size=size, mode="bilinear", align_corners=True)
                heads.append(h)
            units.append(heads)
        if not self.has_skips:
            return units, None, None
        return units, skips[::-1], self.cross_conv(cross_in)


def init_weights(module: nn.Module) -> None:
    """Kaiming-normal (fan_out) convs with zero bias, BN weight 1 / bias 0 (method §5.1)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def count_parameters(module: nn.Module | None) -> int:
    """Number of parameters (works on meta-device modules)."""
    return 0 if module is None else sum(p.numel() for p in module.parameters())
