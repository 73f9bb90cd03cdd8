"""SSF's networks and losses (supplement §2.2, Fig. 6) for the capsule body (:mod:`.body`).

* **ShapeInit** (:class:`ShapeInit`): a person crop (B, 3, H, W), normalised → ResNet backbone
  (:class:`hupor.plugins.resnet.ResNet`; ResNet-34 in the paper config) → global average pool →
  FC 1024 → FC 512 → the body's pose (14 swings, axis-angle) and shape (14 bone lengths in m and the
  log radius scale). Root-relative: the root is placed from the 2D joints afterwards. With
  ``joints_input`` (a deviation, docs/ssf.md) the person's labelled 2D joints in crop coordinates
  (:func:`hupor.ssf.crops.joint_input`, (B, 15, 3): x, y in [-1, 1] and a labelled flag) are
  concatenated with the pooled features before FC 1024, so the FCs can lift the 2D as well as read the
  image.
* **ShapeOpt** (:class:`ShapeOpt`): the person's mask (B, 1, H, W) → 4 conv layers (3×3 stride 2,
  BN, ReLU) → FC 1024 → FC 512, concatenated with the current parameters (57) → FC 512 → FC 512 → a
  correction added to them.
* **Loss** (:func:`ssf_loss`): λθ·mean|θ − θ*| + λβ·mean|β − β*| (bone lengths in m) + λpos·mean
  joint distance (m, root-relative) + λsil·mean (S − M)² of the soft silhouette against the mask.
  Training weights λθ = 1, λβ = 0.5, λpos = 10, λsil = 0.1 (Adam, lr 1e-3 ÷ 10 at epochs 50 and
  100, 150 epochs, batch 32: :class:`SSFTrainConfig`); label generation uses λθ = λβ = 0 and lr 1e-5
  (self-supervised per image against the mask and the joints).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ..plugins.config import ResNetConfig
from ..plugins.resnet import ResNet
from .body import NUM_BONES, NUM_SHAPE, forward_kinematics

NUM_PARAMS = NUM_BONES * 3 + NUM_SHAPE   # 57
NUM_JOINT_INPUT = 15 * 3                 # ShapeInit's optional 2D-joint input (x, y, labelled)


@dataclass(frozen=True)
class SSFLossWeights:
    """λθ, λβ, λpos, λsil of supplement §2.2 (training values; label generation: θ = β = 0)."""

    theta: float = 1.0
    beta: float = 0.5
    pos: float = 10.0
    sil: float = 0.1


@dataclass(frozen=True)
class SSFTrainConfig:
    """The paper's schedule: Adam, lr 1e-3 ÷ 10 at epochs 50 and 100, 150 epochs, batch 32; label
    generation: lr 1e-5 with λθ = λβ = 0."""

    lr: float = 1e-3
    milestones: tuple[int, ...] = (50, 100)
    epochs: int = 150
    batch_size: int = 32
    weights: SSFLossWeights = field(default_factory=SSFLossWeights)
    label_lr: float = 1e-5
    label_weights: SSFLossWeights = field(default_factory=lambda: SSFLossWeights(theta=0.0, beta=0.0))


def split_params(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 57) → pose (B, 14, 3) and shape (B, 15) with bone lengths in mm (the vector holds metres)."""
    pose = p[:, :NUM_BONES * 3].reshape(-1, NUM_BONES, 3)
    shape = p[:, NUM_BONES * 3:]
    return pose, torch.cat([shape[:, :NUM_BONES] * 1000.0, shape[:, NUM_BONES:]], 1)


