"""Typed configuration of the networks (the ``model:`` and ``input:`` sections of an experiment YAML).

Defaults are the paper's sizes (method.md §5.1, §6.2, §9). Every dataclass validates itself in
``__post_init__`` and raises :class:`~hupor.errors.HuporError` naming the field at fault, so a config
built by :func:`hupor.config.from_dict` from YAML or from a checkpoint's stored dict is always usable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal


from ..config import from_dict, read_config_dict
from ..errors import HuporError
from ..plugins.config import HigherHRNetConfig, PifPafConfig


def _positive(where: str, name: str, values) -> None:
    vals = values if isinstance(values, (tuple, list)) else (values,)
    for v in vals:
        if not (isinstance(v, (int, float)) and v > 0):
            raise HuporError(f"{where}.{name}: must be positive, got {values!r}")


def _non_negative(where: str, name: str, value) -> None:
    if not (isinstance(value, (int, float)) and value >= 0):
        raise HuporError(f"{where}.{name}: must be >= 0, got {value!r}")


@dataclass(frozen=True)
class DetectorConfig:
    """Visible-keypoint detector (SMAP/MSPN-style multi-stage encoder-decoder, method §5.1).

    ``blocks``: Bottleneck blocks per ResNet layer; ``widths``: Bottleneck planes per layer (a layer's
    output has ``4 * width`` channels); ``stem_width``: stem output channels (also the width of the
    cross-stage ``cross_conv`` that feeds the next stage); ``decoder_width``: channels of the decoder
    units and of the heads' hidden layer. ``coarse_to_fine``: the last stage is supervised with the
    sharper label levels 1..4 instead of 0..3 (method §5.2). ``head_bn``: the heads' last conv is
    followed by BN as in the official code; ``False`` drops it (faster convergence of short runs,
    docs/networks.md). Loss weights: ``lambda_2d`` on the
    heatmap/PAF-xy MSE, ``lambda_2d * z_scale`` on the PAF-z MSE, ``lambda_depth`` on the root-depth
    L1; ``ohkm_topk`` = (keypoint, PAF-xy, PAF-z) channels kept by OHKM at the finest unit.
    """

    stages: int = 3
    blocks: tuple[int, int, int, int] = (3, 4, 6, 3)
    widths: tuple[int, int, int, int] = (64, 128, 256, 512)
    stem_width: int = 64
    decoder_width: int = 256
    coarse_to_fine: bool = True
    head_bn: bool = True
    lambda_2d: float = 0.1
    z_scale: float = 50.0
    lambda_depth: float = 10.0
    ohkm_topk: tuple[int, int, int] = (8, 16, 8)

    def __post_init__(self):
        w = "model.detector"
        _positive(w, "stages", self.stages)
        _positive(w, "blocks", self.blocks)
        _positive(w, "widths", self.widths)
        _positive(w, "stem_width", self.stem_width)
        _positive(w, "decoder_width", self.decoder_width)
        _positive(w, "ohkm_topk", self.ohkm_topk)
        for name in ("lambda_2d", "z_scale", "lambda_depth"):
            _non_negative(w, name, getattr(self, name))


@dataclass(frozen=True)
class ReasonerConfig:
    """Occluded-keypoint reasoning module (method §6).

    ``kind``: ``"dsed"`` (teacher + student encoders, shared decoder, deep distillation) or ``"hg"``
    (the "Reason (Hg)" baseline: no teacher module, no distillation, decoder fed by the student).
    ``widths[0]`` = 57 gives the paper's 228-channel layer1 (4 × 57). ``supervised_blocks``: encoder
    blocks (1..4) whose teacher/student features are distilled ("S-1/2/3/4" = (1, 2, 3, 4), "S-4" =
    (4,)). ω ramps linearly from 0 to ``omega_max`` over the first ``omega_ramp_fraction`` of training.
    ``lambda_*_occ`` weight the decoder output *before* the residual against occluded-only maps,
    ``lambda_*_all`` the residual-added output against all-joint maps; PAF-z MSEs get ``× z_scale``.
    ``head_bn`` as in :class:`DetectorConfig`. ``teacher_input``: which ground-truth subset the
    teacher reads (``"all"`` as in the code, or ``"occ"`` as suggested by the supplement's Fig. 4);
    ``teacher_level``: its label level (3 in the code). ``image_input``: the reasoner also reads the
    image (supplement Table 6): a two-conv stem (``image_width`` channels at the maps' resolution)
    whose features are concatenated with the maps at every encoder's input. ``student_decode``
    (a deviation, 0 = the official code): the weight of the same reconstruction loss on the
    inference path (student encoders → decoder) in training, so that the decoder also learns to
    read student features; it costs a second forward pass of the student path per step.
    ``TRAINING_FIELDS``: the keys that only set the losses and targets (weights trained with other
    values of them load with ``--init``).
    """

    TRAINING_FIELDS: ClassVar[tuple[str, ...]] = (
        "supervised_blocks", "omega_max", "omega_ramp_fraction", "lambda_k_occ", "lambda_p_occ", "lambda_k_all",
        "lambda_p_all", "z_scale", "teacher_input", "teacher_level", "ohkm_topk", "student_decode")
    kind: Literal["dsed", "hg"] = "dsed"
    stages: int = 2
    blocks: tuple[int, int, int, int] = (3, 4, 6, 3)
    widths: tuple[int, int, int, int] = (57, 128, 256, 512)
    decoder_width: int = 256
    coarse_to_fine: bool = True
    head_bn: bool = True
    supervised_blocks: tuple[int, ...] = (1, 2, 3, 4)
    omega_max: float = 1.0
    omega_ramp_fraction: float = 0.25
    lambda_k_occ: float = 0.1
    lambda_p_occ: float = 0.1
    lambda_k_all: float = 0.1
    lambda_p_all: float = 0.1
    z_scale: float = 50.0
    teacher_input: Literal["all", "occ"] = "all"
    teacher_level: int = 3
    ohkm_topk: tuple[int, int, int] = (8, 16, 8)
    image_input: bool = False
    image_width: int = 16
    student_decode: float = 0.0

    def __post_init__(self):
        w = "model.reasoner"
        _positive(w, "image_width", self.image_width)
        if self.kind not in ("dsed", "hg"):
            raise HuporError(f"{w}.kind: must be 'dsed' or 'hg', got {self.kind!r}")
        if self.teacher_input not in ("all", "occ"):
            raise HuporError(f"{w}.teacher_input: must be 'all' or 'occ', got {self.teacher_input!r}")
        _positive(w, "stages", self.stages)
        _positive(w, "blocks", self.blocks)
        _positive(w, "widths", self.widths)
        _positive(w, "decoder_width", self.decoder_width)
        _positive(w, "ohkm_topk", self.ohkm_topk)
        bad = [b for b in self.supervised_blocks if b not in (1, 2, 3, 4)]
        if bad or len(set(self.supervised_blocks)) != len(self.supervised_blocks):
            raise HuporError(f"{w}.supervised_blocks: distinct blocks among 1..4, got "
                             f"{list(self.supervised_blocks)}")
        if not 0.0 <= self.omega_ramp_fraction <= 1.0:
            raise HuporError(f"{w}.omega_ramp_fraction: must be in [0, 1], got {self.omega_ramp_fraction}")
        if not 0 <= self.teacher_level <= 4:
            raise HuporError(f"{w}.teacher_level: must be in 0..4, got {self.teacher_level}")
        for name in ("student_decode", "omega_max", "lambda_k_occ", "lambda_p_occ", "lambda_k_all", "lambda_p_all", "z_scale"):
            _non_negative(w, name, getattr(self, name))


@dataclass(frozen=True)
class RefinerConfig:
    """RefineNet (method §9): ``"gcn"`` (modulated GCN, ``layers`` × ``hidden``, paper) or ``"mlp"``
    (SMAP's 75-160-256-256-128-45 MLP, official code; ``mlp_hidden`` sets the hidden widths).
    ``batch_norm: false`` drops the BatchNorm layers (a model whose DDP result equals a one-process
    run's: BN statistics are per replica). ``hint_channel``: a sixth input channel marking joints
    given only as a low-score *hint* (``hupor lift``: a 2D detector's low-score keypoints)."""

    kind: Literal["gcn", "mlp"] = "gcn"
    hidden: int = 128
    layers: int = 4
    dropout: float = 0.1
    mlp_hidden: tuple[int, ...] = (160, 256, 256, 128)
    batch_norm: bool = True
    hint_channel: bool = False

    def __post_init__(self):
        w = "model.refiner"
        if self.kind not in ("gcn", "mlp"):
            raise HuporError(f"{w}.kind: must be 'gcn' or 'mlp', got {self.kind!r}")
        _positive(w, "hidden", self.hidden)
        _positive(w, "layers", self.layers)
        _positive(w, "mlp_hidden", self.mlp_hidden)
        if self.layers % 2:
            raise HuporError(f"{w}.layers: must be even (residual every 2 layers), got {self.layers}")
        if not 0.0 <= self.dropout < 1.0:
            raise HuporError(f"{w}.dropout: must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True)
class ModelConfig:
    """The three networks. ``skeleton`` names the joint set the heads are sized for. ``method``:
    ``hupor`` (the detector, reasoner and refiner above), or a 2D bottom-up plug-in network of
    :mod:`hupor.plugins`: ``higherhrnet`` (section ``higherhrnet``) or ``pifpaf`` (section ``pifpaf``)."""

    detector: DetectorConfig = field(default_factory=DetectorConfig)
    reasoner: ReasonerConfig = field(default_factory=ReasonerConfig)
    refiner: RefinerConfig = field(default_factory=RefinerConfig)
    skeleton: str = "mpi15"
    method: str = "hupor"
    higherhrnet: HigherHRNetConfig = field(default_factory=HigherHRNetConfig)
    pifpaf: PifPafConfig = field(default_factory=PifPafConfig)

    def __post_init__(self):
        if self.method not in MODEL_METHODS:
            raise HuporError(f"model.method: one of {', '.join(MODEL_METHODS)}, got {self.method!r}")


MODEL_METHODS = ("hupor", "higherhrnet", "pifpaf")


@dataclass(frozen=True)
class InputConfig:
    """Network input size in pixels (letterboxed image); both must be multiples of 32 (the
    detector's deepest stride). The output maps are ``(net_h, net_w) / codec.stride``
    (:meth:`hupor.codec.params.CodecConfig.params`)."""

    net_w: int = 832
    net_h: int = 512

    def __post_init__(self):
        check_input_size(self.net_w, self.net_h, "input.net_w", "input.net_h")


MAX_INPUT_SIDE = 4096  # px per side of the network input (memory grows with its area)


def check_input_size(w, h, w_name: str = "width", h_name: str = "height") -> None:
    """The network input size: positive multiples of 32, at most :data:`MAX_INPUT_SIDE` per side."""
    for name, v in ((w_name, w), (h_name, h)):
        if not (isinstance(v, int) and not isinstance(v, bool) and v > 0 and v % 32 == 0):
            raise HuporError(f"{name}: must be a positive multiple of 32, got {v!r}")
        if v > MAX_INPUT_SIDE:
            raise HuporError(f"{name}: {v} px is above the limit of {MAX_INPUT_SIDE} px per side")


def load_model_config(name_or_path: str, overrides: list[str] | None = None
                      ) -> tuple[ModelConfig, InputConfig]:
    """Read only the ``model:`` and ``input:`` sections of an experiment YAML (bundled name or path),
    after applying ``key=value`` overrides; other sections are ignored."""
    path, data = read_config_dict(name_or_path, overrides)
    model = from_dict(ModelConfig, data.get("model"), f"{path}: model")
    inp = from_dict(InputConfig, data.get("input"), f"{path}: input")
    return model, inp
