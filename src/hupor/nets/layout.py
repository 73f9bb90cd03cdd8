"""Channel layouts used by the networks.

:func:`det_to_maps57` / :func:`maps57_to_det` are the codec's (:mod:`hupor.codec.layout`, the owner of
the layout): detector 2D ``[kpt_0..kpt_{J-1}, limb_0.x, limb_0.y, ...]`` + z ``[limb_0.z, ...]`` ↔
maps57 ``[kpt_0..kpt_{J-1}, (x, y, z) per limb]``. :func:`split_channels57` splits per-channel vectors
(e.g. the valid mask) the same way.
"""

from __future__ import annotations

import torch

from ..codec.layout import det_to_maps57, maps57_to_det

__all__ = ["det_to_maps57", "maps57_to_det", "split_channels57"]


def split_channels57(x: torch.Tensor, num_joints: int, dim: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a per-channel tensor in maps57 order along ``dim`` into (2D part (J+2P), z part (P))."""
    x = x.movedim(dim, -1)
    c = x.shape[-1]
    p = (c - num_joints) // 3
    limbs = x[..., num_joints:].reshape(*x.shape[:-1], p, 3)
    two = torch.cat([x[..., :num_joints], limbs[..., :2].reshape(*x.shape[:-1], 2 * p)], dim=-1)
    return two.movedim(-1, dim), limbs[..., 2].movedim(-1, dim)
