"""Synthetic video: people walking along straight lines through and behind each other (fixed camera).

A sequence of ``frames`` frames at ``fps`` (default 30) is a pure function of ``(config, seed, frames,
fps, people)``. The camera (intrinsics, height, pitch) is drawn once; each person gets a height, bone
factors, clothing and a straight path on the ground plane, walking with the ``humanoid3d_walk`` clip
(consecutive mocap frames interpolated at the video's frame times; the body advances by the clip's
own root travel scaled with the legs, about 1.0–1.2 m/s, so the feet do not slide). Paths run across
the view at different depths, alternately left→right and right→left, headings within
``±heading_deg`` of the image x axis, and all pass the image centre column (±10 % of the width) near
the middle of the video (±15 %), so every pair crosses: the farther one walks behind the nearer one.

Each frame is an :class:`~hupor.records.ImageRecord` whose ``meta`` holds ``frame``, ``time_s``,
``fps`` and ``person_ids`` (the persistent ground-truth identity of each listed person, 0..people-1;
people with no joint inside the image are left out of that frame's record).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from ...camera import Intrinsics
from ...errors import HuporError
from ...fileio import write_atomic, write_json_atomic
from ...records import ImageRecord, RecordSet
from ...skeleton import MPI15
from .augment import body_points, interpolate_frames, rotate_yaw
from .mocap import BONE_GROUPS, MotionLibrary, load_motion_library
from .occlusion import scene_record
from .render import render
from .scene import SceneConfig, assemble_scene

WALK_CLIP = "humanoid3d_walk"
VIDEO_FILE = "video.mp4"
ANNOTATION_FILE = "annotations.json"
DEFAULT_FPS = 30.0


def _walk_cycle(motion: MotionLibrary) -> tuple[int, int, float, float]:
    """(first key frame, cycle length in key frames, key-frame duration s, root travel per cycle m)."""
    names = [i for i, n in enumerate(motion.clip_names) if Path(n).stem == WALK_CLIP]
    if not names:
        raise HuporError(f"motion library has no {WALK_CLIP!r} clip (needed for sequences)")
    start, length = motion.clip_starts_lengths()
    s, n = int(start[names[0]]), int(length[names[0]])
    fr = motion.frames[s:s + n]
    # a wrapping clip repeats its first pose at the end: one cycle is the last key frame minus the first
    cycle = n - 1
    travel = float(np.hypot(*(fr[cycle, [1, 3]] - fr[0, [1, 3]])))
    return s, cycle, float(fr[0, 0]), travel


class Sequence:
    """A sampled walking sequence; :meth:`frame` builds the scene of one frame (all people, fixed camera)."""

    def __init__(self, cfg: SceneConfig, motion: MotionLibrary, seed: int, frames: int,
                 fps: float = DEFAULT_FPS, people: int = 4, heading_deg: float = 10.0):
        if frames < 1:
            raise HuporError(f"sequence frames must be at least 1, got {frames}")
        if not fps > 0:
            raise HuporError(f"sequence fps must be positive, got {fps}")
        if people < 1:
            raise HuporError(f"sequence people must be at least 1, got {people}")
        self.cfg, self.motion, self.seed = cfg, motion, int(seed)
        self.frames, self.fps, self.people = int(frames), float(fps), int(people)
        rng = np.random.default_rng([self.seed & 0xFFFFFFFF, 0x5E0, people])
        W, H = cfg.width, cfg.height
        f = W * rng.uniform(*cfg.focal_range)
        self.K = Intrinsics(f, f, W / 2 + rng.uniform(-1, 1) * cfg.principal_jitter * W,
                            H / 2 + rng.uniform(-1, 1) * cfg.principal_jitter * H)
        self.cam_h = float(rng.uniform(*cfg.camera_height_range_mm))
        lo, hi = cfg.depth_range_mm
        lo, hi = max(lo, 3000.0), max(min(hi, 9000.0), max(lo, 3000.0))
        depth = lo + (rng.permutation(people) + rng.uniform(0.2, 0.8, people)) * (hi - lo) / people
        aim = np.degrees(np.arctan2(self.cam_h - 900.0, float(np.median(depth)))) + rng.normal(0.0, 3.0)
        self.pitch = float(np.radians(np.clip(aim, *cfg.pitch_range_deg)))
        self.start, self.cycle, key_dt, travel = _walk_cycle(motion)
        self.height = rng.uniform(*cfg.height_range_mm, size=people)
        self.factors = np.clip(rng.normal(1.0, cfg.bone_jitter, size=(people, len(BONE_GROUPS))), 0.85, 1.15)
        scale = self.height / 1000.0 / motion.rest_height_m
        leg = scale * 0.5 * (self.factors[:, BONE_GROUPS.index("thigh")] + self.factors[:, BONE_GROUPS.index("shin")])
        self.leg = leg
        self.phase0 = rng.uniform(0, self.cycle, size=people)  # key frames
        self.key_rate = 1.0 / (key_dt * self.fps)  # key frames per video frame
        self.travel = travel  # m per cycle, unscaled
        sign = np.where(np.arange(people) % 2 == 0, 1.0, -1.0)
        heading = np.radians(rng.uniform(-heading_deg, heading_deg, size=people))
        self.direction = np.stack([sign * np.cos(heading), np.sin(heading)], axis=1)  # level (X, Z)
        t_c = 0.5 * (self.frames - 1) * (1.0 + rng.uniform(-0.15, 0.15, size=people))  # crossing frame
        u_c = W / 2 * (1.0 + rng.uniform(-0.1, 0.1, size=people))
        self.cross = np.stack([(u_c - self.K.cx) * depth / self.K.fx, depth], axis=1)  # level (X, Z) mm
        self.s_cross = self._distance(t_c)
        self.yaw = np.arctan2(-self.direction[:, 0], -self.direction[:, 1])

    def _phase(self, t):
        return self.phase0 + np.asarray(t, dtype=np.float64) * self.key_rate

    def _distance(self, t) -> np.ndarray:
        """Distance walked (mm) per person at frame ``t`` (scalar or (N,)): whole cycles + the clip's root x."""
        ph = self._phase(t)
        k = np.floor(ph).astype(np.int64)
        cycles, kk = np.divmod(k, self.cycle)
        a = ph - k
        fr = self.motion.frames[self.start + kk, 1] * (1 - a) + self.motion.frames[self.start + kk + 1, 1] * a
        return 1000.0 * self.leg * (cycles * self.travel + fr - self.motion.frames[self.start, 1])

    def ground(self, t: int) -> np.ndarray:
        """(N, 2) level-frame (X, Z) mm of every person at frame ``t``."""
        return self.cross + self.direction * (self._distance(t) - self.s_cross)[:, None]

    def frame(self, t: int):
        """The :class:`~.scene.Scene` of frame ``t`` (same colours and background in every frame)."""
        ph = self._phase(t)
        k = np.floor(ph).astype(np.int64)
        idx = self.start + np.mod(k, self.cycle)
        frames44 = interpolate_frames(self.motion, idx, ph - k)
        body, scale = body_points(self.motion, frames44, self.height, self.factors)
        body = rotate_yaw(body, self.yaw)
        arng = np.random.default_rng([self.seed & 0xFFFFFFFF, 0x5E0, self.people, 1])
        meta = {"generator": "hupor.synth.sequence", "seed": self.seed, "frame": int(t),
                "time_s": round(t / self.fps, 6), "fps": self.fps,
                "camera_height_mm": round(self.cam_h, 3), "pitch_deg": round(float(np.degrees(self.pitch)), 4)}
        return assemble_scene(self.cfg.width, self.cfg.height, self.K, self.cam_h, self.pitch, body, scale,
                              self.ground(t), (), (), arng, meta)

    def record(self, t: int, scene=None, path: str = VIDEO_FILE) -> ImageRecord:
        """Frame ``t``'s record; ``meta.person_ids`` = the ground-truth identity of each person."""
        rec = scene_record(self.frame(t) if scene is None else scene, self.cfg, path)
        rec.meta["person_ids"] = list(rec.meta.pop("person_index"))
        return rec

    def render(self, t: int):
        """(image BGR (H, W, 3) uint8, record) of frame ``t``."""
        scene = self.frame(t)
        return render(scene).image, self.record(t, scene)


