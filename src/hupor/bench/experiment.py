"""Randomly initialised networks of an experiment config at the config's own geometry, for the timing
benchmarks (``benchmarks/efficiency.py``, ``benchmarks/predict_speed.py``).

The experiment YAML is read once, with its ``codec:`` and ``decode:`` sections
(:func:`hupor.train.config.load_experiment`), so the networks have the config's output stride
(``ExperimentConfig.codec_params.stride``: 2 for ``cpu-s2``, the default model) and a saved bundle
carries the same ``codec:`` / ``decode:`` sections as a trained one. (``nets.load_model_config`` reads
the ``model:`` and ``input:`` sections only: networks built from it alone have the default stride 4.)
"""

from __future__ import annotations

from pathlib import Path

from ..camera import Letterbox
from ..codec import Codec, CodecParams
from ..errors import HuporError
from ..nets import build_models, save_bundle
from ..skeleton import get_skeleton
from ..train.config import ExperimentConfig, load_experiment
from .definition import gt_root_depth


def experiment_networks(exp: ExperimentConfig | str, overrides: list[str] | None = None):
    """``(experiment, detector, reasoner, refiner)``: fresh networks of ``exp`` (an
    :class:`ExperimentConfig`, or a bundled name / YAML path read with ``overrides``) at output stride
    ``exp.codec_params.stride``, in eval mode."""
    if not isinstance(exp, ExperimentConfig):
        exp = load_experiment(exp, overrides)
    elif overrides:
        raise HuporError("experiment_networks: overrides apply to a config name or path, not to a loaded config")
    nets = build_models(exp.model, get_skeleton(exp.model.skeleton), exp.codec_params.stride)
    return (exp, *(n.eval() for n in nets))


def save_random_bundle(path, exp: ExperimentConfig | str, overrides: list[str] | None = None) -> Path:
    """Write a bundle of fresh networks of ``exp`` (see :func:`experiment_networks`) to ``path``, with the
    whole experiment config (so ``codec:`` and ``decode:`` travel with it, as in a trained bundle)."""
    exp, det, rea, ref = experiment_networks(exp, overrides)
    return save_bundle(path, exp, det, rea, ref)


def scene_maps(params: CodecParams, people: int, level: int = 4, seed: int | None = None, length: int = 200):
    """``(record, all57 (J+3P, h, w), root_depth (7, h, w), letterbox)`` of the first synthetic scene
    (:class:`hupor.data.synth.SkeletonScenes`, 2–10 m, the image is the network input) with exactly
    ``people`` people in frame: the "all" maps57 at ``level`` as an ideal reasoner would output them,
    at ``params``' stride, and the visible-only root-depth map of :func:`hupor.bench.gt_root_depth`
    (``Z_cm/(fx·s)``). ``seed`` defaults to ``people``."""
    from ..data.synth import SceneConfig, SkeletonScenes

    cfg = SceneConfig(width=params.net_w, height=params.net_h, min_people=people, max_people=people,
                      depth_range_mm=(2000.0, 10000.0), border_margin=0.0)
    ds = SkeletonScenes(cfg, seed=people if seed is None else seed, length=length)
    codec = Codec(params=params)
    for i in range(len(ds)):
        rec = ds[i]
        if rec.num_persons == people:
            focal = rec.intrinsics.fx
            tg = codec.encode(rec.joints_2d, rec.joints_3d, rec.visibility, focal, levels=(level,),
                              subsets=("all", "vis"))
            h, w = tg.maps["all"].shape[-2:]
            rd = gt_root_depth(tg.root_depth, h, w, focal)
            return rec, tg.maps["all"][0], rd, Letterbox.fit(params.net_w, params.net_h, params.net_w, params.net_h)
    raise HuporError(f"scene_maps: no scene with {people} people in frame among the first {length}")
