"""Pose, body and camera augmentation of skeleton scenes for training the lifter (``hupor train
synth-pairs --augment``): the 20 DeepMimic clips stand, walk, run, jump and dance; real photos also
sit, crouch and bend, have other proportions and other cameras.

:func:`augment_record` changes each person's 3D joints (mm, camera frame) about its pelvis, which
stays put, then re-projects them with (possibly changed) intrinsics:

* **bone lengths**: each bone × a factor ~ N(1, ``bone_sigma``), the same for left and right, carried
  down the chain (children move with their parent);
* **postures** (each with its probability): *sit* (thighs 70–105° forward of straight down, shins
  −15–25° back of straight down), *crouch* (thighs 100–140°, shins 20–60°), *bend* (the upper body
  pitched forward 20–80° about the pelvis); the knees keep their sideways spread;
* **joint angles**: every bone below the torso turned about its parent joint by a random rotation of
  up to ``angle_max_deg`` (a random axis);
* **limb exchange**: an arm or a leg (its chain of bone vectors) taken from another person of the
  scene or of an earlier scene;
* **camera**: fx, fy × a factor log-uniform in ``focal_range``.

The occlusion labels are kept (v = 2 / 1 from the original ray casts), except that joints projected
outside the image or behind the camera become v = 0. "Forward" is the body's own:
``cross(up, left→right hip)`` with up = pelvis → neck (facing the camera it points at −z).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..camera import Intrinsics
from ..records import ImageRecord
from ..skeleton import MPI15

J = {n: i for i, n in enumerate(MPI15.joints)}
LEGS = ((J["l_hip"], J["l_knee"], J["l_ankle"]), (J["r_hip"], J["r_knee"], J["r_ankle"]))
ARMS = ((J["l_shoulder"], J["l_elbow"], J["l_wrist"]), (J["r_shoulder"], J["r_elbow"], J["r_wrist"]))
UPPER = (J["neck"], J["head_top"], J["l_shoulder"], J["l_elbow"], J["l_wrist"], J["r_shoulder"], J["r_elbow"],
         J["r_wrist"])


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities per person and ranges (see the module docstring)."""

    bone_sigma: float = 0.07
    p_sit: float = 0.15
    p_crouch: float = 0.08
    p_bend: float = 0.15
    p_angles: float = 0.5
    angle_max_deg: float = 20.0
    p_exchange: float = 0.2
    focal_range: tuple[float, float] = (0.6, 1.6)


def rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """3×3 rotation by ``angle`` rad about the unit ``axis`` (Rodrigues)."""
    a = np.asarray(axis, np.float64) / (np.linalg.norm(axis) + 1e-12)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * K @ K


def body_axes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(up, lateral left→right, forward) unit vectors of one person's joints (15, 3)."""
    up = x[J["neck"]] - x[J["pelvis"]]
    lat = x[J["r_hip"]] - x[J["l_hip"]]
    up = up / (np.linalg.norm(up) + 1e-9)
    lat = lat - up * (lat @ up)
    lat = lat / (np.linalg.norm(lat) + 1e-9)
    return up, lat, np.cross(up, lat)


def _swing(x: np.ndarray, joints, pivot: int, axis: np.ndarray, angle: float, toward: np.ndarray) -> None:
    """Rotate ``joints`` of ``x`` about ``pivot`` by ``angle`` about ``axis``, the sign chosen so the
    first joint moves toward ``toward`` (in place)."""
    p = x[pivot]
    v = x[joints[0]] - p
    R = rotation(axis, angle)
    if (R @ v - v) @ toward < 0:
        R = rotation(axis, -angle)
    x[list(joints)] = (x[list(joints)] - p) @ R.T + p


