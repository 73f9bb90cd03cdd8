"""Root (pelvis) depth from the 7 torso-joint depth channels (method §7), vectorised over people.

Inputs per person: ``depth`` (N, T) each torso joint's own root-depth-head value sampled at that joint
(unit ``Z_cm/(fx·s)``; NaN where the joint is missing) and ``conf`` (N, T) its heatmap score in [0, 1]
(0 where missing), both in ``skeleton.torso`` order. Rules (``DecodeParams.root_rule``):

* "cascade" (method §7.3): pelvis if c > τ_hi; else hip pair (both > τ); else shoulder pair + Δ_sho;
  else diagonal pairs (L-sho, R-hip) then (R-sho, L-hip) + Δ_diag; else (neck, head) → D_neck + Δ_nh;
  else the single most confident torso joint above τ + its Δ; else the pelvis regardless.
  The Δ are metric (``DecodeParams.delta_*_mm``: expected ``Z_pelvis − Z_rule`` in mm, fitted on the
  motion-capture poses, docs/codec.md) and converted to the head's unit with ``mm_to_unit`` =
  1 / (10·fx·s).
* "weighted" (the official code, §7.2): pelvis if c > τ_hi; else the confidence-weighted mean of the
  torso joints above τ; else the pelvis.
* "pelvis": the pelvis channel only (SMAP).
"""

from __future__ import annotations

import numpy as np

from ..errors import HuporError
from ..skeleton import Skeleton
from .params import DecodeParams

RULES = ("pelvis", "hips", "shoulders", "diagonal", "neck_head", "single", "fallback", "weighted")
_ROLES = {"pelvis": "pelvis", "neck": "neck", "head": "head_top", "l_sho": "l_shoulder",
          "r_sho": "r_shoulder", "l_hip": "l_hip", "r_hip": "r_hip"}


def torso_roles(skeleton: Skeleton) -> dict[str, int]:
    """Torso-channel index of each role (pelvis, neck, head, l_sho, r_sho, l_hip, r_hip)."""
    out = {}
    for role, name in _ROLES.items():
        if name not in skeleton.joints or skeleton.joints.index(name) not in skeleton.torso:
            raise HuporError(f"skeleton {skeleton.name}: torso lacks {name!r} needed by root-depth rules")
        out[role] = skeleton.torso.index(skeleton.joints.index(name))
    return out


def root_depth(depth: np.ndarray, conf: np.ndarray, params: DecodeParams, skeleton: Skeleton,
               mm_to_unit: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Root depth (N,) in ``Z_cm/(fx·s)`` and the index into :data:`RULES` of the rule used (N,).
    ``mm_to_unit``: 1 / (10·fx·s), the factor that turns the Δ offsets (mm) into the head's unit."""
    depth = np.asarray(depth, dtype=np.float64)
    conf = np.asarray(conf, dtype=np.float64)
    if depth.ndim != 2 or depth.shape != conf.shape or depth.shape[1] != len(skeleton.torso):
        raise HuporError(f"root_depth: depth and conf must both be (N, {len(skeleton.torso)}), "
                         f"got {depth.shape} and {conf.shape}")
    r = torso_roles(skeleton)
    d, c = depth, conf
    th, t = params.root_tau_hi, params.root_tau
    pel = d[:, r["pelvis"]]
    n = len(d)
    if params.root_rule == "pelvis":
        return pel.copy(), np.zeros(n, np.int64)
    pel_ok = c[:, r["pelvis"]] > th
    if params.root_rule == "weighted":
        sel = c > t
        wsum = np.where(sel, c, 0.0).sum(axis=1)
        wmean = np.where(sel, c * np.nan_to_num(d), 0.0).sum(axis=1) / np.maximum(wsum, 1e-12)
        has = sel.any(axis=1)
        rule = np.where(pel_ok, 0, np.where(has, RULES.index("weighted"), RULES.index("fallback")))
        return np.where(pel_ok, pel, np.where(has, wmean, pel)), rule

    def pair(x, y):
        return (c[:, r[x]] > t) & (c[:, r[y]] > t), 0.5 * (d[:, r[x]] + d[:, r[y]])

    hips_ok, hips = pair("l_hip", "r_hip")
    sho_ok, sho = pair("l_sho", "r_sho")
    dg1_ok, dg1 = pair("l_sho", "r_hip")
    dg2_ok, dg2 = pair("r_sho", "l_hip")
    nh_ok, _ = pair("neck", "head")
    best = np.argmax(c, axis=1)
    single_ok = c[np.arange(n), best] > t
    delta_single = np.asarray(params.delta_single_mm, dtype=np.float64) * mm_to_unit
    if delta_single.shape != (len(skeleton.torso),):
        raise HuporError(f"decode params: delta_single_mm needs {len(skeleton.torso)} values")
    single = d[np.arange(n), best] + delta_single[best]
    conds = [pel_ok, hips_ok, sho_ok, dg1_ok, dg2_ok, nh_ok, single_ok]
    k = mm_to_unit
    vals = [pel, hips, sho + k * params.delta_shoulders_mm, dg1 + k * params.delta_diagonal_mm,
            dg2 + k * params.delta_diagonal_mm, d[:, r["neck"]] + k * params.delta_neck_head_mm, single]
    codes = [0, 1, 2, 3, 3, 4, 5]
    value = np.select(conds, vals, default=pel)
    rule = np.select(conds, codes, default=RULES.index("fallback"))
    return value, rule


def fit_root_offsets(joints_3d_mm: np.ndarray, skeleton: Skeleton) -> dict[str, tuple[float, float]]:
    """The Δ offsets of the cascade from 3D poses: per rule, ``(mean, std)`` of ``Z_pelvis − Z_rule``
    in mm over all people (``joints_3d_mm`` (N, J, 3), camera frame; people with a non-finite torso
    joint are skipped). Keys: ``shoulders``, ``diagonal`` (both diagonal pairs pooled), ``neck_head``
    (the neck's depth, as the rule reads it) and ``single_<joint>`` for each torso joint."""
    j = np.asarray(joints_3d_mm, dtype=np.float64)
    if j.ndim != 3 or j.shape[1:] != (skeleton.num_joints, 3):
        raise HuporError(f"fit_root_offsets: joints must be (N, {skeleton.num_joints}, 3), got {j.shape}")
    r = torso_roles(skeleton)
    z = j[:, list(skeleton.torso), 2]
    z = z[np.isfinite(z).all(axis=1)]
    if len(z) == 0:
        raise HuporError("fit_root_offsets: no person with all torso joints")
    pel = z[:, r["pelvis"]]

    def stat(v):
        return float(np.mean(v)), float(np.std(v))

    out = {"shoulders": stat(pel - 0.5 * (z[:, r["l_sho"]] + z[:, r["r_sho"]])),
           "diagonal": stat(np.concatenate([pel - 0.5 * (z[:, r["l_sho"]] + z[:, r["r_hip"]]),
                                            pel - 0.5 * (z[:, r["r_sho"]] + z[:, r["l_hip"]])])),
           "neck_head": stat(pel - z[:, r["neck"]])}
    for m, jt in enumerate(skeleton.torso):
        out[f"single_{skeleton.joints[jt]}"] = stat(pel - z[:, m])
    return out
