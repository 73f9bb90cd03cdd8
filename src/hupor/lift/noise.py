"""A measured model of how the detector + decoder get a person wrong, for synthetic RefineNet pairs.

RefineNet (method §9) learns from (prediction, ground truth) pairs. The trained pipeline gives a few
thousand of them per CPU-hour; the motion-capture skeletons give millions of ground-truth people for
free. :class:`DetectionNoise` turns a ground-truth person into what the pipeline would have decoded
for it, with every parameter measured on real pairs (:func:`calibrate`):

* which joints are reported: per joint, ``p_visible[j]`` for visible and ``p_occluded[j]`` for
  occluded joints (the root is always reported: the decoder starts people from it);
* 2D error (network-input px): Gaussian ``sigma_px[j] + sigma_scale[j] · height`` per axis (height:
  the person's 2D extent in y; the scale term models detectors whose error grows with the person),
  plus an outlier with probability ``outlier_rate`` and spread ``outlier_px``;
* left/right collapse: with probability ``lr_collapse`` a reported left/right pair (``flip``) is
  decoded at one spot, one of the two joints' noisy positions (a detector that cannot tell the sides
  apart puts both wrists on one wrist; docs/training.md);
* relative depth (cm): ``relz_gain · true + N(0, sigma_z_cm[j])`` along the chain;
* root depth: ``Z · exp(N(0, root_log_sigma))``.

Then the 3D is made as the decoder makes it (joints back-projected at the root depth plus their
relative depth), and the features are :func:`hupor.nets.refine_features` of it. With ``flat_z`` every
joint sits at the root depth (no depth from a network): the input of ``hupor lift``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import HuporError
from ..nets import refine_features

MM_PER_CM = 10.0


@dataclass
class DetectionNoise:
    """Per-joint lists have one value per skeleton joint (MPI15: 15). Units: px of the network input,
    cm for depths."""

    p_visible: list[float] = field(default_factory=lambda: [0.8] * 15)
    p_occluded: list[float] = field(default_factory=lambda: [0.3] * 15)
    sigma_px: list[float] = field(default_factory=lambda: [1.5] * 15)
    sigma_scale: list[float] = field(default_factory=lambda: [0.0] * 15)
    outlier_rate: float = 0.05
    outlier_px: float = 10.0
    relz_gain: float = 0.3
    sigma_z_cm: list[float] = field(default_factory=lambda: [12.0] * 15)
    root_log_sigma: float = 0.08
    flat_z: bool = False
    occluded_sigma_gain: float = 1.0
    lr_collapse: float = 0.0

    def __post_init__(self):
        lists = {k: np.asarray(getattr(self, k), float) for k in ("p_visible", "p_occluded", "sigma_px", "sigma_scale",
                                                                 "sigma_z_cm")}
        j = {len(v) for v in lists.values()}
        if len(j) != 1:
            raise HuporError(f"DetectionNoise: per-joint lists differ in length ({sorted(j)})")
        for k in ("p_visible", "p_occluded"):
            if ((lists[k] < 0) | (lists[k] > 1)).any():
                raise HuporError(f"DetectionNoise.{k}: probabilities must be in [0, 1]")
        for k in ("sigma_px", "sigma_scale", "sigma_z_cm"):
            if (lists[k] < 0).any():
                raise HuporError(f"DetectionNoise.{k}: must be non-negative")
        if not 0 <= self.outlier_rate <= 1 or self.outlier_px < 0 or self.root_log_sigma < 0:
            raise HuporError("DetectionNoise: outlier_rate in [0, 1], outlier_px and root_log_sigma >= 0")
        if not 0 <= self.lr_collapse <= 1:
            raise HuporError("DetectionNoise.lr_collapse: a probability in [0, 1]")
        if self.occluded_sigma_gain <= 0:
            raise HuporError("DetectionNoise.occluded_sigma_gain: must be positive")

    @property
    def num_joints(self) -> int:
        return len(self.p_visible)

    def to_dict(self) -> dict:
        return {k: (np.round(v, 4).tolist() if isinstance(v, list) else v) for k, v in asdict(self).items()}


def noisy_2d(noise: DetectionNoise, joints_2d: np.ndarray, visibility: np.ndarray, rng: np.random.Generator,
             root: int | None = None, flip=None) -> tuple[np.ndarray, np.ndarray]:
    """The 2D part of the noise: ``(joints_2d + error (N, J, 2), reported (N, J) bool)`` for
    ground-truth ``joints_2d`` (px) and ``visibility`` (N, J) in {0, 1, 2}. ``root``: that joint is
    always reported and never an outlier (the decoder starts people from it). ``flip``: the
    skeleton's left/right table, for ``lr_collapse`` (no collapse without it)."""
    uv = np.asarray(joints_2d, np.float64)
    vis = np.asarray(visibility)
    n, j = vis.shape
    p = np.where(vis == 2, np.asarray(noise.p_visible)[None], np.where(vis == 1, np.asarray(noise.p_occluded)[None], 0.0))
    reported = rng.random((n, j)) < p
    if root is not None:
        reported[:, root] = True
    height = np.ptp(uv[..., 1], axis=1)[:, None]                       # (N, 1) px
    sigma = np.asarray(noise.sigma_px)[None] + np.asarray(noise.sigma_scale)[None] * height
    sigma = sigma * np.where(vis == 1, noise.occluded_sigma_gain, 1.0)        # hidden joints: located worse
    out_uv = uv + rng.normal(size=(n, j, 2)) * sigma[..., None]
    out = rng.random((n, j)) < noise.outlier_rate
    if root is not None:
        out[:, root] = False
    out_uv += out[..., None] * rng.normal(size=(n, j, 2)) * noise.outlier_px
    if flip is not None and noise.lr_collapse > 0:
        a, b = lr_pairs(flip)
        hit = reported[:, a] & reported[:, b] & (rng.random((n, len(a))) < noise.lr_collapse)
        keep = np.where(rng.random((n, len(a))) < 0.5, a[None], b[None])      # whose position both get
        spot = out_uv[np.arange(n)[:, None], keep]                              # (N, P, 2)
        out_uv[:, a] = np.where(hit[..., None], spot, out_uv[:, a])
        out_uv[:, b] = np.where(hit[..., None], spot, out_uv[:, b])
    return out_uv, reported