def scale_bones(x: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Each bone × N(1, sigma) (left = right), children carried along; the pelvis stays."""
    parents, flip = MPI15.parents, MPI15.flip
    f = np.clip(rng.normal(1.0, sigma, len(parents)), 0.75, 1.3)
    f = f[[min(j, flip[j]) for j in range(len(parents))]]          # the same factor left and right
    out = x.copy()
    for j in _topological(parents):
        p = parents[j]
        if p >= 0:
            out[j] = out[p] + f[j] * (x[j] - x[p])
    return out


def _topological(parents) -> list[int]:
    order, done = [], set()
    while len(order) < len(parents):
        for j, p in enumerate(parents):
            if j not in done and (p < 0 or p in done):
                order.append(j)
                done.add(j)
    return order


def augment_person(x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig, donor: np.ndarray | None = None) -> np.ndarray:
    """One person's joints (15, 3) mm → augmented joints (same pelvis)."""
    y = scale_bones(x, rng, cfg.bone_sigma)
    up, lat, fwd = body_axes(y)
    u = rng.random()
    if u < cfg.p_sit + cfg.p_crouch:
        # thigh: from straight down toward forward by the angle; shin: from straight down toward back
        thigh, shin = ((70, 105), (-15, 25)) if u < cfg.p_sit else ((100, 140), (20, 60))
        for hip, knee, ankle in LEGS:
            side = (y[knee] - y[hip]) @ lat
            a, b = np.radians(rng.uniform(*thigh)), np.radians(rng.uniform(*shin))
            lt, ls = np.linalg.norm(y[knee] - y[hip]), np.linalg.norm(y[ankle] - y[knee])
            d = np.cos(a) * -up + np.sin(a) * fwd
            d = d * np.sqrt(max(lt ** 2 - side ** 2, 0.0)) + side * lat
            y[knee] = y[hip] + d / (np.linalg.norm(d) + 1e-9) * lt
            y[ankle] = y[knee] + (np.cos(b) * -up - np.sin(b) * fwd) * ls
    if rng.random() < cfg.p_bend:
        _swing(y, UPPER, J["pelvis"], lat, np.radians(rng.uniform(20, 80)), fwd)
    if donor is not None and rng.random() < cfg.p_exchange:
        chain = (ARMS + LEGS)[rng.integers(4)]
        for a, b in zip(chain[:-1], chain[1:]):
            d = donor[b] - donor[a]
            # the donor's bone direction in its own body frame, put into this body's frame
            du, dl, df = body_axes(donor)
            yu, yl, yf = body_axes(y)
            local = np.array([d @ du, d @ dl, d @ df])
            seg = np.linalg.norm(y[b] - y[a])
            new = local[0] * yu + local[1] * yl + local[2] * yf
            shift = y[a] + new / (np.linalg.norm(new) + 1e-9) * seg - y[b]
            y[list(chain[chain.index(b):])] += shift
    if rng.random() < cfg.p_angles:
        for chain in ARMS + LEGS:
            for a, b in zip(chain[:-1], chain[1:]):
                axis = rng.normal(size=3)
                ang = np.radians(rng.uniform(0, cfg.angle_max_deg))
                rest = list(chain[chain.index(b):])
                y[rest] = (y[rest] - y[a]) @ rotation(axis, ang).T + y[a]
    return y


def augment_record(rec: ImageRecord, rng: np.random.Generator, cfg: AugmentConfig = AugmentConfig(),
                   donors: list | None = None) -> ImageRecord:
    """A skeleton scene with every person augmented and re-projected (see the module docstring);
    ``donors``: earlier people (15, 3) for limb exchange (appended to)."""
    if rec.num_persons == 0 or not rec.has_3d:
        return rec
    k = rec.intrinsics
    g = np.exp(rng.uniform(*np.log(cfg.focal_range)))
    intr = Intrinsics(k.fx * g, k.fy * g, k.cx, k.cy)
    x3 = rec.joints_3d.copy()
    pool = donors if donors is not None else []
    for p in range(len(x3)):
        donor = pool[rng.integers(len(pool))] if pool else None
        x3[p] = augment_person(rec.joints_3d[p], rng, cfg, donor)
        pool.append(rec.joints_3d[p].copy())
        if len(pool) > 256:
            pool.pop(0)
    z = x3[..., 2]
    uv = np.stack([intr.fx * x3[..., 0] / np.maximum(z, 1e-6) + intr.cx,
                   intr.fy * x3[..., 1] / np.maximum(z, 1e-6) + intr.cy], -1)
    inside = (z > 1) & (uv[..., 0] >= 0) & (uv[..., 0] <= rec.width - 1) & (uv[..., 1] >= 0) & (uv[..., 1] <= rec.height - 1)
    vis = np.where(inside, np.maximum(rec.visibility, 1), 0).astype(np.int8)   # newly in frame: occluded (1)
    return replace(rec, intrinsics=intr, joints_2d=uv, joints_3d=x3, visibility=vis)


class AugmentedScenes:
    """A sequence of records (e.g. ``SkeletonScenes``) with :func:`augment_record` applied, from
    ``numpy.random.default_rng(seed)`` (deterministic for a given order of access)."""

    def __init__(self, records, seed: int = 0, cfg: AugmentConfig = AugmentConfig()):
        self.records, self.cfg = records, cfg
        self.rng = np.random.default_rng(seed)
        self.donors: list = []

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        for rec in self.records:
            yield augment_record(rec, self.rng, self.cfg, self.donors)
