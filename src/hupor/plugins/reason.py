"""The reasoning module inserted into the 2D plug-ins (supplement §1.2, §1.3): a one-stack DSED (or
"Reason (Hg)") between the base network and its decoder, reusing :class:`hupor.nets.DSED` and
:func:`hupor.nets.dsed_loss` unchanged.

The reasoner works in the plug-in joint set as a :class:`hupor.skeleton.Skeleton`
(:func:`plugin_skeleton`: the set's joints, its limbs, a flip table) on maps57 at stride 4 in the
codec's raw scale (heatmaps × 255, limb vectors × 127, so the paper's loss weights carry over); the
z channels are zero and masked out of the loss, as for HUPOR's 2D-only data.

* **HigherHRNet**: input = the 1/4 heatmaps and the PAF branch's limb fields; the reasoner's
  heatmaps replace the 1/4 heatmaps, the 1/2 heatmaps become max(base 1/2, upsampled reasoner), the
  tags stay the base network's (method.md §12 [PROP]).
* **PifPaf**: input = the PIF's high-resolution confidence maps at stride 4 and the PAF (CAF)
  fields as 2D limb fields (confidence × unit vector from the first joint's to the second joint's
  vector end; our DSED's limb channels are 2D vectors, so the 7-channel CAF is summarised);
  the decoder seeds from and snaps to the reasoner's maps and associates with the base CAF.

Labels (:func:`reasoner_targets`): all-joint and occluded-only maps57 at stride 4 (Gaussian σ 2 px,
limb width 1 px, one level repeated for every decoder unit; "occ" as the codec's: occluded joints,
limbs with both joints labelled and one occluded), teacher = the all-joint maps.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from ..codec.encode import gaussian_heatmaps
from ..codec.grid import net_to_out
from ..codec.layout import det_to_maps57, maps57_to_det
from ..skeleton import JOINT_SETS, MPI15, Skeleton
from .config import LIMBS

HEAT_PEAK, PAF_SCALE = 255.0, 127.0   # the codec's raw scale
REASON_STRIDE = 4
LEVELS = 5


@lru_cache(maxsize=None)
def plugin_skeleton(joints: str) -> Skeleton:
    """The plug-in joint set as a Skeleton: limbs :data:`~.config.LIMBS`, flip by the l_/r_ names,
    root the neck (or the first joint), torso the shoulders and hips present; bone lengths (the
    HUPOR grouping prior, unused by the 2D decoders) from the MPI15 bones of the same names, else 30."""
    js = JOINT_SETS[joints]
    names = js.joints
    flip = tuple(names.index(n.replace("l_", "r_", 1) if n.startswith("l_") else
                             n.replace("r_", "l_", 1) if n.startswith("r_") else n) for n in names)
    mpi_len = {frozenset((MPI15.joints[a], MPI15.joints[b])): length
               for (a, b), length in zip(MPI15.limbs, MPI15.bone_length_cm)}
    bones = tuple(mpi_len.get(frozenset((names[a], names[b])), 30.0) for a, b in LIMBS[joints])
    torso = tuple(names.index(n) for n in ("neck", "head", "l_shoulder", "r_shoulder", "l_hip", "r_hip")
                  if n in names)
    root = names.index("neck") if "neck" in names else 0
    return Skeleton(name=joints, joints=names, limbs=tuple(LIMBS[joints]), flip=flip, root=root,
                    torso=torso, bone_length_cm=bones)


def fields_to_maps57(heat: torch.Tensor, paf: torch.Tensor) -> torch.Tensor:
    """(B, J, h, w) heatmaps in [0, 1] and (B, 2L, h, w) limb vectors → maps57 (B, J+3L, h, w) raw
    scale, z = 0."""
    z = heat.new_zeros((heat.shape[0], paf.shape[1] // 2) + heat.shape[-2:])
    return det_to_maps57(torch.cat([heat * HEAT_PEAK, paf * PAF_SCALE], 1), z)


def maps57_to_fields(maps57: torch.Tensor, skeleton: Skeleton) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of :func:`fields_to_maps57`: (heatmaps in [0, 1]-scale, limb vectors)."""
    m2d, _ = maps57_to_det(maps57, skeleton)
    j = skeleton.num_joints
    return m2d[:, :j] / HEAT_PEAK, m2d[:, j:] / PAF_SCALE


