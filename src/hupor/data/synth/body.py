"""Capsule bodies, occluder shapes and exact ray intersections (the geometry both the renderer and
the occlusion labels use, so the two agree by construction).

A person is 17 capsules (a sphere is a capsule with equal ends): head, neck, spine, left and right
torso sides, upper arms, forearms, hands, thighs, shins and feet, built from the MPI15 joints plus
the extra points of :mod:`.mocap`. Radii are those of the DeepMimic humanoid's collision shapes
(about), times the person's scale. Occluders are pillars (vertical capsules) and oriented boxes.

Rays leave the camera centre with direction ``d = ((u - cx) / fx, (v - cy) / fy, 1)``, so the ray
parameter ``t`` of a hit is its camera depth ``Z`` in mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: (name, point a, point b, radius in m for the unscaled humanoid, material)
#: materials: 0 skin, 1 shirt, 2 trousers, 3 shoes, 4 sleeve (shirt or skin per person)
PARTS = (
    ("head", 15, 15, 0.11, 0),  # head top (0.105 m above the centre) stays inside
    ("neck", 0, 15, 0.055, 0),
    ("spine", 2, 0, 0.11, 1),
    ("l_torso", 6, -3, 0.075, 1),   # -3: 0.8 l_shoulder + 0.2 neck
    ("r_torso", 12, -9, 0.075, 1),  # -9: 0.8 r_shoulder + 0.2 neck
    ("l_upper_arm", 3, 4, 0.052, 1),
    ("l_forearm", 4, 5, 0.042, 4),
    ("l_hand", 5, 20, 0.045, 0),
    ("r_upper_arm", 9, 10, 0.052, 1),
    ("r_forearm", 10, 11, 0.042, 4),
    ("r_hand", 11, 21, 0.045, 0),
    ("l_thigh", 6, 7, 0.075, 2),
    ("l_shin", 7, 8, 0.055, 2),
    ("l_foot", 16, 17, 0.03, 3),
    ("r_thigh", 12, 13, 0.075, 2),
    ("r_shin", 13, 14, 0.055, 2),
    ("r_foot", 18, 19, 0.03, 3),
)
PART_NAMES = tuple(p[0] for p in PARTS)
NUM_PARTS = len(PARTS)
_PART_A = np.array([p[1] for p in PARTS])
_PART_B = np.array([p[2] for p in PARTS])
PART_RADIUS_M = np.array([p[3] for p in PARTS])
PART_MATERIAL = np.array([p[4] for p in PARTS])

_ADJ = {
    "neck": ("neck", "spine", "l_torso", "r_torso", "head"),
    "head_top": ("head", "neck"),
    "pelvis": ("spine", "l_torso", "r_torso", "l_thigh", "r_thigh"),
    "l_shoulder": ("l_torso", "spine", "l_upper_arm"),
    "l_elbow": ("l_upper_arm", "l_forearm"),
    "l_wrist": ("l_forearm", "l_hand"),
    "l_hip": ("l_torso", "spine", "l_thigh"),
    "l_knee": ("l_thigh", "l_shin"),
    "l_ankle": ("l_shin", "l_foot"),
}
_JOINTS = ("neck", "head_top", "pelvis", "l_shoulder", "l_elbow", "l_wrist", "l_hip", "l_knee",
           "l_ankle", "r_shoulder", "r_elbow", "r_wrist", "r_hip", "r_knee", "r_ankle")


def _adjacency() -> np.ndarray:
    adj = np.zeros((len(_JOINTS), NUM_PARTS), dtype=bool)
    for j, name in enumerate(_JOINTS):
        key = name.replace("r_", "l_", 1) if name.startswith("r_") else name
        for part in _ADJ[key]:
            if name.startswith("r_"):
                part = part.replace("l_", "r_", 1)
            adj[j, PART_NAMES.index(part)] = True
    return adj


#: (15, NUM_PARTS) bool: the body parts "near" each MPI15 joint (the part containing it or its
#: neighbours); a joint whose front-most surface is another own part is self-occluded.
JOINT_PARTS = _adjacency()


@dataclass
class Primitives:
    """All capsules of a scene (people first, then pillars) and all boxes.

    Capsules: a, b (C, 3) mm camera frame; radius (C,) mm; owner (C,) person index, or -2 for an
    occluder; part (C,) index into PARTS (-1 for occluders); colour (C, 3) BGR floats in [0, 1].
    Boxes: centre (B, 3) mm; axes (B, 3, 3) rows = box axes in the camera frame; half (B, 3) mm;
    box_colour (B, 3). Per person (N, 3) or None: ``hair`` colours the back and top of the head,
    ``chest`` a panel on the front of the torso (the cues that tell a person's front from their back,
    and so their left from their right; None: the head is skin all round, no panel).
    """

    a: np.ndarray
    b: np.ndarray
    radius: np.ndarray
    owner: np.ndarray
    part: np.ndarray
    colour: np.ndarray
    box_centre: np.ndarray
    box_axes: np.ndarray
    box_half: np.ndarray
    box_colour: np.ndarray
    hair: np.ndarray | None = None
    chest: np.ndarray | None = None

    @property
    def num_capsules(self) -> int:
        return int(self.a.shape[0])

    @property
    def num_boxes(self) -> int:
        return int(self.box_centre.shape[0])

    def forward(self) -> np.ndarray:
        """(N, 3) unit facing direction of each person, camera frame: left hip − right hip crossed
        with pelvis → neck (a person facing the camera gets about (0, 0, −1))."""
        n = int((self.owner >= 0).sum()) // NUM_PARTS
        a = self.a[: n * NUM_PARTS].reshape(n, NUM_PARTS, 3)
        b = self.b[: n * NUM_PARTS].reshape(n, NUM_PARTS, 3)
        left = a[:, PART_NAMES.index("l_torso")] - a[:, PART_NAMES.index("r_torso")]
        spine = PART_NAMES.index("spine")
        f = np.cross(left, b[:, spine] - a[:, spine])
        return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-9)


def person_capsules(points: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capsules of N people from points (N, NUM_POINTS, 3) mm and scale (N,).

    Returns a, b (N, NUM_PARTS, 3) and radius (N, NUM_PARTS) in mm.
    """
    pts = np.asarray(points, dtype=np.float64)
    a = pts[:, _PART_A]
    b_idx = np.abs(_PART_B)
    b = pts[:, b_idx]
    mixed = _PART_B < 0
    b[:, mixed] = 0.8 * b[:, mixed] + 0.2 * pts[:, [0]]
    radius = PART_RADIUS_M[None, :] * 1000.0 * np.asarray(scale, dtype=np.float64)[:, None]
    return a, b, radius