def generate_sequence(out_dir, frames: int, seed: int = 0, config: SceneConfig = SceneConfig(),
                      fps: float = DEFAULT_FPS, people: int = 4, motion_dir=None, progress: bool = False) -> Path:
    """Write ``out_dir/video.mp4`` (OpenCV mp4v at ``fps``), ``out_dir/annotations.json`` (one record
    per frame, ``meta.frame`` / ``meta.person_ids``) and ``out_dir/synth_config.json``. Returns the
    annotation path."""
    import cv2
    from tqdm import tqdm

    motion = load_motion_library(None if motion_dir is None else str(motion_dir))
    seq = Sequence(config, motion, seed, frames, fps, people)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = []

    def write(tmp: Path) -> None:
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), seq.fps, (config.width, config.height))
        if not writer.isOpened():
            raise HuporError(f"{out_dir / VIDEO_FILE}: cannot open an mp4v video writer")
        try:
            for t in tqdm(range(seq.frames), desc="synth", unit="frame", disable=not progress):
                image, rec = seq.render(t)
                writer.write(image)
                records.append(rec)
        finally:
            writer.release()

    write_atomic(out_dir / VIDEO_FILE, write)
    write_json_atomic(out_dir / "synth_config.json",
                      {"seed": seed, "sequence": {"frames": frames, "fps": seq.fps, "people": people},
                       "config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}})
    rs = RecordSet(records, MPI15, "synth-sequence")
    return rs.save(out_dir / ANNOTATION_FILE)
