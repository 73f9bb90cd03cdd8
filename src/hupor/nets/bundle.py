"""Model bundle: one file with the experiment config, skeleton metadata, package versions and the
state dicts of the detector, the reasoner and the refiner.

The file holds tensors and plain data only (no pickled classes) and is read with
``torch.load(weights_only=True)``; the networks are rebuilt from the stored config's ``model`` section.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..version import __version__
from ..codec.params import CodecConfig, CodecParams, DecodeParams
from ..config import from_dict, to_dict
from ..errors import HuporError
from ..fileio import load_torch, write_atomic
from ..skeleton import MPI15, Skeleton
from .config import InputConfig, ModelConfig
from .detector import Detector
from .dsed import DSED
from .refinenet import RefineNet

#: The networks of a HUPOR model, in pipeline order (also the training stages, ``train.config.STAGES``).
NETWORKS = ("detector", "reasoner", "refiner")

FORMAT = "hupor-bundle"
FORMAT_VERSION = 1


@dataclass
class ModelBundle:
    """Loaded networks (in eval mode) with the plain experiment ``config`` dict they were saved with
    and the ``method`` (key of ``hupor.methods.METHODS``) that runs them."""

    config: dict
    skeleton: Skeleton
    detector: Detector | None      # None only in a ``lift`` bundle (a refiner alone, hupor.lift)
    reasoner: DSED | None = None
    refiner: RefineNet | None = None
    method: str = "hupor"

    @property
    def model_config(self) -> ModelConfig:
        return from_dict(ModelConfig, self.config.get("model"), "bundle config: model")

    @property
    def input_config(self) -> InputConfig:
        """The stored ``input:`` section (the paper's 832×512 when a bundle has none)."""
        return from_dict(InputConfig, self.config.get("input"), "bundle config: input")

    @property
    def codec_config(self) -> CodecConfig:
        """The stored ``codec:`` section; bundles written before it existed get the defaults (stride 4)."""
        return bundle_codec_config(self.config)

    @property
    def decode_params(self) -> DecodeParams:
        """The stored ``decode:`` section (defaults when absent)."""
        return from_dict(DecodeParams, self.config.get("decode"), "bundle config: decode")

    def codec_params(self, input_size: tuple[int, int] | None = None) -> CodecParams:
        """Codec geometry for ``input_size`` = (net_w, net_h), default the bundle's input size."""
        if input_size is None:
            inp = self.input_config
            input_size = (inp.net_w, inp.net_h)
        return self.codec_config.params(int(input_size[0]), int(input_size[1]))


def bundle_codec_config(config: dict) -> CodecConfig:
    """The ``codec:`` section of a stored config dict (defaults when absent)."""
    return from_dict(CodecConfig, config.get("codec"), "bundle config: codec")


def build_net(stage: str, cfg: ModelConfig, skeleton: Skeleton = MPI15, stride: int = 4) -> nn.Module:
    """A fresh network of ``stage`` (``detector``, ``reasoner``, ``refiner``) for ``cfg``."""
    if stage == "refiner":
        return RefineNet(cfg.refiner, skeleton)
    if stage == "detector" and cfg.method != "hupor":
        from ..plugins.losses import build_plugin

        return build_plugin(cfg)            # a 2D plug-in's base network (hupor.plugins)
    if stage == "detector":
        return Detector(cfg.detector, skeleton, stride)
    if stage == "reasoner" and cfg.method != "hupor":
        from ..plugins.reason import REASON_STRIDE, plugin_skeleton

        return DSED(cfg.reasoner, plugin_skeleton(getattr(cfg, cfg.method).joints), REASON_STRIDE)
    if stage == "reasoner":
        return DSED(cfg.reasoner, skeleton, stride)
    raise HuporError(f"unknown network {stage!r}; networks: {', '.join(NETWORKS)}")


def expected_skeleton(stage: str, cfg: ModelConfig, skeleton: Skeleton) -> Skeleton:
    """The skeleton the ``stage`` network of a bundle must use: the bundle's, except a 2D plug-in's
    reasoner, which works in the plug-in joint set (:func:`hupor.plugins.reason.plugin_skeleton`)."""
    if stage == "reasoner" and cfg.method != "hupor":
        from ..plugins.reason import plugin_skeleton

        return plugin_skeleton(getattr(cfg, cfg.method).joints)
    return skeleton


def build_models(cfg: ModelConfig, skeleton: Skeleton = MPI15, stride: int = 4
                 ) -> tuple[Detector, DSED, RefineNet]:
    """Fresh (randomly initialised) detector, reasoner and refiner for ``cfg`` at output ``stride``."""
    return tuple(build_net(n, cfg, skeleton, stride) for n in NETWORKS)


def _plain_config(config) -> dict:
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return to_dict(config)
    if not isinstance(config, dict):
        raise HuporError(f"save_bundle: config must be a dict or a config dataclass, got {type(config).__name__}")
    return to_dict_plain(config)


def to_dict_plain(d):
    """Deep copy of a dict/list tree with tuples turned into lists (safe for weights_only loading)."""
    if isinstance(d, dict):
        return {str(k): to_dict_plain(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return [to_dict_plain(v) for v in d]
    if d is None or isinstance(d, (bool, int, float, str)):
        return d
    raise HuporError(f"save_bundle: config value {d!r} ({type(d).__name__}) is not plain data")


def save_bundle(path, config, detector: Detector | None, reasoner: DSED | None = None,
                refiner: RefineNet | None = None, method: str = "hupor") -> Path:
    """Write a bundle atomically. ``config``: the experiment config (dict or dataclass) whose
    ``model`` section describes the given networks (checked); ``method``: the method that runs them.
    Only a ``lift`` bundle may lack the detector (it holds a refiner alone)."""
    plain = _plain_config(config)
    model_cfg = from_dict(ModelConfig, plain.get("model"), "save_bundle config: model")
    stride = bundle_codec_config(plain).stride
    if detector is None and (method != "lift" or refiner is None):
        raise HuporError("save_bundle: a bundle needs a detector (only a 'lift' bundle is a refiner alone)")
    skeleton = (detector or refiner).skeleton
    plugin = model_cfg.method != "hupor"
    for name, net, want in (("detector", detector, getattr(model_cfg, model_cfg.method) if plugin
                             else model_cfg.detector),
                            ("reasoner", reasoner, model_cfg.reasoner),
                            ("refiner", refiner, model_cfg.refiner)):
        if net is not None and net.cfg != want:
            raise HuporError(f"save_bundle: the {name}'s config differs from config['model']['{name}']")
        if net is not None and not plugin and getattr(net, "stride", stride) != stride:
            raise HuporError(f"save_bundle: the {name} has output stride {net.stride}, "
                             f"config['codec']['stride'] is {stride}")
        if net is not None and net.skeleton != expected_skeleton(name, model_cfg, skeleton):
            raise HuporError(f"save_bundle: the {name} uses skeleton {net.skeleton.name}, "
                             f"the detector {skeleton.name}")

    def state(net: nn.Module | None):
        return None if net is None else {k: v.detach().cpu() for k, v in net.state_dict().items()}

    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "method": str(method),
        "config": plain,
        "skeleton": skeleton.to_dict(),
        "versions": {"hupor": str(__version__), "torch": str(torch.__version__)},
        "detector": state(detector),
        "reasoner": state(reasoner),
        "refiner": state(refiner),
    }
    return write_atomic(path, lambda p: torch.save(payload, p))


def _load_state(name: str, net: nn.Module, state, path: Path) -> None:
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise HuporError(f"{path}: '{name}' is not a state dict")
    for key, value in state.items():  # NaN / inf weights would fail later, per image, naming nothing
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise HuporError(f"{path}: {name} weight {key!r} holds NaN or inf values (a diverged or corrupt model)")
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise HuporError(f"{path}: {name} weights do not match its config "
                         f"({first[1].strip() if len(first) > 1 else first[0]})") from None


def load_bundle(path, device: str | torch.device = "cpu") -> ModelBundle:
    """Read a bundle written by :func:`save_bundle`; networks are returned in eval mode on ``device``.
    A missing, corrupt or mismatching file raises :class:`HuporError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise HuporError(f"{path}: no such model bundle")
    data = load_torch(path, "model bundle")  # not torch / unsafe objects / corrupt: one clear line
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise HuporError(f"{path}: not a hupor model bundle (missing format tag)")
    if data.get("format_version") != FORMAT_VERSION:
        raise HuporError(f"{path}: unsupported bundle version {data.get('format_version')!r}")
    config = data.get("config")
    if not isinstance(config, dict):
        raise HuporError(f"{path}: bundle has no config mapping")
    skeleton = Skeleton.from_dict(data.get("skeleton") or {})
    model_cfg = from_dict(ModelConfig, config.get("model"), f"{path}: model")
    method = data.get("method", "hupor")
    if not isinstance(method, str):
        raise HuporError(f"{path}: bundle 'method' must be a string, got {type(method).__name__}")
    if data.get("detector") is None and not (method == "lift" and data.get("refiner") is not None):
        raise HuporError(f"{path}: bundle has no detector weights")
    stride = from_dict(CodecConfig, config.get("codec"), f"{path}: codec").stride
    nets = {}
    for stage in NETWORKS:
        if data.get(stage) is not None:
            nets[stage] = build_net(stage, model_cfg, skeleton, stride)
            _load_state(stage, nets[stage], data[stage], path)
    detector, reasoner, refiner = (nets.get(s) for s in NETWORKS)
    nets = list(nets.values())
    for n in nets:
        n.to(device).eval()
    return ModelBundle(config, skeleton, detector, reasoner, refiner, method)
