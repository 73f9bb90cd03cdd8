"""Pose augmentation: sample people from a :class:`MotionLibrary` in a body frame, in mm.

Body frame (before placement in a scene): x right, y down, z forward as seen by a camera the person
faces at yaw 0 (the person looks towards -z); origin on the ground plane below the pelvis, so
``y <= 0`` for the body. Augmentations: interpolation between consecutive frames of a clip, small
joint-angle noise, per-person bone-length scaling (body height in a configured range, plus per-bone
jitter), mirroring with ``MPI15.flip`` and a random yaw about the vertical axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mocap import BONE_GROUPS, POINT_FLIP, MotionLibrary, forward_kinematics, link_group_scale, mpi15_points

#: mocap frame (x forward, y up, z right of the character) -> body frame (x right, y down, z forward)
MOCAP_TO_BODY = np.array([[0.0, 0.0, -1.0], [0.0, -1.0, 0.0], [-1.0, 0.0, 0.0]])

_QUAT_COLS = np.array([4, 8, 12, 16, 21, 25, 30, 35, 39])
_ANGLE_COLS = np.array([20, 29, 34, 43])
_FOOT_RADIUS_M = 0.03  # foot capsule radius (body.py), used to put the soles on the ground


@dataclass(frozen=True)
class PoseAugment:
    """Pose augmentation settings.

    height_range_mm: body height (sole to head top) range. bone_jitter: std of the per-bone-group
    length factor (relative). angle_noise_deg: std of the joint-angle noise. mirror_prob:
    probability of a left/right mirror. interpolate: sample between key frames. yaw: random
    rotation about the vertical axis (full circle when true, else facing the camera). clip_balance:
    every clip is equally likely (else every key frame), so long clips (get-up) do not dominate.
    """

    height_range_mm: tuple[float, float] = (1500.0, 1950.0)
    bone_jitter: float = 0.04
    angle_noise_deg: float = 3.0
    mirror_prob: float = 0.5
    interpolate: bool = True
    yaw: bool = True
    clip_balance: bool = True


def interpolate_frames(lib: MotionLibrary, index: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Frames (N, 44) between key frame ``index`` and its successor at fraction ``alpha`` (N,).

    Quaternions are blended with normalised lerp on the same hemisphere, angles and the root
    position linearly.
    """
    f0 = lib.frames[index]
    f1 = lib.frames[lib.next_index[index]]
    a = alpha[:, None]
    out = f0 * (1 - a) + f1 * a
    q0 = f0[:, _QUAT_COLS[:, None] + np.arange(4)]
    q1 = f1[:, _QUAT_COLS[:, None] + np.arange(4)]
    sign = np.where(np.sum(q0 * q1, axis=-1, keepdims=True) < 0, -1.0, 1.0)
    q = q0 * (1 - a[..., None]) + q1 * sign * a[..., None]
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    out[:, _QUAT_COLS[:, None] + np.arange(4)] = q
    # a wrapping clip's root jumps back at the seam: keep the earlier root position there
    jump = np.linalg.norm(f1[:, 1:4] - f0[:, 1:4], axis=-1) > 0.3
    out[jump, 1:4] = f0[jump, 1:4]
    return out


