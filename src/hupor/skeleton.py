"""Skeleton metadata: the one object that codec, networks, decoder, painter and checkpoints share.

MPI15 is the canonical skeleton (method.md §2, data-and-eval.md §1.3). Other joint sets (COCO-17,
CrowdPose-14, H36M-17, MuPoTS-17) are described by :class:`JointSet` with a documented mapping to and
from MPI15 (data-and-eval.md §1.5).

Map channel layouts derived from a skeleton with J joints and P limbs:

* detector 2D head: ``J + 2P`` channels ``[kpt_0..kpt_{J-1}, limb_0.x, limb_0.y, ..., limb_{P-1}.y]``
* detector / DSED z head: ``P`` channels (Z_B - Z_A per limb, cm)
* root-depth head: ``len(torso)`` channels, one per torso joint in :attr:`Skeleton.torso` order
* DSED layout ("maps57"): ``J + 3P`` channels ``[kpt_0..kpt_{J-1}, (x, y, z) per limb]``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .errors import HuporError


@dataclass(frozen=True)
class Skeleton:
    """A joint set with limbs (PAF pairs A→B), a flip table, a root and the torso joints.

    ``bone_length_cm`` holds statistical bone lengths in limb order (cm) for the grouping prior.
    """

    name: str
    joints: tuple[str, ...]
    limbs: tuple[tuple[int, int], ...]
    flip: tuple[int, ...]
    root: int
    torso: tuple[int, ...]
    bone_length_cm: tuple[float, ...]
    version: int = 1

    def __post_init__(self):
        j = len(self.joints)
        if sorted(self.flip) != list(range(j)):
            raise HuporError(f"skeleton {self.name}: flip table is not a permutation of {j} joints")
        if len(self.bone_length_cm) != len(self.limbs):
            raise HuporError(f"skeleton {self.name}: need one bone length per limb")
        for a, b in self.limbs:
            if not (0 <= a < j and 0 <= b < j):
                raise HuporError(f"skeleton {self.name}: limb ({a}, {b}) out of range")

    # -- sizes -------------------------------------------------------------------------------
    @property
    def num_joints(self) -> int:
        return len(self.joints)

    @property
    def num_limbs(self) -> int:
        return len(self.limbs)

    @property
    def num_2d_channels(self) -> int:
        """Detector 2D head width: heatmaps + PAF x/y (43 for MPI15)."""
        return self.num_joints + 2 * self.num_limbs

    @property
    def num_map_channels(self) -> int:
        """DSED layout width: heatmaps + PAF x/y/z (57 for MPI15)."""
        return self.num_joints + 3 * self.num_limbs

    # -- flips -------------------------------------------------------------------------------
    @cached_property
    def limb_flip(self) -> tuple[int, ...]:
        """Limb permutation under a horizontal flip (limb k ↔ limb limb_flip[k])."""
        index = {ab: k for k, ab in enumerate(self.limbs)}
        out = []
        for a, b in self.limbs:
            fa, fb = self.flip[a], self.flip[b]
            if (fa, fb) not in index:
                raise HuporError(f"skeleton {self.name}: limb ({a},{b}) has no mirror limb")
            out.append(index[(fa, fb)])
        return tuple(out)

    @cached_property
    def paf_flip(self) -> tuple[int, ...]:
        """Channel permutation of the 2P PAF-xy channels under a flip (method §2)."""
        return tuple(c for k in self.limb_flip for c in (2 * k, 2 * k + 1))

    # -- kinematic chain ---------------------------------------------------------------------
    @cached_property
    def chain(self) -> tuple[tuple[int, int, int, int], ...]:
        """Depth-chaining order from the root: tuples (limb k, src, dst, sign).

        ``Z[dst] = Z[src] + sign * d_k`` where ``d_k = Z_B - Z_A`` of limb k. Breadth-first from the
        root, so each ``src`` is known before it is used (for MPI15: pelvis→neck via limb 1 reversed,
        then neck→head via limb 0, then limbs 2..13; method §8.7).
        """
        known = {self.root}
        order = []
        pending = list(range(self.num_limbs))
        while pending:
            progressed = False
            for k in list(pending):
                a, b = self.limbs[k]
                if a in known and b not in known:
                    order.append((k, a, b, 1))
                elif b in known and a not in known:
                    order.append((k, b, a, -1))
                else:
                    continue
                known.update((a, b))
                pending.remove(k)
                progressed = True
                break  # restart so the earliest limb connected to the known set goes first
            if not progressed:
                raise HuporError(f"skeleton {self.name}: limbs do not form a tree from the root")
        return tuple(order)

    @cached_property
    def parents(self) -> tuple[int, ...]:
        """Parent joint of each joint in the tree rooted at :attr:`root` (root's parent = -1)."""
        par = [-1] * self.num_joints
        for _, src, dst, _ in self.chain:
            par[dst] = src
        return tuple(par)

    def to_dict(self) -> dict:
        """JSON-safe description (stored in checkpoints and outputs)."""
        return {
            "name": self.name,
            "version": self.version,
            "joints": list(self.joints),
            "limbs": [list(ab) for ab in self.limbs],
            "flip": list(self.flip),
            "root": self.root,
            "torso": list(self.torso),
            "bone_length_cm": list(self.bone_length_cm),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Skeleton":
        try:
            return cls(
                name=str(d["name"]),
                joints=tuple(d["joints"]),
                limbs=tuple(tuple(int(i) for i in ab) for ab in d["limbs"]),
                flip=tuple(int(i) for i in d["flip"]),
                root=int(d["root"]),
                torso=tuple(int(i) for i in d["torso"]),
                bone_length_cm=tuple(float(x) for x in d["bone_length_cm"]),
                version=int(d.get("version", 1)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise HuporError(f"skeleton metadata: bad or missing field ({exc})") from None


MPI15 = Skeleton(
    name="mpi15",
    joints=(
        "neck", "head_top", "pelvis", "l_shoulder", "l_elbow", "l_wrist", "l_hip", "l_knee",
        "l_ankle", "r_shoulder", "r_elbow", "r_wrist", "r_hip", "r_knee", "r_ankle",
    ),
    limbs=(
        (0, 1), (0, 2), (0, 9), (9, 10), (10, 11), (0, 3), (3, 4), (4, 5),
        (2, 12), (12, 13), (13, 14), (2, 6), (6, 7), (7, 8),
    ),
    flip=(0, 1, 2, 9, 10, 11, 12, 13, 14, 3, 4, 5, 6, 7, 8),
    root=2,
    # root-depth channel order: neck, head, pelvis, L-sho, R-sho, L-hip, R-hip (method §1.1)
    torso=(0, 1, 2, 3, 9, 6, 12),
    bone_length_cm=(26.42, 48.37, 14.88, 31.28, 23.92, 14.98, 31.28, 23.92, 12.46, 48.27, 39.04,
                    12.46, 48.19, 39.04),
)


SKELETONS = {"mpi15": MPI15}


def get_skeleton(name: str) -> Skeleton:
    try:
        return SKELETONS[name.lower()]
    except KeyError:
        raise HuporError(f"unknown skeleton {name!r}; known: {', '.join(SKELETONS)}") from None


@dataclass(frozen=True)
class JointSet:
    """A foreign joint set and its mapping to MPI15.

    ``to_mpi15[i]`` is the index in this set of MPI15 joint i, or -1 where the joint is synthesised
    (see :func:`to_mpi15`) or absent. ``from_mpi15[i]`` is the MPI15 index of this set's joint i, or -1
    where MPI15 has no such joint.
    """

    name: str
    joints: tuple[str, ...]
    to_mpi15: tuple[int, ...]
    from_mpi15: tuple[int, ...] = field(default=())
    sigmas: tuple[float, ...] = field(default=())  # OKS sigmas, where the set has official ones

    @property
    def num_joints(self) -> int:
        return len(self.joints)


COCO17 = JointSet(
    name="coco17",
    joints=("nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow",
            "r_elbow", "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle",
            "r_ankle"),
    # neck and pelvis are synthesised (data-and-eval §1.4); head_top has no COCO annotation
    to_mpi15=(-1, -1, -1, 5, 7, 9, 11, 13, 15, 6, 8, 10, 12, 14, 16),
    from_mpi15=(-1, -1, -1, -1, -1, 3, 9, 4, 10, 5, 11, 6, 12, 7, 13, 8, 14),
    sigmas=(0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.107,
            0.107, 0.087, 0.087, 0.089, 0.089),
)

CROWDPOSE14 = JointSet(
    name="crowdpose14",
    joints=("l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist", "l_hip",
            "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle", "head", "neck"),
    to_mpi15=(13, 12, -1, 0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11),  # pelvis = mid-hip
    from_mpi15=(3, 9, 4, 10, 5, 11, 6, 12, 7, 13, 8, 14, 1, 0),
    sigmas=(0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.107, 0.107, 0.087, 0.087, 0.089, 0.089,
            0.079, 0.079),
)

MUPOTS17 = JointSet(
    name="mupots17",
    joints=("head_top", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow",
            "l_wrist", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "pelvis",
            "spine", "head"),
    to_mpi15=(1, 0, 14, 5, 6, 7, 11, 12, 13, 2, 3, 4, 8, 9, 10),
    from_mpi15=(1, 0, 9, 10, 11, 3, 4, 5, 12, 13, 14, 6, 7, 8, 2, -1, -1),
)

H36M17 = JointSet(
    name="h36m17",
    joints=("pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "spine",
            "thorax", "nose", "head_top", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder",
            "r_elbow", "r_wrist"),
    # MPI15 neck = H36M thorax (8); MPI15 head_top = H36M head (10)
    to_mpi15=(8, 10, 0, 11, 12, 13, 4, 5, 6, 14, 15, 16, 1, 2, 3),
    from_mpi15=(2, 12, 13, 14, 6, 7, 8, -1, 0, -1, 1, 3, 4, 5, 9, 10, 11),
)

JOINT_SETS = {s.name: s for s in (COCO17, CROWDPOSE14, MUPOTS17, H36M17)}


def to_mpi15(points: np.ndarray, vis: np.ndarray, joint_set: JointSet) -> tuple[np.ndarray, np.ndarray]:
    """Map (..., Js, D) points and (..., Js) visibility of ``joint_set`` to MPI15 (..., 15, D).

    Joints marked -1 in ``to_mpi15`` are synthesised where the set allows it: the pelvis as the
    mid-hip (visibility = min of the hips) and, for COCO, the neck as
    ``mid_shoulder + 0.185 (mid_shoulder - mid_hip)`` with visibility min(pelvis, shoulders)
    (data-and-eval.md §1.4). Other missing joints come out zero with v = 0.
    """
    points = np.asarray(points, dtype=np.float64)
    vis = np.asarray(vis)
    if points.shape[-2] != joint_set.num_joints or vis.shape[-1] != joint_set.num_joints:
        raise HuporError(f"{joint_set.name}: expected {joint_set.num_joints} joints, "
                         f"got {points.shape[-2]}")
    out = np.zeros(points.shape[:-2] + (15, points.shape[-1]))
    out_v = np.zeros(vis.shape[:-1] + (15,), dtype=np.int64)
    for m, s in enumerate(joint_set.to_mpi15):
        if s >= 0:
            out[..., m, :] = points[..., s, :]
            out_v[..., m] = vis[..., s]
    if joint_set.to_mpi15[2] < 0:  # pelvis = mid-hip
        out[..., 2, :] = 0.5 * (out[..., 6, :] + out[..., 12, :])
        out_v[..., 2] = np.minimum(out_v[..., 6], out_v[..., 12])
    if joint_set.to_mpi15[0] < 0:  # neck extrapolated from shoulders and hips (COCO rule)
        mid_sho = 0.5 * (out[..., 3, :] + out[..., 9, :])
        out[..., 0, :] = mid_sho + 0.185 * (mid_sho - out[..., 2, :])
        out_v[..., 0] = np.minimum(out_v[..., 2], np.minimum(out_v[..., 3], out_v[..., 9]))
    missing = (out_v == 0)[..., None]
    out = np.where(missing, 0.0, out)
    return out, out_v


def from_mpi15(points: np.ndarray, joint_set: JointSet) -> np.ndarray:
    """Map MPI15 (..., 15, D) points into ``joint_set`` order; joints MPI15 lacks come out NaN."""
    points = np.asarray(points, dtype=np.float64)
    if points.shape[-2] != 15:
        raise HuporError(f"expected 15 MPI15 joints, got {points.shape[-2]}")
    idx = np.asarray(joint_set.from_mpi15)
    out = points[..., np.clip(idx, 0, None), :].copy()
    out[..., idx < 0, :] = np.nan
    return out


def joint_boxes(xy: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(N, 4) x0, y0, x1, y1 over each person's ``valid`` (N, J) joints of ``xy`` (N, J, 2); NaN for
    a person without one."""
    xy = np.asarray(xy, np.float64)
    ok = np.asarray(valid, bool)
    x = np.where(ok, xy[..., 0], np.nan)
    y = np.where(ok, xy[..., 1], np.nan)
    out = np.full((len(xy), 4), np.nan)
    has = ok.any(1)
    if has.any():
        out[has] = np.stack([np.nanmin(x[has], 1), np.nanmin(y[has], 1), np.nanmax(x[has], 1),
                             np.nanmax(y[has], 1)], 1)
    return out


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` (..., D) scaled to unit length along the last axis (zero vectors stay zero)."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-9, n, 1.0)


def body_axes(joints_3d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit ``(up, left, forward)`` (N, 3) of MPI15 people (N, 15, 3): up = pelvis → neck, left =
    right hip → left hip, forward = left × up (the facing direction)."""
    j = np.asarray(joints_3d, np.float64)
    m = {name: i for i, name in enumerate(MPI15.joints)}
    up = unit(j[:, m["neck"]] - j[:, m["pelvis"]])
    left = unit(j[:, m["l_hip"]] - j[:, m["r_hip"]])
    return up, left, unit(np.cross(left, up))
