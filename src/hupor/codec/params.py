"""Codec and decoder parameters (typed, frozen dataclasses; passed explicitly).

Units: ``sigmas`` and ``paf_widths`` are in output-map pixels (stride ``stride``); thresholds act on
normalised maps (heatmaps ÷ ``heatmap_peak``, PAF x/y ÷ ``paf_scale``), so they lie in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import HuporError

ROOT_RULES = ("cascade", "weighted", "pelvis")


@dataclass(frozen=True)
class CodecParams:
    """Target geometry and the network-internal scalings (method §4)."""

    net_w: int = 832
    net_h: int = 512
    stride: int = 4
    sigmas: tuple[float, ...] = (2.6, 2.0, 1.7, 1.37, 1.0)  # Gaussian σ per level, output px
    paf_widths: tuple[float, ...] = (3, 2, 1, 1, 1)  # PAF half-width per level, output px
    heatmap_peak: float = 255.0
    paf_scale: float = 127.0
    max_people: int = 20

    def __post_init__(self):
        if self.stride <= 0 or self.net_w % self.stride or self.net_h % self.stride:
            raise HuporError(f"codec params: net size {self.net_w}x{self.net_h} must be a positive "
                             f"multiple of stride {self.stride}")
        if len(self.sigmas) != len(self.paf_widths) or not self.sigmas:
            raise HuporError("codec params: need one PAF width per Gaussian sigma (≥ 1 level)")
        if min(self.sigmas) <= 0 or min(self.paf_widths) <= 0:
            raise HuporError("codec params: sigmas and paf_widths must be positive")
        if self.heatmap_peak <= 0 or self.paf_scale <= 0 or self.max_people <= 0:
            raise HuporError("codec params: heatmap_peak, paf_scale and max_people must be positive")

    @property
    def map_w(self) -> int:
        return self.net_w // self.stride

    @property
    def map_h(self) -> int:
        return self.net_h // self.stride

    @property
    def num_levels(self) -> int:
        return len(self.sigmas)


@dataclass(frozen=True)
class CodecConfig:
    """The ``codec:`` section of an experiment config and of a model bundle: the target geometry that
    the heads are trained on and decoded with (the network input size comes from ``input:``).

    ``stride``: output stride of the detector and the reasoner (4 as in the paper, or 2: the
    higher-resolution head); ``sigmas`` / ``paf_widths`` per label level in output px.
    """

    stride: int = 4
    sigmas: tuple[float, ...] = CodecParams.sigmas
    paf_widths: tuple[float, ...] = CodecParams.paf_widths
    heatmap_peak: float = CodecParams.heatmap_peak
    paf_scale: float = CodecParams.paf_scale
    max_people: int = CodecParams.max_people

    def __post_init__(self):
        if self.stride not in (2, 4):
            raise HuporError(f"codec.stride: must be 4 or 2, got {self.stride!r}")
        self.params(32 * self.stride, 32 * self.stride)  # the remaining checks

    def params(self, net_w: int, net_h: int) -> CodecParams:
        """The :class:`CodecParams` for a ``net_w x net_h`` network input."""
        return CodecParams(net_w=net_w, net_h=net_h, stride=self.stride, sigmas=tuple(self.sigmas),
                           paf_widths=tuple(self.paf_widths), heatmap_peak=self.heatmap_peak,
                           paf_scale=self.paf_scale, max_people=self.max_people)


@dataclass(frozen=True)
class DecodeParams:
    """Decoder settings (method §8). Scores and thresholds are on normalised maps.

    * ``peak_threshold``: NMS keeps heatmap maxima above this value (official 0.2).
    * ``refine``: sub-pixel refinement, "mean" (official: value-weighted mean over a
      ``(2r+1)²`` window, positive values only, r = ``refine_radius``) or "gaussian" (log-parabola
      through the peak and its 4 neighbours; exact for Gaussians and robust to nearby peaks).
    * ``max_peaks``: at most this many peaks per joint channel (highest first).
    * ``paf_sample_min`` / ``paf_sample_max`` / ``paf_point_threshold`` / ``paf_keep_ratio``: PAF
      line score (method §8.5).
    * ``bone_slack``: bone-length prior factor (1.2 in the official code).
    * ``heat_weight``: weight of the candidate joint's heatmap score in the grouping score (0 in the
      official code, :func:`hupor.codec.group.group_people`).
    * ``short_limb``: penalise limbs shorter than this fraction of their expected 2D length in the
      grouping score (0 = off, the official rule).
    * ``max_people``: at most this many persons (pelvis peaks with the highest scores).
    * ``root_rule``: "cascade" (method §7.3), "weighted" (official confidence-weighted average) or
      "pelvis" (pelvis channel only).
    * ``root_tau_hi`` / ``root_tau``: confidence thresholds for the root rules.
    * ``root_confidence``: which heatmaps gate the root rules: ``"detector"`` (supplement §1.1: only
      joints the *detection module* sees with high confidence may give the root depth, since the
      root-depth head is visible-only) or ``"reasoner"`` (the final maps; hupor before 0.2).
    * ``delta_*_mm``: root offsets ``Z_pelvis − rule depth`` in mm for the second-class pairs and
      single joints (defaults 0; fitted values in ``configs/cpu-s2.yaml``, docs/codec.md), converted to
      the root-depth head's unit ``Z_cm/(fx·s)`` at decode time.
    * ``depth_samples`` / ``depth_clip``: relative depth per limb from this many samples on the
      z map, clipped to these percentiles (method §8.7).
    * ``person_threshold``: the model's calibrated person-score threshold, in [0, 1): people scoring
      below it are not written by default (``Predictor(min_score=None)``, ``hupor predict``); chosen on
      a validation seed with ``hupor bench threshold`` (0 = every decoded person).
    """

    peak_threshold: float = 0.2
    refine: str = "mean"
    refine_radius: int = 3
    max_peaks: int = 127
    paf_sample_min: int = 5
    paf_sample_max: int = 25
    paf_point_threshold: float = 0.05
    paf_keep_ratio: float = 0.95
    bone_slack: float = 1.2
    heat_weight: float = 0.0
    short_limb: float = 0.0
    max_people: int = 64
    root_rule: str = "cascade"
    root_tau_hi: float = 0.5
    root_tau: float = 0.33
    root_confidence: str = "detector"
    delta_shoulders_mm: float = 0.0
    delta_diagonal_mm: float = 0.0
    delta_neck_head_mm: float = 0.0
    delta_single_mm: tuple[float, ...] = (0.0,) * 7  # torso channel order (skeleton.torso)
    depth_samples: int = 10
    depth_clip: tuple[float, float] = (10.0, 90.0)
    person_threshold: float = 0.0

    def __post_init__(self):
        if not 0.0 <= self.person_threshold < 1.0:
            raise HuporError(f"decode params: person_threshold must be in [0, 1), got {self.person_threshold}")
        if self.root_rule not in ROOT_RULES:
            raise HuporError(f"decode params: root_rule must be one of {ROOT_RULES}, "
                             f"got {self.root_rule!r}")
        if not 0 <= self.peak_threshold < 1:
            raise HuporError(f"decode params: peak_threshold must be in [0, 1), got {self.peak_threshold}")
        if self.root_confidence not in ("detector", "reasoner"):
            raise HuporError(f"decode params: root_confidence must be 'detector' or 'reasoner', "
                             f"got {self.root_confidence!r}")
        if self.refine not in ("mean", "gaussian"):
            raise HuporError(f"decode params: refine must be 'mean' or 'gaussian', got {self.refine!r}")
        if self.heat_weight < 0 or not 0 <= self.short_limb < 1:
            raise HuporError(f"decode params: heat_weight must be >= 0 and short_limb in [0, 1), got "
                             f"{self.heat_weight} and {self.short_limb}")
        if self.refine_radius < 0 or self.max_peaks < 1 or self.max_people < 1:
            raise HuporError("decode params: refine_radius ≥ 0, max_peaks ≥ 1, max_people ≥ 1 required")
        if not 1 <= self.paf_sample_min <= self.paf_sample_max:
            raise HuporError("decode params: need 1 ≤ paf_sample_min ≤ paf_sample_max")
        if self.depth_samples < 1 or not 0 <= self.depth_clip[0] <= self.depth_clip[1] <= 100:
            raise HuporError("decode params: depth_samples ≥ 1 and 0 ≤ depth_clip[0] ≤ depth_clip[1] ≤ 100")
