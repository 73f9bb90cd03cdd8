"""Maps → 3D people (method §8): peaks, PAF scores, depth-aware grouping, relative and root depth,
back-projection. Pure numpy on CPU; torch inputs are converted.
"""

from __future__ import annotations

import numpy as np

from ..camera import Intrinsics, Letterbox
from ..errors import HuporError, require_finite
from ..skeleton import Skeleton
from .grid import nearest_pixel, out_to_net, window_max
from .group import group_people
from .paf import candidate_pairs, limb_depths, pair_scores
from .params import CodecParams, DecodeParams
from .peaks import Peaks, find_peaks
from .poses import Poses
from .rootdepth import root_depth as root_rule_depth

MIN_ROOT_DEPTH_MM = 100.0  # root depths below this (bad root-depth maps) are clamped to it


def _to_numpy(name: str, x) -> np.ndarray:
    try:
        import torch

        if isinstance(x, torch.Tensor):
            if x.device.type != "cpu":
                raise HuporError(f"decode: {name} must be on the CPU, got device {x.device}")
            x = x.detach().float().numpy()
    except ImportError:  # pragma: no cover - torch is a core dependency
        pass
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu":
        raise HuporError(f"decode: {name} must be a numeric array, got dtype {arr.dtype}")
    return arr


def _sample(maps: np.ndarray, ch: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Values of channel ``ch`` at the pixels holding output coordinates ``xy`` (clipped to the map)."""
    _, h, w = maps.shape
    c = np.clip(nearest_pixel(xy[..., 0]), 0, w - 1)
    r = np.clip(nearest_pixel(xy[..., 1]), 0, h - 1)
    return maps.reshape(-1)[(ch * h + r) * w + c].astype(np.float64)


def decode_maps(skeleton: Skeleton, cparams: CodecParams, maps57, root_depth, letterbox: Letterbox,
                intrinsics: Intrinsics, params: DecodeParams = DecodeParams(), det_heat=None) -> Poses:
    """See :meth:`hupor.codec.Codec.decode`. Persons whose root (pelvis) peak is not found (e.g. the
    pelvis is outside the map) are not decoded."""
    nj, npl, nt = skeleton.num_joints, skeleton.num_limbs, len(skeleton.torso)
    maps = _to_numpy("maps57", maps57)
    rd = _to_numpy("root_depth", root_depth)
    if maps.ndim != 3 or maps.shape[0] != nj + 3 * npl:
        raise HuporError(f"decode: maps57 must be ({nj + 3 * npl}, h, w), got {maps.shape}")
    h, w = maps.shape[1:]
    if rd.shape != (nt, h, w):
        raise HuporError(f"decode: root_depth must be ({nt}, {h}, {w}), got {rd.shape}")
    st = cparams.stride
    if (letterbox.net_w, letterbox.net_h) != (w * st, h * st):
        raise HuporError(f"decode: letterbox {letterbox.net_w}x{letterbox.net_h} does not match maps "
                         f"{w}x{h} at stride {st}")
    require_finite("decode: maps57", maps)
    require_finite("decode: root_depth", rd)
    gate = None
    if det_heat is not None and params.root_confidence == "detector":
        gate = _to_numpy("det_heat", det_heat)
        if gate.shape != (nj, h, w):
            raise HuporError(f"decode: det_heat must be ({nj}, {h}, {w}), got {gate.shape}")
    if not maps.flags.c_contiguous:
        maps = np.ascontiguousarray(maps)
    if not rd.flags.c_contiguous:
        rd = np.ascontiguousarray(rd)

    peak = cparams.heatmap_peak
    pk = find_peaks(maps[:nj], params.peak_threshold * peak, params.refine_radius, params.max_peaks,
                    params.refine)
    pk.score = np.clip(pk.score / peak, 0.0, 1.0)  # scores in [0, 1]
    limbs = np.asarray(skeleton.limbs, dtype=np.int64)
    limb, ia, ib, offsets = candidate_pairs(pk, limbs)
    score, length = pair_scores(maps, nj + 3 * limb, cparams.paf_scale, pk.xy, ia, ib,
                                params.paf_sample_min, params.paf_sample_max,
                                params.paf_point_threshold, params.paf_keep_ratio)

    root, torso = skeleton.root, list(skeleton.torso)
    sl = pk.of(root)
    roots = np.arange(sl.start, sl.stop)[: params.max_people]  # highest scores first
    root_ch = torso.index(root)
    root_z = _sample(rd, np.full(len(roots), root_ch), pk.xy[roots])
    order = np.argsort(root_z, kind="stable")  # near → far
    assign = group_people(pk, score, length, offsets, roots[order], root_z[order], skeleton, st,
                          params.bone_slack, params.heat_weight, params.short_limb)
    return lift_people(skeleton, cparams, maps, rd, pk, assign, letterbox, intrinsics, params, gate)


def torso_confidence(det_heat: np.ndarray, torso, xy_out: np.ndarray) -> np.ndarray:
    """(N, T) detector confidence of each person's torso joints: the max of ``det_heat`` (J, h, w) in
    [0, 1] over the 3×3 output pixels around the pixel holding the joint (as the joint-state rule)."""
    _, h, w = det_heat.shape
    tj = np.asarray(torso)
    xy = np.nan_to_num(xy_out[:, tj])
    col = np.clip(nearest_pixel(xy[..., 0]), 0, w - 1)
    row = np.clip(nearest_pixel(xy[..., 1]), 0, h - 1)
    heat = np.asarray(det_heat, np.float32)
    return window_max(heat, np.broadcast_to(tj, row.shape), row, col, 1).astype(np.float64)


def lift_people(skeleton: Skeleton, cparams: CodecParams, maps: np.ndarray, rd: np.ndarray, pk: Peaks,
                assign: np.ndarray, letterbox: Letterbox, intrinsics: Intrinsics,
                params: DecodeParams, det_heat: np.ndarray | None = None) -> Poses:
    """Grouped peaks → 3D people: relative depths along the chain, root depth, back-projection.

    ``maps`` (57, h, w) and ``rd`` (7, h, w): checked numpy maps; ``pk``: the peaks; ``assign`` (N, J)
    from :func:`group_people` (−1 = missing); ``det_heat`` (J, h, w) in [0, 1]: the detector's
    heatmaps, which gate the root rules when given (:func:`torso_confidence`), else the decoded
    scores do. Returns the persons sorted near → far.
    """
    nj, npl, nt = skeleton.num_joints, skeleton.num_limbs, len(skeleton.torso)
    st = cparams.stride
    limbs = np.asarray(skeleton.limbs, dtype=np.int64)
    root, torso = skeleton.root, list(skeleton.torso)
    n = len(assign)
    if n == 0:
        return Poses.empty(nj)

    det = assign >= 0
    idx = np.where(det, assign, 0)
    xy_out = np.where(det[..., None], pk.xy[idx], np.nan)  # (N, J, 2) output coords
    scores = np.where(det, pk.score[idx], 0.0)

    # relative depths (cm) along the chain, root = 0
    both = det[:, limbs[:, 0]] & det[:, limbs[:, 1]]  # (N, P)
    pn, pkk = np.nonzero(both)
    d = np.full((n, npl), np.nan)
    d[pn, pkk] = limb_depths(maps, nj + 3 * pkk + 2, xy_out[pn, limbs[pkk, 0]], xy_out[pn, limbs[pkk, 1]],
                             params.depth_samples, params.depth_clip)
    rel = np.full((n, nj), np.nan)
    rel[:, root] = 0.0
    for k, src, dst, sign in skeleton.chain:
        rel[:, dst] = rel[:, src] + sign * d[:, k]

    # root depth from the torso channels, each sampled at its own joint
    tj = np.asarray(torso)
    tdet = det[:, tj]
    tdepth = np.where(tdet, _sample(rd, np.broadcast_to(np.arange(nt), (n, nt)),
                                    np.nan_to_num(xy_out[:, tj])), np.nan)
    conf = scores[:, tj] if det_heat is None else torso_confidence(det_heat, torso, xy_out)
    f_net = intrinsics.fx * letterbox.scale
    z_norm, _ = root_rule_depth(tdepth, np.where(tdet, conf, 0.0), params, skeleton, 1.0 / (10.0 * f_net))
    z_root = np.maximum(z_norm * f_net * 10.0, MIN_ROOT_DEPTH_MM)

    joints_net = out_to_net(xy_out, st)
    joints_2d = letterbox.to_image(joints_net)
    z = z_root[:, None] + 10.0 * rel
    joints_3d = intrinsics.backproject(joints_2d, np.where(det, z, np.nan))
    joints_3d[~det] = np.nan
    srt = np.argsort(z_root, kind="stable")
    return Poses(joints_net=joints_net[srt], joints_2d=joints_2d[srt], joints_3d=joints_3d[srt],
                 scores=scores[srt].astype(np.float32), detected=det[srt], root_depth_mm=z_root[srt],
                 person_scores=scores[srt].sum(axis=1) / nj)
