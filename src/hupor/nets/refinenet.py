"""RefineNet (method §9): per-person root-relative 3D refinement that also fills missing joints.

Input features (B, J, 5) from :func:`refine_features` (B, J, 6 with ``hint_channel``); output (B, J, 3)
root-relative cm. Two kinds:
``"gcn"`` — modulated graph convolutions over the skeleton graph (limbs + self loops),
``H' = (Â + Q)(M ⊙ (H W))`` with Â the symmetric-normalised adjacency, Q a learnable symmetric
offset, M a per-node modulation and W a shared weight (method §9 [PROP]); ``"mlp"`` — SMAP's MLP
(J·5 → 160 → 256 → 256 → 128 → J·3, BN1d + ReLU after each hidden layer). ``batch_norm=False``
drops the BN layers.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import HuporError
from ..skeleton import MPI15, Skeleton
from .config import RefinerConfig

MM_PER_CM = 10.0


def normalized_adjacency(skeleton: Skeleton) -> torch.Tensor:
    """Â = D^-1/2 (A + I) D^-1/2 over the limbs of ``skeleton`` (J, J)."""
    j = skeleton.num_joints
    a = torch.eye(j)
    for p, q in skeleton.limbs:
        a[p, q] = a[q, p] = 1.0
    d = a.sum(1).rsqrt()
    return d[:, None] * a * d[None, :]


class ModulatedGraphConv(nn.Module):
    """``H' = (Â + Q)(M ⊙ (H W)) + b`` on (B, J, C_in) → (B, J, C_out)."""

    def __init__(self, cin: int, cout: int, adjacency: torch.Tensor):
        super().__init__()
        j = adjacency.shape[0]
        self.weight = nn.Parameter(torch.empty(cin, cout))
        self.modulation = nn.Parameter(torch.ones(j, cout))
        self.adj_offset = nn.Parameter(torch.full((j, j), 1e-6))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.register_buffer("adjacency", adjacency.clone(), persistent=False)
        nn.init.xavier_uniform_(self.weight)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        q = 0.5 * (self.adj_offset + self.adj_offset.T)
        return (self.adjacency + q) @ (self.modulation * (h @ self.weight)) + self.bias


class _GraphLayer(nn.Module):
    """Modulated graph conv → BN over channels → ReLU → dropout."""

    def __init__(self, cin: int, cout: int, adjacency: torch.Tensor, dropout: float, batch_norm: bool = True):
        super().__init__()
        self.conv = ModulatedGraphConv(cin, cout, adjacency)
        self.bn = nn.BatchNorm1d(cout) if batch_norm else nn.Identity()
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h = self.bn(self.conv(h).transpose(1, 2)).transpose(1, 2)
        return self.drop(torch.relu(h))


class RefineNet(nn.Module):
    """``forward(feat (B, J, 5)) -> (B, J, 3)`` root-relative cm (the root row is meaningless and
    replaced by the predicted root in :func:`apply_refiner`)."""

    def __init__(self, cfg: RefinerConfig = RefinerConfig(), skeleton: Skeleton = MPI15):
        super().__init__()
        self.cfg = cfg
        self.skeleton = skeleton
        j = skeleton.num_joints
        self.in_channels = 6 if cfg.hint_channel else 5
        if cfg.kind == "gcn":
            adj = normalized_adjacency(skeleton)
            self.input = _GraphLayer(self.in_channels, cfg.hidden, adj, cfg.dropout, cfg.batch_norm)
            self.layers = nn.ModuleList(_GraphLayer(cfg.hidden, cfg.hidden, adj, cfg.dropout, cfg.batch_norm)
                                        for _ in range(cfg.layers))
            self.output = ModulatedGraphConv(cfg.hidden, 3, adj)
        else:
            mods: list[nn.Module] = []
            cin = self.in_channels * j
            for width in cfg.mlp_hidden:
                mods += [nn.Linear(cin, width)] + ([nn.BatchNorm1d(width)] if cfg.batch_norm else []) + \
                    [nn.ReLU(inplace=True)]
                if cfg.dropout > 0:
                    mods.append(nn.Dropout(cfg.dropout))
                cin = width
            mods.append(nn.Linear(cin, 3 * j))
            self.mlp = nn.Sequential(*mods)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        j = self.skeleton.num_joints
        if feat.dim() != 3 or feat.shape[1:] != (j, self.in_channels):
            raise HuporError(f"RefineNet input: expected (B, {j}, {self.in_channels}), got {tuple(feat.shape)}")
        if self.cfg.kind == "mlp":
            return self.mlp(feat.reshape(feat.shape[0], -1)).reshape(-1, j, 3)
        h = self.input(feat)
        for i in range(0, len(self.layers), 2):
            h = h + self.layers[i + 1](self.layers[i](h))
        return self.output(h)


