"""Synthetic multi-person occlusion scenes from real motion capture (DeepMimic clips in pybullet).

Public API (see docs/synth.md):

* :class:`SceneConfig` — typed scene settings (image size, people, depth, camera, occluders, labels).
* :func:`render_scene` ``(config, seed, index=0) -> (image_bgr, ImageRecord)`` — one rendered scene.
* :class:`SkeletonScenes` — torch Dataset of skeleton-only scenes (records, no images).
* :func:`generate` — write a dataset (images + canonical ``annotations.json``), in parallel.
* :func:`load_motion_library`, :func:`sample_scene`, :func:`render`, :func:`scene_record` — parts.
"""

from .dataset import SkeletonScenes
from .generate import generate, render_scene
from .mocap import INSTALL_HINT, MotionLibrary, default_motion_dir, load_motion_library
from .occlusion import label_joints, scene_record
from .render import Rendering, render
from .scene import Scene, SceneConfig, assemble_scene, sample_scene

__all__ = ["INSTALL_HINT", "MotionLibrary", "Rendering", "Scene", "SceneConfig", "SkeletonScenes",
           "assemble_scene", "default_motion_dir", "generate", "label_joints", "load_motion_library", "render",
           "render_scene", "sample_scene", "scene_record"]