def ray_capsule(d: np.ndarray, a: np.ndarray, b: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Depth of the first hit of rays ``t * d`` (from the origin) on capsules, elementwise.

    d, a, b: (..., 3) broadcastable; r: (...). Returns t (...) with ``inf`` for a miss. The capsule is
    the union of a finite cylinder and two end spheres; its first hit is the least of theirs.
    """
    ba = b - a
    baba = np.einsum("...i,...i->...", ba, ba)
    bard = np.einsum("...i,...i->...", ba, d)
    baoa = -np.einsum("...i,...i->...", ba, a)
    rdoa = -np.einsum("...i,...i->...", d, a)
    oaoa = np.einsum("...i,...i->...", a, a)
    dd = np.einsum("...i,...i->...", d, d)
    r2 = r * r
    with np.errstate(divide="ignore", invalid="ignore"):
        qa = baba * dd - bard * bard
        qb = baba * rdoa - baoa * bard
        qc = baba * oaoa - baoa * baoa - r2 * baba
        h = qb * qb - qa * qc
        t_cyl = (-qb - np.sqrt(np.maximum(h, 0.0))) / qa
        y = baoa + t_cyl * bard
        ok = (h >= 0) & (qa > 1e-9 * baba * dd) & (y > 0) & (y < baba) & (t_cyl > 0)
        t = np.where(ok, t_cyl, np.inf)
        for c, cc in ((a, oaoa), (b, None)):
            dc = np.einsum("...i,...i->...", d, c)  # ray . centre
            cc = np.einsum("...i,...i->...", c, c) if cc is None else cc
            hs = dc * dc - dd * (cc - r2)
            ts = (dc - np.sqrt(np.maximum(hs, 0.0))) / dd
            t = np.where((hs >= 0) & (ts > 0) & (ts < t), ts, t)
    return t


def ray_box(d: np.ndarray, centre: np.ndarray, axes: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First hit of rays ``t * d`` on oriented boxes, elementwise (slab method).

    d (..., 3); centre (..., 3); axes (..., 3, 3) rows = box axes; half (..., 3). Returns t (...)
    (``inf`` on a miss) and the index (...) of the box axis whose face was hit.
    """
    o = -np.einsum("...ij,...j->...i", axes, centre)
    dl = np.einsum("...ij,...j->...i", axes, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / dl
        t1 = (-half - o) * inv
        t2 = (half - o) * inv
    t1 = np.nan_to_num(t1, nan=-np.inf)
    t2 = np.nan_to_num(t2, nan=np.inf)
    lo = np.minimum(t1, t2)
    hi = np.maximum(t1, t2)
    face = np.argmax(lo, axis=-1)
    tmin = np.max(lo, axis=-1)
    tmax = np.min(hi, axis=-1)
    hit = (tmax >= tmin) & (tmin > 0)
    return np.where(hit, tmin, np.inf), face


def capsule_bounds(a: np.ndarray, b: np.ndarray, r: np.ndarray, fx: float, fy: float, cx: float,
                   cy: float, near: float = 50.0) -> np.ndarray:
    """Conservative pixel bounds (C, 4) ``u0, v0, u1, v1`` of capsules (a, b (C, 3), r (C,)).

    Capsules reaching closer than ``near`` mm get infinite bounds.
    """
    lo = np.minimum(a, b) - r[:, None]
    hi = np.maximum(a, b) + r[:, None]
    return _box_to_pixels(lo, hi, fx, fy, cx, cy, near)


def box_bounds(centre: np.ndarray, axes: np.ndarray, half: np.ndarray, fx: float, fy: float,
               cx: float, cy: float, near: float = 50.0) -> np.ndarray:
    """Conservative pixel bounds (B, 4) of oriented boxes."""
    ext = np.einsum("bij,bi->bj", np.abs(axes), half)  # half extent along camera axes
    return _box_to_pixels(centre - ext, centre + ext, fx, fy, cx, cy, near)


def _box_to_pixels(lo, hi, fx, fy, cx, cy, near):
    z0, z1 = lo[:, 2], hi[:, 2]
    safe = z0 > near
    z0s = np.where(safe, z0, 1.0)
    out = np.empty((lo.shape[0], 4))
    for k, (f, c) in enumerate(((fx, cx), (fy, cy))):
        cand = np.stack([lo[:, k] / z0s, lo[:, k] / z1, hi[:, k] / z0s, hi[:, k] / z1], axis=1)
        out[:, k] = f * cand.min(axis=1) + c
        out[:, k + 2] = f * cand.max(axis=1) + c
    out[~safe] = (-np.inf, -np.inf, np.inf, np.inf)
    return out
