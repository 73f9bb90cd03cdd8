"""2D joints → metric 3D people in the camera frame, without an image (``hupor lift``).

The lifter is a RefineNet (``nets.RefineNet``, same features and training loop) trained on flat-depth
synthetic pairs (``hupor train synth-pairs --noise coco``): its input has every joint at one root
depth, so it must infer the relative depths and every joint the 2D detector did not give (head_top
always, low-score joints) from the pose alone: the reasoning of the paper without an image
(supplement Table 6). The root depth comes from the body's metric size and the intrinsics:

1. a first depth from the bone lengths, ``Z0 = f · Σ L_k / Σ l_k`` over the bones whose two joints
   were detected (L_k: the skeleton's mean bone length, l_k: its 2D length);
2. the lifter at that depth; then the depth that best explains the 2D offsets from the root by the
   lifted skeleton under full perspective (:func:`fit_root_depth`); repeated ``passes`` times.

Units: 2D in px of the original image, 3D in mm, camera frame (x right, y down, z forward).
"""

from __future__ import annotations

import numpy as np

from ..camera import Intrinsics, Letterbox
from ..codec import Poses
from ..errors import HuporError
from ..nets.refinenet import apply_refiner, reads_hint_channel
from ..schema import MISSING, OCCLUDED_INFERRED, VISIBLE
from ..skeleton import Skeleton

DEFAULT_DEPTH_MM = 5000.0
MIN_DEPTH_MM = 300.0


def body_size_depth(joints_2d: np.ndarray, detected: np.ndarray, fx: float, skeleton: Skeleton) -> np.ndarray:
    """(N,) first root depth in mm from the detected bones' 2D lengths (px) and the mean bone
    lengths; ``DEFAULT_DEPTH_MM`` for a person without a detected bone."""
    limbs = np.asarray(skeleton.limbs)
    bone_mm = 10.0 * np.asarray(skeleton.bone_length_cm)
    both = detected[:, limbs[:, 0]] & detected[:, limbs[:, 1]]
    seg = np.linalg.norm(np.nan_to_num(joints_2d[:, limbs[:, 0]] - joints_2d[:, limbs[:, 1]]), axis=-1)
    num = (both * bone_mm[None]).sum(1)
    den = (both * seg).sum(1)
    z = np.where(den > 1e-6, fx * num / np.maximum(den, 1e-6), DEFAULT_DEPTH_MM)
    return np.maximum(z, MIN_DEPTH_MM)


def fit_root_depth(joints_2d: np.ndarray, detected: np.ndarray, rel_mm: np.ndarray, intrinsics: Intrinsics,
                   root: int, fallback: np.ndarray) -> np.ndarray:
    """(N,) root depth (mm) at which the lifted root-relative skeleton ``rel_mm`` (N, J, 3) best
    explains the detected 2D offsets from the root, under full perspective: with the joints' rays
    ``a_j = ((u_j − cx)/fx, (v_j − cy)/fy)``, ``a_j (Z + z_j) = a_root Z + p_j`` gives the offsets
    ``d_j = a_j − a_root = (p_j − a_j z_j) / Z``, solved for ``1/Z`` by least squares (``p_j``, ``z_j``
    the lifted X, Y and Z offsets); ``fallback`` where fewer than two joints besides the root are
    detected."""
    f = np.array([intrinsics.fx, intrinsics.fy])
    a = (np.nan_to_num(joints_2d) - np.array([intrinsics.cx, intrinsics.cy])) / f
    d = np.nan_to_num(joints_2d - joints_2d[:, root:root + 1]) / f
    m = detected.copy()
    m[:, root] = False
    p = rel_mm[..., :2] - a * rel_mm[..., 2:3]
    num = (m[..., None] * d * p).sum((1, 2))
    den = (m[..., None] * p * p).sum((1, 2))
    ok = (m.sum(1) >= 2) & (num > 1e-12) & (den > 1e-9)
    z = np.where(ok, den / np.where(ok, num, 1.0), fallback)
    return np.maximum(z, MIN_DEPTH_MM)


