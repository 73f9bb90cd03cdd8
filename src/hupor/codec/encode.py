"""Training targets (method §4): multi-level heatmaps, 3D PAFs, root-depth targets and the valid mask.

Pixel convention (:mod:`hupor.codec.grid`, shared with the decoder): output pixel ``(r, c)`` has its
centre at output coordinates ``(c, r)`` with ``u = (x_net − (stride − 1)/2) / stride``. A Gaussian is
evaluated at pixel centres around the **exact** (not int-cast) joint position; the decoder's
value-weighted mean pixel index recovers that position without bias. The official code int-casts
joint positions and depths (data-and-eval.md P16); we do not (see docs/codec.md).

Rendering is vectorised numpy (no Python loop over people or limbs): Gaussians are rendered in fixed
windows and combined with ``np.maximum.at``; PAF pixels are enumerated over each limb's bounding box as
one ragged array and accumulated with ``np.bincount`` (sum and per-pixel count → average).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import HuporError, require_finite
from ..skeleton import Skeleton
from .grid import nearest_pixel, net_to_out
from .params import CodecParams

SUBSETS = ("vis", "all", "occ")
MIN_LIMB_OUT_PX = 1.0  # limbs shorter than this (output px) get no PAF x/y (official rule)


@dataclass
class Targets:
    """Targets of one image.

    * ``maps``: subset → (L, J+3P, h, w) float32, maps57 layout, raw scale (heatmap peak 255, PAF x/y
      ×127, PAF z = Z_B − Z_A in cm). Subsets "vis" (v == 2), "all" (v ≥ 1), "occ" (occluded only).
    * ``root_depth``: (n_torso, max_people, 3) float32: row, col (output px, integer-valued), value
      ``Z_cm / (fx·s)`` of that torso joint; unused rows are 0.
    * ``valid``: (J+3P,) float32 channel mask (0 for channels that 2D-only data cannot supervise).
    """

    maps: dict[str, np.ndarray]
    root_depth: np.ndarray
    valid: np.ndarray


def _check_inputs(skeleton, joints_net, joints_3d_mm, visibility, focal_net, has_3d):
    j = skeleton.num_joints
    xy = np.asarray(joints_net, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[1:] != (j, 2):
        raise HuporError(f"encode: joints_net must be (N, {j}, 2), got {xy.shape}")
    n = xy.shape[0]
    vis = np.asarray(visibility)
    if vis.shape != (n, j):
        raise HuporError(f"encode: visibility must be ({n}, {j}), got {vis.shape}")
    if vis.size and not np.isin(vis, (0, 1, 2)).all():
        raise HuporError("encode: visibility values must be 0, 1 or 2")
    vis = vis.astype(np.int64)
    if joints_3d_mm is None:
        if has_3d:
            raise HuporError("encode: joints_3d_mm is required when has_3d=True")
        xyz = np.zeros((n, j, 3))
    else:
        xyz = np.asarray(joints_3d_mm, dtype=np.float64)
        if xyz.shape != (n, j, 3):
            raise HuporError(f"encode: joints_3d_mm must be ({n}, {j}, 3), got {xyz.shape}")
    labelled = vis > 0
    require_finite("encode: joints_net of labelled joints", xy[labelled])
    if has_3d:
        require_finite("encode: joints_3d_mm of labelled joints", xyz[labelled])
        if (xyz[labelled][:, 2] <= 0).any():
            raise HuporError("encode: joints_3d_mm has a labelled joint with depth Z <= 0")
        f = float(focal_net)
        if not np.isfinite(f) or f <= 0:
            raise HuporError(f"encode: focal_net must be a positive finite number, got {focal_net}")
    return xy, xyz, vis


def _subset_masks(vis: np.ndarray, limbs: np.ndarray, subsets) -> dict:
    """subset → (joint mask (N, J), limb mask (N, P))."""
    va, vb = vis[:, limbs[:, 0]], vis[:, limbs[:, 1]]
    out = {}
    for s in subsets:
        if s == "vis":
            out[s] = (vis == 2, (va == 2) & (vb == 2))
        elif s == "all":
            out[s] = (vis >= 1, (va >= 1) & (vb >= 1))
        else:  # occ
            both = (va >= 1) & (vb >= 1)
            out[s] = (vis == 1, both & ((va == 1) | (vb == 1)))
    return out


class _HeatRenderer:
    """Gaussian windows (radius ⌈3σ⌉) of all candidate points for one σ; renders any point subset."""

    def __init__(self, uv, jidx, nch, sigma, h, w):
        self.h, self.w, self.nch, self.jidx = h, w, nch, jidx
        rad = int(np.ceil(3.0 * sigma))
        fl = nearest_pixel(uv)  # pixel containing the point
        self.inside = ((fl[:, 0] >= -rad) & (fl[:, 0] <= w - 1 + rad) & (fl[:, 1] >= -rad)
                       & (fl[:, 1] <= h - 1 + rad))
        off = np.arange(-rad, rad + 1)
        cols, rows = fl[:, 0:1] + off, fl[:, 1:2] + off  # (K, 2r+1) pixel indices
        inv = -0.5 / sigma**2
        gx = np.exp(inv * (cols - uv[:, 0:1]) ** 2)
        gy = np.exp(inv * (rows - uv[:, 1:2]) ** 2)
        self.patch = (gy[:, :, None] * gx[:, None, :]).astype(np.float32)  # (K, S, S)
        self.pad = 2 * rad  # canvas margin: windows of points up to rad outside the map fit
        self.cols, self.rows = cols + self.pad, rows + self.pad

    def render(self, mask, out, peak):
        """Write the max-combined, per-channel max-normalised heatmaps of ``mask`` into ``out``."""
        k = np.flatnonzero(mask & self.inside)
        if k.size == 0:
            return
        p = self.pad
        canvas = np.zeros((self.nch, self.h + 2 * p, self.w + 2 * p), np.float32)
        np.maximum.at(canvas, (self.jidx[k, None, None], self.rows[k, :, None], self.cols[k, None, :]),
                      self.patch[k])
        crop = canvas[:, p:p + self.h, p:p + self.w]
        mx = crop.reshape(self.nch, -1).max(axis=1)
        scale = np.where(mx > 0, peak / np.where(mx > 0, mx, 1.0), 0.0).astype(np.float32)
        np.multiply(crop, scale[:, None, None], out=out)


def gaussian_heatmaps(uv: np.ndarray, channel: np.ndarray, num_channels: int, sigma: float, h: int, w: int,
                      peak: float = 1.0) -> np.ndarray:
    """(C, h, w) float32 heatmaps: a Gaussian (σ output px) at each point ``uv`` (K, 2) output
    coordinates (pixel c centre at c) in channel ``channel`` (K,), max-combined, each channel scaled to
    ``peak`` (the codec's own rendering, for other methods' targets such as the 2D plug-ins')."""
    out = np.zeros((num_channels, h, w), np.float32)
    uv = np.asarray(uv, np.float64).reshape(-1, 2)
    if len(uv):
        r = _HeatRenderer(uv, np.asarray(channel, np.int64).reshape(-1), num_channels, sigma, h, w)
        r.render(np.ones(len(uv), bool), out, peak)
    return out


class _PafRenderer:
    """Pixel lists of limb instances for one half-width; averaged 3D PAFs for any instance subset.

    A pixel belongs to a limb if its centre lies in the limb's bounding box grown by ``thre`` and
    within ``thre`` of the line A–B (official rule). Limbs shorter than 1 output px have no direction:
    they get no x/y (official) but, unlike the official code, still get their z within ``thre`` of the
    segment, so side-on shoulders and hips keep their relative depth (see docs/codec.md).
    """

    def __init__(self, a, b, dz, kidx, thre, h, w):
        self.h, self.w = h, w
        d = b - a
        length = np.hypot(d[:, 0], d[:, 1])
        long_ = length >= MIN_LIMB_OUT_PX
        u = d / np.where(length > 0, length, 1.0)[:, None]
        lo = np.minimum(a, b) - thre
        hi = np.maximum(a, b) + thre
        c0 = np.clip(np.ceil(lo[:, 0]), 0, w).astype(np.int64)
        c1 = np.clip(np.floor(hi[:, 0]), -1, w - 1).astype(np.int64)
        r0 = np.clip(np.ceil(lo[:, 1]), 0, h).astype(np.int64)
        r1 = np.clip(np.floor(hi[:, 1]), -1, h - 1).astype(np.int64)
        bw = np.maximum(c1 - c0 + 1, 0)
        bh = np.maximum(r1 - r0 + 1, 0)
        area = bw * bh
        inst = np.repeat(np.arange(len(a)), area)
        start = np.cumsum(area) - area
        local = np.arange(inst.size) - start[inst]
        bwi = np.maximum(bw[inst], 1)
        r = r0[inst] + local // bwi
        c = c0[inst] + local % bwi
        px, py = c - a[inst, 0], r - a[inst, 1]
        dist_line = np.abs(px * u[inst, 1] - py * u[inst, 0])
        dd = d[inst]
        t = np.clip((px * dd[:, 0] + py * dd[:, 1]) / np.maximum(length[inst] ** 2, 1e-12), 0.0, 1.0)
        dist_seg = np.hypot(px - t * dd[:, 0], py - t * dd[:, 1])
        is_long = long_[inst]
        keep = np.where(is_long, dist_line, dist_seg) < thre
        self.inst = inst[keep]
        self.is_long = is_long[keep]
        self.flat = kidx[self.inst] * (h * w) + r[keep] * w + c[keep]
        self.ux, self.uy, self.dz = u[self.inst, 0], u[self.inst, 1], dz[self.inst]

    def render(self, inst_mask, nlimbs, out_xyz, paf_scale):
        """Average the PAFs of the instances in ``inst_mask`` into ``out_xyz`` (P, 3, h, w)."""
        sel = inst_mask[self.inst]
        if not sel.any():
            return
        n = nlimbs * self.h * self.w
        hw = self.h * self.w
        view = out_xyz.reshape(nlimbs, 3, -1)
        for chans, m in (((0, 1), sel & self.is_long), ((2,), sel)):
            flat = self.flat[m]
            if flat.size == 0:
                continue
            cnt = np.bincount(flat, minlength=n)
            hit = np.flatnonzero(cnt)
            inv = 1.0 / cnt[hit]
            kk, pix = np.divmod(hit, hw)
            for ch in chans:
                vals, sc = ((self.ux, paf_scale), (self.uy, paf_scale), (self.dz, 1.0))[ch]
                s = np.bincount(flat, weights=vals[m], minlength=n)
                view[kk, ch, pix] = s[hit] * inv * sc


def encode_targets(skeleton: Skeleton, params: CodecParams, joints_net, joints_3d_mm, visibility,
                   focal_net, has_3d=True, levels=(0, 1, 2, 3, 4), subsets=SUBSETS) -> Targets:
    """Targets of one image (method §4); see :meth:`hupor.codec.Codec.encode`."""
    xy, xyz, vis = _check_inputs(skeleton, joints_net, joints_3d_mm, visibility, focal_net, has_3d)
    levels = tuple(int(x) for x in levels)
    if not levels or any(not 0 <= x < params.num_levels for x in levels):
        raise HuporError(f"encode: levels must be in 0..{params.num_levels - 1}, got {levels}")
    subsets = tuple(subsets)
    if not subsets or any(s not in SUBSETS for s in subsets):
        raise HuporError(f"encode: subsets must be among {SUBSETS}, got {subsets}")
    nj, npl = skeleton.num_joints, skeleton.num_limbs
    h, w, st = params.map_h, params.map_w, params.stride
    limbs = np.asarray(skeleton.limbs, dtype=np.int64)
    masks = _subset_masks(vis, limbs, subsets)
    uv = net_to_out(xy, st)  # output coordinates, exact (no int cast)

    # Candidate points / limb instances: the "all" superset (every subset is a subset of it).
    jmask_all = vis >= 1
    pn, pj = np.nonzero(jmask_all)
    lmask_all = (vis[:, limbs[:, 0]] >= 1) & (vis[:, limbs[:, 1]] >= 1)
    ln, lk = np.nonzero(lmask_all)
    a, b = uv[ln, limbs[lk, 0]], uv[ln, limbs[lk, 1]]
    dz = (xyz[ln, limbs[lk, 1], 2] - xyz[ln, limbs[lk, 0], 2]) / 10.0 if has_3d else np.zeros(len(ln))

    nl = len(levels)
    maps = {s: np.zeros((nl, nj + 3 * npl, h, w), np.float32) for s in subsets}
    heat_cache, paf_cache = {}, {}
    for li, lev in enumerate(levels):
        sig, thre = float(params.sigmas[lev]), float(params.paf_widths[lev])
        if sig not in heat_cache:
            heat_cache[sig] = _HeatRenderer(uv[pn, pj], pj, nj, sig, h, w)
        if thre not in paf_cache:
            paf_cache[thre] = _PafRenderer(a, b, dz, lk, thre, h, w)
        for s in subsets:
            jm, lm = masks[s]
            heat_cache[sig].render(jm[pn, pj], maps[s][li, :nj], params.heatmap_peak)
            paf_cache[thre].render(lm[ln, lk], npl, maps[s][li, nj:], params.paf_scale)

    return Targets(maps=maps, root_depth=_root_depth_targets(skeleton, params, xy, xyz, vis, focal_net,
                                                             has_3d),
                   valid=valid_mask(skeleton, has_3d))


def _root_depth_targets(skeleton, params, xy, xyz, vis, focal_net, has_3d) -> np.ndarray:
    torso = np.asarray(skeleton.torso, dtype=np.int64)
    out = np.zeros((len(torso), params.max_people, 3), np.float32)
    if not has_3d or xy.shape[0] == 0:
        return out
    n = min(xy.shape[0], params.max_people)
    xy = np.nan_to_num(xy, nan=-1e6, posinf=-1e6, neginf=-1e6)  # unlabelled joints may be NaN
    col = nearest_pixel(net_to_out(xy[:n, torso, 0], params.stride))  # (n, T) pixel holding the joint
    row = nearest_pixel(net_to_out(xy[:n, torso, 1], params.stride))
    ok = ((vis[:n, torso] == 2) & (col >= 0) & (col < params.map_w) & (row >= 0)
          & (row < params.map_h))
    val = xyz[:n, torso, 2] / 10.0 / float(focal_net)
    stacked = np.stack([row, col, val], axis=-1) * ok[..., None]  # (n, T, 3)
    out[:, :n] = stacked.transpose(1, 0, 2)
    return out


def valid_mask(skeleton: Skeleton, has_3d: bool) -> np.ndarray:
    """(J+3P,) channel mask. 2D-only data (``has_3d=False``) has no head-top label and no depth: its
    head-top heatmap, the x/y of limbs touching the head top, and all PAF z channels are 0."""
    nj = skeleton.num_joints
    valid = np.ones(skeleton.num_map_channels, np.float32)
    if has_3d:
        return valid
    head = skeleton.joints.index("head_top") if "head_top" in skeleton.joints else -1
    if head >= 0:
        valid[head] = 0
    for k, (ja, jb) in enumerate(skeleton.limbs):
        if head in (ja, jb):
            valid[nj + 3 * k: nj + 3 * k + 2] = 0
        valid[nj + 3 * k + 2] = 0
    return valid
