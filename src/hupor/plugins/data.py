"""Training samples of the 2D plug-in networks: records with images → augmented image + the method's
targets in the plug-in joint set (CrowdPose-14 by default; MPI15 records are mapped with
:func:`hupor.skeleton.from_mpi15`).

Augmentation and letterboxing are the detector's (:mod:`hupor.data.transforms`), so the 2D methods
see exactly what the HUPOR detector sees. ``visible_only`` (the plug-ins' first stage, supplement
§1.2/§1.3: the base network learns the visible keypoints) keeps v = 2 joints only.

Item keys: ``image`` uint8 (3, H, W) BGR; PifPaf: :class:`~.fields.PifPafTargets` fields (float32);
HigherHRNet: ``heat_lo`` (J, H/4, W/4), ``heat_hi`` (J, H/2, W/2), ``joints`` (M, J, 3) int64 tag
positions (row, col at 1/4, valid; ``max_people`` rows, padding rows all 0) and ``paf`` (2·L, H/4,
W/4) unit limb vectors (the PAF branch's target). With ``reason=True`` (the reasoner stage) the
targets are instead :func:`~.reason.reasoner_targets` (``all``, ``occ``, ``teacher``, ``valid``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from ..codec.grid import net_to_out
from ..data.datasets import DetectorDataset, _key
from ..data.transforms import AugmentConfig, sample_transform, transform_joints
from ..errors import HuporError
from ..records import RecordSet
from ..skeleton import JOINT_SETS, from_mpi15
from .ae import higher_targets
from .config import LIMBS
from .fields import pifpaf_targets

PLUGIN_METHODS = ("higherhrnet", "pifpaf")


def paf2d_targets(joints_net: np.ndarray, use: np.ndarray, limbs, stride: int, net_w: int, net_h: int,
                  width: float = 1.0, limb_use: np.ndarray | None = None) -> np.ndarray:
    """(2·L, H/stride, W/stride) float32: per limb the unit vector a → b on the cells within
    ``width`` output px of the segment of each person with both joints in ``use`` (N, J) (or the
    limbs in ``limb_use`` (N, L)), averaged where people overlap (OpenPose's PAF, the HigherHRNet
    PAF branch's target)."""
    h, w = net_h // stride, net_w // stride
    uv = net_to_out(np.nan_to_num(np.asarray(joints_net, np.float64)), stride)
    r, c = np.mgrid[0:h, 0:w]
    grid = np.stack([c, r], -1).astype(np.float64)
    out = np.zeros((len(limbs), 2, h, w))
    count = np.zeros((len(limbs), h, w))
    for li, (a, b) in enumerate(limbs):
        for p in np.flatnonzero(use[:, a] & use[:, b] if limb_use is None else limb_use[:, li]):
            ab = uv[p, b] - uv[p, a]
            n = float(np.linalg.norm(ab))
            if n < 1e-6:
                continue
            t = np.clip(((grid - uv[p, a]) @ ab) / (n * n), 0.0, 1.0)
            on = np.linalg.norm(grid - (uv[p, a] + t[..., None] * ab), axis=-1) < width
            out[li][:, on] += (ab / n)[:, None]
            count[li][on] += 1
    out /= np.maximum(count, 1)[:, None]
    return out.reshape(-1, h, w).astype(np.float32)


class PluginDataset(Dataset):
    """Samples of ``method`` (``higherhrnet`` or ``pifpaf``) from MPI15 records with images."""

    def __init__(self, records: RecordSet, method: str, joints: str, net_w: int, net_h: int,
                 augment: AugmentConfig | None = None, visible_only: bool = True, max_people: int = 20,
                 stride: int = 8, reason: bool = False):
        if method not in PLUGIN_METHODS:
            raise HuporError(f"plug-in method: one of {', '.join(PLUGIN_METHODS)}, got {method!r}")
        if records.skeleton.name != "mpi15":
            raise HuporError(f"plug-in training: records must use the mpi15 skeleton, got {records.skeleton.name}")
        self.records, self.method, self.augment = records, method, augment
        self.joint_set, self.limbs = JOINT_SETS[joints], LIMBS[joints]
        self.net_w, self.net_h = int(net_w), int(net_h)
        self.visible_only, self.max_people, self.stride = visible_only, int(max_people), int(stride)
        self.reason, self.joint_name = reason, joints
        self._images = DetectorDataset(records, None)

    def __len__(self) -> int:
        return len(self.records)

    def joints(self, rec, t) -> tuple[np.ndarray, np.ndarray]:
        """(N, J, 2) network-input px and (N, J) visibility in the plug-in joint set."""
        j2, _, vis = transform_joints(rec, t, self.records.skeleton)
        kp = from_mpi15(np.concatenate([j2, vis[..., None].astype(np.float64)], -1), self.joint_set)
        v = np.nan_to_num(kp[..., 2]).astype(np.int64)
        v[~np.isfinite(kp[..., :2]).all(-1)] = 0
        return np.nan_to_num(kp[..., :2]), v

    def __getitem__(self, i) -> dict:
        i, rng = _key(i)
        rec = self.records[i]
        t = sample_transform(rec.width, rec.height, self.net_w, self.net_h, self.augment, rng, rec.has_3d)
        image = t.image(self._images.load_image(rec))
        xy, vis = self.joints(rec, t)
        item = {"image": torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))}
        if self.reason:
            from .reason import reasoner_targets

            tg = reasoner_targets(xy, vis, self.joint_name, self.net_w, self.net_h)
            item.update({k: torch.from_numpy(v.astype(np.float32)) for k, v in tg.items()})
            return item
        if self.method == "pifpaf":
            tg = pifpaf_targets(xy, vis, self.net_w, self.net_h, self.stride, self.limbs, self.joint_set.sigmas,
                                visible_only=self.visible_only)
            item.update({k: torch.from_numpy(getattr(tg, k).astype(np.float32))
                         for k in ("pif_c", "pif_vec", "pif_scale", "paf_c", "paf_vec")})
            return item
        tg = higher_targets(xy, vis, self.net_w, self.net_h, visible_only=self.visible_only)
        joints = np.zeros((self.max_people, len(self.joint_set.joints), 3), np.int64)
        keep = tg.joints[tg.joints[..., 2].any(-1)][: self.max_people]
        joints[: len(keep)] = keep
        use = (vis == 2) if self.visible_only else (vis >= 1)
        item.update({"heat_lo": torch.from_numpy(tg.heat_lo.astype(np.float32)),
                     "heat_hi": torch.from_numpy(tg.heat_hi.astype(np.float32)),
                     "joints": torch.from_numpy(joints),
                     "paf": torch.from_numpy(paf2d_targets(xy, use, self.limbs, 4, self.net_w, self.net_h))})
        return item