def caf_limb_fields(paf_c: torch.Tensor, paf_vec: torch.Tensor) -> torch.Tensor:
    """PifPaf's CAF (confidence (B, L, h, w), vectors (B, L, 2, 2, h, w)) → (B, 2L, h, w) limb fields:
    confidence × the unit vector from the first vector's end to the second's."""
    d = paf_vec[:, :, 1] - paf_vec[:, :, 0]
    u = d / d.norm(dim=2, keepdim=True).clamp(min=1e-6)
    return (u * paf_c[:, :, None]).flatten(1, 2)


def base_maps(method: str, net, out, limbs: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The base network's (heatmaps, limb fields) at stride 4 for the reasoner (no gradient);
    ``limbs=False``: the heatmaps alone (limb fields None), e.g. for the joint states without a reasoner."""
    if method == "higherhrnet":
        return out.heatmaps.clamp(0, 1), out.pafs
    from .fields import pif_hr
    from .pifpaf import fields

    f = {k: v.detach().cpu().numpy() for k, v in fields(out).items()}
    up = net.stride // REASON_STRIDE
    hr = np.stack([pif_hr(f["pif_c"][i], f["pif_vec"][i], f["pif_scale"][i], upscale=up)
                   for i in range(len(f["pif_c"]))])
    heat = torch.as_tensor(np.minimum(hr, 1.0), dtype=out.pif.dtype, device=out.pif.device)
    if not limbs:
        return heat, None
    limb = caf_limb_fields(torch.sigmoid(out.paf[:, :, 0]), out.paf[:, :, 1:5].unflatten(2, (2, 2)))
    return heat, F.interpolate(limb, scale_factor=up, mode="bilinear", align_corners=False)


def reasoner_targets(joints_net: np.ndarray, visibility: np.ndarray, joints: str, net_w: int, net_h: int,
                     sigma: float = 2.0) -> dict[str, np.ndarray]:
    """``all`` / ``occ`` (LEVELS, J+3L, h, w) maps57 raw scale at stride 4, ``teacher`` (J+3L, h, w) =
    the all-joint maps, ``valid`` (J+3L,) with the z channels 0. Joints in network-input px."""
    from .data import paf2d_targets

    xy = np.asarray(joints_net, np.float64)
    vis = np.asarray(visibility)
    js, limbs = JOINT_SETS[joints], LIMBS[joints]
    h, w = net_h // REASON_STRIDE, net_w // REASON_STRIDE
    uv = net_to_out(xy, REASON_STRIDE)
    out = {}
    la, lb = vis[:, [a for a, _ in limbs]], vis[:, [b for _, b in limbs]]
    both = (la >= 1) & (lb >= 1)
    for name, use, limb_use in (("all", vis >= 1, both), ("occ", vis == 1, both & ((la == 1) | (lb == 1)))):
        k = np.nonzero(use)
        heat = gaussian_heatmaps(uv[k], k[1], js.num_joints, sigma, h, w)
        paf = paf2d_targets(xy, use, limbs, REASON_STRIDE, net_w, net_h, limb_use=limb_use)
        m57 = fields_to_maps57(torch.from_numpy(heat)[None], torch.from_numpy(paf)[None])[0].numpy()
        out[name] = np.repeat(m57[None], LEVELS, 0)
    valid = np.ones(js.num_joints + 3 * len(limbs), np.float32)
    valid[js.num_joints + 2::3] = 0.0
    out["teacher"] = out["all"][0].copy()
    out["valid"] = valid
    return out
