"""The capsule body as a differentiable parametric model (torch): shape β, pose θ, forward
kinematics, Skeleton2Pose (inverse kinematics) and a soft silhouette.

Parameters, beside SMPL's (β: 10 shape coefficients of a PCA mesh; θ: 24 × 3 axis-angle rotations,
each relative to its parent, including the twist about the bone):

* **shape β_c** (15,): the 14 bone lengths in mm (MPI15 tree order, :data:`BONES`) and the log of
  the radius scale (radii = the renderer's part radii × scale; :func:`radius_scale`);
* **pose θ_c** (14, 3): per bone the **swing**, an axis-angle rotation in the camera frame that turns
  the bone's rest direction (:data:`REST_DIRS`, a T-pose: up the trunk, arms sideways, legs down)
  into its direction. Rotations are global, not chained: a capsule is symmetric about its axis, so
  the twist that SMPL's θ (and HybrIK's twist-and-swing decomposition) carries is void here and the
  swing alone determines each bone;
* the **root** (3,): the pelvis in mm, camera frame.

:func:`forward_kinematics` builds the 15 joints from (θ, β, root); :func:`skeleton_to_pose` is the
exact inverse (bone lengths from the joints, swings from rest → bone direction), so
``forward_kinematics(*skeleton_to_pose(j)) == j`` to float precision. :func:`soft_silhouette`
renders the body's 14 bone capsules and its head as 2D capsules (end points projected, radius f·r/Z)
with a logistic edge of ``edge`` px and unions them, differentiably (the renderer's hands, feet and
torso sides are left out: a silhouette for fitting, not for labels).
"""

from __future__ import annotations

import torch

from ..errors import HuporError
from ..skeleton import MPI15

#: bones (parent, child) in tree order from the pelvis (MPI15 ``chain``)
BONES = tuple((src, dst) for _, src, dst, _ in MPI15.chain)
NUM_BONES = len(BONES)
NUM_SHAPE = NUM_BONES + 1

_J = {n: i for i, n in enumerate(MPI15.joints)}


def _rest_dir(src: int, dst: int) -> tuple[float, float, float]:
    """T-pose direction (camera frame of a person facing the camera: x right, y down, z forward)."""
    a, b = MPI15.joints[src], MPI15.joints[dst]
    side = 1.0 if "l_" in (a + b) else -1.0          # the person's left is the image's right
    if b in ("neck", "head_top"):
        return (0.0, -1.0, 0.0)
    if b.endswith("shoulder") or b.endswith("elbow") or b.endswith("wrist") or b.endswith("hip"):
        return (side, 0.0, 0.0)
    return (0.0, 1.0, 0.0)                           # knees, ankles: down


REST_DIRS = torch.tensor([_rest_dir(s, d) for s, d in BONES], dtype=torch.float64)
#: capsule radius per bone for the unscaled humanoid (m; the renderer's parts) and of the head
BONE_RADIUS_M = torch.tensor([{"neck": 0.11, "head_top": 0.055}.get(MPI15.joints[d], {
    "shoulder": 0.075, "elbow": 0.052, "wrist": 0.042, "hip": 0.075, "knee": 0.075, "ankle": 0.055}.get(
    MPI15.joints[d].split("_")[-1], 0.075)) for _, d in BONES], dtype=torch.float64)
HEAD_RADIUS_M = 0.11
RADIUS_SCALE_PER_BONE_MM = 2.5e-4      # the generator's scale per mm of summed bone length (capsule.py)


def axis_angle_to_matrix(v: torch.Tensor) -> torch.Tensor:
    """Rodrigues: (..., 3) axis-angle → (..., 3, 3)."""
    angle = v.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    k = v / angle
    kx, ky, kz = k.unbind(-1)
    zero = torch.zeros_like(kx)
    km = torch.stack([zero, -kz, ky, kz, zero, -kx, -ky, kx, zero], -1).reshape(*v.shape[:-1], 3, 3)
    s, c = torch.sin(angle)[..., None], torch.cos(angle)[..., None]
    eye = torch.eye(3, dtype=v.dtype, device=v.device).expand(km.shape)
    return eye + s * km + (1 - c) * (km @ km)


