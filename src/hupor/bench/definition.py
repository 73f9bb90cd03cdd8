"""The fixed synthetic occlusion benchmark: splits, seeds and the reasoning-in-isolation inputs.

Splits are :class:`hupor.data.synth.SkeletonScenes` (scene ``i`` of split seed ``s`` depends only on
``(SceneConfig, s, i)``), at the cpu-tiny input size (256×160, the image *is* the network input, so the
letterbox is the identity):

* ``train``: reasoner training, on-the-fly scenes of seed ``train_seed + run_seed`` (the cpu-tiny
  reasoner's scene settings: 1–4 people at 2–7 m);
* ``val``: ``val_scenes`` scenes of seed ``val_seed`` (Lightning validation);
* ``refine``: ``refine_scenes`` scenes of seed ``refine_seed`` (RefineNet training pairs);
* ``test``: ``test_scenes`` scenes of seed ``test_seed`` with **heavy occlusion**: 2–4 people, every
  scene with deliberate front/back overlap (``overlap_fraction`` 1.0) and occluders in 70 % of scenes.

Seeds 0 and 1 are the default model's rendered detector data (docs/training.md); the benchmark's seeds
are disjoint from them. For the reasoner in isolation each test scene is turned into the detector-like
input the reasoner sees: the "vis" maps57 at level ``input_level`` (σ 1.0 px), and a root-depth map
(:func:`gt_root_depth`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..camera import Letterbox
from ..codec import Codec, CodecParams
from ..data.synth import SceneConfig, SkeletonScenes
from ..data.transforms import sample_transform, transform_joints
from ..errors import HuporError
from ..records import ImageRecord
from ..skeleton import MPI15, Skeleton

_TRAIN_SCENE = dict(width=256, height=160, max_people=4, depth_range_mm=(2000.0, 7000.0))
_TEST_SCENE = dict(width=256, height=160, min_people=2, max_people=4, depth_range_mm=(2000.0, 7000.0),
                   overlap_fraction=1.0, occluder_prob=0.7, max_occluders=2)


@dataclass(frozen=True)
class BenchSpec:
    """The benchmark definition (sizes px, seeds, scene counts). ``match_px``: the MuPoTS 40-px
    identity-matching threshold scaled from a 2048-px-wide MuPoTS frame to ``train_scene.width``."""

    net_w: int = 256
    net_h: int = 160
    train_scene: SceneConfig = field(default_factory=lambda: SceneConfig(**_TRAIN_SCENE))
    test_scene: SceneConfig = field(default_factory=lambda: SceneConfig(**_TEST_SCENE))
    train_seed: int = 1000
    val_seed: int = 2000
    val_scenes: int = 32
    test_seed: int = 3000
    test_scenes: int = 200
    refine_seed: int = 4000
    refine_scenes: int = 400
    input_level: int = 4
    root_radius: int = 2
    stride: int = 4

    def __post_init__(self):
        for name, sc in (("train_scene", self.train_scene), ("test_scene", self.test_scene)):
            if (sc.width, sc.height) != (self.net_w, self.net_h):
                raise HuporError(f"BenchSpec.{name}: scene size {sc.width}x{sc.height} must equal the "
                                 f"network input {self.net_w}x{self.net_h}")
        if self.stride not in (2, 4):
            raise HuporError(f"BenchSpec.stride: must be 4 or 2, got {self.stride!r}")
        if not 0 <= self.input_level <= 4:
            raise HuporError(f"BenchSpec.input_level: must be in 0..4, got {self.input_level}")
        for name in ("val_scenes", "test_scenes", "refine_scenes"):
            if getattr(self, name) < 1:
                raise HuporError(f"BenchSpec.{name}: must be at least 1")

    @property
    def match_px(self) -> float:
        return 40.0 * self.net_w / 2048.0

    def codec(self, skeleton: Skeleton = MPI15) -> Codec:
        return Codec(skeleton, CodecParams(net_w=self.net_w, net_h=self.net_h, stride=self.stride))

    @classmethod
    def at_size(cls, net_w: int, net_h: int, **kw) -> "BenchSpec":
        """The benchmark with both scene configs at ``net_w × net_h`` (other fields: ``kw``)."""
        return cls(net_w=net_w, net_h=net_h, train_scene=SceneConfig(**{**_TRAIN_SCENE, "width": net_w, "height": net_h}),
                   test_scene=SceneConfig(**{**_TEST_SCENE, "width": net_w, "height": net_h}), **kw)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["match_px"] = self.match_px
        return d


def same_definition(stored: dict, current: dict) -> bool:
    """Whether a stored benchmark definition (``BenchSpec.to_dict()`` of an earlier run) is the current
    one: every stored field equal; fields added to the code since (with their defaults) are ignored."""
    import json

    if isinstance(stored, dict) and isinstance(current, dict):
        return all(k in current and same_definition(v, current[k]) for k, v in stored.items())
    return json.dumps(stored) == json.dumps(current)


def split_scenes(spec: BenchSpec, split: str, run_seed: int = 0, motion=None) -> SkeletonScenes:
    """The scenes of ``split`` ("train", "val", "refine", "test"); ``run_seed`` only shifts "train"."""
    if split == "train":
        return SkeletonScenes(spec.train_scene, spec.train_seed + run_seed, 100_000, motion=motion)
    if split == "val":
        return SkeletonScenes(spec.train_scene, spec.val_seed, spec.val_scenes, motion=motion)
    if split == "refine":
        return SkeletonScenes(spec.train_scene, spec.refine_seed, spec.refine_scenes, motion=motion)
    if split == "test":
        return SkeletonScenes(spec.test_scene, spec.test_seed, spec.test_scenes, motion=motion)
    raise HuporError(f"benchmark split must be train, val, refine or test, got {split!r}")


def gt_root_depth(targets: np.ndarray, h: int, w: int, focal_net: float, radius: int = 2) -> np.ndarray:
    """A root-depth map (T, h, w) in ``Z_cm/(fx·s)`` as a perfect *visible-only* depth head would give.

    ``targets``: ``Codec.encode(...).root_depth`` (T, M, 3) = row, col (output px), value per visible
    torso joint (value 0 = unused row); ``focal_net`` = fx·s (px).

    Channel m holds, in a disk of ``radius`` output px around every **visible** (v = 2) torso joint m,
    that joint's own depth (painted far → near, so the nearer person wins); every other pixel takes
    the value of the nearest painted pixel of the channel (a smooth network's extrapolation: at an
    occluded joint the decoder therefore reads a neighbour's depth, as it would from a real detector).
    A channel with no visible joint takes the mean of all painted values (5 m if there are none).
    """
    from scipy.ndimage import distance_transform_edt

    t = np.asarray(targets, dtype=np.float64)
    if t.ndim != 3 or t.shape[2] != 3:
        raise HuporError(f"gt_root_depth: targets must be (T, M, 3), got {t.shape}")
    n_t = t.shape[0]
    out = np.zeros((n_t, h, w), np.float32)
    painted = np.zeros((n_t, h, w), bool)
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disk = (yy ** 2 + xx ** 2) <= radius ** 2
    dy, dx = yy[disk], xx[disk]
    for m in range(n_t):
        rows = t[m][t[m, :, 2] > 0]
        for r, c, v in rows[np.argsort(-rows[:, 2])]:  # far (large value) first
            ry, rx = int(r) + dy, int(c) + dx
            ok = (ry >= 0) & (ry < h) & (rx >= 0) & (rx < w)
            out[m, ry[ok], rx[ok]] = v
            painted[m, ry[ok], rx[ok]] = True
    fallback = float(out[painted].mean()) if painted.any() else 500.0 / focal_net
    for m in range(n_t):
        if not painted[m].any():
            out[m] = fallback
            continue
        idx = distance_transform_edt(~painted[m], return_distances=False, return_indices=True)
        out[m] = out[m][idx[0], idx[1]]
    return out


@dataclass
class PreparedScene:
    """One test scene for the reasoner in isolation: ``record`` (ground truth), ``input57``
    (J+3P, h, w) visible maps (raw scale), ``root_depth`` (T, h, w) and the identity ``letterbox``."""

    record: ImageRecord
    input57: np.ndarray
    root_depth: np.ndarray
    letterbox: Letterbox


def prepare_scenes(spec: BenchSpec, records, skeleton: Skeleton = MPI15) -> list[PreparedScene]:
    """Visible maps57 at ``spec.input_level`` and :func:`gt_root_depth` maps for each record."""
    codec = spec.codec(skeleton)
    out = []
    for rec in records:
        tg, focal = _encode(spec, codec, rec, skeleton, "vis")
        h, w = tg.maps["vis"].shape[-2:]
        rd = gt_root_depth(tg.root_depth, h, w, focal, spec.root_radius)
        lb = Letterbox.fit(rec.width, rec.height, spec.net_w, spec.net_h)
        out.append(PreparedScene(rec, tg.maps["vis"][0], rd, lb))
    return out


def oracle_maps(spec: BenchSpec, records, skeleton: Skeleton = MPI15) -> np.ndarray:
    """The ceiling of every reasoner: ground-truth maps57 of **all** joints at ``spec.input_level``
    (N, J+3P, h, w), raw codec scale (a perfect reasoner's output)."""
    codec = spec.codec(skeleton)
    return np.stack([_encode(spec, codec, rec, skeleton, "all")[0].maps["all"][0] for rec in records])


def _encode(spec: BenchSpec, codec: Codec, rec, skeleton: Skeleton, subset: str):
    """``(targets, focal)`` of one record at ``spec.input_level``, ``subset`` "vis" or "all"."""
    t = sample_transform(rec.width, rec.height, spec.net_w, spec.net_h, None, None, rec.has_3d)
    j2, j3, vis = transform_joints(rec, t, skeleton)
    focal = rec.intrinsics.fx * t.scale
    return codec.encode(j2, j3, vis, focal, levels=(spec.input_level,), subsets=(subset,)), focal


def split_stats(records) -> dict:
    """People and joint-label statistics of a list of records (fractions of all joints)."""
    vis = np.concatenate([r.visibility.reshape(-1) for r in records]) if records else np.zeros(0)
    people = [r.num_persons for r in records]
    n = max(len(vis), 1)
    in_frame = max(int((vis >= 1).sum()), 1)
    return {"scenes": len(records), "people": int(sum(people)),
            "people_per_scene": float(np.mean(people)) if people else 0.0,
            "visible": float((vis == 2).sum() / n), "occluded": float((vis == 1).sum() / n),
            "out_of_frame": float((vis == 0).sum() / n),
            "occluded_among_in_frame": float((vis == 1).sum() / in_frame)}
