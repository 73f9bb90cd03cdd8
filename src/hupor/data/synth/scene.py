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
from .body import PART_MATERIAL, PART_NAMES, Primitives, person_capsules
from .mocap import MotionLibrary


@dataclass(frozen=True)
class SceneConfig:
    """Synthetic scene settings (lengths mm, angles degrees, image size px).

    focal_range: fx = fy = ``width * U(focal_range)`` (0.6–1.4 × width: horizontal field of view
    39°–80°). principal_jitter: principal point offset from the centre, as a fraction of the size.
    overlap_fraction: fraction of scenes where people are deliberately placed behind one another.
    pitch: aimed at hip height (0.9 m) at the people's median distance, plus N(0, 3°), clipped to
    pitch_range_deg (down > 0).
    border_margin: pelvis image positions range over ``[-m, 1 + m] * width`` (truncation).
    visible_margin_mm / self_margin_mm / label_radius_px: occlusion-label rule (docs/synth.md).
    h36m_joints: single-person records also carry H36M's 17 joints (``meta.h36m17_3d_mm``, mm,
    camera frame; :mod:`.h36m`), the ground truth ``hupor eval h36m`` reads (preset ``synth-h36m``).
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
    occluder_prob: float = 0.4
    max_occluders: int = 2
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
    self_margin_mm: float = 60.0
    label_radius_px: float = 1.0
    h36m_joints: bool = False

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
        for name in ("height_range_mm", "camera_height_range_mm", "pitch_range_deg"):
            lo, hi = getattr(self, name)
            if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
                raise HuporError(f"SceneConfig.{name}: need finite min <= max, got {lo}, {hi}")
        if self.height_range_mm[0] < 500 or self.camera_height_range_mm[0] <= 0:
            raise HuporError("SceneConfig: body heights must be >= 500 mm and camera heights > 0")
        for name in ("visible_margin_mm", "self_margin_mm", "label_radius_px", "min_separation_mm",
                     "bone_jitter", "angle_noise_deg", "border_margin", "principal_jitter"):
            if not getattr(self, name) >= 0:
                raise HuporError(f"SceneConfig.{name}: must be >= 0, got {getattr(self, name)}")
        if self.max_occluders < 0:
            raise HuporError(f"SceneConfig.max_occluders: must be >= 0, got {self.max_occluders}")
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


def _occluders(cfg: SceneConfig, rng: np.random.Generator, ground: np.ndarray) -> tuple[list, list]:
    """Occluders between the camera and people, in level-frame ground coordinates (mm):
    pillars ``(x, z, radius, height)`` and boxes ``(x, z, half (3,), yaw)``."""
    pillars, boxes = [], []
    if ground.shape[0] == 0 or cfg.max_occluders == 0 or rng.random() >= cfg.occluder_prob:
        return pillars, boxes
    for _ in range(int(rng.integers(1, cfg.max_occluders + 1))):
        tx, tz = ground[rng.integers(ground.shape[0])]
        near = max(1200.0, 0.3 * tz)
        if tz - 700.0 < near:
            continue
        z = rng.uniform(near, tz - 700.0)
        x = tx * z / tz + rng.uniform(-350.0, 350.0)
        if rng.random() < cfg.pillar_fraction:
            pillars.append((x, z, rng.uniform(120.0, 350.0), rng.uniform(2500.0, 6000.0)))
        else:
            half = np.array([rng.uniform(200.0, 750.0), rng.uniform(200.0, 700.0), rng.uniform(150.0, 500.0)])
            boxes.append((x, z, half, rng.uniform(-np.pi / 4, np.pi / 4)))
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


def _front_cues(rng: np.random.Generator, clothing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hair (N, 3) and chest-panel (N, 3) BGR colours; 30 % of people get no panel (the shirt's
    colour). Drawn after every other appearance value, so the rest of a scene's look is unchanged."""
    n = clothing.shape[0]
    tones = np.array([[0.05, 0.05, 0.06], [0.08, 0.12, 0.20], [0.10, 0.20, 0.35], [0.35, 0.60, 0.75],
                      [0.60, 0.60, 0.62]])  # black, dark brown, brown, blond, grey
    hair = tones[rng.integers(len(tones), size=n)] * rng.uniform(0.85, 1.15, size=(n, 1))
    chest = rng.uniform(0.05, 0.95, size=(n, 3))
    plain = rng.random(n) < 0.3
    chest[plain] = clothing[plain, PART_NAMES.index("spine")]
    # hair that shows against the face: too close in brightness to the skin, it turns black on light
    # skin and grey-blond on dark skin (no extra draw, so the rest of the scene is unchanged)
    lum = np.array([0.114, 0.587, 0.299])
    skin = clothing[:, PART_NAMES.index("head")] @ lum
    close = np.abs(np.clip(hair, 0.0, 1.0) @ lum - skin) < 0.2
    hair[close] = np.where((skin[close] > 0.35)[:, None], tones[0], [0.55, 0.62, 0.66])
    return np.clip(hair, 0.0, 1.0), chest


