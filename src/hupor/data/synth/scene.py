"""Scene sampler: people from motion capture on a ground plane, occluders and a random camera.

Frames: the *level* frame has its origin at the camera centre, y down along gravity and z forward
horizontally; the ground plane is ``y = camera_height``. The camera frame (x right, y down, z
forward) is the level frame pitched down by ``pitch``: ``p_cam = R @ p_level``. All lengths in mm.

Each scene is a pure function of ``(config, seed, index)``: its generator is
``np.random.default_rng([seed, index])``, so scenes can be made in any order or in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...camera import Intrinsics
from ...errors import HuporError
from .augment import PoseAugment, sample_poses
from .body import PART_MATERIAL, Primitives, person_capsules
from .mocap import MotionLibrary


@dataclass(frozen=True)
class SceneConfig:
    """Synthetic scene settings (lengths mm, angles degrees, image size px).

    focal_range: fx = fy = ``width * U(focal_range)`` (0.6–1.4 × width: horizontal field of view
    39°–80°). principal_jitter: principal point offset from the centre, as a fraction of the size.
    overlap_fraction: fraction of scenes where people are deliberately placed behind one another.
    pitch: aimed at hip height 3–8 m ahead, plus N(0, 3°), clipped to pitch_range_deg (down > 0).
    border_margin: pelvis image positions range over ``[-m, 1 + m] * width`` (truncation).
    visible_margin_mm / label_radius_px: occlusion-label rule (see docs/synth.md).
    """

    width: int = 832
    height: int = 512
    min_people: int = 1
    max_people: int = 8
    depth_range_mm: tuple[float, float] = (2000.0, 10000.0)
    height_range_mm: tuple[float, float] = (1500.0, 1950.0)
    min_separation_mm: float = 550.0
    overlap_fraction: float = 0.6
    border_margin: float = 0.12
    occluder_prob: float = 0.5
    max_occluders: int = 3
    pillar_fraction: float = 0.4
    focal_range: tuple[float, float] = (0.6, 1.4)
    principal_jitter: float = 0.03
    camera_height_range_mm: tuple[float, float] = (800.0, 2500.0)
    pitch_range_deg: tuple[float, float] = (-5.0, 25.0)
    bone_jitter: float = 0.04
    angle_noise_deg: float = 3.0
    mirror_prob: float = 0.5
    interpolate: bool = True
    visible_margin_mm: float = 150.0
    label_radius_px: float = 1.0

    def __post_init__(self):
        if self.width < 16 or self.height < 16:
            raise HuporError(f"SceneConfig: image size must be at least 16x16, got {self.width}x{self.height}")
        if not 1 <= self.min_people <= self.max_people:
            raise HuporError(f"SceneConfig: need 1 <= min_people <= max_people, got "
                             f"{self.min_people}-{self.max_people}")
        lo, hi = self.depth_range_mm
        if not 500 <= lo <= hi:
            raise HuporError(f"SceneConfig.depth_range_mm: need 500 <= min <= max, got {lo}, {hi}")
        if not 0 < self.focal_range[0] <= self.focal_range[1]:
            raise HuporError(f"SceneConfig.focal_range: need 0 < min <= max, got {self.focal_range}")
        for name in ("overlap_fraction", "occluder_prob", "pillar_fraction", "mirror_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise HuporError(f"SceneConfig.{name}: must be in [0, 1], got {getattr(self, name)}")

    def augment(self) -> PoseAugment:
        return PoseAugment(self.height_range_mm, self.bone_jitter, self.angle_noise_deg,
                           self.mirror_prob, self.interpolate, True)


@dataclass
class Scene:
    """A sampled scene. points: (N, NUM_POINTS, 3) mm camera frame (MPI15 joints first);
    scale: (N,) person scale; prims: the capsules and boxes; rotation: (3, 3) level -> camera;
    background: parameters of the procedural background; meta: JSON-safe description."""

    width: int
    height: int
    intrinsics: Intrinsics
    rotation: np.ndarray
    camera_height: float
    points: np.ndarray
    scale: np.ndarray
    prims: Primitives
    background: dict
    meta: dict = field(default_factory=dict)

    @property
    def joints_3d(self) -> np.ndarray:
        """(N, 15, 3) MPI15 joints, mm, camera frame."""
        return self.points[:, :15]


def scene_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of scene ``index`` for a dataset ``seed``."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int(index)])


def _pitch_matrix(pitch: float) -> np.ndarray:
    c, s = np.cos(pitch), np.sin(pitch)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _place_people(cfg: SceneConfig, rng: np.random.Generator, n: int, K: Intrinsics) -> np.ndarray:
    """Ground positions (M, 2) = (X, Z) level frame mm, M <= n (some may not fit)."""
    z_lo, z_hi = cfg.depth_range_mm
    overlap = rng.random() < cfg.overlap_fraction
    placed: list[tuple[float, float]] = []
    for _ in range(n):
        for _try in range(12):
            if overlap and placed and rng.random() < 0.75:
                ax, az = placed[rng.integers(len(placed))]
                dz = rng.uniform(600.0, 3000.0)
                z = az + dz if (az + dz <= z_hi or az - dz < z_lo) else az - dz
                z = float(np.clip(z, z_lo, z_hi))
                u = K.fx * ax / az + K.cx + rng.uniform(-1.0, 1.0) * 450.0 * K.fx / az
            else:
                z = rng.uniform(z_lo, z_hi)
                m = -0.1 if not placed else cfg.border_margin  # the first person is well inside
                u = rng.uniform(-m, 1 + m) * cfg.width
            x = (u - K.cx) * z / K.fx
            if all((x - px) ** 2 + (z - pz) ** 2 >= cfg.min_separation_mm ** 2 for px, pz in placed):
                placed.append((x, z))
                break
    return np.array(placed, dtype=np.float64).reshape(-1, 2)


def _occluders(cfg: SceneConfig, rng: np.random.Generator, ground: np.ndarray, cam_h: float, R: np.ndarray):
    """Pillars (capsules a, b, r) and boxes (centre, axes, half) in the camera frame, plus colours."""
    pillars, boxes = [], []
    if ground.shape[0] == 0 or rng.random() >= cfg.occluder_prob:
        return pillars, boxes
    for _ in range(int(rng.integers(1, cfg.max_occluders + 1))):
        tx, tz = ground[rng.integers(ground.shape[0])]
        if tz - 700.0 < 1200.0:
            continue
        z = rng.uniform(1200.0, tz - 700.0)
        x = tx * z / tz + rng.uniform(-350.0, 350.0)
        colour = rng.uniform(0.15, 0.9, size=3)
        if rng.random() < cfg.pillar_fraction:
            r = rng.uniform(120.0, 350.0)
            a = R @ np.array([x, cam_h + r, z])
            b = R @ np.array([x, cam_h - rng.uniform(2500.0, 6000.0), z])
            pillars.append((a, b, r, colour))
        else:
            half = np.array([rng.uniform(200.0, 750.0), rng.uniform(200.0, 700.0), rng.uniform(150.0, 500.0)])
            yaw = rng.uniform(-np.pi / 4, np.pi / 4)
            c, s = np.cos(yaw), np.sin(yaw)
            axes_level = np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])  # rows
            centre = R @ np.array([x, cam_h - half[1], z])
            boxes.append((centre, axes_level @ R.T, half, colour))
    return pillars, boxes


def _clothing(rng: np.random.Generator, n: int) -> np.ndarray:
    """Colour (n, NUM_PARTS, 3) BGR in [0, 1] per person and body part."""
    skin_tones = np.array([[0.55, 0.67, 0.85], [0.42, 0.55, 0.75], [0.30, 0.42, 0.60],
                           [0.20, 0.28, 0.42], [0.62, 0.74, 0.90]])
    mats = np.empty((n, 5, 3))
    mats[:, 0] = skin_tones[rng.integers(len(skin_tones), size=n)] * rng.uniform(0.9, 1.1, size=(n, 1))
    mats[:, 1] = rng.uniform(0.05, 0.95, size=(n, 3))
    mats[:, 2] = rng.uniform(0.05, 0.7, size=(n, 3))
    mats[:, 3] = rng.uniform(0.02, 0.35, size=(n, 1)) * np.ones(3)
    sleeve = rng.random(n) < 0.5
    mats[:, 4] = np.where(sleeve[:, None], mats[:, 1], mats[:, 0])
    return np.clip(mats[:, PART_MATERIAL], 0.0, 1.0)


def sample_scene(cfg: SceneConfig, motion: MotionLibrary, seed: int, index: int) -> Scene:
    """Sample scene ``index`` of dataset ``seed`` (deterministic)."""
    rng = scene_rng(seed, index)
    W, H = cfg.width, cfg.height
    f = W * rng.uniform(*cfg.focal_range)
    K = Intrinsics(f, f, W / 2 + rng.uniform(-1, 1) * cfg.principal_jitter * W,
                   H / 2 + rng.uniform(-1, 1) * cfg.principal_jitter * H)
    cam_h = rng.uniform(*cfg.camera_height_range_mm)
    # aim roughly at hip height a few metres away, then jitter; clipped to the configured range
    aim = np.degrees(np.arctan2(cam_h - 1000.0, rng.uniform(3000.0, 8000.0))) + rng.normal(0.0, 3.0)
    pitch = np.radians(np.clip(aim, *cfg.pitch_range_deg))
    R = _pitch_matrix(pitch)
    n_want = int(rng.integers(cfg.min_people, cfg.max_people + 1))
    ground = _place_people(cfg, rng, n_want, K)
    n = ground.shape[0]
    body, scale, frame_index = sample_poses(motion, rng, n, cfg.augment())
    level = body + np.stack([ground[:, 0], np.full(n, cam_h), ground[:, 1]], axis=1)[:, None, :]
    points = level @ R.T
    pillars, boxes = _occluders(cfg, rng, ground, cam_h, R)
    a, b, r = person_capsules(points, scale)
    colour = _clothing(rng, n)
    pa = np.array([p[0] for p in pillars]).reshape(-1, 3)
    pb = np.array([p[1] for p in pillars]).reshape(-1, 3)
    prims = Primitives(
        a=np.concatenate([a.reshape(-1, 3), pa]),
        b=np.concatenate([b.reshape(-1, 3), pb]),
        radius=np.concatenate([r.reshape(-1), [p[2] for p in pillars]]),
        owner=np.concatenate([np.repeat(np.arange(n), a.shape[1]), np.full(len(pillars), -2)]).astype(np.int64),
        part=np.concatenate([np.tile(np.arange(a.shape[1]), n), np.full(len(pillars), -1)]).astype(np.int64),
        colour=np.concatenate([colour.reshape(-1, 3), np.array([p[3] for p in pillars]).reshape(-1, 3)]),
        box_centre=np.array([q[0] for q in boxes]).reshape(-1, 3),
        box_axes=np.array([q[1] for q in boxes]).reshape(-1, 3, 3),
        box_half=np.array([q[2] for q in boxes]).reshape(-1, 3),
        box_colour=np.array([q[3] for q in boxes]).reshape(-1, 3),
    )
    background = {
        "floor": rng.uniform(0.2, 0.8, size=(2, 3)), "tile_mm": float(rng.uniform(400.0, 1500.0)),
        "wall": rng.uniform(0.25, 0.9, size=(2, 3)), "wall_mm": float(rng.uniform(12000.0, 25000.0)),
        "stripe_mm": float(rng.uniform(150.0, 900.0)), "light": _light(rng),
        "texture_seed": int(rng.integers(2 ** 31)),
    }
    meta = {"generator": "hupor.synth", "seed": int(seed), "index": int(index),
            "camera_height_mm": round(float(cam_h), 3), "pitch_deg": round(float(np.degrees(pitch)), 4),
            "frames": [f"{motion.clip_names[motion.clip_of[i]]}#{motion.frame_in_clip[i]}" for i in frame_index],
            "occluders": {"pillars": len(pillars), "boxes": len(boxes)}}
    return Scene(W, H, K, R, float(cam_h), points, scale, prims, background, meta)


def _light(rng: np.random.Generator) -> list[float]:
    d = np.array([rng.uniform(-0.6, 0.6), rng.uniform(-1.0, -0.3), rng.uniform(-1.0, -0.4)])
    return (d / np.linalg.norm(d)).tolist()
