"""Horizontal flips of maps57 and root-depth maps, and flip-test fusion (method §2, §8.1).

Mirror convention (:mod:`hupor.codec.grid`, integer-centred pixels): mirroring the network input
(``cv2.flip`` / ``[:, ::-1]``, i.e. ``x → net_w − 1 − x``) maps output pixel ``c`` to ``w − 1 − c``
exactly, so a flip is a plain reversal of the width axis plus the channel permutation of the
skeleton's flip tables. PAF x is negated; PAF z
(Z_B − Z_A) is unchanged by a horizontal mirror and only moves with its limb. All functions accept
numpy arrays or torch tensors with any leading dimensions.
"""

from __future__ import annotations

import numpy as np

from ..errors import HuporError
from ..skeleton import MPI15, Skeleton
from .layout import _is_torch


def maps57_permutation(skeleton: Skeleton = MPI15) -> tuple[np.ndarray, np.ndarray]:
    """(channel permutation (J+3P,), sign (J+3P,)) of a horizontal flip in the maps57 layout."""
    nj = skeleton.num_joints
    perm = list(skeleton.flip)
    sign = [1.0] * nj
    for k in range(skeleton.num_limbs):
        m = skeleton.limb_flip[k]
        perm += [nj + 3 * m, nj + 3 * m + 1, nj + 3 * m + 2]
        sign += [-1.0, 1.0, 1.0]
    return np.asarray(perm, dtype=np.int64), np.asarray(sign, dtype=np.float32)


def torso_permutation(skeleton: Skeleton = MPI15) -> np.ndarray:
    """Channel permutation of the root-depth head (torso order) under a horizontal flip."""
    torso = list(skeleton.torso)
    try:
        return np.asarray([torso.index(skeleton.flip[j]) for j in torso], dtype=np.int64)
    except ValueError:
        raise HuporError(f"skeleton {skeleton.name}: torso joints are not closed under the flip") from None


def _flip_channels(maps, perm: np.ndarray, sign: np.ndarray | None, name: str):
    shape = tuple(maps.shape)
    if len(shape) < 3 or shape[-3] != len(perm):
        raise HuporError(f"{name}: expected (…, {len(perm)}, h, w), got {shape}")
    if _is_torch(maps):
        import torch

        out = torch.flip(maps, dims=(-1,)).index_select(-3, torch.as_tensor(perm, device=maps.device))
        if sign is not None:
            out = out * torch.as_tensor(sign, dtype=out.dtype, device=out.device)[:, None, None]
        return out
    out = np.asarray(maps)[..., perm, :, ::-1]
    if sign is not None:
        out = out * sign.astype(out.dtype)[:, None, None]
    return np.ascontiguousarray(out)


def flip_maps57(maps57, skeleton: Skeleton = MPI15):
    """Mirror maps57 (…, J+3P, h, w) horizontally: reverse width, swap L/R channels, negate PAF x."""
    perm, sign = maps57_permutation(skeleton)
    return _flip_channels(maps57, perm, sign, "flip_maps57")


def flip_root_depth(root_depth, skeleton: Skeleton = MPI15):
    """Mirror root-depth maps (…, T, h, w): reverse width and swap the L/R torso channels."""
    return _flip_channels(root_depth, torso_permutation(skeleton), None, "flip_root_depth")


def fuse_flip(orig57, flipped57, skeleton: Skeleton = MPI15):
    """Fuse maps57 of an image and of its mirror (method §8.1).

    ``flipped57`` is the network output on the **mirrored** input, as produced (this function
    un-flips it). Heatmaps and PAF x/y are averaged (the official code sums heatmaps; we average so the
    result keeps the 0–255 scale); PAF z comes from ``orig57`` only. Root depth is not fused: use the
    original image's root-depth maps.
    """
    if tuple(orig57.shape) != tuple(flipped57.shape):
        raise HuporError(f"fuse_flip: shapes differ: {tuple(orig57.shape)} vs {tuple(flipped57.shape)}")
    back = flip_maps57(flipped57, skeleton)
    nj, p = skeleton.num_joints, skeleton.num_limbs
    keep = np.zeros(nj + 3 * p, dtype=bool)
    keep[nj + 2::3] = True  # z channels: original only
    if _is_torch(orig57):
        import torch

        k = torch.as_tensor(keep, device=orig57.device)[:, None, None]
        return torch.where(k, orig57, 0.5 * (orig57 + back.to(orig57.dtype)))
    o = np.asarray(orig57)
    return np.where(keep[:, None, None], o, 0.5 * (o + back)).astype(o.dtype, copy=False)
