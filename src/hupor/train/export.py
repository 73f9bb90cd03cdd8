"""Combine trained stages into one model bundle (``hupor.nets.save_bundle``).

A *part* is any file that holds one stage's weights: the final ``OUT/<stage>.pt``, a Lightning
checkpoint (``.ckpt``) of that stage, or a model bundle (its network of that stage is taken). All are
read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import copy
from pathlib import Path

from ..config import from_dict, to_dict
from ..errors import HuporError
from ..nets import DSED, Detector, ModelConfig, RefineNet, save_bundle
from ..nets.bundle import NETWORKS, build_net, bundle_codec_config, expected_skeleton, load_bundle
from ..skeleton import Skeleton
from .checkpoint import CHECKPOINT_KEY, load_checkpoint

NETS = dict(zip(NETWORKS, (Detector, DSED, RefineNet)))


def load_part(path, stage: str) -> tuple[dict, object]:
    """(experiment config dict, network of ``stage`` with its weights) from a part file."""
    path = Path(path)
    data = load_checkpoint(path)
    if isinstance(data, dict) and data.get("format") == "hupor-bundle":
        b = load_bundle(path)
        net = getattr(b, stage)
        if net is None:
            raise HuporError(f"{path}: the bundle has no {stage}")
        return b.config, net
    meta = data.get(CHECKPOINT_KEY) if isinstance(data, dict) else None
    if not isinstance(meta, dict) or "config" not in meta:
        raise HuporError(f"{path}: not a hupor training checkpoint, stage weights file or bundle")
    if meta.get("stage") != stage:
        raise HuporError(f"{path}: holds the {meta.get('stage')!r} stage, expected {stage!r}")
    config = meta["config"]
    model_cfg = from_dict(ModelConfig, config.get("model"), f"{path}: model")
    skeleton = Skeleton.from_dict(meta.get("skeleton") or {})
    state = data.get("state_dict")
    if not isinstance(state, dict):
        raise HuporError(f"{path}: no state_dict")
    prefix = f"{stage}."
    if any(k.startswith(prefix) for k in state):  # Lightning checkpoint: module attribute prefix
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    net = build_net(stage, model_cfg, skeleton, bundle_codec_config(config).stride)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise HuporError(f"{path}: {stage} weights do not match the stored config "
                         f"({str(exc).splitlines()[0]})") from None
    return config, net.eval()


def export_bundle(out_path, parts: dict, base_bundle=None, decode=None, method: str | None = None) -> Path:
    """Write a bundle from ``parts`` (stage → file) on top of ``base_bundle`` (optional).

    The bundle's config is the detector's experiment config with each network's ``model`` section
    taken from the file that holds that network; ``decode`` (a :class:`DecodeParams`) replaces its
    ``decode:`` section. A detector is required (from a part or the base), except for
    ``method="lift"``: a refiner alone, the 2D → 3D lifter of ``hupor lift``. ``method`` defaults to
    the detector config's ``model.method`` (``hupor`` or a 2D plug-in).
    """
    nets: dict[str, object] = {}
    configs: dict[str, dict] = {}
    if base_bundle is not None:
        b = load_bundle(base_bundle)
        for stage in NETS:
            if getattr(b, stage) is not None:
                nets[stage], configs[stage] = getattr(b, stage), b.config
    for stage, path in parts.items():
        if stage not in NETS:
            raise HuporError(f"unknown stage {stage!r}; stages: {', '.join(NETS)}")
        if path is not None:
            configs[stage], nets[stage] = load_part(path, stage)
    if method == "lift":
        if set(nets) != {"refiner"}:
            raise HuporError("a lift bundle holds a refiner alone: give --refiner only")
        return save_bundle(out_path, configs["refiner"], None, None, nets["refiner"], method="lift")
    if "detector" not in nets:
        raise HuporError("a bundle needs a detector: give one, or a base bundle that has one")
    config = copy.deepcopy(configs["detector"])
    config.setdefault("model", {})
    skeleton = nets["detector"].skeleton
    if decode is not None:
        config["decode"] = to_dict(decode)
    stride = bundle_codec_config(config).stride
    for stage, net in nets.items():
        config["model"][stage] = copy.deepcopy(configs[stage]["model"][stage])
        trained = bundle_codec_config(configs[stage]).stride
        if stage != "refiner" and trained != stride:
            raise HuporError(f"the {stage} was trained at output stride {trained}, the detector at {stride}")
        if net.skeleton != expected_skeleton(stage, from_dict(ModelConfig, config["model"], "bundle model"), skeleton):
            raise HuporError(f"the {stage} uses skeleton {net.skeleton.name}, the detector {skeleton.name}")
    if method is None:
        method = config["model"].get("method", "hupor")
    return save_bundle(out_path, config, nets["detector"], nets.get("reasoner"), nets.get("refiner"), method=method)