def swing(rest: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """Axis-angle (..., 3) of the shortest rotation taking unit ``rest`` to unit ``d``."""
    axis = torch.cross(rest.expand_as(d), d, dim=-1)
    s = axis.norm(dim=-1, keepdim=True)
    c = (rest * d).sum(-1, keepdim=True)
    angle = torch.atan2(s, c)
    fallback = torch.cross(rest.expand_as(d), torch.tensor([0.0, 0.0, 1.0], dtype=d.dtype, device=d.device)
                           .expand_as(d), dim=-1)          # d = -rest: any axis normal to rest
    axis = torch.where(s > 1e-9, axis / s.clamp(min=1e-12), fallback / fallback.norm(dim=-1, keepdim=True))
    return axis * angle


def forward_kinematics(pose: torch.Tensor, shape: torch.Tensor, root: torch.Tensor) -> torch.Tensor:
    """``pose`` (B, 14, 3) swings, ``shape`` (B, 15), ``root`` (B, 3) mm → joints (B, 15, 3) mm."""
    if pose.shape[-2:] != (NUM_BONES, 3) or shape.shape[-1] != NUM_SHAPE or root.shape[-1] != 3:
        raise HuporError(f"capsule body: pose (B, {NUM_BONES}, 3), shape (B, {NUM_SHAPE}), root (B, 3); got "
                         f"{tuple(pose.shape)}, {tuple(shape.shape)}, {tuple(root.shape)}")
    dirs = (axis_angle_to_matrix(pose) @ REST_DIRS.to(pose)[..., None])[..., 0]          # (B, 14, 3)
    bones = dirs * shape[..., :NUM_BONES, None]
    joints = [None] * MPI15.num_joints
    joints[MPI15.root] = root
    for k, (src, dst) in enumerate(BONES):
        joints[dst] = joints[src] + bones[:, k]
    return torch.stack(joints, 1)


def skeleton_to_pose(joints: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Skeleton2Pose: joints (B, 15, 3) mm → (pose (B, 14, 3), shape (B, 15), root (B, 3)); the radius
    scale is the generator's rule from the summed bone length."""
    src = joints[:, [s for s, _ in BONES]]
    dst = joints[:, [d for _, d in BONES]]
    vec = dst - src
    length = vec.norm(dim=-1)
    pose = swing(REST_DIRS.to(joints), vec / length[..., None].clamp(min=1e-9))
    log_r = torch.log(length.sum(-1, keepdim=True) * RADIUS_SCALE_PER_BONE_MM)
    return pose, torch.cat([length, log_r], -1), joints[:, MPI15.root]


def radius_scale(shape: torch.Tensor) -> torch.Tensor:
    """(B,) radius scale of a shape vector (its last entry is the log scale)."""
    return shape[..., NUM_BONES].exp()


def soft_silhouette(joints: torch.Tensor, shape: torch.Tensor, K, box, size: tuple[int, int],
                    edge: float = 1.0) -> torch.Tensor:
    """Soft silhouette (B, H, W) in [0, 1] of bodies ``joints`` (B, 15, 3) mm with ``shape``'s radius
    scale, in the crop ``box`` = (x0, y0, x1, y1) image px of intrinsics ``K`` (:class:`Intrinsics`),
    resampled to ``size`` = (W, H) pixels."""
    W, H = size
    x0, y0, x1, y1 = box
    sx, sy = (x1 - x0) / W, (y1 - y0) / H
    head = joints[:, _J["head_top"]] + 0.4 * (joints[:, _J["neck"]] - joints[:, _J["head_top"]])   # centre
    pts = torch.cat([joints, head[:, None]], 1)                                          # (B, 16, 3)
    uv = torch.stack([K.fx * pts[..., 0] / pts[..., 2] + K.cx, K.fy * pts[..., 1] / pts[..., 2] + K.cy], -1)
    uv = (uv - pts.new_tensor([x0, y0])) / pts.new_tensor([sx, sy])                      # crop px
    src = [s for s, _ in BONES] + [15]
    dst = [d for _, d in BONES] + [15]
    a, b = uv[:, src], uv[:, dst]
    z = 0.5 * (pts[:, src, 2] + pts[:, dst, 2])
    radius_m = torch.cat([BONE_RADIUS_M, BONE_RADIUS_M.new_tensor([HEAD_RADIUS_M])]).to(joints)
    r = K.fx * 1000.0 * radius_m * radius_scale(shape)[:, None] / z / sx                # (B, 15) px
    gy, gx = torch.meshgrid(torch.arange(H, dtype=joints.dtype, device=joints.device),
                            torch.arange(W, dtype=joints.dtype, device=joints.device), indexing="ij")
    p = torch.stack([gx, gy], -1).reshape(1, 1, -1, 2)                                  # (1, 1, HW, 2)
    ab = (b - a)[:, :, None]
    t = (((p - a[:, :, None]) * ab).sum(-1) / (ab * ab).sum(-1).clamp(min=1e-9)).clamp(0, 1)
    dist = (p - (a[:, :, None] + t[..., None] * ab)).norm(dim=-1)                        # (B, C, HW)
    occ = torch.sigmoid((r[..., None] - dist) / edge)
    return (1 - torch.prod(1 - occ, dim=1)).reshape(-1, H, W)