def assemble_scene(width: int, height: int, intrinsics: Intrinsics, camera_height: float, pitch: float,
                   body: np.ndarray, scale: np.ndarray, ground: np.ndarray, pillars=(), boxes=(),
                   appearance: np.random.Generator | None = None, meta: dict | None = None) -> Scene:
    """Build a scene from its parts (also handy for hand-made test and demo scenes).

    body: (N, NUM_POINTS, 3) people in the body frame (mm, origin on the ground below the pelvis);
    scale: (N,) person scales; ground: (N, 2) level-frame (X, Z) mm of each person; camera_height
    (mm) and pitch (radians, looking down > 0). pillars: ``(x, z, radius, height)``; boxes:
    ``(x, z, half (3,) mm, yaw rad)`` standing on the ground. ``appearance``: generator for colours
    and background (None: no colours, no background; enough for labels).
    """
    R = _pitch_matrix(pitch)
    body = np.asarray(body, dtype=np.float64)
    n = body.shape[0]
    ground = np.asarray(ground, dtype=np.float64).reshape(n, 2)
    level = body + np.stack([ground[:, 0], np.full(n, camera_height), ground[:, 1]], axis=1)[:, None, :]
    points = level @ R.T
    a, b, r = person_capsules(points, scale)
    np_ = len(pillars)
    pa = np.array([[x, camera_height + rad, z] for x, z, rad, _ in pillars]).reshape(-1, 3) @ R.T
    pb = np.array([[x, camera_height - h, z] for x, z, _, h in pillars]).reshape(-1, 3) @ R.T
    centres, axes, halves = [], [], []
    for x, z, half, yaw in boxes:
        c, s_ = np.cos(yaw), np.sin(yaw)
        axes.append(np.array([[c, 0.0, -s_], [0.0, 1.0, 0.0], [s_, 0.0, c]]) @ R.T)  # rows: box axes
        centres.append(R @ np.array([x, camera_height - half[1], z]))
        halves.append(np.asarray(half, dtype=np.float64))
    nb = len(centres)
    if appearance is not None:
        colour = _clothing(appearance, n).reshape(-1, 3)
        obj_colour = appearance.uniform(0.15, 0.9, size=(np_ + nb, 3))
        background = {
            "floor": appearance.uniform(0.2, 0.8, size=(2, 3)), "tile_mm": float(appearance.uniform(400.0, 1500.0)),
            "wall": appearance.uniform(0.25, 0.9, size=(2, 3)), "wall_mm": float(appearance.uniform(12000.0, 25000.0)),
            "stripe_mm": float(appearance.uniform(150.0, 900.0)), "light": _light(appearance),
            "texture_seed": int(appearance.integers(2 ** 31)),
        }
        hair, chest = _front_cues(appearance, colour.reshape(n, -1, 3))
    else:
        colour, obj_colour, background = np.zeros((n * a.shape[1], 3)), np.zeros((np_ + nb, 3)), {}
        hair = chest = None
    prims = Primitives(
        a=np.concatenate([a.reshape(-1, 3), pa]),
        b=np.concatenate([b.reshape(-1, 3), pb]),
        radius=np.concatenate([r.reshape(-1), [p[2] for p in pillars]]),
        owner=np.concatenate([np.repeat(np.arange(n), a.shape[1]), np.full(np_, -2)]).astype(np.int64),
        part=np.concatenate([np.tile(np.arange(a.shape[1]), n), np.full(np_, -1)]).astype(np.int64),
        colour=np.concatenate([colour, obj_colour[:np_]]),
        box_centre=np.array(centres).reshape(-1, 3),
        box_axes=np.array(axes).reshape(-1, 3, 3),
        box_half=np.array(halves).reshape(-1, 3),
        box_colour=obj_colour[np_:],
        hair=hair,
        chest=chest,
    )
    return Scene(width, height, intrinsics, R, float(camera_height), points, np.asarray(scale, dtype=np.float64),
                 prims, background, dict(meta or {}))


def sample_scene(cfg: SceneConfig, motion: MotionLibrary, seed: int, index: int,
                 appearance: bool = True) -> Scene:
    """Sample scene ``index`` of dataset ``seed`` (deterministic).

    The geometry (camera, people, occluders) comes from ``scene_rng(seed, index)``, the appearance
    (colours, background) from a second stream, so ``appearance=False`` (skeleton-only use: colours
    zero, no background) gives exactly the same geometry and labels as a rendered scene.
    """
    rng = scene_rng(seed, index)
    W, H = cfg.width, cfg.height
    f = W * rng.uniform(*cfg.focal_range)
    K = Intrinsics(f, f, W / 2 + rng.uniform(-1, 1) * cfg.principal_jitter * W,
                   H / 2 + rng.uniform(-1, 1) * cfg.principal_jitter * H)
    cam_h = rng.uniform(*cfg.camera_height_range_mm)
    n_want = int(rng.integers(cfg.min_people, cfg.max_people + 1))
    ground = _place_people(cfg, rng, n_want, K)
    # aim at hip height (0.9 m) at the people's median distance, jitter, clip to the range
    dist = float(np.median(ground[:, 1])) if ground.shape[0] else 5000.0
    aim = np.degrees(np.arctan2(cam_h - 900.0, dist)) + rng.normal(0.0, 3.0)
    pitch = np.radians(np.clip(aim, *cfg.pitch_range_deg))
    body, scale, frame_index = sample_poses(motion, rng, ground.shape[0], cfg.augment())
    pillars, boxes = _occluders(cfg, rng, ground)
    arng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(index), 1]) if appearance else None
    meta = {"generator": "hupor.synth", "seed": int(seed), "index": int(index),
            "camera_height_mm": round(float(cam_h), 3), "pitch_deg": round(float(np.degrees(pitch)), 4),
            "frames": [f"{motion.clip_names[motion.clip_of[i]]}#{motion.frame_in_clip[i]}" for i in frame_index],
            "occluders": {"pillars": len(pillars), "boxes": len(boxes)}}
    return assemble_scene(W, H, K, cam_h, pitch, body, scale, ground, pillars, boxes, arng, meta)


def _light(rng: np.random.Generator) -> list[float]:
    d = np.array([rng.uniform(-0.6, 0.6), rng.uniform(-1.0, -0.3), rng.uniform(-1.0, -0.4)])
    return (d / np.linalg.norm(d)).tolist()