def refine_features(joints_net, joints_cam_cm, detected, root: int, hint=None) -> np.ndarray:
    """RefineNet input (N, J, 5) float32 (method §9).

    ``joints_net`` (N, J, 2) network-input px; ``joints_cam_cm`` (N, J, 3) camera frame, **cm**;
    ``detected`` (N, J) bool; ``root`` joint index. Root row: absolute (u, v, X, Y, Z); other detected
    joints: offsets from the root; undetected joints: zeros. A person whose root is not detected gets
    all-zero features (such people are not refined, see :func:`apply_refiner`). ``hint`` (N, J) bool
    (a model with ``hint_channel``): which detected joints are only low-score hints; a sixth channel
    holds 1 there (N, J, 6).
    """
    uv = np.asarray(joints_net, dtype=np.float32)
    xyz = np.asarray(joints_cam_cm, dtype=np.float32)
    det = np.asarray(detected, dtype=bool)
    if uv.ndim != 3 or uv.shape[-1] != 2:
        raise HuporError(f"refine_features: joints_net must be (N, J, 2), got {uv.shape}")
    if xyz.shape != uv.shape[:2] + (3,) or det.shape != uv.shape[:2]:
        raise HuporError(f"refine_features: shapes {uv.shape}, {xyz.shape}, {det.shape} do not match")
    if not 0 <= root < uv.shape[1]:
        raise HuporError(f"refine_features: root {root} out of range for {uv.shape[1]} joints")
    f = np.concatenate([uv, xyz], axis=-1)
    if not np.isfinite(f[det]).all():
        raise HuporError("refine_features: non-finite coordinates at detected joints")
    out = f - f[:, root:root + 1]
    out[:, root] = f[:, root]
    out[~det] = 0.0
    out[~det[:, root]] = 0.0
    if hint is not None:
        h = (np.asarray(hint, bool) & det).astype(np.float32)
        h[~det[:, root]] = 0.0
        out = np.concatenate([out, h[..., None]], -1)
    return out.astype(np.float32)


def reads_hint_channel(refiner) -> bool:
    """Whether ``refiner`` takes the hint channel (``RefinerConfig.hint_channel``)."""
    return bool(getattr(getattr(refiner, "cfg", None), "hint_channel", False))


def apply_refiner(refiner: RefineNet, joints_net, joints_3d_mm, detected, root: int | None = None,
                  batch_size: int = 1024, hint=None) -> tuple[np.ndarray, np.ndarray]:
    """Refine people: returns ``(joints_3d_mm (N, J, 3), refined (N,) bool)``.

    ``joints_3d_mm`` camera-frame mm (undetected joints arbitrary); ``hint`` (N, J) bool: detected joints
    that are low-score hints (read only by a refiner with ``hint_channel``). For people with a detected root the
    result is RefineNet's root-relative prediction plus the input root, for **all** joints (the root
    itself is kept); other people are returned unchanged. Runs in eval mode without gradients.
    """
    root = refiner.skeleton.root if root is None else root
    xyz_mm = np.asarray(joints_3d_mm, dtype=np.float32)
    det = np.asarray(detected, dtype=bool)
    out = xyz_mm.copy()
    if len(out) == 0:
        return out, np.zeros(0, bool)
    reads_hints = reads_hint_channel(refiner)
    if reads_hints and hint is None:
        hint = np.zeros(det.shape, bool)
    feat = refine_features(joints_net, xyz_mm / MM_PER_CM, det, root, hint if reads_hints else None)
    ok = det[:, root]
    if not ok.any():
        return out, ok
    was_training = refiner.training
    refiner.eval()
    device = next(refiner.parameters()).device
    preds = []
    try:
        with torch.no_grad():
            sel = torch.from_numpy(feat[ok])
            for i in range(0, len(sel), batch_size):
                preds.append(refiner(sel[i:i + batch_size].to(device)).cpu().numpy())
    finally:
        refiner.train(was_training)
    rel_cm = np.concatenate(preds).astype(np.float32)
    rel_cm[:, root] = 0.0
    out[ok] = rel_cm * MM_PER_CM + xyz_mm[ok][:, root:root + 1]
    return out, ok