class Lifter:
    """``lift(joints_2d, detected, scores, width, height, intrinsics) -> Poses`` with a refiner bundle
    (``bundle.refiner``; its input size is the frame the pairs were made in)."""

    def __init__(self, bundle, passes: int = 2):
        if bundle.refiner is None:
            raise HuporError("lift model: the bundle has no refiner (a lifter is a RefineNet trained on "
                             "flat-depth pairs, docs/lift.md)")
        self.refiner = bundle.refiner
        self.skeleton: Skeleton = bundle.skeleton
        cp = bundle.codec_params()
        self.net_w, self.net_h = cp.net_w, cp.net_h
        self.passes = max(1, int(passes))

    def lift_coco(self, keypoints: np.ndarray, width: int, height: int, intrinsics: Intrinsics,
                  threshold: float = 0.3, hint_threshold: float = 0.05, floor=None) -> Poses:
        """COCO-17 detections (N, 17, 3) x, y px, score → :class:`Poses`: keypoints scoring at least
        ``threshold`` are given joints; those scoring at least ``hint_threshold`` anchor an occluded
        pelvis (hips) and, for a model that :attr:`reads_hints`, are hints (``hupor lift``). ``floor``:
        a known :class:`hupor.lift.floor.Floor`, see :meth:`lift`."""
        from .coco import coco_hints, coco_to_mpi15

        low = min(hint_threshold, threshold)
        j2d, scores, det, anchor = coco_to_mpi15(keypoints, threshold, low)
        hint = None
        if self.reads_hints:
            hxy, hint = coco_hints(keypoints, threshold, low)
            j2d = np.where(hint[..., None], hxy, j2d)
        return self.lift(j2d, det, scores, width, height, intrinsics, anchor, hint, floor)

    @property
    def reads_hints(self) -> bool:
        """Whether this model reads low-score keypoints as hints (a refiner with ``hint_channel``)."""
        return reads_hint_channel(self.refiner)

    def lift(self, joints_2d: np.ndarray, detected: np.ndarray, scores: np.ndarray, width: int, height: int,
             intrinsics: Intrinsics, anchor: np.ndarray | None = None, hint: np.ndarray | None = None,
             floor=None) -> Poses:
        """People (N, J) → :class:`Poses` (people without a root are left out). Detected joints keep
        their 2D position (state ``visible``); the others are filled from the lifted 3D and projected
        (``occluded_inferred``). ``anchor`` (N,) bool: the root's 2D in ``joints_2d`` is a weak
        estimate (an occluded pelvis, :func:`hupor.lift.coco.coco_to_mpi15`): it anchors the person
        and keeps its 2D, but counts as inferred. ``hint`` (N, J) bool: joints whose 2D in
        ``joints_2d`` is a low-score keypoint (:func:`hupor.lift.coco.coco_hints`); a model that
        :attr:`reads_hints` lifts with them, and they come out inferred (lifted 3D, its projection).
        ``floor``: a known :class:`hupor.lift.floor.Floor`; the final root depth is then the geometric
        mean of the body-size one and the floor's."""
        sk = self.skeleton
        root = sk.root
        uv = np.asarray(joints_2d, np.float64)
        det = np.asarray(detected, bool) & np.isfinite(uv).all(-1)
        weak = np.zeros(len(det), bool) if anchor is None else np.asarray(anchor, bool) & ~det[:, root]
        weak &= np.isfinite(uv[:, root]).all(-1)
        hint = (np.zeros(det.shape, bool) if hint is None or not self.reads_hints
                else np.asarray(hint, bool) & np.isfinite(uv).all(-1) & ~det)
        det[weak, root] = True
        hint[weak, root] = True
        keep = det[:, root]
        uv, det, sc, weak, hint = (uv[keep], det[keep], np.asarray(scores, np.float64)[keep], weak[keep],
                                   hint[keep])
        n, j = det.shape
        if n == 0:
            return Poses.empty(j)
        inp = det | hint                                                     # what the lifter reads
        lb = Letterbox.fit(width, height, self.net_w, self.net_h)
        uv0 = np.where(inp[..., None], uv, 0.0)
        uv_net = lb.to_net(uv0)
        z = body_size_depth(uv, inp, intrinsics.fx, sk)
        for _ in range(self.passes):
            flat = intrinsics.backproject(uv0, np.repeat(z[:, None], j, 1))
            out, _ = apply_refiner(self.refiner, uv_net, flat, inp, root, hint=hint)
            rel = out - out[:, root:root + 1]
            z = fit_root_depth(uv, inp, rel, intrinsics, root, z)
        if floor is not None:
            z = floor.combine(z, rel, uv[:, root], intrinsics)
        kept = det & ~hint                                                   # keep their 2D (the root too)
        kept[weak, root] = True
        root3d = intrinsics.backproject(uv[:, root], z)                       # (N, 3)
        joints_3d = root3d[:, None] + rel
        joints_3d[kept] = intrinsics.backproject(uv[kept], (z[:, None] + rel[..., 2])[kept])
        joints_2d_out = np.where(kept[..., None], uv, intrinsics.project(joints_3d))
        state = np.where(det & ~hint, VISIBLE, OCCLUDED_INFERRED).astype(np.int8)
        state[weak, root] = OCCLUDED_INFERRED
        bad = ~np.isfinite(joints_3d).all(-1) | (joints_3d[..., 2] <= 1.0)
        state[bad] = MISSING
        given = det & ~hint
        given[weak, root] = False
        return Poses(joints_net=lb.to_net(joints_2d_out), joints_2d=joints_2d_out, joints_3d=joints_3d,
                     scores=np.where(given, sc, 0.0).astype(np.float32), detected=given, root_depth_mm=z,
                     person_scores=(sc * given).sum(1) / j, filled=~given & ~bad, state=state)
