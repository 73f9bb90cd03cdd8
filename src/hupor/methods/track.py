"""Multi-person tracking as a post-stage: :class:`Tracker` sets ``Poses.track_id`` (N,) persistent ids.

Per frame (``StageContext.frame``; frames counted by the stage when it is None):

1. every live track predicts its 2D joints and root depth with a **constant-velocity** model
   (``last + velocity · gap``, velocity in px / frame and mm / frame, an exponential average of the
   observed displacements with weight ``velocity_smoothing``);
2. cost between track ``t`` and person ``p``: ``mean_j |x̂_tj − x_pj| / size + depth_weight · |Ẑ_t −
   Z_p| / 1000``: the mean 2D distance over the joints both have, divided by the person's size (the
   larger of the two 2D box diagonals, at least ``min_size_px``), plus the root-depth gap in metres
   times ``depth_weight`` (default 0.1: estimated root depths of occluded people can be metres off,
   so depth mostly breaks ties between people at one image place); pairs above ``max_cost`` (or
   with no common joint) are not allowed;
3. Hungarian assignment on that cost (:func:`hupor.match.match`, ``hungarian``);
4. matched tracks take the person's joints (joints it misses keep the prediction), unmatched people
   with at least ``min_joints`` 2D joints start a new track (a new id, counting up from 0), tracks
   unseen for more than ``max_age`` frames are dropped (short gaps and occlusions survive).

People with too few joints or a non-positive root depth get ``track_id`` −1 (2D-only poses,
``Poses.dims == 2``, are tracked on the 2D term alone). A frame index that
does not increase starts over (:meth:`Tracker.reset`: a new video).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..codec import Poses
from ..errors import HuporError
from ..match import match
from .base import StageContext


@dataclass
class _Track:
    id: int
    joints: np.ndarray  # (J, 2) px, NaN where never seen
    velocity: np.ndarray  # (2,) px / frame
    depth: float  # mm (NaN: unknown)
    depth_velocity: float  # mm / frame
    size: float  # px
    last_frame: int
    hits: int = 1

    def predict(self, frame: int) -> tuple[np.ndarray, float]:
        gap = frame - self.last_frame
        return self.joints + self.velocity * gap, self.depth + self.depth_velocity * gap


def person_size(joints_2d: np.ndarray, min_size_px: float = 20.0) -> np.ndarray:
    """(N,) 2D box diagonal (px) of each person's finite joints (N, J, 2), at least ``min_size_px``."""
    ok = np.isfinite(joints_2d).all(-1)
    lo = np.where(ok[..., None], joints_2d, np.inf).min(1)
    hi = np.where(ok[..., None], joints_2d, -np.inf).max(1)
    diag = np.where(ok.any(1), np.hypot(*(hi - lo).T), 0.0)
    return np.maximum(diag, min_size_px)


