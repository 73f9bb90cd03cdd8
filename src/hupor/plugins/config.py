"""Typed configs of the 2D bottom-up plug-in networks (``model.higherhrnet``), and their joint sets.

The 2D methods work on a :class:`hupor.skeleton.JointSet` (CrowdPose-14 for the plug-in tables, so
their outputs score with the CrowdPose protocol; COCO-17 for HigherHRNet's own parameter counts) and
the limbs below, which the PAF branch predicts one 2D field per limb for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import HuporError

@dataclass(frozen=True)
class HRNetConfig:
    """``width`` W (32: HRNet-W32, 48: W48); ``modules``/``blocks``: per stage 2–4 (the paper's
    (1, 4, 3) modules of 4 blocks); ``stage1_blocks`` Bottlenecks in stage 1; ``stem_width``."""

    width: int = 32
    modules: tuple[int, int, int] = (1, 4, 3)
    blocks: tuple[int, int, int] = (4, 4, 4)
    stage1_blocks: int = 4
    stem_width: int = 64

    def __post_init__(self):
        for name in ("width", "stage1_blocks", "stem_width"):
            if int(getattr(self, name)) < 1:
                raise HuporError(f"hrnet.{name}: must be >= 1, got {getattr(self, name)}")
        for name in ("modules", "blocks"):
            v = getattr(self, name)
            if len(v) != 3 or min(v) < 1:
                raise HuporError(f"hrnet.{name}: three positive numbers (stages 2, 3, 4), got {list(v)}")



@dataclass(frozen=True)
class ResNetConfig:
    """``block`` ``basic`` (ResNet-18/34) or ``bottleneck`` (ResNet-50); ``layers`` blocks per stage
    (ResNet-18 (2, 2, 2, 2), 34 and 50 (3, 4, 6, 3)); ``width`` planes of stage 1 (64); ``maxpool``:
    keep the stem's max-pool (stride 32) or drop it (stride 16, PifPaf)."""

    block: str = "bottleneck"
    layers: tuple[int, int, int, int] = (3, 4, 6, 3)
    width: int = 64
    stem_width: int = 64
    maxpool: bool = True

    def __post_init__(self):
        if self.block not in ("basic", "bottleneck"):
            raise HuporError(f"resnet.block: 'basic' or 'bottleneck', got {self.block!r}")
        if len(self.layers) != 4 or min(self.layers) < 1:
            raise HuporError(f"resnet.layers: four positive numbers, got {list(self.layers)}")
        if self.width < 1 or self.stem_width < 1:
            raise HuporError("resnet.width and resnet.stem_width: must be >= 1")


@dataclass(frozen=True)
class PifPafConfig:
    """PifPaf (Kreiss et al. 2019): ``backbone`` a ResNet without its max-pool (stride 16); the PIF
    head predicts per joint a confidence, a 2D vector, its spread b and a scale σ (5 channels), the
    PAF head per limb a confidence, two 2D vectors (to the limb's two joints) and their two spreads
    (7 channels); both are 1×1 convs followed by a sub-pixel (PixelShuffle) upsampling of
    ``upsample`` (stride 16 / 2 = 8). ``joints`` as :class:`HigherHRNetConfig`."""

    backbone: ResNetConfig = field(default_factory=lambda: ResNetConfig(maxpool=False))
    joints: str = "crowdpose14"
    upsample: int = 2

    def __post_init__(self):
        if self.joints not in LIMBS:
            raise HuporError(f"model.pifpaf.joints: one of {', '.join(LIMBS)}, got {self.joints!r}")
        if self.upsample not in (1, 2, 4):
            raise HuporError(f"model.pifpaf.upsample: 1, 2 or 4, got {self.upsample}")


#: limbs (joint index pairs) per joint set: CrowdPose's 13 (head–neck, neck–shoulders, arms,
#: neck–hips, legs) and COCO's 19 (the COCO keypoint skeleton, face included)
LIMBS = {
    "crowdpose14": ((12, 13), (13, 0), (13, 1), (0, 2), (2, 4), (1, 3), (3, 5), (13, 6), (13, 7), (6, 8), (8, 10),
                    (7, 9), (9, 11)),
    "coco17": ((15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8), (7, 9),
               (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6)),
}


@dataclass(frozen=True)
class HigherHRNetConfig:
    """HigherHRNet (Cheng et al. 2020) with the HUPOR PAF branch (supplement §1.3).

    ``hrnet``: the backbone; ``joints``: the joint set (``crowdpose14``, ``coco17``);
    ``deconv_blocks``: BasicBlocks after the 2× deconvolution (4 in the paper); ``tag_per_joint``:
    one associative-embedding tag map per joint (else one shared); ``paf_branch``: the added branch of
    one BasicBlock + 1×1 conv giving 2 channels (x, y) per limb at 1/4 resolution (our reading of the
    supplement's "a new branch that outputs PAF-like limb fields"); ``paf_head_width``: 0 keeps that
    branch at the backbone's width W; > 0 widens it (a 3×3 conv W → this width, BN, ReLU, then the
    BasicBlock at this width: a hupor option for narrow CPU backbones); ``paf_loss_weight``: 0.5;
    ``paf_limb_weight``: the PAF MSE counts the cells on a limb this many times (1 = the plain MSE;
    a hupor option for the sparse limb targets of small maps, :func:`hupor.plugins.losses.paf_loss`);
    ``ae_weight``: the associative-embedding pull and push weight (HigherHRNet's 1e-3); ``grouping``:
    how the decoder groups the peaks into people, ``ae`` (the tags, as the paper) or ``paf`` (the
    PAF branch's limb fields, :mod:`hupor.plugins.pafgroup`; needs ``paf_branch``)."""

    hrnet: HRNetConfig = field(default_factory=HRNetConfig)
    joints: str = "crowdpose14"
    deconv_blocks: int = 4
    tag_per_joint: bool = True
    paf_branch: bool = True
    paf_loss_weight: float = 0.5
    paf_head_width: int = 0
    paf_limb_weight: float = 1.0
    ae_weight: float = 1e-3
    grouping: str = "ae"

    def __post_init__(self):
        if self.grouping not in ("ae", "paf"):
            raise HuporError(f"model.higherhrnet.grouping: 'ae' or 'paf', got {self.grouping!r}")
        if self.grouping == "paf" and not self.paf_branch:
            raise HuporError("model.higherhrnet.grouping: 'paf' needs model.higherhrnet.paf_branch: true")
        if self.joints not in LIMBS:
            raise HuporError(f"model.higherhrnet.joints: one of {', '.join(LIMBS)}, got {self.joints!r}")
        if self.deconv_blocks < 0:
            raise HuporError(f"model.higherhrnet.deconv_blocks: must be >= 0, got {self.deconv_blocks}")
        if self.ae_weight < 0:
            raise HuporError(f"model.higherhrnet.ae_weight: must be >= 0, got {self.ae_weight}")
        if self.paf_loss_weight < 0:
            raise HuporError(f"model.higherhrnet.paf_loss_weight: must be >= 0, got {self.paf_loss_weight}")
        if self.paf_limb_weight < 1:
            raise HuporError(f"model.higherhrnet.paf_limb_weight: must be >= 1, got {self.paf_limb_weight}")
        if self.paf_head_width < 0:
            raise HuporError(f"model.higherhrnet.paf_head_width: must be >= 0, got {self.paf_head_width}")
