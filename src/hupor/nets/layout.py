"""Channel layout conversions between the detector heads and the DSED "maps57" layout.

The layout (skeleton.py docstring, architecture.md) is:
detector 2D ``[kpt_0..kpt_{J-1}, limb_0.x, limb_0.y, ...]`` + z ``[limb_0.z, ...]`` ↔ maps57
``[kpt_0..kpt_{J-1}, (x, y, z) per limb]``.
"""

from __future__ import annotations

import torch

from ..errors import HuporError


def _det_to_maps57(maps2d: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    p = z.shape[-3]
    j = maps2d.shape[-3] - 2 * p
    if j <= 0 or maps2d.shape[-2:] != z.shape[-2:] or maps2d.shape[:-3] != z.shape[:-3]:
        raise HuporError(f"det_to_maps57: incompatible shapes {tuple(maps2d.shape)} and {tuple(z.shape)}")
    lead, hw = maps2d.shape[:-3], maps2d.shape[-2:]
    paf = maps2d[..., j:, :, :].reshape(*lead, p, 2, *hw)
    pz = z.reshape(*lead, p, 1, *hw)
    limbs = torch.cat([paf, pz], dim=-3).reshape(*lead, 3 * p, *hw)
    return torch.cat([maps2d[..., :j, :, :], limbs], dim=-3)


def _maps57_to_det(maps57: torch.Tensor, num_joints: int) -> tuple[torch.Tensor, torch.Tensor]:
    c = maps57.shape[-3]
    p, rem = divmod(c - num_joints, 3)
    if rem or p <= 0:
        raise HuporError(f"maps57_to_det: {c} channels is not J + 3P with J = {num_joints}")
    lead, hw = maps57.shape[:-3], maps57.shape[-2:]
    limbs = maps57[..., num_joints:, :, :].reshape(*lead, p, 3, *hw)
    maps2d = torch.cat([maps57[..., :num_joints, :, :], limbs[..., :2, :, :].reshape(*lead, 2 * p, *hw)], dim=-3)
    return maps2d, limbs[..., 2, :, :]


def det_to_maps57(maps2d: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """(…, J+2P, h, w) and (…, P, h, w) → (…, J+3P, h, w)."""
    return _det_to_maps57(maps2d, z)


def maps57_to_det(maps57: torch.Tensor, num_joints: int = 15) -> tuple[torch.Tensor, torch.Tensor]:
    """(…, J+3P, h, w) → ((…, J+2P, h, w), (…, P, h, w))."""
    return _maps57_to_det(maps57, num_joints)


def split_channels57(x: torch.Tensor, num_joints: int, dim: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a per-channel tensor in maps57 order along ``dim`` into (2D part (J+2P), z part (P))."""
    x = x.movedim(dim, -1)
    c = x.shape[-1]
    p = (c - num_joints) // 3
    limbs = x[..., num_joints:].reshape(*x.shape[:-1], p, 3)
    two = torch.cat([x[..., :num_joints], limbs[..., :2].reshape(*x.shape[:-1], 2 * p)], dim=-1)
    return two.movedim(-1, dim), limbs[..., 2].movedim(-1, dim)