def join_params(pose: torch.Tensor, shape: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`split_params`."""
    return torch.cat([pose.flatten(1), shape[:, :NUM_BONES] / 1000.0, shape[:, NUM_BONES:]], 1)


def _mlp(*sizes: int) -> nn.Sequential:
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class ShapeInit(nn.Module):
    """``forward(crop (B, 3, H, W), joints (B, 15, 3) or None) -> params (B, 57)`` (see the module
    docstring; ``joints`` is required with ``joints_input``)."""

    def __init__(self, backbone: ResNetConfig = ResNetConfig(block="basic", layers=(3, 4, 6, 3)),
                 joints_input: bool = False):
        super().__init__()
        self.backbone = ResNet(backbone)
        self.joints_input = bool(joints_input)
        self.fc = _mlp(self.backbone.out_channels + (NUM_JOINT_INPUT if joints_input else 0), 1024, 512)
        self.out = nn.Linear(512, NUM_PARAMS)
        nn.init.zeros_(self.out.weight)
        with torch.no_grad():                       # start at a mean-sized T-pose
            self.out.bias.zero_()
            self.out.bias[NUM_BONES * 3:NUM_BONES * 3 + NUM_BONES] = 0.3
            self.out.bias[-1] = 0.1                   # radius scale e^0.1 ≈ 1.1, the generator's people

    def forward(self, crop: torch.Tensor, joints: torch.Tensor | None = None) -> torch.Tensor:
        f = self.backbone(crop).mean((-2, -1))
        if self.joints_input:
            if joints is None:
                raise ValueError("ShapeInit(joints_input=True): needs the 2D joints (B, 15, 3)")
            f = torch.cat([f, joints.flatten(1).to(f)], 1)
        return self.out(self.fc(f))


class ShapeOpt(nn.Module):
    """``forward(mask (B, 1, H, W), params (B, 57)) -> refined params (B, 57)``."""

    def __init__(self, width: int = 32, size: tuple[int, int] = (64, 64)):
        super().__init__()
        convs, c = [], 1
        for k in range(4):
            convs += [nn.Conv2d(c, width * 2 ** min(k, 2), 3, 2, 1, bias=False),
                      nn.BatchNorm2d(width * 2 ** min(k, 2)), nn.ReLU(inplace=True)]
            c = width * 2 ** min(k, 2)
        self.cnn = nn.Sequential(*convs)
        flat = c * ((size[1] + 15) // 16) * ((size[0] + 15) // 16)
        self.size = tuple(size)
        self.mask_fc = _mlp(flat, 1024, 512)
        self.fuse = _mlp(512 + NUM_PARAMS, 512, 512)
        self.out = nn.Linear(512, NUM_PARAMS)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, mask: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        f = self.mask_fc(self.cnn(mask).flatten(1))
        return params + self.out(self.fuse(torch.cat([f, params], 1)))


def ssf_loss(params: torch.Tensor, target: dict, weights: SSFLossWeights, silhouette=None) -> dict[str, torch.Tensor]:
    """Named terms and ``"total"``. ``target``: optional ``params`` (B, 57) ground-truth parameters,
    ``joints`` (B, 15, 3) root-relative mm, ``mask`` (B, H, W) in [0, 1]; ``silhouette``: a function
    ``joints_mm (B, 15, 3), shape (B, 15) -> (B, H, W)`` placing the body in the crop (needed with
    ``mask``). Terms whose weight is 0 or whose target is absent are left out."""
    pose, shape = split_params(params)
    zero = params.new_zeros(())
    terms = {}
    if weights.theta and "params" in target:
        terms["theta"] = weights.theta * (pose - split_params(target["params"])[0]).abs().mean()
    if weights.beta and "params" in target:
        terms["beta"] = weights.beta * (params[:, NUM_BONES * 3:] - target["params"][:, NUM_BONES * 3:]).abs().mean()
    joints = forward_kinematics(pose.double(), shape.double(), params.new_zeros((len(params), 3)).double()).to(params)
    if weights.pos and "joints" in target:
        terms["pos"] = weights.pos * ((joints - target["joints"]).norm(dim=-1) / 1000.0).mean()
    if weights.sil and "mask" in target and silhouette is not None:
        terms["sil"] = weights.sil * (silhouette(joints, shape) - target["mask"]).pow(2).mean()
    terms["total"] = sum(terms.values()) if terms else zero
    return terms