def _quat_mul(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton product of (..., 4) w-first quaternions."""
    pw, px, py, pz = np.moveaxis(p, -1, 0)
    qw, qx, qy, qz = np.moveaxis(q, -1, 0)
    return np.stack([pw * qw - px * qx - py * qy - pz * qz, pw * qx + px * qw + py * qz - pz * qy,
                     pw * qy - px * qz + py * qw + pz * qx, pw * qz + px * qy - py * qx + pz * qw], axis=-1)


def add_angle_noise(frames: np.ndarray, rng: np.random.Generator, sigma_deg: float) -> np.ndarray:
    """Frames with every joint rotated by a small random rotation (std ``sigma_deg`` per axis)."""
    out = frames.copy()
    sigma = np.radians(sigma_deg)
    n = frames.shape[0]
    cols = _QUAT_COLS[:, None] + np.arange(4)
    dq = np.concatenate([np.ones((n, len(_QUAT_COLS), 1)),
                         rng.normal(0.0, sigma / 2, size=(n, len(_QUAT_COLS), 3))], axis=-1)
    q = _quat_mul(frames[:, cols], dq)
    out[:, cols] = q / np.linalg.norm(q, axis=-1, keepdims=True)
    out[:, _ANGLE_COLS] += rng.normal(0.0, sigma, size=(n, len(_ANGLE_COLS)))
    out[:, [20, 34]] = np.minimum(out[:, [20, 34]], 0.0)  # knees bend one way
    out[:, [29, 43]] = np.maximum(out[:, [29, 43]], 0.0)  # elbows too
    return out


def body_points(lib: MotionLibrary, frames: np.ndarray, height_mm: np.ndarray,
                bone_factors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """People (N, NUM_POINTS, 3) in the body frame (mm, facing the camera, standing on y = 0) from
    clip frames (N, 44), body heights (N,) mm and optional per-bone-group factors
    (N, len(BONE_GROUPS)) around 1. Returns (points, scale (N,) = height / rest height)."""
    frames = np.asarray(frames, dtype=np.float64)
    n = frames.shape[0]
    scale = np.asarray(height_mm, dtype=np.float64).reshape(n) / 1000.0 / lib.rest_height_m
    groups = scale[:, None] * (np.ones((n, len(BONE_GROUPS))) if bone_factors is None else bone_factors)
    pos, rot = forward_kinematics(frames, lib.offsets, link_group_scale(groups))
    leg = 0.5 * (groups[:, BONE_GROUPS.index("thigh")] + groups[:, BONE_GROUPS.index("shin")])
    # the root translation scales with the legs; FK placed the root at the clip position
    root = frames[:, 1:4]
    shift = root * (leg[:, None] - 1.0)
    shift[:, [0, 2]] = -root[:, [0, 2]]  # centre the pelvis horizontally
    pts = mpi15_points(pos, rot, point_scale=scale) + shift[:, None, :]
    body = pts @ MOCAP_TO_BODY.T * 1000.0
    # on the ground: the lowest surface point (a point plus about a foot radius) touches y = 0
    lowest = np.max(body[..., 1], axis=1) + _FOOT_RADIUS_M * 1000.0 * scale
    body[..., 1] -= lowest[:, None]
    return body, scale


def mirror_points(points: np.ndarray) -> np.ndarray:
    """Left/right mirror of (N, NUM_POINTS, 3) body-frame points (x negated, MPI15.flip order)."""
    out = points[:, list(POINT_FLIP)].copy()
    out[..., 0] *= -1.0
    return out


def sample_poses(lib: MotionLibrary, rng: np.random.Generator, n: int,
                 aug: PoseAugment = PoseAugment()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample ``n`` augmented people.

    Returns (points (n, NUM_POINTS, 3) mm in the body frame, scale (n,) = height / rest height,
    frame index (n,) of the key frame used).
    """
    if aug.clip_balance:
        start, length = lib.clip_starts_lengths()
        clip = rng.integers(lib.num_clips, size=n)
        index = start[clip] + np.minimum((rng.random(n) * length[clip]).astype(np.int64), length[clip] - 1)
    else:
        index = rng.integers(lib.num_frames, size=n)
    alpha = rng.random(n) if aug.interpolate else np.zeros(n)
    frames = interpolate_frames(lib, index, alpha)
    if aug.angle_noise_deg > 0:
        frames = add_angle_noise(frames, rng, aug.angle_noise_deg)
    height = rng.uniform(*aug.height_range_mm, size=n)
    factors = np.clip(rng.normal(1.0, aug.bone_jitter, size=(n, len(BONE_GROUPS))), 0.85, 1.15)
    body, scale = body_points(lib, frames, height, factors)
    mirror = rng.random(n) < aug.mirror_prob
    if mirror.any():
        body[mirror] = mirror_points(body[mirror])
    if aug.yaw:
        body = rotate_yaw(body, rng.uniform(-np.pi, np.pi, size=n))
    return body, scale, index


def rotate_yaw(points: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Rotate (N, P, 3) body-frame points about the vertical (y) axis by ``yaw`` (N,) radians."""
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    out = points.copy()
    out[..., 0] = c * points[..., 0] + s * points[..., 2]
    out[..., 2] = -s * points[..., 0] + c * points[..., 2]
    return out
