"""Channel layouts: detector ``[J heatmaps | (x, y) per limb]`` + ``z`` ↔ maps57 ``[J | (x, y, z) per limb]``.

Both functions accept numpy arrays or torch tensors with any leading dimensions (``…``) and return the
same kind. Values are not rescaled.
"""

from __future__ import annotations

import numpy as np

from ..errors import HuporError
from ..skeleton import MPI15, Skeleton


def _is_torch(x) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a core dependency
        return False
    return isinstance(x, torch.Tensor)


def det_to_maps57(maps2d, z):
    """Merge detector maps into the maps57 layout.

    ``maps2d`` (…, J+2P, h, w) and ``z`` (…, P, h, w) → (…, J+3P, h, w). J and P come from the shapes.
    """
    s2, sz = tuple(maps2d.shape), tuple(z.shape)
    if len(s2) < 3 or len(sz) != len(s2) or s2[:-3] != sz[:-3] or s2[-2:] != sz[-2:]:
        raise HuporError(f"det_to_maps57: maps2d {s2} and z {sz} must be (…, J+2P, h, w) and (…, P, h, w)")
    p = sz[-3]
    j = s2[-3] - 2 * p
    if p < 1 or j < 0:
        raise HuporError(f"det_to_maps57: {s2[-3]} 2D channels cannot hold 2 x {p} PAF channels")
    lead, (h, w) = s2[:-3], s2[-2:]
    heat = maps2d[..., :j, :, :]
    xy = maps2d[..., j:, :, :].reshape(*lead, p, 2, h, w)
    zz = z.reshape(*lead, p, 1, h, w)
    if _is_torch(maps2d):
        import torch

        paf = torch.cat([xy, zz.to(xy.dtype)], dim=-3).reshape(*lead, 3 * p, h, w)
        return torch.cat([heat, paf], dim=-3)
    paf = np.concatenate([xy, np.asarray(zz, dtype=xy.dtype)], axis=-3).reshape(*lead, 3 * p, h, w)
    return np.concatenate([heat, paf], axis=-3)


def maps57_to_det(maps57, skeleton: Skeleton = MPI15):
    """Split maps57 (…, J+3P, h, w) into ``(maps2d (…, J+2P, h, w), z (…, P, h, w))``."""
    j, p = skeleton.num_joints, skeleton.num_limbs
    s = tuple(maps57.shape)
    if len(s) < 3 or s[-3] != j + 3 * p:
        raise HuporError(f"maps57_to_det: expected (…, {j + 3 * p}, h, w) for {skeleton.name}, got {s}")
    lead, (h, w) = s[:-3], s[-2:]
    heat = maps57[..., :j, :, :]
    paf = maps57[..., j:, :, :].reshape(*lead, p, 3, h, w)
    xy = paf[..., :2, :, :].reshape(*lead, 2 * p, h, w)
    z = paf[..., 2, :, :]
    if _is_torch(maps57):
        import torch

        return torch.cat([heat, xy], dim=-3), z.contiguous()
    return np.concatenate([heat, xy], axis=-3), np.ascontiguousarray(z)
