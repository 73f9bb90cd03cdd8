"""Inference-only copies of the networks: conv–BN folding and the detector → reasoner chain as one module.

``fold_batchnorm(net)`` returns an eval-mode copy in which every ``BatchNorm2d`` that directly follows a
``Conv2d`` (``ConvBNReLU``, the heads, ``Bottleneck`` conv1/2/3 and its projection shortcut) is folded
into the conv (``torch.nn.utils.fusion.fuse_conv_bn_eval``) and replaced by ``nn.Identity``; outputs
equal the original's in eval mode within float rounding. The copy is for inference only (no BN
statistics left, no gradients).

``InferenceChain(detector, reasoner)`` is the network part of :meth:`HuporMethod.forward` as one
``nn.Module`` (what the torch runtime runs and what ``hupor export onnx`` exports)::

    x (B, 3, H, W) normalised → Detector.infer → det_to_maps57 → DSED.infer (if any)
    → (det57 (B, J+3P, h, w), all57 (B, J+3P, h, w), root_depth (B, 7, h, w)), raw codec scale
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .blocks import Bottleneck
from .layout import det_to_maps57


def fold_batchnorm(net: nn.Module) -> nn.Module:
    """Eval-only copy of ``net`` with conv–BN pairs folded (the original is left untouched)."""
    out = copy.deepcopy(net).eval()
    for m in list(out.modules()):
        if isinstance(m, Bottleneck):
            for i in (1, 2, 3):
                setattr(m, f"conv{i}", fuse_conv_bn_eval(getattr(m, f"conv{i}"), getattr(m, f"bn{i}")))
                setattr(m, f"bn{i}", nn.Identity())
        elif isinstance(m, nn.Sequential):
            kids = list(m._modules.items())
            for (n1, a), (n2, b) in zip(kids, kids[1:]):
                if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                    m._modules[n1] = fuse_conv_bn_eval(a, b)
                    m._modules[n2] = nn.Identity()
    out.requires_grad_(False)
    return out


class InferenceChain(nn.Module):
    """Detector (+ reasoner) as one module: ``forward(x) -> (det57, all57, root_depth)`` (see the module
    docstring). ``fold``: run conv–BN-folded copies (default) instead of the given modules (eval mode)."""

    def __init__(self, detector: nn.Module, reasoner: nn.Module | None = None, fold: bool = True):
        super().__init__()
        prep = fold_batchnorm if fold else (lambda m: m)
        self.detector = prep(detector)
        self.reasoner = prep(reasoner) if reasoner is not None else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        maps2d, z, root = self.detector.infer(x)
        det57 = det_to_maps57(maps2d, z)
        all57 = self.reasoner.infer(det57, image=x) if self.reasoner is not None else det57
        return det57, all57, root