def lr_pairs(flip) -> tuple[np.ndarray, np.ndarray]:
    """The (left, right) joint index pairs of a flip table (joints that map to themselves left out)."""
    f = np.asarray(flip)
    a = np.flatnonzero(f > np.arange(len(f)))
    return a, f[a]


def simulate(noise: DetectionNoise, joints_net: np.ndarray, joints_3d_mm: np.ndarray, visibility: np.ndarray,
             f_net: tuple[float, float], c_net: tuple[float, float], root: int, rng: np.random.Generator,
             hint_channel: bool = False, flip=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noisy pipeline output for N ground-truth people.

    ``joints_net`` (N, J, 2) network-input px; ``joints_3d_mm`` (N, J, 3) camera frame; ``visibility``
    (N, J) in {0 outside, 1 occluded, 2 visible}; ``f_net``/``c_net``: the intrinsics in network-input
    px (fx·s, fy·s; cx·s + pad_x, cy·s + pad_y). Returns ``features`` (N, J, 5) float32 (RefineNet
    input; (N, J, 6) with ``hint_channel``: reported *occluded* joints are marked as low-score hints,
    as a 2D detector scores the joints it cannot see), ``target`` (N, J, 3) float32 root-relative cm,
    ``detected`` (N, J) bool. ``flip``: the skeleton's left/right table (``lr_collapse``).
    """
    uv = np.asarray(joints_net, np.float64)
    xyz = np.asarray(joints_3d_mm, np.float64)
    vis = np.asarray(visibility)
    n, j = vis.shape
    if j != noise.num_joints:
        raise HuporError(f"simulate: {j} joints, the noise model has {noise.num_joints}")
    uv_noisy, det = noisy_2d(noise, uv, vis, rng, root, flip)
    z_root = xyz[:, root, 2] * np.exp(rng.normal(size=n) * noise.root_log_sigma)
    if noise.flat_z:
        relz = np.zeros((n, j))
    else:
        true_rel = (xyz[..., 2] - xyz[:, root:root + 1, 2]) / MM_PER_CM
        relz = noise.relz_gain * true_rel + rng.normal(size=(n, j)) * np.asarray(noise.sigma_z_cm)[None]
        relz[:, root] = 0.0
    z = z_root[:, None] + MM_PER_CM * relz
    x = (uv_noisy[..., 0] - c_net[0]) * z / f_net[0]
    y = (uv_noisy[..., 1] - c_net[1]) * z / f_net[1]
    pred_cm = np.stack([x, y, z], -1) / MM_PER_CM
    feats = refine_features(uv_noisy, pred_cm, det, root, (vis == 1) & det if hint_channel else None)
    target = ((xyz - xyz[:, root:root + 1]) / MM_PER_CM).astype(np.float32)
    return feats, target, det


def _robust_sigma(x: np.ndarray) -> float:
    """σ of the inliers of a zero-centred sample: 1.4826 · median |x|."""
    return float(1.4826 * np.median(np.abs(x))) if x.size else 0.0


def calibrate(features: np.ndarray, target: np.ndarray, gt_net: np.ndarray, visibility: np.ndarray,
              gt_root_cm: np.ndarray, root: int, min_count: int = 20, flip=None,
              collapse_px: float = 2.0) -> DetectionNoise:
    """Fit :class:`DetectionNoise` to real pairs (``hupor train pairs`` files with ``gt_net``,
    ``visibility`` and ``gt_root_cm``, i.e. written by this version).

    Detection rates per joint and visibility; the 2D error per joint (robust σ over both axes of the
    detected joints, errors over ``4σ`` counted as outliers, their RMS as ``outlier_px``); the
    relative-depth gain by least squares and the per-joint residual σ; the root depth's log ratio σ.
    Joints with fewer than ``min_count`` samples take the median over joints. With ``flip``: the
    left/right collapse rate, the share of both-detected left/right pairs whose true positions are
    more than ``2·collapse_px`` apart but are decoded within ``collapse_px`` of each other.
    """
    f = np.asarray(features, np.float64)
    t = np.asarray(target, np.float64)
    vis = np.asarray(visibility)
    det = np.any(f != 0, axis=-1)
    n, j = det.shape
    if len(f) == 0:
        raise HuporError("calibrate: no pairs")
    uv = f[..., :2].copy()
    uv[:, np.arange(j) != root] += f[:, root:root + 1, :2]
    err2d = uv - gt_net
    pv, po, sig, sz = (np.full(j, np.nan) for _ in range(4))
    for k in range(j):
        v2, v1 = vis[:, k] == 2, vis[:, k] == 1
        if v2.sum() >= min_count:
            pv[k] = det[v2, k].mean()
        if v1.sum() >= min_count:
            po[k] = det[v1, k].mean()
        e = err2d[det[:, k], k].ravel()
        if e.size >= min_count:
            sig[k] = _robust_sigma(e)
    pv, po, sig = (np.where(np.isnan(a), np.nanmedian(a), a) for a in (pv, po, sig))
    e_all = np.abs(err2d[det])                                   # (M, 2)
    thr = 4.0 * np.asarray([sig[k] for k in np.nonzero(det)[1]])[:, None]
    is_out = (e_all > thr).any(axis=1)
    is_out_rate = float(is_out.mean()) if is_out.size else 0.0
    out_px = float(np.sqrt((err2d[det][is_out] ** 2).mean())) if is_out.any() else 0.0
    m = det.copy()
    m[:, root] = False
    pred_rel = f[..., 4]
    true_rel = t[..., 2]
    gain = float((pred_rel[m] * true_rel[m]).sum() / max((true_rel[m] ** 2).sum(), 1e-9))
    res = pred_rel - gain * true_rel
    for k in range(j):
        if k != root and m[:, k].sum() >= min_count:
            sz[k] = _robust_sigma(res[m[:, k], k])
    sz[root] = 0.0
    sz = np.where(np.isnan(sz), np.nanmedian(sz[np.arange(j) != root]), sz)
    ratio = f[:, root, 4] / np.maximum(np.asarray(gt_root_cm, np.float64)[:, 2], 1e-6)
    root_sigma = _robust_sigma(np.log(np.clip(ratio, 1e-3, None)) - np.median(np.log(np.clip(ratio, 1e-3, None))))
    collapse = 0.0
    if flip is not None:
        a, b = lr_pairs(flip)
        apart = np.linalg.norm(gt_net[:, a] - gt_net[:, b], axis=-1) > 2 * collapse_px
        both = det[:, a] & det[:, b] & apart
        same = np.linalg.norm(uv[:, a] - uv[:, b], axis=-1) < collapse_px
        collapse = float((both & same).sum() / max(both.sum(), 1))
    return DetectionNoise(p_visible=pv.tolist(), p_occluded=po.tolist(), sigma_px=sig.tolist(),
                          outlier_rate=is_out_rate, outlier_px=out_px, relz_gain=gain, sigma_z_cm=sz.tolist(),
                          root_log_sigma=root_sigma, lr_collapse=collapse)


BUNDLED = {"coco": "coco_noise.json"}


def load_noise(name_or_path) -> DetectionNoise:
    """A :class:`DetectionNoise` from a bundled name (``coco``) or a JSON file (a ``.noise.json`` of
    ``hupor train synth-pairs``); keys starting with ``_`` are comments, unknown keys are errors."""
    from pathlib import Path

    from ..config import from_dict
    from ..fileio import read_json

    path = Path(__file__).with_name(BUNDLED[name_or_path]) if name_or_path in BUNDLED else Path(name_or_path)
    data = read_json(path)
    if not isinstance(data, dict):
        raise HuporError(f"noise model {path}: expected a JSON object")
    return from_dict(DetectionNoise, {k: v for k, v in data.items() if not k.startswith("_")}, f"noise model {path}")
