"""Skeleton-only synthetic scenes as a torch ``Dataset`` (no RGB), for the reasoning module.

``SkeletonScenes(config, seed, length)[i]`` samples scene ``i`` on the fly, deterministically, and
returns its :class:`~hupor.records.ImageRecord`: intrinsics, 2D joints (px), 3D joints (mm, camera
frame), visibility and occlusion causes. The labels come from the same analytic ray casts against
the same capsules and boxes as for rendered datasets (:mod:`.occlusion`), so they follow the same
rule. Records hold numpy arrays: give a ``DataLoader`` a ``collate_fn`` (e.g. ``list``) or wrap this
dataset in one that encodes targets.
"""

from __future__ import annotations

from pathlib import Path

from torch.utils.data import Dataset

from ...errors import HuporError
from ...records import ImageRecord
from .mocap import MotionLibrary, load_motion_library
from .occlusion import scene_record
from .scene import SceneConfig, sample_scene


class SkeletonScenes(Dataset):
    """``length`` synthetic scenes of dataset ``seed``; item ``i`` is scene ``i`` (an ImageRecord).

    ``motion`` (a loaded library) or ``motion_dir`` (a clip folder) choose the clips; the default is
    the pybullet install (``pip install "hupor[data]"``). Records' ``path`` is ``synth://SEED/INDEX``
    (there is no image).
    """

    def __init__(self, config: SceneConfig = SceneConfig(), seed: int = 0, length: int = 100_000,
                 motion: MotionLibrary | None = None, motion_dir: str | Path | None = None):
        if length < 1:
            raise HuporError(f"SkeletonScenes: length must be at least 1, got {length}")
        self.config = config
        self.seed = int(seed)
        self.length = int(length)
        self.motion = motion if motion is not None else load_motion_library(motion_dir)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> ImageRecord:
        i = int(i)
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError(f"SkeletonScenes: index {i} out of range for length {self.length}")
        scene = sample_scene(self.config, self.motion, self.seed, i, appearance=False)
        return scene_record(scene, self.config, f"synth://{self.seed}/{i}")