class Tracker:
    """Persistent ids across video frames (module docstring). ``max_age``: frames a track survives
    unseen; ``max_cost``: gate of the assignment cost; ``depth_weight``: cost per metre of root-depth
    gap; ``velocity_smoothing`` in (0, 1]: weight of the newest displacement in the velocity."""

    def __init__(self, max_age: int = 30, max_cost: float = 1.0, depth_weight: float = 0.1,
                 velocity_smoothing: float = 0.5, min_joints: int = 2, min_size_px: float = 20.0):
        if max_age < 0 or not max_cost > 0 or depth_weight < 0 or not 0 < velocity_smoothing <= 1:
            raise HuporError("Tracker: need max_age >= 0, max_cost > 0, depth_weight >= 0, "
                             "0 < velocity_smoothing <= 1")
        self.max_age, self.max_cost, self.depth_weight = int(max_age), float(max_cost), float(depth_weight)
        self.alpha, self.min_joints, self.min_size = float(velocity_smoothing), int(min_joints), float(min_size_px)
        self.reset()

    def reset(self) -> None:
        """Forget all tracks; ids start again from 0."""
        self.tracks: list[_Track] = []
        self.next_id = 0
        self.frame: int | None = None

    def cost_matrix(self, joints_2d: np.ndarray, depth: np.ndarray, frame: int) -> np.ndarray:
        """(T, N) assignment cost of the live tracks against people (``joints_2d`` (N, J, 2) px,
        ``depth`` (N,) mm); ``inf`` where not allowed."""
        n = joints_2d.shape[0]
        cost = np.full((len(self.tracks), n), np.inf)
        if not n or not self.tracks:
            return cost
        sizes = person_size(joints_2d, self.min_size)
        for t, tr in enumerate(self.tracks):
            pj, pz = tr.predict(frame)
            d = np.linalg.norm(joints_2d - pj[None], axis=-1)  # (N, J), NaN where either lacks the joint
            common = np.isfinite(d)
            cnt = common.sum(1)
            mean = np.where(cnt > 0, np.where(common, d, 0.0).sum(1) / np.maximum(cnt, 1), np.inf)
            dz = np.abs(depth - pz) / 1000.0
            c = mean / np.maximum(sizes, tr.size) + self.depth_weight * np.where(np.isfinite(dz), dz, 0.0)
            cost[t] = np.where(c <= self.max_cost, c, np.inf)
        return cost

    def __call__(self, poses: Poses, context: StageContext) -> Poses:
        frame = (0 if self.frame is None else self.frame + 1) if context.frame is None else int(context.frame)
        if self.frame is not None and frame <= self.frame:
            self.reset()
        self.frame = frame
        self.tracks = [tr for tr in self.tracks if frame - tr.last_frame <= self.max_age]
        n, j = poses.detected.shape
        joints = np.array(poses.joints_2d, dtype=np.float64).reshape(n, j, 2)
        if poses.state is not None:
            from ..schema import MISSING

            joints[np.asarray(poses.state) == MISSING] = np.nan
        depth = np.asarray(poses.root_depth_mm, dtype=np.float64).reshape(n)
        depth = np.where(np.isfinite(depth) & (depth > 0), depth, np.nan)
        two_d = getattr(poses, "dims", 3) == 2        # a 2D-only method: 2D distance alone
        usable = (np.isfinite(joints).all(-1).sum(1) >= self.min_joints) & (np.isfinite(depth) | two_d)
        ids = np.full(n, -1, dtype=np.int64)
        cost = self.cost_matrix(joints, depth, frame)
        cost[:, ~usable] = np.inf
        for t, p in zip(*match(cost, "hungarian")):      # the pairs with a finite cost may match
            self._update(self.tracks[t], joints[p], depth[p], frame)
            ids[p] = self.tracks[t].id
        sizes = person_size(joints, self.min_size)
        for p in np.flatnonzero(usable & (ids < 0)):
            self.tracks.append(_Track(self.next_id, joints[p].copy(), np.zeros(2), float(depth[p]), 0.0,
                                      float(sizes[p]), frame))
            ids[p] = self.next_id
            self.next_id += 1
        return dataclasses.replace(poses, track_id=ids)

    def _update(self, tr: _Track, joints: np.ndarray, depth: float, frame: int) -> None:
        gap = max(frame - tr.last_frame, 1)
        pred, pz = tr.predict(frame)
        common = np.isfinite(joints).all(-1) & np.isfinite(tr.joints).all(-1)
        if common.any():  # displacement from the last observation, over the joints both have
            v = (joints[common] - tr.joints[common]).mean(0) / gap
            tr.velocity = self.alpha * v + (1 - self.alpha) * tr.velocity
        if np.isfinite(depth):
            if np.isfinite(tr.depth):
                tr.depth_velocity = self.alpha * (depth - tr.depth) / gap + (1 - self.alpha) * tr.depth_velocity
            tr.depth = float(depth)
        else:
            tr.depth = float(pz)
        seen = np.isfinite(joints).all(-1)
        tr.joints = np.where(seen[:, None], joints, pred)
        if seen.sum() >= 4:
            tr.size = float(person_size(joints[None], self.min_size)[0])
        tr.last_frame, tr.hits = frame, tr.hits + 1
